/* GenAI trace endpoints of MLflow 3 (v3 paths, with the v2 tag and delete paths the client
 * still calls): start, get info, get with spans, batch get, search, tags, delete, link to a
 * run. Trace infos are written as MLflow's TraceInfoV3 proto JSON (RFC 3339 request_time,
 * "1.5s" durations); spans come back as OpenTelemetry proto JSON made from the stored
 * content (api/trace_json.c). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/util.h"
#include "../query/filter.h"
#include "../store/traces.h"
#include "api.h"
#include "assessments.h"
#include "page_token.h"
#include "span_otel.h"
#include "trace_json.h"
#include "trace_usage.h"
#include "traces.h"

/* At most this many assessments ride in one start-trace call (the body is capped too). */
#define MAX_TRACE_ASSESSMENTS 1000

enum {
    SEARCH_TRACES_DEFAULT = 100, /* SEARCH_TRACES_DEFAULT_MAX_RESULTS */
    SEARCH_TRACES_MAX = 500,
    TRACE_TAG_KEY_MAX = 250,
    TRACE_TAG_VALUE_MAX = 8000,
};

/* ---- proto JSON of TraceInfoV3 ---- */

bool trace_metadata_hidden(const char *key, unsigned hide)
{
    return ((hide & AZ_HIDE_SOURCE_RUN) && strcmp(key, TRACE_META_SOURCE_RUN) == 0) ||
           ((hide & AZ_HIDE_MODEL_ID) && strcmp(key, TRACE_META_MODEL_ID) == 0);
}

/* A map's entries, inside its open object. */
static void put_kv_items(struct jw *w, const struct kv *v, size_t n, unsigned hide)
{
    for (size_t i = 0; i < n; i++)
        if (!trace_metadata_hidden(v[i].key, hide))
            jw_kstr(w, v[i].key, v[i].value ? v[i].value : "");
}

/* The info as the caller may see it (hide: authz_trace_hidden). */
static void put_trace_info(struct jw *w, struct arena *a, const struct trace_info *t,
                           unsigned hide)
{
    char ts[40], dur[40];
    jw_obj(w);
    jw_kstr(w, "trace_id", t->trace_id);
    if (t->client_request_id)
        jw_kstr(w, "client_request_id", t->client_request_id);
    jw_key(w, "trace_location");
    jw_obj(w);
    jw_kstr(w, "type", "MLFLOW_EXPERIMENT");
    jw_key(w, "mlflow_experiment");
    jw_obj(w);
    jw_kid(w, "experiment_id", t->experiment_id);
    jw_obj_end(w);
    jw_obj_end(w);
    if (t->request_preview)
        jw_kstr(w, "request_preview", t->request_preview);
    if (t->response_preview)
        jw_kstr(w, "response_preview", t->response_preview);
    trace_json_timestamp(ts, sizeof ts, t->request_time);
    jw_kstr(w, "request_time", ts);
    if (t->has_execution_duration) {
        trace_json_duration(dur, sizeof dur, t->execution_duration);
        jw_kstr(w, "execution_duration", dur);
    }
    jw_kstr(w, "state", t->state);
    jw_key(w, "trace_metadata");
    jw_obj(w);
    put_kv_items(w, t->metadata, t->nmetadata, hide);
    trace_usage_put_metadata(w, a, &t->usage);
    jw_obj_end(w);
    jw_key(w, "tags");
    jw_obj(w);
    put_kv_items(w, t->tags, t->ntags, 0);
    jw_obj_end(w);
    if (t->nassessments && !(hide & AZ_HIDE_ASSESSMENTS)) {
        jw_key(w, "assessments");
        jw_arr(w);
        for (size_t i = 0; i < t->nassessments; i++)
            put_assessment(w, &t->assessments[i]);
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

/* A Trace: {"trace_info": ..., ["spans": [...]]}, the spans only when there are some. */
static int put_trace(struct ctx *c, const struct trace_info *t, const struct span_row *spans,
                     size_t n)
{
    struct jw *w = &c->w;
    jw_obj(w);
    jw_key(w, "trace_info");
    put_trace_info(w, c->s.a, t, authz_trace_hidden(c, t->experiment_id));
    if (n) {
        jw_key(w, "spans");
        jw_arr(w);
        for (size_t i = 0; i < n; i++)
            if (span_otel_write(w, spans[i].content, spans[i].content_n, &c->e) != 0)
                return -1;
        jw_arr_end(w);
    }
    jw_obj_end(w);
    return 0;
}

/* {"trace": Trace} */
static int reply_trace(struct ctx *c, const struct trace_info *t, const struct span_row *spans,
                       size_t n)
{
    jw_obj(&c->w);
    jw_key(&c->w, "trace");
    if (put_trace(c, t, spans, n) != 0)
        return -1;
    jw_obj_end(&c->w);
    return 0;
}

/* ---- JSON in ---- */

int trace_kv_take(struct ctx *c, const char *field, const char *key, const char *value,
                  size_t len, struct kv *out)
{
    if (strlen(key) > TRACE_TAG_KEY_MAX)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "'%s' key '%.40s...' exceeds the maximum length of %d characters", field,
                       key, TRACE_TAG_KEY_MAX);
    if (memchr(value, 0, len))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value for '%s.%s': a NUL byte", field, key);
    /* MLflow truncates long values of tags and metadata to the column's size. */
    out->key = arena_strdup(c->s.a, key);
    out->value = arena_strndup(c->s.a, value, len > TRACE_TAG_VALUE_MAX ? TRACE_TAG_VALUE_MAX : len);
    return 0;
}

static int read_kv_map(struct ctx *c, json_t *o, const char *field, struct kv **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    json_t *m = json_object_get(o, field);
    if (!m || json_is_null(m))
        return 0;
    if (!json_is_object(m))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value for parameter 'trace.trace_info.%s': expected an object",
                       field);
    size_t cnt = json_object_size(m);
    struct kv *v = arena_calloc(c->s.a, cnt ? cnt : 1, sizeof *v);
    const char *k;
    json_t *val;
    size_t i = 0;
    const char *path = arena_printf(c->s.a, "trace.trace_info.%s", field);
    json_object_foreach(m, k, val)
    {
        if (!json_is_string(val))
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value for 'trace.trace_info.%s.%s': expected a string", field,
                           k);
        if (trace_kv_take(c, path, k, json_string_value(val), json_string_length(val), &v[i]) != 0)
            return -1;
        i++;
    }
    *out = v;
    *n = i;
    return 0;
}

