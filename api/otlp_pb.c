/* The binary protobuf encoding of an OTLP trace export request (see otlp.h). A reader walks
 * one length-delimited message at a time; every message type of the request has its own
 * small function that takes the fields MLflow keeps and skips the rest by wire type. */
#include "otlp.h"

#include <string.h>

#include "../base/utf8.h"

enum wire { W_VARINT = 0, W_I64 = 1, W_LEN = 2, W_SGROUP = 3, W_EGROUP = 4, W_I32 = 5 };

struct pb {
    const uint8_t *p, *end;
    struct arena *a;
    struct err *e;
    const char *where; /* the message being read, for errors */
};

static int bad(struct pb *r, const char *what)
{
    return err_set(r->e, ERR_INVALID_PARAMETER_VALUE,
                   "Invalid OpenTelemetry protobuf: %s in %s", what, r->where);
}

static int varint(struct pb *r, uint64_t *out)
{
    uint64_t v = 0;
    *out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return bad(r, "truncated varint");
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return bad(r, "varint longer than 10 bytes");
}

static int fixed(struct pb *r, int nbytes, uint64_t *out)
{
    *out = 0;
    if (r->end - r->p < nbytes)
        return bad(r, "truncated fixed-width field");
    uint64_t v = 0;
    for (int i = nbytes - 1; i >= 0; i--)
        v = v << 8 | r->p[i];
    r->p += nbytes;
    *out = v;
    return 0;
}

/* A length-delimited field: a sub-reader over its bytes. */
static int sub(struct pb *r, struct pb *s, const char *where)
{
    uint64_t len;
    *s = (struct pb){r->end, r->end, r->a, r->e, where};
    if (varint(r, &len) < 0)
        return -1;
    if (len > (uint64_t)(r->end - r->p))
        return bad(r, "length beyond the end of the message");
    *s = (struct pb){r->p, r->p + len, r->a, r->e, where};
    r->p += len;
    return 0;
}

/* The next field's number and wire type; 0 at the end of the message. */
static int tag(struct pb *r, uint32_t *field, int *wt)
{
    *field = 0;
    *wt = 0;
    if (r->p >= r->end)
        return 0;
    uint64_t t;
    if (varint(r, &t) < 0)
        return -1;
    *field = (uint32_t)(t >> 3);
    *wt = (int)(t & 7);
    if (*field == 0 || t >> 3 > 0x1fffffff)
        return bad(r, "field number 0 or out of range");
    return 1;
}

static int skip(struct pb *r, int wt)
{
    uint64_t v;
    struct pb s;
    switch (wt) {
    case W_VARINT:
        return varint(r, &v);
    case W_I64:
        return fixed(r, 8, &v);
    case W_I32:
        return fixed(r, 4, &v);
    case W_LEN:
        return sub(r, &s, r->where);
    default: /* groups are not used by OTLP */
        return bad(r, "unsupported wire type");
    }
}

static int want(struct pb *r, int wt, int expected)
{
    return wt == expected ? 0 : bad(r, "wrong wire type for a known field");
}

/* A UTF-8 string field, NUL-terminated in the arena. NUL bytes are refused as everywhere
 * in mltrack: they cannot be stored as text. */
static int string(struct pb *r, int wt, const char **out, size_t *n)
{
    struct pb s;
    if (want(r, wt, W_LEN) < 0 || sub(r, &s, r->where) < 0)
        return -1;
    size_t len = (size_t)(s.end - s.p);
    if (!utf8_valid((const char *)s.p, len))
        return bad(r, "a string that is not UTF-8");
    if (memchr(s.p, 0, len))
        return bad(r, "a string with a NUL byte");
    *out = arena_strndup(r->a, (const char *)s.p, len);
    if (n)
        *n = len;
    return 0;
}

static int id_bytes(struct pb *r, int wt, uint8_t *dst, size_t want_n, size_t *n,
                    const char *what)
{
    struct pb s;
    if (want(r, wt, W_LEN) < 0 || sub(r, &s, r->where) < 0)
        return -1;
    size_t len = (size_t)(s.end - s.p);
    if (len != 0 && len != want_n)
        return err_set(r->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid OpenTelemetry protobuf: %s is %zu bytes, not %zu, in %s", what,
                       len, want_n, r->where);
    memcpy(dst, s.p, len);
    *n = len;
    return 0;
}

