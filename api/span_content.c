/* OTLP spans into MLflow's stored form (see span_content.h): the row of the spans table,
 * its `content` (MLflow's Span.to_dict() as json.dumps writes it, so that text filters on
 * content and a database moved to mlflow server read the same), and per trace what MLflow's
 * log_spans derives for trace_info. */
#include "span_content.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base64.h"
#include "../base/buf.h"
#include "../base/hash.h"
#include "../base/utf8.h"
#include "../base/util.h"
#include "api.h"
#include "pyjson.h"
#include "pyjson_scan.h"
#include "span_translate.h"
#include "trace_preview.h"
#include "trace_usage.h"

#define CONTENT_MAX ((size_t)256 << 20) /* above any body /v1/traces accepts */
#define MODEL_DIMENSION_MAX 500  /* the spans table's model_name / model_provider width */

static const char INPUTS[] = "mlflow.spanInputs";
static const char OUTPUTS[] = "mlflow.spanOutputs";
static const char SPAN_TYPE[] = "mlflow.spanType";
static const char REQUEST_ID[] = "mlflow.traceRequestId";
static const char TRACE_TAG_PREFIX[] = "mlflow.traceTag.";

/* The pairs of kv[0..n) the dict Python makes of them keeps, as indices into kv: a repeated
 * key once, in its first place, with its last value. Their count; *out gets them. Keys are
 * hashed once, so a span's fifteen attributes cost fifteen hashes, not a hundred strcmps
 * of keys that all begin "mlflow.". */
static size_t dict_pairs(struct arena *a, const struct otlp_kv *kv, size_t n, size_t **out)
{
    size_t *pick = arena_alloc(a, (n ? n : 1) * sizeof *pick);
    uint64_t *h = arena_alloc(a, (n ? n : 1) * sizeof *h);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        h[i] = hash_bytes(kv[i].key, strlen(kv[i].key));
        size_t k = 0;
        while (k < m && !(h[pick[k]] == h[i] && strcmp(kv[pick[k]].key, kv[i].key) == 0))
            k++;
        if (k == m)
            m++;
        pick[k] = i;
    }
    *out = pick;
    return m;
}

static void py_value(struct buf *b, struct arena *a, const struct otlp_value *v);

/* The pairs as the dict Python makes of them, dumped. */
static void py_dict(struct buf *b, struct arena *a, const struct otlp_kv *kv, size_t n)
{
    buf_putc(b, '{');
    size_t *pick, m = dict_pairs(a, kv, n, &pick);
    for (size_t k = 0; k < m; k++) {
        if (k)
            buf_puts(b, ", ");
        pyjson_str(b, kv[pick[k]].key, strlen(kv[pick[k]].key));
        buf_puts(b, ": ");
        py_value(b, a, &kv[pick[k]].v);
    }
    buf_putc(b, '}');
}

/* _decode_otel_proto_anyvalue, then json.dumps. Bytes, which json.dumps cannot write (MLflow
 * falls back to a repr), are written as their base64 text. */
static void py_value(struct buf *b, struct arena *a, const struct otlp_value *v)
{
    switch (v->kind) {
    case OTLP_V_NONE:
        buf_puts(b, "null");
        break;
    case OTLP_V_STRING:
        pyjson_str(b, v->s, v->n);
        break;
    case OTLP_V_BYTES: {
        const char *t = base64_encode(a, v->s, v->n);
        pyjson_str(b, t, strlen(t));
        break;
    }
    case OTLP_V_BOOL:
        buf_puts(b, v->b ? "true" : "false");
        break;
    case OTLP_V_INT:
        buf_put_i64(b, v->i);
        break;
    case OTLP_V_DOUBLE:
        pyjson_double(b, v->d);
        break;
    case OTLP_V_ARRAY:
        buf_putc(b, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                buf_puts(b, ", ");
            py_value(b, a, &v->items[i]);
        }
        buf_putc(b, ']');
        break;
    case OTLP_V_KVLIST:
        py_dict(b, a, v->kvs, v->n);
        break;
    }
}

/* A string attribute that is itself JSON of a string, list or object was encoded twice by
 * the sender (from_otel_proto dumps what to_otel_proto had dumped already): MLflow's
 * sanitize_attributes stores it once. */
static bool is_encoded_json(const struct otlp_value *v)
{
    if (v->kind != OTLP_V_STRING)
        return false;
    enum pyjson_kind k = pyjson_kind(v->s, v->n);
    return k == PYJSON_STRING || k == PYJSON_ARRAY || k == PYJSON_OBJECT;
}