static int opt_str(struct ctx *c, json_t *o, const char *f, const char **out)
{
    return obj_str(&c->in, o, "trace.trace_info", f, false, out);
}

/* TraceInfoV3 from StartTraceV3's trace.trace_info. */
/* trace_info.assessments: stored with the trace by start-trace, as MLflow's start_trace
 * does (an exported trace carries its feedback and expectations). */
static int read_assessments(struct ctx *c, json_t *ti, struct trace_info *t)
{
    json_t *arr = json_object_get(ti, "assessments");
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value for 'trace.trace_info.assessments': expected a list");
    size_t n = json_array_size(arr);
    if (n > MAX_TRACE_ASSESSMENTS)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "A trace info may carry at most %d assessments, not %zu",
                       MAX_TRACE_ASSESSMENTS, n);
    t->assessments = n ? arena_calloc(c->s.a, n, sizeof *t->assessments) : NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *as = json_array_get(arr, i);
        if (!json_is_object(as))
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value for 'trace.trace_info.assessments': expected objects");
        if (assessment_read(c, as, true, &t->assessments[i]) != 0)
            return -1;
    }
    t->nassessments = n;
    return 0;
}

static int read_trace_info(struct ctx *c, struct trace_info *t)
{
    memset(t, 0, sizeof *t);
    json_t *tr = in_raw(&c->in, "trace");
    json_t *ti = tr && json_is_object(tr) ? json_object_get(tr, "trace_info") : NULL;
    if (!ti || !json_is_object(ti))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Missing value for required parameter 'trace.trace_info'.");
    const char *exp = NULL, *rt = NULL, *dur = NULL, *state = NULL;
    json_t *loc = json_object_get(ti, "trace_location");
    json_t *me = loc && json_is_object(loc) ? json_object_get(loc, "mlflow_experiment") : NULL;
    if (me && json_is_object(me) &&
        obj_str(&c->in, me, "trace.trace_info.trace_location.mlflow_experiment",
                "experiment_id", false, &exp) != 0)
        return -1;
    if (obj_str(&c->in, ti, "trace.trace_info", "trace_id", true, &t->trace_id) != 0 ||
        opt_str(c, ti, "client_request_id", &t->client_request_id) != 0 ||
        opt_str(c, ti, "request_preview", &t->request_preview) != 0 ||
        opt_str(c, ti, "response_preview", &t->response_preview) != 0 ||
        opt_str(c, ti, "request_time", &rt) != 0 ||
        opt_str(c, ti, "execution_duration", &dur) != 0 || opt_str(c, ti, "state", &state) != 0)
        return -1;
    if (!exp)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "A trace must be logged to an MLflow experiment: "
                       "trace.trace_info.trace_location.mlflow_experiment.experiment_id is "
                       "missing.");
    if (exp_parse_id(&c->s, exp, &t->experiment_id) != 0)
        return -1;
    if (rt && trace_json_parse_timestamp(rt, &t->request_time) != 0)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value '%s' for 'trace.trace_info.request_time': expected an RFC "
                       "3339 timestamp",
                       rt);
    if (dur) {
        if (trace_json_parse_duration(dur, &t->execution_duration) != 0)
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value '%s' for 'trace.trace_info.execution_duration': "
                           "expected a duration like \"1.5s\"",
                           dur);
        t->has_execution_duration = true;
    }
    static const char *const states[] = {"STATE_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS"};
    t->state = "STATE_UNSPECIFIED";
    if (state) {
        bool ok = false;
        for (size_t i = 0; i < 4 && !ok; i++)
            ok = strcmp(state, states[i]) == 0;
        if (!ok)
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value '%s' for 'trace.trace_info.state'", state);
        t->state = state;
    }
    if (strlen(t->trace_id) > 50)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Trace ID '%.60s...' is longer than 50 characters", t->trace_id);
    if (read_kv_map(c, ti, "tags", &t->tags, &t->ntags) != 0 ||
        read_kv_map(c, ti, "trace_metadata", &t->metadata, &t->nmetadata) != 0)
        return -1;
    for (size_t i = 0; i < t->nmetadata; i++) /* validate_session_id */
        if (strcmp(t->metadata[i].key, TRACE_META_SESSION) == 0 &&
            v_length(&c->e, c->s.a, "Session ID", TRACE_SESSION_MAX, &t->metadata[i].value,
                     false) != 0)
            return -1;
    trace_usage_from_metadata(t->metadata, t->nmetadata, &t->usage);
    return read_assessments(c, ti, t);
}

