/* The OTLP JSON encoding of a trace export request (see otlp.h): protobuf's JSON mapping
 * with lowerCamelCase or original field names, 64-bit integers as strings or numbers, enums
 * by name or number, and (as the OTLP spec says, and MLflow's server reads them) trace and
 * span ids in hex rather than base64. Unknown fields are ignored. */
#include <jansson.h>
#include <string.h>

#include "../base/base64.h"
#include "../base/url.h"
#include "../base/utf8.h"
#include "otlp.h"

struct jr {
    struct arena *a;
    struct err *e;
};

static int bad(struct jr *r, const char *where, const char *what)
{
    return err_set(r->e, ERR_INVALID_PARAMETER_VALUE, "Invalid OpenTelemetry JSON: %s %s", where,
                   what);
}

/* A field by its lowerCamelCase or original name. */
static json_t *field(json_t *o, const char *camel, const char *snake)
{
    json_t *v = json_object_get(o, camel);
    return v ? v : snake ? json_object_get(o, snake) : NULL;
}

static int array_of(struct jr *r, json_t *o, const char *camel, const char *snake,
                    const char *where, json_t **out)
{
    json_t *v = field(o, camel, snake);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return bad(r, where, "must be a list");
    *out = v;
    return 0;
}

static int string_of(struct jr *r, json_t *v, const char *where, const char **out)
{
    if (!v || json_is_null(v)) {
        *out = "";
        return 0;
    }
    if (!json_is_string(v))
        return bad(r, where, "must be a string");
    size_t n = json_string_length(v);
    if (memchr(json_string_value(v), 0, n))
        return bad(r, where, "holds a NUL byte");
    *out = arena_strndup(r->a, json_string_value(v), n);
    return 0;
}

/* uint64/int64: a JSON integer or a decimal string. */
static int u64_of(struct jr *r, json_t *v, const char *where, uint64_t *out, bool is_signed)
{
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 && !is_signed)
            return bad(r, where, "must not be negative");
        *out = (uint64_t)i;
        return 0;
    }
    if (!json_is_string(v))
        return bad(r, where, "must be an integer");
    const char *s = json_string_value(v);
    bool neg = is_signed && *s == '-';
    if (neg)
        s++;
    if (!*s)
        return bad(r, where, "must be an integer");
    uint64_t x = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return bad(r, where, "must be an integer");
        x = x * 10 + (uint64_t)(*s - '0');
    }
    if (neg && x > (uint64_t)INT64_MAX + 1)
        return bad(r, where, "is out of range");
    *out = neg ? (uint64_t)0 - x : x;
    return 0;
}

static int id_of(struct jr *r, json_t *v, const char *where, uint8_t *dst, size_t want,
                 size_t *n)
{
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return bad(r, where, "must be a hex string");
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0)
        return 0;
    if (len != 2 * want)
        return err_set(r->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid OpenTelemetry JSON: %s is %zu hex digits, not %zu", where, len,
                       2 * want);
    for (size_t i = 0; i < want; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return bad(r, where, "is not hex");
        dst[i] = (uint8_t)(hi << 4 | lo);
    }
    *n = want;
    return 0;
}

static int any_value(struct jr *r, json_t *v, struct otlp_value *out, int depth);

static int kvs_of(struct jr *r, json_t *list, const char *where, struct otlp_kv **out,
                  size_t *n, int depth)
{
    *out = NULL;
    *n = 0;
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return bad(r, where, "must be a list");
    size_t cnt = json_array_size(list);
    *out = arena_calloc(r->a, cnt ? cnt : 1, sizeof **out);
    for (size_t i = 0; i < cnt; i++) {
        json_t *kv = json_array_get(list, i);
        if (!json_is_object(kv))
            return bad(r, where, "items must be objects");
        if (string_of(r, json_object_get(kv, "key"), "a key", &(*out)[i].key) < 0 ||
            any_value(r, json_object_get(kv, "value"), &(*out)[i].v, depth + 1) < 0)
            return -1;
    }
    *n = cnt;
    return 0;
}

