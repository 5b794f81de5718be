/* Our metric endpoint for charts (not MLflow's): GET /api/2.0/mltrack/metrics/downsample
 * returns one run's metric inside an x range reduced to at most four points per bucket,
 * so a chart of 1,000,000 points draws from a few thousand and zooming asks again for
 * the narrower range at full detail. Documented in README ("Web UI"). */
#include <string.h>

#include "mltrack.h"

static void put_i64_array(struct jw *w, const char *k, const struct ds_point *p, size_t n,
                          bool steps)
{
    jw_key(w, k);
    jw_arr(w);
    for (size_t i = 0; i < n; i++)
        jw_int(w, steps ? p[i].step : p[i].timestamp);
    jw_arr_end(w);
}

int read_ds_query(struct ctx *c, struct ds_query *q)
{
    const char *axis;
    int64_t buckets;
    bool has_buckets, has_preview;
    q->axis = DS_STEP;
    q->buckets = DS_BUCKETS_DEFAULT;
    if (in_str_req(&c->in, "metric_key", &q->key) != 0 || in_str(&c->in, "x", &axis) != 0 ||
        in_i64(&c->in, "min", &q->min, &q->has_min) != 0 ||
        in_i64(&c->in, "max", &q->max, &q->has_max) != 0 ||
        in_i64(&c->in, "buckets", &buckets, &has_buckets) != 0 ||
        in_bool(&c->in, "preview", &q->preview, &has_preview) != 0)
        return -1;
    if (axis && *axis && strcmp(axis, "step") != 0) {
        if (strcmp(axis, "timestamp") != 0)
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value for parameter 'x': it must be 'step' or "
                           "'timestamp'.");
        q->axis = DS_TIMESTAMP;
    }
    if (has_buckets) {
        if (buckets < 1 || buckets > DS_BUCKETS_MAX)
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value %lld for parameter 'buckets': it must be between 1 "
                           "and %d.",
                           (long long)buckets, DS_BUCKETS_MAX);
        q->buckets = (int)buckets;
    }
    if (q->has_min && q->has_max && q->min > q->max)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid range: 'min' (%lld) is greater than 'max' (%lld).",
                       (long long)q->min, (long long)q->max);
    return 0;
}

void put_ds_result(struct jw *w, const struct ds_query *q, const struct ds_result *r)
{
    jw_kstr(w, "run_id", q->run_id);
    jw_kstr(w, "metric_key", q->key);
    jw_kstr(w, "x", q->axis == DS_STEP ? "step" : "timestamp");
    jw_kint(w, "buckets", q->buckets);
    if (r->in_range > 0 || r->n > 0) {
        jw_kint(w, "min", r->min);
        jw_kint(w, "max", r->max);
    }
    jw_key(w, "exact");
    jw_bool(w, r->in_range >= 0);
    if (r->in_range >= 0)
        jw_kint(w, "points_in_range", r->in_range);
    jw_kint(w, "nan_points", r->nan_points);
    jw_key(w, "sampled");
    jw_bool(w, r->sampled);
    put_i64_array(w, "steps", r->pts, r->n, true);
    put_i64_array(w, "timestamps", r->pts, r->n, false);
    jw_key(w, "values");
    jw_arr(w);
    for (size_t i = 0; i < r->n; i++)
        jw_double(w, r->pts[i].value);
    jw_arr_end(w);
}

static int h_downsample(struct ctx *c)
{
    struct ds_query q = {0};
    if (in_run_id(&c->in, &q.run_id) != 0 || read_ds_query(c, &q) != 0)
        return -1;
    struct ds_result r;
    if (metric_downsample(&c->s, &q, &r) != 0)
        return -1;
    jw_obj(&c->w);
    put_ds_result(&c->w, &q, &r);
    jw_obj_end(&c->w);
    return 0;
}

const struct route mltrack_metric_routes[] = {
    {HTTP_GET, "/metrics/downsample", h_downsample, 0, RF_TRACKING, NULL},
};
const size_t mltrack_metric_routes_n = sizeof mltrack_metric_routes / sizeof *mltrack_metric_routes;