/* The attribute as MLflow stores it: dump_span_attribute_value of the decoded value. */
static void attr_text(struct buf *b, struct arena *a, const struct otlp_value *v)
{
    if (is_encoded_json(v))
        buf_append(b, v->s, v->n);
    else
        py_value(b, a, v);
}

static const char *attr_dump(struct arena *a, const struct otlp_value *v, size_t *n)
{
    struct buf b;
    buf_init(&b, CONTENT_MAX);
    attr_text(&b, a, v);
    char *s = arena_strndup(a, b.ptr ? b.ptr : "", b.len);
    *n = b.len;
    buf_release(&b);
    return s;
}

static const char *b64(struct arena *a, const uint8_t *p, size_t n)
{
    return base64_encode(a, p, n);
}

static const struct otlp_value *find_attr(const struct otlp_attrs *at, const char *key)
{
    for (size_t i = at->n; i-- > 0;) /* the last of a repeated key wins, as in a dict */
        if (strcmp(at->kv[i].key, key) == 0)
            return &at->kv[i].v;
    return NULL;
}

static const char *status_name(int code)
{
    return code == OTLP_STATUS_OK ? "OK" : code == OTLP_STATUS_ERROR ? "ERROR" : "UNSET";
}

/* The mlflow.traceRequestId attribute's value: the trace id dumped as a JSON string, and that
 * text dumped again, as every attribute is stored. */
static void put_request_id(struct buf *b, const char *trace_id)
{
    struct buf q;
    buf_init(&q, CONTENT_MAX);
    pyjson_str(&q, trace_id, strlen(trace_id));
    pyjson_str(b, q.ptr, q.len);
    buf_release(&q);
}

/* The span's attributes as MLflow's dict holds them when it translates: unique keys in
 * their first place with their last value's stored text, mlflow.traceRequestId last unless
 * sent. */
static struct span_tr_kv *tr_attrs(struct arena *a, const struct otlp_span *sp,
                                   const char *trace_id, size_t *n)
{
    struct span_tr_kv *at = arena_calloc(a, sp->attrs.n + 1, sizeof *at);
    size_t k = 0;
    bool rid_done = false;
    struct buf q;
    buf_init(&q, CONTENT_MAX);
    pyjson_str(&q, trace_id, strlen(trace_id));
    const char *rid = arena_strndup(a, q.ptr ? q.ptr : "", q.len);
    size_t rid_n = q.len;
    buf_release(&q);
    size_t *pick, m = dict_pairs(a, sp->attrs.kv, sp->attrs.n, &pick);
    for (size_t i = 0; i < m; i++) {
        const struct otlp_kv *kv = &sp->attrs.kv[pick[i]];
        at[k].key = kv->key;
        if (strcmp(kv->key, REQUEST_ID) == 0) {
            at[k].text = rid;
            at[k].n = rid_n;
            rid_done = true;
        } else {
            at[k].text = attr_dump(a, &kv->v, &at[k].n);
        }
        k++;
    }
    if (!rid_done)
        at[k++] = (struct span_tr_kv){REQUEST_ID, rid, rid_n};
    *n = k;
    return at;
}

/* The translation's value for key, or NULL. */
static const struct span_tr_kv *tr_added(const struct span_tr_out *tro, const char *key,
                                         bool *as_value)
{
    for (size_t i = 0; tro && i < tro->nadd; i++)
        if (strcmp(tro->add[i].key, key) == 0) {
            *as_value = tro->as_value[i];
            return &tro->add[i];
        }
    return NULL;
}

/* Attribute key's stored text in the translated content: the translation's value when it
 * added one (*as_value: a JSON value rather than a text), else the span's own attribute;
 * NULL when neither has it. */
static const char *final_text(struct arena *a, const struct otlp_span *sp,
                              const struct span_tr_out *tro, const char *key, size_t *n,
                              bool *as_value)
{
    const struct span_tr_kv *t = tr_added(tro, key, as_value);
    if (t) {
        *n = t->n;
        return t->text;
    }
    *as_value = false;
    const struct otlp_value *v = find_attr(&sp->attrs, key);
    return v ? attr_dump(a, v, n) : NULL;
}

/* Span.to_dict() of Span.from_otel_proto(span), as json.dumps writes it, with what
 * translate_span_when_storing added (tro, NULL when no translator applies); tmp is scratch
 * space for each attribute's dumped text, reused from one to the next. */
