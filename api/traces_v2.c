/* MLflow 2's trace API, which MLflow 3.17's server still serves and its own client falls
 * back to (RestStore.deprecated_start_trace_v2 and deprecated_end_trace_v2; GetTraceInfo
 * and SearchTraces when a server lacks the v3 routes): start, end, get info and search.
 * A trace info is the TraceInfo (v2) proto's JSON: request_id, timestamp_ms and
 * execution_time_ms in milliseconds, a status, and the metadata and tags as lists of
 * key/value pairs. A trace started here has a bare uuid4 for its id, as
 * generate_request_id_v2 gives; a 2.x client uploads its spans as traces.json to the trace's
 * artifact location, which get-trace-artifact serves. */
#include <string.h>

#include "../base/util.h"
#include "../base/utf8.h"
#include "api.h"
#include "trace_usage.h"
#include "traces.h"

enum {
    SEARCH_V2_DEFAULT = 100, /* SearchTraces.max_results' default */
    SEARCH_V2_MAX = 500,
    /* TraceInfoV2.to_proto cuts what it writes to these many characters */
    METADATA_CHARS = 250,  /* MAX_CHARS_IN_TRACE_INFO_METADATA: keys and values */
    TAG_KEY_CHARS = 250,   /* MAX_CHARS_IN_TRACE_INFO_TAGS_KEY */
    TAG_VALUE_CHARS = 4096 /* MAX_CHARS_IN_TRACE_INFO_TAGS_VALUE; validate_trace_name's too */
};

/* TraceStatus by number: the proto's order. */
static const char *const statuses[] = {"TRACE_STATUS_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS"};

/* A TraceStatus as the proto's JSON parser takes it, by name or number; -1 for neither. */
static int status_number(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) >= 0 && json_integer_value(v) < 4
                   ? (int)json_integer_value(v)
                   : -1;
    for (int i = 0; json_is_string(v) && i < 4; i++)
        if (strcmp(statuses[i], json_string_value(v)) == 0)
            return i;
    return -1;
}

/* TraceStatus.from_state: the v3 state's v2 name. */
static const char *status_of(const char *state)
{
    return strcmp(state, "STATE_UNSPECIFIED") == 0 ? statuses[0] : state;
}

/* {"key": k, "value": v}, each cut to its number of characters. */
static void put_pair(struct jw *w, const char *k, const char *v, size_t kmax, size_t vmax)
{
    size_t kn, vn;
    utf8_len(k, kmax, &kn);
    utf8_len(v ? v : "", vmax, &vn);
    jw_obj(w);
    jw_key(w, "key");
    jw_strn(w, k, kn);
    jw_key(w, "value");
    jw_strn(w, v ? v : "", vn);
    jw_obj_end(w);
}

/* TraceInfoV2.from_v3(t).to_proto(), as the caller may see it (hide: authz_trace_hidden). */
static void put_info(struct jw *w, struct arena *a, const struct trace_info *t, unsigned hide)
{
    jw_obj(w);
    jw_kstr(w, "request_id", t->trace_id);
    jw_kid(w, "experiment_id", t->experiment_id);
    jw_kint(w, "timestamp_ms", t->request_time);
    jw_kint(w, "execution_time_ms", t->has_execution_duration ? t->execution_duration : 0);
    jw_kstr(w, "status", status_of(t->state));
    jw_key(w, "request_metadata");
    jw_arr(w);
    for (size_t i = 0; i < t->nmetadata; i++)
        if (!trace_metadata_hidden(t->metadata[i].key, hide))
            put_pair(w, t->metadata[i].key, t->metadata[i].value, METADATA_CHARS,
                     METADATA_CHARS);
    const char *tokens, *cost;
    trace_usage_metadata(a, &t->usage, &tokens, &cost);
    if (tokens)
        put_pair(w, TRACE_META_TOKEN_USAGE, tokens, METADATA_CHARS, METADATA_CHARS);
    if (cost)
        put_pair(w, TRACE_META_COST, cost, METADATA_CHARS, METADATA_CHARS);
    jw_arr_end(w);
    jw_key(w, "tags");
    jw_arr(w);
    for (size_t i = 0; i < t->ntags; i++)
        put_pair(w, t->tags[i].key, t->tags[i].value, TAG_KEY_CHARS, TAG_VALUE_CHARS);
    jw_arr_end(w);
    jw_obj_end(w);
}

/* {"trace_info": ...} */
static int reply_info(struct ctx *c, const struct trace_info *t)
{
    jw_obj(&c->w);
    jw_key(&c->w, "trace_info");
    put_info(&c->w, c->s.a, t, authz_trace_hidden(c, t->experiment_id));
    jw_obj_end(&c->w);
    return 0;
}

/* A repeated TraceTag / TraceRequestMetadata field: every entry needs a key
 * (_assert_map_key_present); a value left out is "". The trace name and the session are
 * held to MLflow's lengths (validate_trace_name, validate_session_id). */