/* ---- handlers ---- */

static int h_start_v3(struct ctx *c)
{
    struct trace_info in, out;
    if (read_trace_info(c, &in) != 0 || trace_start(&c->s, &in, true, &out) != 0)
        return -1;
    return reply_trace(c, &out, NULL, 0);
}

static int h_get_info_v3(struct ctx *c)
{
    struct trace_info t;
    if (trace_get_info(&c->s, c->r->params[0], &t) != 0)
        return -1;
    return reply_trace(c, &t, NULL, 0);
}

/* The number of spans the client said the trace has (mlflow.trace.sizeStats num_spans). */
static int64_t expected_spans(const struct trace_info *t)
{
    for (size_t i = 0; i < t->nmetadata; i++) {
        if (strcmp(t->metadata[i].key, TRACE_META_SIZE_STATS) != 0 || !t->metadata[i].value)
            continue;
        json_t *j = json_loads(t->metadata[i].value, 0, NULL);
        json_t *n = j ? json_object_get(j, "num_spans") : NULL;
        int64_t v = n && json_is_integer(n) ? json_integer_value(n) : 0;
        json_decref(j);
        return v;
    }
    return 0;
}

static int h_get(struct ctx *c)
{
    const char *id;
    bool partial = false, present;
    if (in_str_req(&c->in, "trace_id", &id) != 0 ||
        in_bool(&c->in, "allow_partial", &partial, &present) != 0)
        return -1;
    struct trace_info t;
    struct span_row *spans = NULL;
    size_t n = 0;
    if (trace_get_info(&c->s, id, &t) != 0) {
        if (c->e.code == ERR_RESOURCE_DOES_NOT_EXIST)
            err_set(&c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Trace with ID %s is not found.", id);
        return -1;
    }
    if (!trace_spans_in_store(&t))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Trace data not stored in tracking store");
    if (trace_get_spans(&c->s, id, &spans, &n) != 0)
        return -1;
    if (!partial && (int64_t)n < expected_spans(&t))
        return err_set(&c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                       "Trace with ID %s is not fully exported yet, please try again later.", id);
    return reply_trace(c, &t, spans, n);
}

/* What a batch request asks for: trace_ids (required, as MLflow's schema has it) and the
 * experiment_ids it is scoped to (*scoped: the field was sent; an empty list in a JSON body
 * then matches nothing). */
struct batch_q {
    const char **ids;
    size_t n;
    int64_t *exps;
    size_t nexp;
    bool scoped;
};

static int read_batch_q(struct ctx *c, struct batch_q *q)
{
    const char **es;
    if (in_str_list(&c->in, "trace_ids", &q->ids, &q->n) != 0 ||
        in_str_list(&c->in, "experiment_ids", &es, &q->nexp) != 0)
        return -1;
    bool body = c->in.body != NULL;
    if (body ? !in_raw(&c->in, "trace_ids") : q->n == 0)
        return err_missing(&c->e, "trace_ids", true);
    json_t *raw = in_raw(&c->in, "experiment_ids");
    q->scoped = body ? raw && !json_is_null(raw) : q->nexp > 0;
    q->exps = arena_calloc(c->s.a, q->nexp ? q->nexp : 1, sizeof *q->exps);
    for (size_t i = 0; i < q->nexp; i++)
        if (exp_parse_id(&c->s, es[i], &q->exps[i]) != 0)
            return -1;
    return 0;
}

static bool in_scope(const struct batch_q *q, int64_t exp)
{
    if (!q->scoped)
        return true;
    for (size_t i = 0; i < q->nexp; i++)
        if (q->exps[i] == exp)
            return true;
    return false;
}

static bool spans_wanted(const struct trace_info *t, void *q)
{
    return in_scope(q, t->experiment_id);
}

/* batch_get_traces returns complete traces only: one whose spans are in the store is left
 * out while it has none, or fewer than its size stats announce. */
static bool complete(const struct trace_info *t, const struct trace_spans *sp)
{
    return !trace_spans_in_store(t) || (sp->n > 0 && (int64_t)sp->n >= expected_spans(t));
}

static int h_batch_get(struct ctx *c)
{
    struct batch_q q;
    size_t ni;
    struct trace_info *infos;
    struct trace_spans *spans;
    if (read_batch_q(c, &q) != 0 ||
        trace_get_with_spans(&c->s, q.ids, q.n, spans_wanted, &q, &infos, &ni, &spans) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "traces");
    jw_arr(&c->w);
    for (size_t i = 0; i < ni; i++)
        if (in_scope(&q, infos[i].experiment_id) && complete(&infos[i], &spans[i]) &&
            put_trace(c, &infos[i], spans[i].rows, spans[i].n) != 0)
            return -1;
    jw_arr_end(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

static int h_batch_get_infos(struct ctx *c)
{
    struct batch_q q;
    struct trace_info *infos;
    size_t ni;
    if (read_batch_q(c, &q) != 0 || trace_get_infos(&c->s, q.ids, q.n, &infos, &ni) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "trace_infos");
    jw_arr(&c->w);
    for (size_t i = 0; i < ni; i++)
        if (in_scope(&q, infos[i].experiment_id))
            put_trace_info(&c->w, c->s.a, &infos[i],
                           authz_trace_hidden(c, infos[i].experiment_id));
    jw_arr_end(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

static int h_search_v3(struct ctx *c)
{
    json_t *locs;
    if (in_array(&c->in, "locations", &locs) != 0)
        return -1;
    size_t nl = locs ? json_array_size(locs) : 0;
    int64_t *exps = arena_calloc(c->s.a, nl ? nl : 1, sizeof *exps);
    size_t ne = 0;
    for (size_t i = 0; i < nl; i++) {
        json_t *l = json_array_get(locs, i);
        json_t *me = json_is_object(l) ? json_object_get(l, "mlflow_experiment") : NULL;
        json_t *id = me && json_is_object(me) ? json_object_get(me, "experiment_id") : NULL;
        if (!id || !json_is_string(id))
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Only MLFLOW_EXPERIMENT locations are supported: locations[%zu] has "
                           "no mlflow_experiment.experiment_id",
                           i);
        if (exp_parse_id(&c->s, json_string_value(id), &exps[ne]) != 0)
            return -1;
        ne++;
    }
    if (!ne)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "At least one location must be specified for searching traces.");
    int64_t max;
    bool present;
    if (in_i64(&c->in, "max_results", &max, &present) != 0)
        return -1;
    if (!present)
        max = SEARCH_TRACES_DEFAULT;
    if (max <= 0 || max > SEARCH_TRACES_MAX)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value %lld for parameter 'max_results' supplied. It must be "
                       "at most %d",
                       (long long)max, SEARCH_TRACES_MAX);
    struct trace_page pg;
    if (trace_search_page(c, exps, ne, max, &pg) != 0)
        return -1;
    trace_page_put(c, &pg, put_trace_info);
    return 0;
}

void trace_page_put(struct ctx *c, const struct trace_page *pg, trace_info_writer put)
{
    jw_obj(&c->w);
    jw_key(&c->w, "traces");
    jw_arr(&c->w);
    for (size_t i = 0; i < pg->n; i++)
        put(&c->w, c->s.a, &pg->infos[i], authz_trace_hidden(c, pg->infos[i].experiment_id));
    jw_arr_end(&c->w);
    if (pg->next_token)
        jw_kstr(&c->w, "next_page_token", pg->next_token);
    jw_obj_end(&c->w);
}

int trace_search_page(struct ctx *c, const int64_t *exps, size_t ne, int64_t max,
                      struct trace_page *out)
{
    const char *filter, *tok;
    int64_t offset = 0;
    const char **order;
    size_t norder;
    if (in_str(&c->in, "filter", &filter) != 0 || in_str(&c->in, "page_token", &tok) != 0 ||
        in_str_list(&c->in, "order_by", &order, &norder) != 0)
        return -1;
    struct filter f;
    struct order_by ob;
    struct str *items = arena_calloc(c->s.a, norder ? norder : 1, sizeof *items);
    for (size_t i = 0; i < norder; i++)
        items[i] = str_c(order[i]);
    if (filter_parse(c->s.a, SEARCH_TRACES, filter ? filter : "", filter ? strlen(filter) : 0,
                     &f, &c->e) != 0 ||
        filter_parse_order_by(c->s.a, SEARCH_TRACES, items, norder, &ob, &c->e) != 0)
        return -1;
    if (tok && *tok && page_token_parse_offset(c->s.a, tok, strlen(tok), &offset, &c->e) != 0)
        return -1;
    trace_usage_filter_read(c->s.a, &f);
    struct trace_search_q q = {exps, ne, &f, &ob, offset, max};
    bool more;
    if (trace_search(&c->s, &q, &out->infos, &out->n, &more) != 0)
        return -1;
    out->next_token =
        more ? page_token_format_offset(c->s.a, offset + (int64_t)out->n) : NULL;
    return 0;
}

static int read_tag_key(struct ctx *c, const char **key)
{
    if (in_str_req(&c->in, "key", key) != 0)
        return -1;
    if (strlen(*key) > TRACE_TAG_KEY_MAX)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Tag key '%.40s...' exceeds the maximum length of %d characters", *key,
                       TRACE_TAG_KEY_MAX);
    return 0;
}

static int h_set_tag(struct ctx *c)
{
    const char *key, *value;
    if (read_tag_key(c, &key) != 0 || in_str(&c->in, "value", &value) != 0)
        return -1;
    if (!value)
        value = "";
    size_t len = strlen(value);
    if (len > TRACE_TAG_VALUE_MAX)
        value = arena_strndup(c->s.a, value, TRACE_TAG_VALUE_MAX); /* MLflow truncates */
    if (trace_set_tag(&c->s, c->r->params[0], key, value) != 0)
        return -1;
    return reply_empty(c);
}

static int h_delete_tag(struct ctx *c)
{
    const char *key;
    if (read_tag_key(c, &key) != 0 || trace_delete_tag(&c->s, c->r->params[0], key) != 0)
        return -1;
    return reply_empty(c);
}

static int h_delete_traces(struct ctx *c)
{
    const char *exp;
    int64_t exp_id, max_ts = 0, max_traces = 0;
    bool has_ts, has_max;
    const char **ids;
    size_t n;
    if (in_str_req(&c->in, "experiment_id", &exp) != 0 || exp_parse_id(&c->s, exp, &exp_id) != 0 ||
        in_i64(&c->in, "max_timestamp_millis", &max_ts, &has_ts) != 0 ||
        in_i64(&c->in, "max_traces", &max_traces, &has_max) != 0 ||
        in_str_list(&c->in, "request_ids", &ids, &n) != 0)
        return -1;
    /* MLflow's _validate_delete_traces arguments. */
    if (n && (has_ts || has_max))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Only one of `max_timestamp_millis` and `trace_ids` can be specified.");
    if (!n && !has_ts)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Either `max_timestamp_millis` or `trace_ids` must be specified.");
    if (has_max && max_traces <= 0)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "`max_traces` must be a positive integer, received %lld.",
                       (long long)max_traces);
    int64_t deleted;
    if (trace_delete(&c->s, exp_id, ids, n, has_ts, max_ts, has_max ? max_traces : 0,
                     &deleted) != 0)
        return -1;
    jw_obj(&c->w);
    jw_kint(&c->w, "traces_deleted", deleted);
    jw_obj_end(&c->w);
    return 0;
}