static void put_content(struct buf *b, struct buf *tmp, struct arena *a,
                        const struct otlp_span *sp, const char *trace_id,
                        const struct span_tr_out *tro)
{
    buf_puts(b, "{\"trace_id\": ");
    const char *t = b64(a, sp->trace_id, 16);
    pyjson_str(b, t, strlen(t));
    buf_puts(b, ", \"span_id\": ");
    t = b64(a, sp->span_id, 8);
    pyjson_str(b, t, strlen(t));
    buf_puts(b, ", \"parent_span_id\": ");
    if (sp->parent_span_id_n) {
        t = b64(a, sp->parent_span_id, 8);
        pyjson_str(b, t, strlen(t));
    } else {
        buf_puts(b, "null");
    }
    buf_puts(b, ", \"name\": ");
    pyjson_str(b, sp->name, strlen(sp->name));
    buf_printf(b, ", \"start_time_unix_nano\": %llu, \"end_time_unix_nano\": %llu",
               (unsigned long long)sp->start_time_unix_nano,
               (unsigned long long)sp->end_time_unix_nano);
    buf_puts(b, ", \"events\": [");
    for (size_t i = 0; i < sp->nevents; i++) {
        const struct otlp_event *ev = &sp->events[i];
        if (i)
            buf_puts(b, ", ");
        buf_puts(b, "{\"name\": ");
        pyjson_str(b, ev->name, strlen(ev->name));
        buf_printf(b, ", \"time_unix_nano\": %llu, \"attributes\": ",
                   (unsigned long long)ev->time_unix_nano);
        py_dict(b, a, ev->attrs.kv, ev->attrs.n);
        buf_putc(b, '}');
    }
    /* OpenTelemetry keeps a status description only for ERROR. */
    const char *msg = sp->status_code == OTLP_STATUS_ERROR ? sp->status_message : "";
    buf_puts(b, "], \"status\": {\"code\": \"STATUS_CODE_");
    buf_puts(b, status_name(sp->status_code));
    buf_puts(b, "\", \"message\": ");
    pyjson_str(b, msg, strlen(msg));
    buf_puts(b, "}, \"attributes\": {");
    bool first = true, rid_done = false;
    size_t *pick, m = dict_pairs(a, sp->attrs.kv, sp->attrs.n, &pick);
    for (size_t i = 0; i < m; i++) {
        const struct otlp_kv *kv = &sp->attrs.kv[pick[i]];
        if (!first)
            buf_puts(b, ", ");
        first = false;
        pyjson_str(b, kv->key, strlen(kv->key));
        buf_puts(b, ": ");
        if (strcmp(kv->key, REQUEST_ID) == 0) {
            /* Derived from the OTLP trace id: the sender's claim is not trusted. */
            put_request_id(b, trace_id);
            rid_done = true;
            continue;
        }
        if (tro && tro->type_text && strcmp(kv->key, SPAN_TYPE) == 0) {
            pyjson_str(b, tro->type_text, tro->type_n);
            continue;
        }
        if (tro && tro->format_text && strcmp(kv->key, "mlflow.message.format") == 0) {
            pyjson_str(b, tro->format_text, tro->format_n);
            continue;
        }
        tmp->len = 0;
        attr_text(tmp, a, &kv->v);
        pyjson_str(b, tmp->ptr ? tmp->ptr : "", tmp->len);
    }
    if (!rid_done) {
        if (!first)
            buf_puts(b, ", ");
        pyjson_str(b, REQUEST_ID, strlen(REQUEST_ID));
        buf_puts(b, ": ");
        put_request_id(b, trace_id);
    }
    for (size_t i = 0; tro && i < tro->nadd; i++) {
        buf_puts(b, ", ");
        pyjson_str(b, tro->add[i].key, strlen(tro->add[i].key));
        buf_puts(b, ": ");
        if (tro->as_value[i])
            buf_append(b, tro->add[i].text, tro->add[i].n);
        else
            pyjson_str(b, tro->add[i].text, tro->add[i].n);
    }
    buf_puts(b, "}, \"links\": [");
    for (size_t i = 0; i < sp->nlinks; i++) {
        const struct otlp_link *l = &sp->links[i];
        char th[33], sh[17];
        hex_encode(th, l->trace_id, l->trace_id_n);
        hex_encode(sh, l->span_id, l->span_id_n);
        if (i)
            buf_puts(b, ", ");
        buf_puts(b, "{\"trace_id\": ");
        const char *lt = arena_printf(a, "tr-%s", th);
        pyjson_str(b, lt, strlen(lt));
        buf_puts(b, ", \"span_id\": ");
        pyjson_str(b, sh, strlen(sh));
        buf_puts(b, ", \"attributes\": ");
        py_dict(b, a, l->attrs.kv, l->attrs.n);
        buf_putc(b, '}');
    }
    buf_puts(b, "]}");
}