/* Appends one zeroed element to a growing arena array. */
static void *push(struct arena *a, void **arr, size_t *n, size_t *cap, size_t sz)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        void *v = arena_alloc(a, ncap * sz);
        if (*n)
            memcpy(v, *arr, *n * sz);
        *arr = v;
        *cap = ncap;
    }
    void *el = (char *)*arr + (*n)++ * sz;
    memset(el, 0, sz);
    return el;
}

static int any_value(struct pb *r, struct otlp_value *v, int depth);

static int key_value(struct pb *r, struct otlp_kv *kv, int depth)
{
    uint32_t f;
    int wt, t;
    kv->key = "";
    while ((t = tag(r, &f, &wt)) > 0) {
        int rc;
        if (f == 1) {
            rc = string(r, wt, &kv->key, NULL);
        } else if (f == 2) {
            struct pb s;
            rc = want(r, wt, W_LEN) < 0 || sub(r, &s, "AnyValue") < 0 ? -1
                                                                      : any_value(&s, &kv->v, depth);
        } else {
            rc = skip(r, wt);
        }
        if (rc < 0)
            return -1;
    }
    return t;
}

/* repeated KeyValue, field by field: each call adds one. */
static int add_kv(struct pb *r, int wt, struct otlp_kv **arr, size_t *n, size_t *cap,
                  int depth)
{
    struct pb s;
    if (want(r, wt, W_LEN) < 0 || sub(r, &s, "KeyValue") < 0)
        return -1;
    struct otlp_kv *kv = push(r->a, (void **)arr, n, cap, sizeof **arr);
    return key_value(&s, kv, depth);
}

static int any_value(struct pb *r, struct otlp_value *v, int depth)
{
    if (depth > OTLP_MAX_DEPTH)
        return bad(r, "values nested too deeply");
    uint32_t f;
    int wt, t;
    size_t cap = 0;
    uint64_t x = 0;
    memset(v, 0, sizeof *v);
    while ((t = tag(r, &f, &wt)) > 0) {
        int rc = 0;
        struct pb s;
        switch (f) {
        case 1:
            v->kind = OTLP_V_STRING;
            rc = string(r, wt, &v->s, &v->n);
            break;
        case 2:
            v->kind = OTLP_V_BOOL;
            rc = want(r, wt, W_VARINT) < 0 || varint(r, &x) < 0 ? -1 : 0;
            v->b = x != 0;
            break;
        case 3:
            v->kind = OTLP_V_INT;
            rc = want(r, wt, W_VARINT) < 0 || varint(r, &x) < 0 ? -1 : 0;
            v->i = (int64_t)x;
            break;
        case 4:
            v->kind = OTLP_V_DOUBLE;
            rc = want(r, wt, W_I64) < 0 || fixed(r, 8, &x) < 0 ? -1 : 0;
            memcpy(&v->d, &x, sizeof v->d);
            break;
        case 5: /* ArrayValue { repeated AnyValue values = 1; } */
        case 6: /* KeyValueList { repeated KeyValue values = 1; } */
            v->kind = f == 5 ? OTLP_V_ARRAY : OTLP_V_KVLIST;
            v->n = 0;
            v->items = NULL;
            v->kvs = NULL;
            cap = 0;
            if (want(r, wt, W_LEN) < 0 || sub(r, &s, f == 5 ? "ArrayValue" : "KeyValueList") < 0)
                return -1;
            uint32_t g;
            int gwt, gt;
            while ((gt = tag(&s, &g, &gwt)) > 0) {
                if (g != 1) {
                    if (skip(&s, gwt) < 0)
                        return -1;
                    continue;
                }
                if (f == 6) {
                    if (add_kv(&s, gwt, &v->kvs, &v->n, &cap, depth + 1) < 0)
                        return -1;
                    continue;
                }
                struct pb item;
                if (want(&s, gwt, W_LEN) < 0 || sub(&s, &item, "AnyValue") < 0)
                    return -1;
                struct otlp_value *iv = push(r->a, (void **)&v->items, &v->n, &cap, sizeof *iv);
                if (any_value(&item, iv, depth + 1) < 0)
                    return -1;
            }
            if (gt < 0)
                return -1;
            break;
        case 7: {
            v->kind = OTLP_V_BYTES;
            if (want(r, wt, W_LEN) < 0 || sub(r, &s, "AnyValue") < 0)
                return -1;
            v->n = (size_t)(s.end - s.p);
            char *c = arena_alloc(r->a, v->n + 1);
            memcpy(c, s.p, v->n);
            c[v->n] = 0;
            v->s = c;
            break;
        }
        default:
            rc = skip(r, wt);
        }
        if (rc < 0)
            return -1;
    }
    return t;
}