static int h_link_to_run(struct ctx *c)
{
    const char **ids;
    size_t n;
    const char *run_id;
    if (in_str_list(&c->in, "trace_ids", &ids, &n) != 0 || in_str_req(&c->in, "run_id", &run_id) != 0)
        return -1;
    if (n > 100)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Cannot link more than 100 traces to a run in a single request. Provided "
                       "%zu traces.",
                       n);
    if (trace_link_to_run(&c->s, ids, n, run_id) != 0)
        return -1;
    return reply_empty(c);
}

/* LinkPromptsToTrace: each PromptVersionRef as "name/version", the version read as the
 * handler's int() reads it (MLflow answers one that is no integer with a 500). */
static int h_link_prompts(struct ctx *c)
{
    const char *trace_id;
    json_t *arr;
    if (in_str_req(&c->in, "trace_id", &trace_id) != 0 ||
        in_array(&c->in, "prompt_versions", &arr) != 0)
        return -1;
    if (!arr)
        return err_missing(&c->e, "prompt_versions", true);
    size_t n = json_array_size(arr);
    const char **ids = arena_calloc(c->s.a, n ? n : 1, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        struct in_path pe;
        const char *path = in_path_elem(&pe, "prompt_versions", i), *name, *version;
        if (obj_str(&c->in, o, path, "name", false, &name) != 0 ||
            obj_str(&c->in, o, path, "version", false, &version) != 0)
            return -1;
        struct str t = str_strip(version ? version : "", version ? strlen(version) : 0);
        int64_t v;
        if (!parse_i64(t.p, t.n, &v))
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "invalid literal for int() with base 10: '%s'", version ? version : "");
        ids[i] = arena_printf(c->s.a, "%s/%lld", name ? name : "", (long long)v);
    }
    if (trace_link_prompts(&c->s, trace_id, ids, n) != 0)
        return -1;
    return reply_empty(c);
}

