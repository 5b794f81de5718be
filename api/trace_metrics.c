/* POST <prefix>/3.0/mlflow/traces/metrics: MLflow 3.17's QueryTraceMetrics
 * (_query_trace_metrics, SqlAlchemyStore.query_trace_metrics): aggregates of the traces,
 * spans or assessments of some experiments, grouped by time bucket and dimensions. The rules
 * and the SQL are query/trace_metrics.h's; here the request is read as MLflow's handler
 * reads it and the data points are written as its to_proto writes them (a time bucket as
 * datetime.isoformat() in UTC; values as a map by aggregation name). MLflow answers a
 * percentile out of range with a 500 (a ValueError); mltrack with a 400 and the same words.
 * The page token is read and not used: MLflow has no paging here either. */
#include <math.h>
#include <string.h>

#include "../base/pystr.h"
#include "../query/trace_metrics.h"
#include "../store/traces.h"
#include "api.h"
#include "trace_json.h"
#include "trace_usage.h"

#define MAX_RESULTS_DEFAULT 1000 /* MAX_RESULTS_QUERY_TRACE_METRICS */

/* A proto2 enum as MLflow's parse_dict reads it: a name, a number, or a number as text; a
 * value the enum lacks leaves the field unset, which reads as its first value (dflt). */
static int enum_of(json_t *v, const char *(*name)(int), int lo, int hi, int dflt)
{
    int64_t n;
    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!parse_i64(s, strlen(s), &n)) {
            for (int k = lo; k <= hi; k++)
                if (strcmp(name(k), s) == 0)
                    return k;
            return dflt;
        }
    } else {
        return dflt;
    }
    return n >= lo && n <= hi ? (int)n : dflt;
}

static const char *view_name(int v)
{
    return tm_view_name((enum tm_view)v);
}

int trace_metrics_view_of(json_t *v)
{
    return enum_of(v, view_name, TM_TRACES, TM_ASSESSMENTS, TM_TRACES);
}

static const char *agg_name(int t)
{
    return tm_agg_type_name((enum tm_agg_type)t);
}

/* MetricAggregation.from_proto, with __post_init__'s checks. */
static int read_aggregations(struct ctx *c, struct tm_agg **out, size_t *n)
{
    json_t *arr;
    if (in_array(&c->in, "aggregations", &arr) != 0)
        return -1;
    if (!arr)
        return err_missing(&c->e, "aggregations", true);
    *n = json_array_size(arr);
    *out = arena_calloc(c->s.a, *n + 1, sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        json_t *o = json_array_get(arr, i);
        struct in_path p;
        const char *path = in_path_elem(&p, "aggregations", i);
        if (!json_is_object(o))
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value for parameter '%s': an object is expected", path);
        struct tm_agg *g = &(*out)[i];
        g->type = (enum tm_agg_type)enum_of(json_object_get(o, "aggregation_type"), agg_name,
                                            TM_COUNT, TM_MAX, TM_COUNT);
        bool has;
        if (obj_double(&c->in, o, path, "percentile_value", false, &g->percentile, &has) != 0)
            return -1;
        if (g->type == TM_PERCENTILE) {
            if (!has)
                return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                               "Percentile value is required for PERCENTILE aggregation");
            if (!(g->percentile >= 0 && g->percentile <= 100))
                return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                               "Percentile value must be between 0 and 100, got %s",
                               py_repr_float(c->s.a, g->percentile));
        } else if (has) {
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Percentile value is only allowed for PERCENTILE aggregation type, "
                           "got %s",
                           tm_agg_type_name(g->type));
        }
    }
    return 0;
}

/* The answer's values and dimensions are maps: an aggregation or a dimension asked twice
 * is one key. Writes into kept the index of the first of each name, in order; returns how
 * many. */
static size_t first_of_each(const char *const *names, size_t n, size_t *kept)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < m && !seen; j++)
            seen = strcmp(names[kept[j]], names[i]) == 0;
        if (!seen)
            kept[m++] = i;
    }
    return m;
}

/* The aggregations by label, first of each kept. */
static size_t fold_aggregations(struct arena *a, struct tm_agg *g, size_t n, const char **labels)
{
    size_t *kept = arena_calloc(a, n + 1, sizeof *kept);
    for (size_t i = 0; i < n; i++)
        labels[i] = tm_agg_label(a, &g[i]);
    size_t m = first_of_each(labels, n, kept);
    for (size_t i = 0; i < m; i++) {
        g[i] = g[kept[i]];
        labels[i] = labels[kept[i]];
    }
    return m;
}

static int read_filters(struct ctx *c, struct tm_filter **out, size_t *n)
{
    const char **s;
    if (in_str_list(&c->in, "filters", &s, n) != 0)
        return -1;
    *out = arena_calloc(c->s.a, *n + 1, sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        struct tm_filter *f = &(*out)[i];
        if (tm_filter_parse(c->s.a, s[i], strlen(s[i]), f, &c->e) != 0)
            return -1;
        if (f->usage != USAGE_NONE)
            trace_usage_canonical(c->s.a, f->value.p, f->value.n, f->usage, &f->match);
    }
    return 0;
}

/* datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(). */
static void put_bucket(struct jw *w, double ms)
{
    char t[64], out[80];
    trace_json_timestamp(t, sizeof t, (int64_t)floor(ms));
    size_t n = strlen(t); /* ...SS[.mmm]Z */
    if (n && t[n - 1] == 'Z')
        t[--n] = '\0';
    bool frac = n > 4 && t[n - 4] == '.';
    snprintf(out, sizeof out, "%s%s+00:00", t, frac ? "000" : "");
    jw_str(w, out);
}

