/* Proto JSON of trace endpoints (see trace_json.h). */
#include "trace_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/util.h"

void trace_json_timestamp(char *out, size_t cap, int64_t ms)
{
    int64_t sec = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    /* Four-digit years, as RFC 3339 has them (strftime's %Y does not pad). */
    int n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n < 0 || (size_t)n >= cap)
        return;
    if (frac)
        snprintf(out + n, cap - (size_t)n, ".%03dZ", (int)frac);
    else
        snprintf(out + n, cap - (size_t)n, "Z");
}

void trace_json_duration(char *out, size_t cap, int64_t ms)
{
    const char *sign = ms < 0 ? "-" : "";
    uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    if (a % 1000)
        snprintf(out, cap, "%s%llu.%03llus", sign, (unsigned long long)(a / 1000),
                 (unsigned long long)(a % 1000));
    else
        snprintf(out, cap, "%s%llus", sign, (unsigned long long)(a / 1000));
}

/* Digits s[*i..] as a number (at most max digits); the count read. */
static int digits(const char *s, size_t *i, int max, int64_t *v)
{
    int k = 0;
    *v = 0;
    while (k < max && s[*i] >= '0' && s[*i] <= '9') {
        *v = *v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    return k;
}

/* The fraction after a '.', as milliseconds (extra digits dropped, as protobuf keeps ns). */
static int fraction_ms(const char *s, size_t *i, int64_t *ms)
{
    *ms = 0;
    if (s[*i] != '.')
        return 0;
    (*i)++;
    int k = 0;
    while (s[*i] >= '0' && s[*i] <= '9') {
        if (k < 3)
            *ms = *ms * 10 + (s[*i] - '0');
        (*i)++;
        if (++k > 9)
            return -1;
    }
    if (k == 0)
        return -1;
    for (; k < 3; k++)
        *ms *= 10;
    return 0;
}

int trace_json_parse_timestamp(const char *s, int64_t *ms)
{
    size_t i = 0;
    int64_t y, mo, d, h, mi, se, fr;
    if (digits(s, &i, 4, &y) != 4 || s[i++] != '-' || digits(s, &i, 2, &mo) != 2 ||
        s[i++] != '-' || digits(s, &i, 2, &d) != 2 || (s[i] != 'T' && s[i] != 't'))
        return -1;
    i++;
    if (digits(s, &i, 2, &h) != 2 || s[i++] != ':' || digits(s, &i, 2, &mi) != 2 ||
        s[i++] != ':' || digits(s, &i, 2, &se) != 2 || fraction_ms(s, &i, &fr) < 0)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    int64_t off = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        int sign = s[i++] == '-' ? -1 : 1;
        int64_t oh, om;
        if (digits(s, &i, 2, &oh) != 2 || s[i++] != ':' || digits(s, &i, 2, &om) != 2)
            return -1;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (s[i])
        return -1;
    /* Days from the civil date (Howard Hinnant's algorithm). */
    int64_t yy = y - (mo <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    *ms = ((days * 86400 + h * 3600 + mi * 60 + se) - off) * 1000 + fr;
    return 0;
}

int trace_json_parse_duration(const char *s, int64_t *ms)
{
    size_t i = 0;
    int sign = 1;
    if (s[i] == '-') {
        sign = -1;
        i++;
    }
    int64_t sec, fr;
    if (digits(s, &i, 12, &sec) == 0 || fraction_ms(s, &i, &fr) < 0 || s[i] != 's' || s[i + 1])
        return -1;
    *ms = sign * (sec * 1000 + fr);
    return 0;
}

/* ---- a stored span as OpenTelemetry proto JSON ---- */

static void any_value(struct jw *w, json_t *v, int depth);

static void kv_list(struct jw *w, json_t *obj, int depth)
{
    jw_arr(w);
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        jw_obj(w);
        jw_kstr(w, "key", k);
        jw_key(w, "value");
        any_value(w, v, depth + 1);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* _set_otel_proto_anyvalue of a Python value. */
static void any_value(struct jw *w, json_t *v, int depth)
{
    jw_obj(w);
    if (depth > 64) {
        jw_obj_end(w);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        jw_key(w, "string_value");
        jw_strn(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        jw_key(w, "int_value");
        jw_int(w, json_integer_value(v));
        break;
    case JSON_REAL:
        jw_key(w, "double_value");
        jw_double(w, json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        jw_key(w, "bool_value");
        jw_bool(w, json_is_true(v));
        break;
    case JSON_ARRAY: {
        jw_key(w, "array_value");
        jw_obj(w);
        jw_key(w, "values");
        jw_arr(w);
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) any_value(w, x, depth + 1);
        jw_arr_end(w);
        jw_obj_end(w);
        break;
    }
    case JSON_OBJECT:
        jw_key(w, "kvlist_value");
        jw_obj(w);
        jw_key(w, "values");
        kv_list(w, v, depth);
        jw_obj_end(w);
        break;
    default: /* null: an AnyValue with nothing set */
        break;
    }
    jw_obj_end(w);
}

/* Span attributes are stored JSON-encoded; the proto carries the decoded value. */
static void attributes(struct jw *w, json_t *attrs, bool encoded)
{
    jw_key(w, "attributes");
    jw_arr(w);
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v)
    {
        jw_obj(w);
        jw_kstr(w, "key", k);
        jw_key(w, "value");
        json_t *dec = NULL;
        if (encoded && json_is_string(v))
            dec = json_loadb(json_string_value(v), json_string_length(v),
                             JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        any_value(w, dec ? dec : v, 0);
        json_decref(dec);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static void put_u64(struct jw *w, const char *key, json_t *v)
{
    if (json_is_integer(v)) {
        jw_key(w, key);
        jw_int(w, json_integer_value(v));
    }
}

json_t *trace_json_load(const char *p, size_t n)
{
    json_t *j = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (j)
        return j;
    /* Python's json.dumps writes NaN, Infinity and -Infinity, which JSON (and jansson) do not
     * have: outside strings they become null, and the text is read again. */
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    size_t k = 0;
    bool in_str = false;
    for (size_t i = 0; i < n;) {
        char ch = p[i];
        if (in_str) {
            c[k++] = ch;
            i++;
            if (ch == '\\' && i < n)
                c[k++] = p[i++];
            else if (ch == '"')
                in_str = false;
            continue;
        }
        size_t len = 0;
        if (ch == '"')
            in_str = true;
        else if (n - i >= 3 && memcmp(p + i, "NaN", 3) == 0)
            len = 3;
        else if (n - i >= 8 && memcmp(p + i, "Infinity", 8) == 0)
            len = 8;
        else if (n - i >= 9 && memcmp(p + i, "-Infinity", 9) == 0)
            len = 9;
        if (len) {
            memcpy(c + k, "null", 4); /* never longer than the token */
            k += 4;
            i += len;
            continue;
        }
        c[k++] = ch;
        i++;
    }
    j = json_loadb(c, k, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    free(c);
    return j;
}

int trace_json_span(struct jw *w, const char *content, size_t n, struct err *e)
{
    json_t *s = trace_json_load(content, n);
    if (!s || !json_is_object(s)) {
        json_decref(s);
        return err_set(e, ERR_INTERNAL_ERROR, "A stored span is not valid JSON");
    }
    jw_obj(w);
    static const char *const ids[] = {"trace_id", "span_id", "parent_span_id"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(s, ids[i]);
        if (json_is_string(v))
            jw_kstr(w, ids[i], json_string_value(v));
    }
    json_t *name = json_object_get(s, "name");
    jw_kstr(w, "name", json_is_string(name) ? json_string_value(name) : "");
    put_u64(w, "start_time_unix_nano", json_object_get(s, "start_time_unix_nano"));
    put_u64(w, "end_time_unix_nano", json_object_get(s, "end_time_unix_nano"));
    json_t *attrs = json_object_get(s, "attributes");
    if (json_is_object(attrs))
        attributes(w, attrs, true);
    json_t *events = json_object_get(s, "events");
    if (json_is_array(events) && json_array_size(events)) {
        jw_key(w, "events");
        jw_arr(w);
        size_t i;
        json_t *ev;
        json_array_foreach(events, i, ev)
        {
            if (!json_is_object(ev))
                continue;
            jw_obj(w);
            put_u64(w, "time_unix_nano", json_object_get(ev, "time_unix_nano"));
            json_t *en = json_object_get(ev, "name");
            jw_kstr(w, "name", json_is_string(en) ? json_string_value(en) : "");
            json_t *ea = json_object_get(ev, "attributes");
            if (json_is_object(ea) && json_object_size(ea))
                attributes(w, ea, false);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    json_t *st = json_object_get(s, "status");
    jw_key(w, "status");
    jw_obj(w);
    json_t *msg = json_is_object(st) ? json_object_get(st, "message") : NULL;
    if (json_is_string(msg) && json_string_length(msg))
        jw_kstr(w, "message", json_string_value(msg));
    json_t *code = json_is_object(st) ? json_object_get(st, "code") : NULL;
    jw_kstr(w, "code", json_is_string(code) ? json_string_value(code) : "STATUS_CODE_UNSET");
    jw_obj_end(w);
    jw_obj_end(w);
    json_decref(s);
    return 0;
}