/* Under /api/3.0/mlflow; literal paths before {trace_id}. */
const struct route trace_v3_routes[] = {
    {HTTP_POST, "/traces", h_start_v3, 16 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/traces/get", h_get, 0, RF_TRACKING, NULL},
    {HTTP_GET, "/traces/batchGet", h_batch_get, 0, RF_TRACKING, NULL},
    {HTTP_POST, "/traces/batchGetInfos", h_batch_get_infos, 4 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/traces/search", h_search_v3, 4 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/traces/delete-traces", h_delete_traces, 4 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/traces/{trace_id}", h_get_info_v3, 0, RF_TRACKING, NULL},
    {HTTP_PATCH, "/traces/{trace_id}/tags", h_set_tag, 1 * MB, RF_TRACKING, NULL},
    {HTTP_DELETE, "/traces/{trace_id}/tags", h_delete_tag, 64 * KB, RF_TRACKING, NULL},
};
const size_t trace_v3_routes_n = sizeof trace_v3_routes / sizeof *trace_v3_routes;

/* Under /api/2.0/mlflow. */
const struct route trace_v2_routes[] = {
    {HTTP_POST, "/traces/delete-traces", h_delete_traces, 4 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/traces/link-to-run", h_link_to_run, 1 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/traces/link-prompts", h_link_prompts, 1 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_PATCH, "/traces/{request_id}/tags", h_set_tag, 1 * MB, RF_TRACKING, NULL},
    {HTTP_DELETE, "/traces/{request_id}/tags", h_delete_tag, 64 * KB, RF_TRACKING, NULL},
};
const size_t trace_v2_routes_n = sizeof trace_v2_routes / sizeof *trace_v2_routes;