static int any_value(struct jr *r, json_t *v, struct otlp_value *out, int depth)
{
    memset(out, 0, sizeof *out);
    if (depth > OTLP_MAX_DEPTH)
        return bad(r, "an attribute value", "is nested too deeply");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return bad(r, "an attribute value", "must be an object");
    json_t *x;
    uint64_t u;
    if ((x = field(v, "stringValue", "string_value"))) {
        out->kind = OTLP_V_STRING;
        if (string_of(r, x, "stringValue", &out->s) < 0)
            return -1;
        out->n = strlen(out->s);
    } else if ((x = field(v, "boolValue", "bool_value"))) {
        if (!json_is_boolean(x))
            return bad(r, "boolValue", "must be true or false");
        out->kind = OTLP_V_BOOL;
        out->b = json_is_true(x);
    } else if ((x = field(v, "intValue", "int_value"))) {
        out->kind = OTLP_V_INT;
        if (u64_of(r, x, "intValue", &u, true) < 0)
            return -1;
        out->i = (int64_t)u;
    } else if ((x = field(v, "doubleValue", "double_value"))) {
        out->kind = OTLP_V_DOUBLE;
        if (json_is_number(x))
            out->d = json_number_value(x);
        else
            return bad(r, "doubleValue", "must be a number");
    } else if ((x = field(v, "arrayValue", "array_value"))) {
        json_t *vals = json_is_object(x) ? json_object_get(x, "values") : NULL;
        size_t cnt = json_is_array(vals) ? json_array_size(vals) : 0;
        out->kind = OTLP_V_ARRAY;
        out->items = arena_calloc(r->a, cnt ? cnt : 1, sizeof *out->items);
        for (size_t i = 0; i < cnt; i++)
            if (any_value(r, json_array_get(vals, i), &out->items[i], depth + 1) < 0)
                return -1;
        out->n = cnt;
    } else if ((x = field(v, "kvlistValue", "kvlist_value"))) {
        out->kind = OTLP_V_KVLIST;
        if (kvs_of(r, json_is_object(x) ? json_object_get(x, "values") : NULL, "kvlistValue",
                   &out->kvs, &out->n, depth) < 0)
            return -1;
    } else if ((x = field(v, "bytesValue", "bytes_value"))) {
        if (!json_is_string(x))
            return bad(r, "bytesValue", "must be base64");
        size_t len;
        char *d = base64_decode(r->a, json_string_value(x), json_string_length(x), false, &len);
        if (!d)
            return bad(r, "bytesValue", "must be base64");
        out->kind = OTLP_V_BYTES;
        out->s = d;
        out->n = len;
    }
    return 0;
}

static int attrs_of(struct jr *r, json_t *o, struct otlp_attrs *out, int depth)
{
    return kvs_of(r, json_object_get(o, "attributes"), "attributes", &out->kv, &out->n, depth);
}

static int status_of(struct jr *r, json_t *st, struct otlp_span *sp)
{
    sp->status_message = "";
    if (!st || json_is_null(st))
        return 0;
    if (!json_is_object(st))
        return bad(r, "status", "must be an object");
    if (string_of(r, json_object_get(st, "message"), "status.message", &sp->status_message) < 0)
        return -1;
    json_t *code = json_object_get(st, "code");
    if (json_is_integer(code))
        sp->status_code = (int)json_integer_value(code);
    else if (json_is_string(code))
        sp->status_code = strcmp(json_string_value(code), "STATUS_CODE_OK") == 0      ? 1
                          : strcmp(json_string_value(code), "STATUS_CODE_ERROR") == 0 ? 2
                                                                                       : 0;
    if (sp->status_code != OTLP_STATUS_OK && sp->status_code != OTLP_STATUS_ERROR)
        sp->status_code = OTLP_STATUS_UNSET;
    return 0;
}