/* Resource { repeated KeyValue attributes = 1; } and InstrumentationScope are read the
 * same way for what we need: their attributes. */
static int attrs_message(struct pb *r, uint32_t attr_field, struct otlp_attrs *out)
{
    uint32_t f;
    int wt, t;
    size_t cap = 0;
    while ((t = tag(r, &f, &wt)) > 0) {
        int rc = f == attr_field ? add_kv(r, wt, &out->kv, &out->n, &cap, 0) : skip(r, wt);
        if (rc < 0)
            return -1;
    }
    return t;
}

static int event(struct pb *r, struct otlp_event *ev)
{
    uint32_t f;
    int wt, t;
    size_t cap = 0;
    ev->name = "";
    while ((t = tag(r, &f, &wt)) > 0) {
        int rc;
        if (f == 1)
            rc = want(r, wt, W_I64) < 0 || fixed(r, 8, &ev->time_unix_nano) < 0 ? -1 : 0;
        else if (f == 2)
            rc = string(r, wt, &ev->name, NULL);
        else if (f == 3)
            rc = add_kv(r, wt, &ev->attrs.kv, &ev->attrs.n, &cap, 0);
        else
            rc = skip(r, wt);
        if (rc < 0)
            return -1;
    }
    return t;
}

static int link(struct pb *r, struct otlp_link *l)
{
    uint32_t f;
    int wt, t;
    size_t cap = 0;
    l->trace_state = "";
    while ((t = tag(r, &f, &wt)) > 0) {
        int rc;
        if (f == 1)
            rc = id_bytes(r, wt, l->trace_id, 16, &l->trace_id_n, "a link's trace_id");
        else if (f == 2)
            rc = id_bytes(r, wt, l->span_id, 8, &l->span_id_n, "a link's span_id");
        else if (f == 3)
            rc = string(r, wt, &l->trace_state, NULL);
        else if (f == 4)
            rc = add_kv(r, wt, &l->attrs.kv, &l->attrs.n, &cap, 0);
        else
            rc = skip(r, wt);
        if (rc < 0)
            return -1;
    }
    return t;
}

/* Status { string message = 2; StatusCode code = 3; } */
static int status(struct pb *r, struct otlp_span *sp)
{
    uint32_t f;
    int wt, t;
    uint64_t x = 0;
    while ((t = tag(r, &f, &wt)) > 0) {
        int rc;
        if (f == 2) {
            rc = string(r, wt, &sp->status_message, NULL);
        } else if (f == 3) {
            rc = want(r, wt, W_VARINT) < 0 || varint(r, &x) < 0 ? -1 : 0;
            sp->status_code = x == OTLP_STATUS_OK || x == OTLP_STATUS_ERROR ? (int)x
                                                                          : OTLP_STATUS_UNSET;
        } else {
            rc = skip(r, wt);
        }
        if (rc < 0)
            return -1;
    }
    return t;
}