/* The text of a string attribute, or NULL. */
static const char *attr_string(struct arena *a, const struct otlp_attrs *at, const char *key)
{
    const struct otlp_value *v = find_attr(at, key);
    if (!v || v->kind != OTLP_V_STRING)
        return NULL;
    /* Encoded twice (is_encoded_json): the text is the JSON of a string, or of a list or
     * dict, which has no text. */
    size_t start, end;
    enum pyjson_kind k = pyjson_whole(v->s, v->n, &start, &end);
    if (k == PYJSON_ARRAY || k == PYJSON_OBJECT)
        return NULL;
    if (k == PYJSON_STRING) {
        struct buf b;
        buf_init(&b, CONTENT_MAX);
        const char *s = pyjson_unescape(&b, v->s + start, end - start) == 0
                            ? arena_strndup(a, b.ptr ? b.ptr : "", b.len)
                            : NULL;
        buf_release(&b);
        return s;
    }
    return arena_strndup(a, v->s, v->n);
}

/* The text MLflow's _try_parse_json_string makes of an attribute as stored: a JSON string
 * decoded, anything else the stored text itself; NULL without the attribute. */
static const char *attr_plain(struct arena *a, const struct otlp_attrs *at, const char *key)
{
    const struct otlp_value *v = find_attr(at, key);
    size_t n;
    if (!v)
        return NULL;
    if (v->kind != OTLP_V_STRING)
        return attr_dump(a, v, &n);
    size_t start, end;
    if (pyjson_whole(v->s, v->n, &start, &end) != PYJSON_STRING)
        return arena_strndup(a, v->s, v->n);
    return attr_string(a, at, key);
}

/* bounded_model_dimension(_try_parse_json_string(...)) of the attribute's stored text: the
 * string it encodes, or the text itself when it encodes no string; its first
 * MODEL_DIMENSION_MAX characters. NULL without the attribute. */
static const char *model_dimension(struct arena *a, const struct otlp_span *sp,
                                   const struct span_tr_out *tro, const char *key)
{
    bool as_value;
    size_t n, cut;
    const char *text = final_text(a, sp, tro, key, &n, &as_value);
    if (!text)
        return NULL;
    json_t *j = json_loadb(text, n, JSON_DECODE_ANY, NULL);
    char *s = json_is_string(j) ? arena_strndup(a, json_string_value(j), json_string_length(j))
                                : arena_strndup(a, text, n);
    json_decref(j);
    utf8_len(s, MODEL_DIMENSION_MAX, &cut);
    s[cut] = '\0';
    return s;
}

/* What a span adds to its trace beyond times and its root's fields: token usage and cost
 * (the trace's sum is made by the store), the session and the user of the first span that
 * names them (log_spans' session_id and user_id). */
static int usage_into(struct arena *a, struct span_trace_agg *g, const struct otlp_span *sp,
                      const struct span_tr_out *tro, struct span_row *r, struct err *e)
{
    static const char *const keys[2] = {"mlflow.chat.tokenUsage", "mlflow.llm.cost"};
    for (int cost = 0; cost < 2; cost++) {
        size_t n;
        bool as_value;
        const char *text = final_text(a, sp, tro, keys[cost], &n, &as_value);
        if (!text)
            continue;
        span_usage_from_attr(text, n, cost, &r->usage);
        if (cost && n) /* `if span_cost:` */
            span_cost_columns(text, n, r->cost_given, r->cost);
    }
    r->model_name = model_dimension(a, sp, tro, "mlflow.llm.model");
    r->model_provider = model_dimension(a, sp, tro, "mlflow.llm.provider");
    g->has_tokens |= r->usage.has_tokens;
    g->has_cost |= r->usage.has_cost;
    if (!g->session_id) {
        const char *sid = attr_plain(a, &sp->attrs, "session.id");
        if (!sid || !*sid)
            sid = attr_plain(a, &sp->attrs, "gen_ai.conversation.id");
        if (sid && *sid) {
            if (v_length(e, a, "Session ID", TRACE_SESSION_MAX, &sid, false) != 0)
                return -1;
            g->session_id = sid;
        }
    }
    if (!g->user_id)
        g->user_id = attr_plain(a, &sp->attrs, "user.id");
    return 0;
}