static int h_metrics(struct ctx *c)
{
    const char **ids, *metric_name, *page_token;
    size_t nids;
    if (!in_raw(&c->in, "experiment_ids"))
        return err_missing(&c->e, "experiment_ids", true);
    if (in_str_list(&c->in, "experiment_ids", &ids, &nids) != 0)
        return -1;
    json_t *view = in_raw(&c->in, "view_type");
    if (!view)
        return err_missing(&c->e, "view_type", true);
    struct tm_query q = {.view = (enum tm_view)trace_metrics_view_of(view)};
    if (in_str_req(&c->in, "metric_name", &metric_name) != 0)
        return -1;
    struct tm_agg *aggs = NULL;
    size_t naggs = 0;
    if (read_aggregations(c, &aggs, &naggs) != 0)
        return -1;
    const char **dims;
    size_t ndims;
    bool has_interval, has_max;
    int64_t max_results;
    if (in_str_list(&c->in, "dimensions", &dims, &ndims) != 0 ||
        in_i64(&c->in, "time_interval_seconds", &q.interval_s, &has_interval) != 0 ||
        in_i64(&c->in, "start_time_ms", &q.start_ms, &q.has_start) != 0 ||
        in_i64(&c->in, "end_time_ms", &q.end_ms, &q.has_end) != 0 ||
        in_i64(&c->in, "max_results", &max_results, &has_max) != 0 ||
        in_str(&c->in, "page_token", &page_token) != 0)
        return -1;
    if ((q.metric = tm_metric_find(q.view, metric_name, &c->e)) < 0)
        return -1;
    int *dim_ix = arena_calloc(c->s.a, ndims + 1, sizeof *dim_ix);
    if (tm_check(q.view, q.metric, aggs, naggs, dims, ndims, dim_ix, &c->e) != 0)
        return -1;
    size_t *kept = arena_calloc(c->s.a, ndims + 1, sizeof *kept);
    ndims = first_of_each(dims, ndims, kept);
    for (size_t i = 0; i < ndims; i++)
        dim_ix[i] = dim_ix[kept[i]];
    if (!naggs) /* what SQLAlchemy says of a SELECT of nothing */
        return err_set(&c->e, ERR_BAD_REQUEST,
                       "Query contains no columns with which to SELECT from.");
    if (q.interval_s && (!q.has_start || !q.has_end))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "start_time_ms and end_time_ms are required if time_interval_seconds is "
                       "set");
    if (q.interval_s > INT64_MAX / 1000 || q.interval_s < INT64_MIN / 1000)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "time_interval_seconds is out of range: %lld", (long long)q.interval_s);
    int64_t *exps = arena_calloc(c->s.a, nids + 1, sizeof *exps);
    for (size_t i = 0; i < nids; i++)
        if (exp_parse_id(&c->s, ids[i], &exps[i]) != 0)
            return -1;
    struct tm_filter *filters;
    size_t nfilters;
    if (read_filters(c, &filters, &nfilters) != 0)
        return -1;
    const char **labels = arena_calloc(c->s.a, naggs + 1, sizeof *labels);
    q.experiment_ids = exps;
    q.nexp = nids;
    q.aggs = aggs;
    q.naggs = fold_aggregations(c->s.a, aggs, naggs, labels);
    q.dims = dim_ix;
    q.ndims = ndims;
    q.filters = filters;
    q.nfilters = nfilters;
    q.limit = has_max ? max_results : MAX_RESULTS_DEFAULT;
    struct trace_metric_point *pts = NULL;
    size_t npts = 0;
    if (trace_metrics_query(&c->s, &q, &pts, &npts) != 0)
        return -1;
    jw_obj(&c->w);
    if (npts) {
        jw_key(&c->w, "data_points");
        jw_arr(&c->w);
    }
    for (size_t i = 0; i < npts; i++) {
        const struct trace_metric_point *p = &pts[i];
        jw_obj(&c->w);
        jw_kstr(&c->w, "metric_name", metric_name);
        if (q.interval_s || ndims) {
            jw_key(&c->w, "dimensions");
            jw_obj(&c->w);
            if (q.interval_s) {
                jw_key(&c->w, "time_bucket");
                put_bucket(&c->w, p->bucket_ms);
            }
            for (size_t k = 0; k < ndims; k++)
                jw_kstr(&c->w, tm_dim_name(q.view, dim_ix[k]), p->dims[k]);
            jw_obj_end(&c->w);
        }
        jw_key(&c->w, "values");
        jw_obj(&c->w);
        for (size_t k = 0; k < q.naggs; k++)
            if (p->has[k]) {
                jw_key(&c->w, labels[k]);
                jw_double(&c->w, p->value[k]);
            }
        jw_obj_end(&c->w);
        jw_obj_end(&c->w);
    }
    if (npts)
        jw_arr_end(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

/* Under /api/3.0/mlflow (and /ajax-api/3.0/mlflow), before the {trace_id} routes. */
const struct route trace_metrics_routes[] = {
    {HTTP_POST, "/traces/metrics", h_metrics, 1 * MB, RF_TRACKING | RF_JSON, NULL},
};
const size_t trace_metrics_routes_n = sizeof trace_metrics_routes / sizeof *trace_metrics_routes;
