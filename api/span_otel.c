/* A stored span as OpenTelemetry proto JSON (see span_otel.h), streamed: the content is
 * checked once with json.loads' grammar (api/pyjson_scan.c), then walked in place, and its
 * strings, numbers and keys are copied as they are written there (valid JSON text is valid
 * JSON output). No tree is built: a 1,000-span trace is one pass over its bytes.
 *
 * Span attributes are stored JSON-encoded (a JSON string whose text is JSON); the proto
 * carries the decoded value as an AnyValue, as _set_otel_proto_anyvalue builds it from
 * json.loads' result. An attribute whose text does not decode is sent as the string. */
#include "span_otel.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "pyjson_scan.h"

enum { ANY_MAX_DEPTH = 64 }; /* deeper AnyValues are sent empty */

/* A value inside checked text: where it is and what it is. */
struct val {
    const char *p;
    size_t n;
    enum pyjson_kind k;
};

/* Walks the members of a checked object or the items of a checked array (the text was
 * checked once, so walking only skips). */
struct walk {
    const char *s;
    size_t n, i;
    bool started;
};

static struct walk walk_of(struct val v)
{
    return (struct walk){v.p, v.n, 0, false};
}

/* The next member (key set) or item (key NULL); false at the end. */
static bool walk_next(struct walk *w, struct val *key, struct val *v)
{
    size_t i = pyjson_ws(w->s, w->n, w->started ? w->i : 1);
    if (w->started && i < w->n && w->s[i] == ',')
        i = pyjson_ws(w->s, w->n, i + 1);
    w->started = true;
    if (i >= w->n || w->s[i] == '}' || w->s[i] == ']')
        return false;
    size_t end;
    if (key) {
        pyjson_skip(w->s, w->n, i, &end);
        *key = (struct val){w->s + i, end - i, PYJSON_STRING};
        i = pyjson_ws(w->s, w->n, pyjson_ws(w->s, w->n, end) + 1); /* past ':' */
    }
    v->k = pyjson_skip(w->s, w->n, i, &end);
    v->p = w->s + i;
    v->n = end - i;
    w->i = end;
    return v->k != PYJSON_BAD;
}

/* An integer token that fits int64 (proto's int_value). */
static bool fits_int64(struct val v)
{
    size_t i = v.p[0] == '-';
    uint64_t limit = i ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, x = 0;
    for (; i < v.n; i++) {
        unsigned d = (unsigned)(v.p[i] - '0');
        if (x > (limit - d) / 10)
            return false;
        x = x * 10 + d;
    }
    return true;
}

/* 1 or -1 when the real token is past a double's range (json.loads reads it as
 * +-inf, which proto JSON spells as a string), else 0. */
static int real_overflow(struct val v)
{
    bool exp = memchr(v.p, 'e', v.n) || memchr(v.p, 'E', v.n);
    if (!exp && v.n < 300) /* a double reaches 1.8e308 */
        return 0;
    char tmp[64];
    char *t = v.n < sizeof tmp ? tmp : malloc(v.n + 1);
    if (!t)
        return 0;
    memcpy(t, v.p, v.n);
    t[v.n] = 0;
    double d = strtod(t, NULL);
    if (t != tmp)
        free(t);
    return isinf(d) ? (d > 0 ? 1 : -1) : 0;
}

static void put(struct buf *b, const char *s)
{
    buf_puts(b, s);
}

static void raw(struct buf *b, struct val v)
{
    buf_append(b, v.p, v.n);
}

static bool is_high(const char *p) /* p at "\\uXXXX" */
{
    return (p[2] == 'd' || p[2] == 'D') && strchr("89abAB", p[3]);
}

static bool is_low(const char *p)
{
    return (p[2] == 'd' || p[2] == 'D') && strchr("cdefCDEF", p[3]);
}

/* A string token, with every escaped surrogate that is not half of a pair written as
 * \ufffd: json.loads reads one into a str, but UTF-8 (and so protobuf's string fields and
 * strict JSON readers) cannot carry it. */
static void raw_str(struct buf *b, struct val v)
{
    const char *p = v.p, *end = v.p + v.n, *run = p;
    while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
        if (p[1] != 'u') {
            p += 2;
            continue;
        }
        if (is_high(p) && end - p >= 12 && p[6] == '\\' && p[7] == 'u' && is_low(p + 6)) {
            p += 12;
        } else if (is_high(p) || is_low(p)) {
            buf_append(b, run, (size_t)(p - run));
            buf_puts(b, "\\ufffd");
            p += 6;
            run = p;
        } else {
            p += 6;
        }
    }
    buf_append(b, run, (size_t)(end - run));
}