static struct span_trace_agg *agg_for(struct arena *a, struct span_batch *out, const char *tid)
{
    /* A trace's spans mostly come together: its aggregate is usually the last one made. */
    if (out->naggs && strcmp(out->aggs[out->naggs - 1].trace_id, tid) == 0)
        return &out->aggs[out->naggs - 1];
    for (size_t i = 0; i < out->naggs; i++)
        if (strcmp(out->aggs[i].trace_id, tid) == 0)
            return &out->aggs[i];
    out->aggs = arena_grow(a, out->aggs, out->naggs, sizeof *out->aggs);
    struct span_trace_agg *g = &out->aggs[out->naggs++];
    memset(g, 0, sizeof *g);
    g->trace_id = tid;
    g->min_start_ms = INT64_MAX;
    return g;
}

static void add_tag(struct arena *a, struct span_trace_agg *g, const char *k, const char *v)
{
    for (size_t i = 0; i < g->ntags; i++)
        if (strcmp(g->tags[i].key, k) == 0) {
            g->tags[i].value = v;
            return;
        }
    g->tags = arena_grow(a, g->tags, g->ntags, sizeof *g->tags);
    g->tags[g->ntags++] = (struct kv){k, v};
}

/* The root span's contributions to its trace (log_spans' root_span_dict and
 * trace_tags_from_root_attr, the resource's attributes as tags). */
static void root_into(struct arena *a, struct span_trace_agg *g, const struct otlp_span *sp,
                      const struct span_tr_out *tro)
{
    g->root_status = sp->status_code == OTLP_STATUS_ERROR ? "ERROR" : "OK";
    size_t n;
    bool as_value;
    /* A translated value that is not text (an event's number or list) has no preview:
     * MLflow's _get_truncated_preview fails on it and leaves the preview unset. */
    const char *s;
    if ((s = final_text(a, sp, tro, INPUTS, &n, &as_value)) && !as_value)
        g->request_preview = trace_preview(a, s, n, "user");
    if ((s = final_text(a, sp, tro, OUTPUTS, &n, &as_value)) && !as_value)
        g->response_preview = trace_preview(a, s, n, "assistant");
    size_t plen = sizeof TRACE_TAG_PREFIX - 1;
    for (size_t i = 0; i < sp->attrs.n; i++) {
        const struct otlp_kv *kv = &sp->attrs.kv[i];
        if (strncmp(kv->key, TRACE_TAG_PREFIX, plen) != 0 || !kv->key[plen])
            continue;
        const char *tv = kv->v.kind == OTLP_V_STRING ? attr_string(a, &sp->attrs, kv->key)
                                                     : attr_dump(a, &kv->v, &n);
        if (!tv)
            continue;
        if (strcmp(kv->key + plen, TRACE_TAG_NAME) == 0)
            g->trace_name = tv;
        else
            add_tag(a, g, kv->key + plen, tv);
    }
    if (sp->resource)
        for (size_t i = 0; i < sp->resource->n; i++) {
            const struct otlp_kv *kv = &sp->resource->kv[i];
            if (strncmp(kv->key, "telemetry.sdk.", 14) == 0 || strncmp(kv->key, "mlflow.", 7) == 0)
                continue;
            const char *tv = kv->v.kind == OTLP_V_STRING ? arena_strndup(a, kv->v.s, kv->v.n)
                                                         : attr_dump(a, &kv->v, &n);
            add_tag(a, g, kv->key, tv);
        }
}

/* One span into the batch: its row, and what it adds to its trace's aggregate. b and tmp
 * are the batch's scratch buffers. */