static int span(struct pb *r, struct otlp_span *sp)
{
    uint32_t f;
    int wt, t;
    size_t acap = 0, ecap = 0, lcap = 0;
    sp->name = "";
    sp->status_message = "";
    while ((t = tag(r, &f, &wt)) > 0) {
        int rc;
        struct pb s;
        switch (f) {
        case 1:
            rc = id_bytes(r, wt, sp->trace_id, 16, &sp->trace_id_n, "trace_id");
            break;
        case 2:
            rc = id_bytes(r, wt, sp->span_id, 8, &sp->span_id_n, "span_id");
            break;
        case 4:
            rc = id_bytes(r, wt, sp->parent_span_id, 8, &sp->parent_span_id_n, "parent_span_id");
            break;
        case 5:
            rc = string(r, wt, &sp->name, NULL);
            break;
        case 7:
            rc = want(r, wt, W_I64) < 0 || fixed(r, 8, &sp->start_time_unix_nano) < 0 ? -1 : 0;
            break;
        case 8:
            rc = want(r, wt, W_I64) < 0 || fixed(r, 8, &sp->end_time_unix_nano) < 0 ? -1 : 0;
            break;
        case 9:
            rc = add_kv(r, wt, &sp->attrs.kv, &sp->attrs.n, &acap, 0);
            break;
        case 11:
            if (want(r, wt, W_LEN) < 0 || sub(r, &s, "Span.Event") < 0)
                return -1;
            rc = event(&s, push(r->a, (void **)&sp->events, &sp->nevents, &ecap,
                                sizeof *sp->events));
            break;
        case 13:
            if (want(r, wt, W_LEN) < 0 || sub(r, &s, "Span.Link") < 0)
                return -1;
            rc = link(&s, push(r->a, (void **)&sp->links, &sp->nlinks, &lcap, sizeof *sp->links));
            break;
        case 15:
            if (want(r, wt, W_LEN) < 0 || sub(r, &s, "Status") < 0)
                return -1;
            rc = status(&s, sp);
            break;
        default:
            rc = skip(r, wt);
        }
        if (rc < 0)
            return -1;
    }
    return t;
}

struct collect {
    struct otlp_request *out;
    size_t cap;
};

static int scope_spans(struct pb *r, struct collect *c, const struct otlp_attrs *resource)
{
    uint32_t f;
    int wt, t;
    while ((t = tag(r, &f, &wt)) > 0) {
        if (f != 2) {
            if (skip(r, wt) < 0)
                return -1;
            continue;
        }
        struct pb s;
        if (want(r, wt, W_LEN) < 0 || sub(r, &s, "Span") < 0)
            return -1;
        struct otlp_span *sp = push(r->a, (void **)&c->out->spans, &c->out->nspans, &c->cap,
                                    sizeof *sp);
        sp->resource = resource;
        if (span(&s, sp) < 0)
            return -1;
    }
    return t;
}

/* ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }. The
 * resource may come after the scopes on the wire, so spans take a pointer filled later. */
static int resource_spans(struct pb *r, struct collect *c)
{
    uint32_t f;
    int wt, t;
    struct otlp_attrs *res = arena_calloc(r->a, 1, sizeof *res);
    while ((t = tag(r, &f, &wt)) > 0) {
        struct pb s;
        int rc;
        if (f == 1) {
            rc = want(r, wt, W_LEN) < 0 || sub(r, &s, "Resource") < 0 ? -1
                                                                      : attrs_message(&s, 1, res);
        } else if (f == 2) {
            rc = want(r, wt, W_LEN) < 0 || sub(r, &s, "ScopeSpans") < 0
                     ? -1
                     : scope_spans(&s, c, res);
        } else {
            rc = skip(r, wt);
        }
        if (rc < 0)
            return -1;
    }
    return t;
}

int otlp_decode_pb(struct arena *a, const uint8_t *p, size_t n, struct otlp_request *out,
                   struct err *e)
{
    memset(out, 0, sizeof *out);
    struct pb r = {p, p + n, a, e, "ExportTraceServiceRequest"};
    struct collect c = {out, 0};
    uint32_t f;
    int wt, t;
    while ((t = tag(&r, &f, &wt)) > 0) {
        int rc;
        if (f == 1) {
            struct pb s;
            rc = want(&r, wt, W_LEN) < 0 || sub(&r, &s, "ResourceSpans") < 0
                     ? -1
                     : resource_spans(&s, &c);
            out->nresources++;
        } else {
            rc = skip(&r, wt);
        }
        if (rc < 0)
            return -1;
    }
    return t < 0 ? -1 : 0;
}