static int span_of(struct jr *r, json_t *o, struct otlp_span *sp)
{
    if (!json_is_object(o))
        return bad(r, "a span", "must be an object");
    json_t *events, *links;
    if (id_of(r, field(o, "traceId", "trace_id"), "traceId", sp->trace_id, 16, &sp->trace_id_n) < 0 ||
        id_of(r, field(o, "spanId", "span_id"), "spanId", sp->span_id, 8, &sp->span_id_n) < 0 ||
        id_of(r, field(o, "parentSpanId", "parent_span_id"), "parentSpanId", sp->parent_span_id, 8,
              &sp->parent_span_id_n) < 0 ||
        string_of(r, json_object_get(o, "name"), "name", &sp->name) < 0 ||
        u64_of(r, field(o, "startTimeUnixNano", "start_time_unix_nano"), "startTimeUnixNano",
               &sp->start_time_unix_nano, false) < 0 ||
        u64_of(r, field(o, "endTimeUnixNano", "end_time_unix_nano"), "endTimeUnixNano",
               &sp->end_time_unix_nano, false) < 0 ||
        attrs_of(r, o, &sp->attrs, 0) < 0 || status_of(r, json_object_get(o, "status"), sp) < 0 ||
        array_of(r, o, "events", NULL, "events", &events) < 0 ||
        array_of(r, o, "links", NULL, "links", &links) < 0)
        return -1;
    sp->nevents = events ? json_array_size(events) : 0;
    sp->events = arena_calloc(r->a, sp->nevents ? sp->nevents : 1, sizeof *sp->events);
    for (size_t i = 0; i < sp->nevents; i++) {
        json_t *ev = json_array_get(events, i);
        struct otlp_event *e = &sp->events[i];
        if (!json_is_object(ev))
            return bad(r, "an event", "must be an object");
        if (string_of(r, json_object_get(ev, "name"), "an event's name", &e->name) < 0 ||
            u64_of(r, field(ev, "timeUnixNano", "time_unix_nano"), "timeUnixNano",
                   &e->time_unix_nano, false) < 0 ||
            attrs_of(r, ev, &e->attrs, 0) < 0)
            return -1;
    }
    sp->nlinks = links ? json_array_size(links) : 0;
    sp->links = arena_calloc(r->a, sp->nlinks ? sp->nlinks : 1, sizeof *sp->links);
    for (size_t i = 0; i < sp->nlinks; i++) {
        json_t *l = json_array_get(links, i);
        struct otlp_link *k = &sp->links[i];
        if (!json_is_object(l))
            return bad(r, "a link", "must be an object");
        if (id_of(r, field(l, "traceId", "trace_id"), "a link's traceId", k->trace_id, 16,
                  &k->trace_id_n) < 0 ||
            id_of(r, field(l, "spanId", "span_id"), "a link's spanId", k->span_id, 8,
                  &k->span_id_n) < 0 ||
            string_of(r, field(l, "traceState", "trace_state"), "traceState", &k->trace_state) < 0 ||
            attrs_of(r, l, &k->attrs, 0) < 0)
            return -1;
    }
    return 0;
}

int otlp_decode_json(struct arena *a, const char *p, size_t n, struct otlp_request *out,
                     struct err *e)
{
    memset(out, 0, sizeof *out);
    struct jr r = {a, e};
    if (!utf8_valid(p, n))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid OpenTelemetry JSON: not UTF-8");
    json_error_t je;
    json_t *root = json_loadb(p, n, JSON_ALLOW_NUL, &je);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid OpenTelemetry format");
    }
    int rc = 0;
    json_t *rss;
    if (array_of(&r, root, "resourceSpans", "resource_spans", "resourceSpans", &rss) < 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && rss && i < json_array_size(rss); i++) {
        json_t *rs = json_array_get(rss, i), *sss;
        out->nresources++;
        if (!json_is_object(rs)) {
            rc = bad(&r, "resourceSpans", "items must be objects");
            break;
        }
        struct otlp_attrs *res = arena_calloc(a, 1, sizeof *res);
        json_t *resource = json_object_get(rs, "resource");
        if ((json_is_object(resource) && attrs_of(&r, resource, res, 0) < 0) ||
            array_of(&r, rs, "scopeSpans", "scope_spans", "scopeSpans", &sss) < 0) {
            rc = -1;
            break;
        }
        for (size_t j = 0; rc == 0 && sss && j < json_array_size(sss); j++) {
            json_t *ss = json_array_get(sss, j), *spans;
            if (!json_is_object(ss) || array_of(&r, ss, "spans", NULL, "spans", &spans) < 0) {
                rc = json_is_object(ss) ? -1 : bad(&r, "scopeSpans", "items must be objects");
                break;
            }
            for (size_t k = 0; spans && k < json_array_size(spans); k++) {
                out->spans = arena_grow(a, out->spans, out->nspans, sizeof *out->spans);
                struct otlp_span *sp = &out->spans[out->nspans++];
                memset(sp, 0, sizeof *sp);
                sp->resource = res;
                if (span_of(&r, json_array_get(spans, k), sp) < 0) {
                    rc = -1;
                    break;
                }
            }
        }
    }
    json_decref(root);
    return rc;
}