static int one_span(struct arena *a, const struct otlp_span *sp, size_t i, struct span_batch *out,
                    struct buf *b, struct buf *tmp, struct err *e)
{
    if (sp->trace_id_n != 16 || sp->span_id_n != 8)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Cannot convert OpenTelemetry span to MLflow span: span %zu has no %s", i,
                       sp->trace_id_n != 16 ? "trace_id" : "span_id");
    char th[33], sh[17], ph[17];
    hex_encode(th, sp->trace_id, 16);
    hex_encode(sh, sp->span_id, 8);
    const char *tid = arena_printf(a, "tr-%s", th);
    struct span_row *r = &out->rows[out->nrows++];
    r->trace_id = tid;
    r->span_id = arena_strdup(a, sh);
    if (sp->parent_span_id_n) {
        hex_encode(ph, sp->parent_span_id, 8);
        r->parent_span_id = arena_strdup(a, ph);
    }
    r->name = sp->name;
    r->type = attr_string(a, &sp->attrs, SPAN_TYPE);
    r->status = status_name(sp->status_code);
    bool late = sp->start_time_unix_nano > INT64_MAX || sp->end_time_unix_nano > INT64_MAX;
    for (size_t k = 0; k < sp->nevents; k++)
        late |= sp->events[k].time_unix_nano > INT64_MAX;
    if (late)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Cannot convert OpenTelemetry span to MLflow span: span %zu has a time "
                       "beyond 2262",
                       i);
    r->start_ns = (int64_t)sp->start_time_unix_nano;
    r->has_end = true;
    r->end_ns = (int64_t)sp->end_time_unix_nano;
    /* Other conventions' spans get MLflow's attributes added; MLflow's own skip this after a
     * look at their keys. The row's type stays the span's own, as MLflow's store takes it
     * from the span, not from the translated dict. */
    struct span_tr_out tro_s, *tro = NULL;
    if (span_translate_wanted(sp)) {
        size_t nat;
        const struct span_tr_kv *at = tr_attrs(a, sp, tid, &nat);
        span_translate(a, at, nat, sp, py_value, &tro_s);
        tro = &tro_s;
    }
    b->len = 0;
    put_content(b, tmp, a, sp, tid, tro);
    if (!buf_ok(b) || !buf_ok(tmp))
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    r->content = arena_strndup(a, b->ptr, b->len);
    r->content_n = b->len;

    struct span_trace_agg *g = agg_for(a, out, tid);
    int64_t start_ms = r->start_ns / 1000000;
    if (start_ms < g->min_start_ms)
        g->min_start_ms = start_ms;
    if (r->end_ns) {
        int64_t end_ms = r->end_ns / 1000000;
        if (!g->has_max_end || end_ms > g->max_end_ms)
            g->max_end_ms = end_ms;
        g->has_max_end = true;
    }
    if (!r->parent_span_id)
        root_into(a, g, sp, tro);
    return usage_into(a, g, sp, tro, r, e);
}

static int span_id_cmp(const void *pa, const void *pb)
{
    const struct otlp_span *a = *(const struct otlp_span *const *)pa;
    const struct otlp_span *b = *(const struct otlp_span *const *)pb;
    int c = memcmp(a->trace_id, b->trace_id, 16);
    if (!c)
        c = memcmp(a->span_id, b->span_id, 8);
    return c ? c : (a > b) - (a < b); /* then in the request's order */
}

/* Which spans a later one with the same ids replaces (NULL when none repeats, the usual
 * case): MLflow's log_spans merges span by span, so the later copy is what stays, and one
 * statement may not write a row twice on PostgreSQL. */
static const bool *superseded(struct arena *a, const struct otlp_request *rq)
{
    const struct otlp_span **by_id = arena_calloc(a, rq->nspans ? rq->nspans : 1, sizeof *by_id);
    size_t n = 0;
    for (size_t i = 0; i < rq->nspans; i++)
        if (rq->spans[i].trace_id_n == 16 && rq->spans[i].span_id_n == 8)
            by_id[n++] = &rq->spans[i];
    qsort(by_id, n, sizeof *by_id, span_id_cmp);
    bool *gone = NULL;
    for (size_t i = 0; i + 1 < n; i++) {
        if (memcmp(by_id[i]->trace_id, by_id[i + 1]->trace_id, 16) != 0 ||
            memcmp(by_id[i]->span_id, by_id[i + 1]->span_id, 8) != 0)
            continue;
        if (!gone)
            gone = arena_calloc(a, rq->nspans, sizeof *gone);
        gone[by_id[i] - rq->spans] = true;
    }
    return gone;
}

int span_batch_from_otlp(struct arena *a, const struct otlp_request *rq, struct span_batch *out,
                         struct err *e)
{
    memset(out, 0, sizeof *out);
    out->rows = arena_calloc(a, rq->nspans ? rq->nspans : 1, sizeof *out->rows);
    /* One content buffer and one attribute buffer serve every span of the batch. */
    struct buf b, tmp;
    buf_init(&b, CONTENT_MAX);
    buf_init(&tmp, CONTENT_MAX);
    int rc = 0;
    const bool *gone = superseded(a, rq);
    for (size_t i = 0; i < rq->nspans && rc == 0; i++)
        if (!gone || !gone[i])
            rc = one_span(a, &rq->spans[i], i, out, &b, &tmp, e);
    buf_release(&b);
    buf_release(&tmp);
    return rc;
}