static void kv_items(struct buf *b, struct buf *scratch, struct val obj, int depth);

static void any_value(struct buf *b, struct val v, int depth)
{
    put(b, "{");
    if (depth > ANY_MAX_DEPTH) {
        put(b, "}");
        return;
    }
    switch (v.k) {
    case PYJSON_STRING:
        put(b, "\"string_value\":");
        raw_str(b, v);
        break;
    case PYJSON_INT:
        put(b, fits_int64(v) ? "\"int_value\":" : "\"double_value\":");
        raw(b, v);
        break;
    case PYJSON_REAL: {
        int inf = real_overflow(v);
        if (inf)
            put(b, inf > 0 ? "\"double_value\":\"Infinity\"" : "\"double_value\":\"-Infinity\"");
        else
            put(b, "\"double_value\":"), raw(b, v);
        break;
    }
    case PYJSON_NONFINITE: /* proto JSON spells these as strings */
        put(b, v.p[0] == 'N' ? "\"double_value\":\"NaN\""
               : v.p[0] == '-' ? "\"double_value\":\"-Infinity\""
                               : "\"double_value\":\"Infinity\"");
        break;
    case PYJSON_BOOL:
        put(b, "\"bool_value\":");
        raw(b, v);
        break;
    case PYJSON_ARRAY: {
        put(b, "\"array_value\":{\"values\":[");
        struct walk w = walk_of(v);
        struct val item;
        for (bool first = true; walk_next(&w, NULL, &item); first = false) {
            if (!first)
                put(b, ",");
            any_value(b, item, depth + 1);
        }
        put(b, "]}");
        break;
    }
    case PYJSON_OBJECT:
        put(b, "\"kvlist_value\":{\"values\":[");
        kv_items(b, NULL, v, depth + 1);
        put(b, "]}");
        break;
    default: /* null: an AnyValue with nothing set */
        break;
    }
    put(b, "}");
}

/* The value of an encoded attribute: the text of the JSON string v, itself read as JSON;
 * the string itself when that text is not JSON. scratch holds the decoded text. */
static void attr_value(struct buf *b, struct buf *scratch, struct val v)
{
    if (v.k == PYJSON_STRING) {
        scratch->len = 0;
        if (pyjson_unescape(scratch, v.p, v.n) == 0 && buf_ok(scratch)) {
            const char *t = scratch->ptr ? scratch->ptr : "";
            size_t start, end;
            enum pyjson_kind k = pyjson_whole(t, scratch->len, &start, &end);
            if (k != PYJSON_BAD) {
                any_value(b, (struct val){t + start, end - start, k}, 0);
                return;
            }
        }
    }
    any_value(b, v, 0);
}

/* The members of obj as KeyValues, {"key": ..., "value": AnyValue}, ...: with scratch, the
 * values are encoded attributes (see attr_value). */
static void kv_items(struct buf *b, struct buf *scratch, struct val obj, int depth)
{
    struct walk w = walk_of(obj);
    struct val key, v;
    for (bool first = true; walk_next(&w, &key, &v); first = false) {
        put(b, first ? "{\"key\":" : ",{\"key\":");
        raw_str(b, key);
        put(b, ",\"value\":");
        if (scratch)
            attr_value(b, scratch, v);
        else
            any_value(b, v, depth);
        put(b, "}");
    }
}

/* "attributes": [{"key": ..., "value": AnyValue}, ...] */
static void attributes(struct buf *b, struct buf *scratch, struct val obj, bool encoded)
{
    put(b, ",\"attributes\":[");
    kv_items(b, encoded ? scratch : NULL, obj, 0);
    put(b, "]");
}

static bool key_is(struct val key, const char *name)
{
    size_t n = strlen(name);
    return key.n == n + 2 && memcmp(key.p + 1, name, n) == 0;
}

/* The members of the object v named in names[] (the last of a repeated key, as in a
 * dict); kind PYJSON_BAD for those absent. */