static int read_pairs(struct ctx *c, const char *field, struct kv **out, size_t *n)
{
    json_t *arr;
    *out = NULL;
    *n = 0;
    if (in_array(&c->in, field, &arr) != 0)
        return -1;
    size_t cnt = arr ? json_array_size(arr) : 0;
    for (size_t i = 0; i < cnt; i++) {
        json_t *k = json_object_get(json_array_get(arr, i), "key");
        if (!json_is_string(k) || !*json_string_value(k))
            return in_refuse(&c->in, field, arr);
    }
    struct kv *v = arena_calloc(c->s.a, cnt ? cnt : 1, sizeof *v);
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(arr, i);
        struct in_path pe;
        const char *path = in_path_elem(&pe, field, i), *key, *value;
        if (obj_str(&c->in, o, path, "key", true, &key) != 0 ||
            obj_str(&c->in, o, path, "value", false, &value) != 0)
            return -1;
        if (!value)
            value = "";
        if (strcmp(key, TRACE_TAG_NAME) == 0 &&
            v_length(&c->e, c->s.a, "Trace name", TAG_VALUE_CHARS, &value, false) != 0)
            return -1;
        if (strcmp(key, TRACE_META_SESSION) == 0 &&
            v_length(&c->e, c->s.a, "Session ID", TRACE_SESSION_MAX, &value, false) != 0)
            return -1;
        if (trace_kv_take(c, field, key, value, strlen(value), &v[i]) != 0)
            return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}

/* POST /traces: StartTrace. */
static int h_start(struct ctx *c)
{
    const char *exp;
    bool has_ts;
    struct trace_info in = {0}, out;
    char id[33];
    if (in_str(&c->in, "experiment_id", &exp) != 0 ||
        in_i64(&c->in, "timestamp_ms", &in.request_time, &has_ts) != 0 ||
        read_pairs(c, "request_metadata", &in.metadata, &in.nmetadata) != 0 ||
        read_pairs(c, "tags", &in.tags, &in.ntags) != 0 ||
        exp_parse_id(&c->s, exp ? exp : "", &in.experiment_id) != 0)
        return -1;
    uuid4_hex(id);
    in.trace_id = id;
    in.state = "IN_PROGRESS";
    trace_usage_from_metadata(in.metadata, in.nmetadata, &in.usage);
    if (trace_start(&c->s, &in, false, &out) != 0)
        return -1;
    return reply_info(c, &out);
}

/* PATCH /traces/{request_id}: EndTrace. */
static int h_end(struct ctx *c)
{
    struct trace_end in = {0};
    struct kv *md, *tags;
    bool has_ts;
    json_t *st = in_raw(&c->in, "status");
    int status = st ? status_number(st) : 0;
    if (status < 0)
        return in_refuse(&c->in, "status", st);
    if (in_i64(&c->in, "timestamp_ms", &in.end_ms, &has_ts) != 0 ||
        read_pairs(c, "request_metadata", &md, &in.nmetadata) != 0 ||
        read_pairs(c, "tags", &tags, &in.ntags) != 0)
        return -1;
    in.metadata = md;
    in.tags = tags;
    /* TraceStatus.to_state: the state as v3 keeps it */
    in.state = status == 0 ? "STATE_UNSPECIFIED" : statuses[status];
    trace_usage_from_metadata(md, in.nmetadata, &in.usage);
    struct trace_info out;
    if (trace_end_v2(&c->s, c->r->params[0], &in, &out) != 0)
        return -1;
    return reply_info(c, &out);
}

/* GET /traces/{request_id}/info: GetTraceInfo. */
static int h_get_info(struct ctx *c)
{
    struct trace_info t;
    if (trace_get_info(&c->s, c->r->params[0], &t) != 0)
        return -1;
    return reply_info(c, &t);
}

/* GET /traces: SearchTraces over experiment_ids. */
static int h_search(struct ctx *c)
{
    const char **ids;
    size_t n;
    int64_t max;
    if (in_str_list(&c->in, "experiment_ids", &ids, &n) != 0 ||
        in_max_results(&c->in, SEARCH_V2_DEFAULT, SEARCH_V2_MAX, &max) != 0)
        return -1;
    if (!n)
        return err_missing(&c->e, "experiment_ids", true);
    int64_t *exps = arena_calloc(c->s.a, n, sizeof *exps);
    for (size_t i = 0; i < n; i++)
        if (exp_parse_id(&c->s, ids[i], &exps[i]) != 0)
            return -1;
    struct trace_page pg;
    if (trace_search_page(c, exps, n, max, &pg) != 0)
        return -1;
    trace_page_put(c, &pg, put_info);
    return 0;
}

/* Under /api/2.0/mlflow and /ajax-api/2.0/mlflow. POST /traces is also StartTraceV3's path
 * under 3.0: RF_LEGACY_V2 tells the access rules which body it reads. */
const struct route trace_legacy_routes[] = {
    {HTTP_POST, "/traces", h_start, 1 * MB, RF_TRACKING | RF_JSON | RF_LEGACY_V2, NULL},
    {HTTP_PATCH, "/traces/{request_id}", h_end, 1 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/traces/{request_id}/info", h_get_info, 64 * KB, RF_TRACKING, NULL},
    {HTTP_GET, "/traces", h_search, 64 * KB, RF_TRACKING, NULL},
};
const size_t trace_legacy_routes_n = sizeof trace_legacy_routes / sizeof *trace_legacy_routes;