static void pick(struct val v, const char *const *names, size_t k, struct val *out)
{
    for (size_t i = 0; i < k; i++)
        out[i] = (struct val){NULL, 0, PYJSON_BAD};
    struct walk w = walk_of(v);
    struct val key, item;
    while (walk_next(&w, &key, &item))
        for (size_t i = 0; i < k; i++)
            if (key_is(key, names[i]))
                out[i] = item;
}

/* `<sep>"name":v` for an integer v that fits int64 (a time in ns); whether it was written. */
static bool put_time(struct buf *b, const char *sep, const char *name, struct val v)
{
    if (v.k != PYJSON_INT || !fits_int64(v))
        return false;
    put(b, sep);
    put(b, "\"");
    put(b, name);
    put(b, "\":");
    raw(b, v);
    return true;
}

/* A container with at least one member or item. */
static bool nonempty(struct val v)
{
    return pyjson_ws(v.p, v.n, 1) < v.n - 1;
}

static void events(struct buf *b, struct buf *scratch, struct val arr)
{
    put(b, ",\"events\":[");
    struct walk w = walk_of(arr);
    struct val ev;
    bool first = true;
    while (walk_next(&w, NULL, &ev)) {
        if (ev.k != PYJSON_OBJECT)
            continue;
        static const char *const names[] = {"time_unix_nano", "name", "attributes"};
        struct val f[3];
        pick(ev, names, 3, f);
        put(b, first ? "{" : ",{");
        first = false;
        if (put_time(b, "", names[0], f[0]))
            put(b, ",");
        put(b, "\"name\":");
        if (f[1].k == PYJSON_STRING)
            raw_str(b, f[1]);
        else
            put(b, "\"\"");
        if (f[2].k == PYJSON_OBJECT && nonempty(f[2]))
            attributes(b, scratch, f[2], false);
        put(b, "}");
    }
    put(b, "]");
}

int span_otel_write(struct jw *jw, const char *content, size_t n, struct err *e)
{
    size_t start, end;
    if (pyjson_whole(content, n, &start, &end) != PYJSON_OBJECT)
        return err_set(e, ERR_INTERNAL_ERROR, "A stored span is not valid JSON");
    struct val span = {content + start, end - start, PYJSON_OBJECT};
    enum { TRACE_ID, SPAN_ID, PARENT_ID, NAME, START, END, ATTRS, EVENTS, STATUS, NF };
    static const char *const names[NF] = {
        "trace_id",           "span_id",    "parent_span_id", "name",  "start_time_unix_nano",
        "end_time_unix_nano", "attributes", "events",         "status"};
    struct val f[NF];
    pick(span, names, NF, f);
    struct buf *b = jw_raw_begin(jw);
    struct buf scratch;
    buf_init(&scratch, b->max);
    put(b, "{");
    bool comma = false;
    for (int i = TRACE_ID; i <= PARENT_ID; i++) {
        if (f[i].k != PYJSON_STRING)
            continue;
        put(b, comma ? ",\"" : "\"");
        put(b, names[i]);
        put(b, "\":");
        raw_str(b, f[i]);
        comma = true;
    }
    put(b, comma ? ",\"name\":" : "\"name\":");
    if (f[NAME].k == PYJSON_STRING)
        raw_str(b, f[NAME]);
    else
        put(b, "\"\"");
    put_time(b, ",", names[START], f[START]);
    put_time(b, ",", names[END], f[END]);
    if (f[ATTRS].k == PYJSON_OBJECT)
        attributes(b, &scratch, f[ATTRS], true);
    if (f[EVENTS].k == PYJSON_ARRAY && nonempty(f[EVENTS]))
        events(b, &scratch, f[EVENTS]);
    put(b, ",\"status\":{");
    static const char *const sn[] = {"message", "code"};
    struct val st[2] = {{.k = PYJSON_BAD}, {.k = PYJSON_BAD}};
    if (f[STATUS].k == PYJSON_OBJECT)
        pick(f[STATUS], sn, 2, st);
    if (st[0].k == PYJSON_STRING && st[0].n > 2) {
        put(b, "\"message\":");
        raw_str(b, st[0]);
        put(b, ",");
    }
    put(b, "\"code\":");
    if (st[1].k == PYJSON_STRING)
        raw_str(b, st[1]);
    else
        put(b, "\"STATUS_CODE_UNSET\"");
    put(b, "}}");
    buf_release(&scratch);
    return 0;
}
