/* Our chart endpoints beside /metrics/downsample (not MLflow's):
 *
 *   GET /api/2.0/mltrack/metrics/series   one metric of up to 100 runs, each downsampled
 *       as /metrics/downsample does, in one request; with smoothing=<w> every series also
 *       carries "smoothed": an exponential moving average computed over the raw points (all
 *       of them, from the first), given at the points the downsampling kept. So the smoothed
 *       curve is a property of the data, not of the chart's width or zoom.
 *   GET /api/2.0/mltrack/metrics/summary  per metric of one run: latest, min, max (each
 *       with its step) and the number of points, exact (one pass over each history).
 *
 * Documented in README ("Web UI"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mltrack.h"

enum { SERIES_MAX_RUNS = 100 };

/* ---- smoothing ----
 * The average runs over the raw points in x order: step order for x=step, the history's
 * (timestamp, step, value) order for x=timestamp. metric_history_each streams in history
 * order, which is step order too for nearly every series (timestamps grow with steps);
 * when a step goes backwards the pass stops and the points are collected and sorted by
 * step instead. The value at each kept point is found through a small hash of the
 * downsampled points by (step, timestamp, value), which identifies a point (they form
 * MLflow's primary key with the run and key). */

struct smoother {
    double w;          /* weight of the past, 0 < w < 1 */
    double acc, wn;    /* running average before debiasing; w^n */
    bool by_step;      /* the order must be step order */
    bool broken;       /* a step went backwards: sort instead */
    bool any;
    int64_t prev_step;
    const struct ds_point *pts; /* the kept points */
    double *out;                /* smoothed value per kept point; NaN: none */
    size_t *slot;               /* hash of pts indexes; SIZE_MAX = empty */
    size_t mask;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static uint64_t bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static size_t point_hash(int64_t step, int64_t ts, double v)
{
    return (size_t)mix((uint64_t)step ^ mix((uint64_t)ts ^ mix(bits(v))));
}

static bool same_point(const struct ds_point *p, int64_t step, int64_t ts, double v)
{
    return p->step == step && p->timestamp == ts && bits(p->value) == bits(v);
}

static void sm_init(struct smoother *s, struct arena *a, double w, bool by_step,
                    const struct ds_result *r)
{
    memset(s, 0, sizeof *s);
    s->w = w;
    s->wn = 1;
    s->by_step = by_step;
    s->pts = r->pts;
    s->out = arena_calloc(a, r->n ? r->n : 1, sizeof *s->out);
    size_t cap = 16;
    while (cap < 2 * r->n)
        cap <<= 1;
    s->mask = cap - 1;
    s->slot = arena_calloc(a, cap, sizeof *s->slot);
    for (size_t i = 0; i < cap; i++)
        s->slot[i] = SIZE_MAX;
    for (size_t i = 0; i < r->n; i++) {
        s->out[i] = NAN;
        size_t h = point_hash(r->pts[i].step, r->pts[i].timestamp, r->pts[i].value) & s->mask;
        while (s->slot[h] != SIZE_MAX)
            h = (h + 1) & s->mask;
        s->slot[h] = i;
    }
}

static void sm_restart(struct smoother *s, size_t npts)
{
    s->acc = 0;
    s->wn = 1;
    s->any = false;
    s->broken = false;
    for (size_t i = 0; i < npts; i++)
        s->out[i] = NAN;
}

/* Folds one raw point (non-finite values leave the average alone) and records the
 * average at it when it is one of the kept points. */
static void sm_fold(struct smoother *s, int64_t step, int64_t ts, double v)
{
    bool finite = isfinite(v);
    if (finite) {
        s->acc = s->acc * s->w + (1 - s->w) * v;
        s->wn *= s->w;
    }
    if (!finite && isnan(v))
        return; /* NaN points are not among the kept ones */
    for (size_t h = point_hash(step, ts, v) & s->mask; s->slot[h] != SIZE_MAX;
         h = (h + 1) & s->mask) {
        size_t i = s->slot[h];
        if (same_point(&s->pts[i], step, ts, v)) {
            s->out[i] = finite ? s->acc / (1 - s->wn) : NAN;
            break;
        }
    }
}

struct sm_pass {
    struct smoother *s;
    size_t npts;
};

static int sm_point(void *ctx, const struct metric *m)
{
    struct sm_pass *p = ctx;
    struct smoother *s = p->s;
    if (!m) {
        sm_restart(s, p->npts);
        return 0;
    }
    if (s->by_step) {
        if (s->any && m->step < s->prev_step) {
            s->broken = true;
            return 1;
        }
        s->prev_step = m->step;
        s->any = true;
    }
    sm_fold(s, m->step, m->timestamp, m->value);
    return 0;
}

/* The fallback: every point, then sorted by (step, history order). */
struct raw_point {
    int64_t step, ts;
    double v;
    size_t seq;
};

struct collect {
    struct arena *a;
    struct raw_point *p;
    size_t n;
};

static int collect_point(void *ctx, const struct metric *m)
{
    struct collect *c = ctx;
    if (!m) {
        c->n = 0;
        return 0;
    }
    c->p = arena_grow(c->a, c->p, c->n, sizeof *c->p);
    c->p[c->n] = (struct raw_point){m->step, m->timestamp, m->value, c->n};
    c->n++;
    return 0;
}

static int by_step_then_seq(const void *x, const void *y)
{
    const struct raw_point *a = x, *b = y;
    if (a->step != b->step)
        return a->step < b->step ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Fills *out with the smoothed value of each of r's points (NaN where there is none). */
static int smooth_series(struct ctx *c, const struct ds_query *q, const struct ds_result *r,
                         double w, double **out)
{
    struct smoother s;
    sm_init(&s, c->s.a, w, q->axis == DS_STEP, r);
    *out = s.out;
    if (r->n == 0)
        return 0;
    struct sm_pass pass = {&s, r->n};
    size_t n;
    bool more;
    if (metric_history_each(&c->s, q->run_id, q->key, 0, -1, sm_point, &pass, &n, &more) == 0)
        return 0;
    if (!s.broken)
        return -1;
    err_clear(&c->e);
    struct collect col = {c->s.a, NULL, 0};
    if (metric_history_each(&c->s, q->run_id, q->key, 0, -1, collect_point, &col, &n, &more) != 0)
        return -1;
    if (col.n > 1)
        qsort(col.p, col.n, sizeof *col.p, by_step_then_seq);
    sm_restart(&s, r->n);
    for (size_t i = 0; i < col.n; i++)
        sm_fold(&s, col.p[i].step, col.p[i].ts, col.p[i].v);
    return 0;
}

/* ---- /metrics/series ---- */

static int h_series(struct ctx *c)
{
    const char **ids;
    size_t nids;
    struct ds_query q = {0};
    double w = 0;
    bool has_w;
    if (in_str_list(&c->in, "run_id", &ids, &nids) != 0 || read_ds_query(c, &q) != 0 ||
        in_double(&c->in, "smoothing", &w, &has_w) != 0)
        return -1;
    if (nids == 0)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Missing value for required parameter 'run_id'. See the API docs for "
                       "more information about request parameters.");
    if (nids > SERIES_MAX_RUNS)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Too many values for parameter 'run_id': %zu, at most %d.", nids,
                       SERIES_MAX_RUNS);
    if (has_w && !(w >= 0 && w < 1))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value for parameter 'smoothing': it must be at least 0 and "
                       "less than 1.");
    if (w > 0 && q.preview)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "'smoothing' needs every point of the series; it cannot be combined "
                       "with 'preview'.");
    for (size_t i = 0; i < nids; i++)
        if (v_run_id(&c->e, ids[i], "run_id") != 0)
            return -1;
    struct jw *wr = &c->w;
    jw_obj(wr);
    jw_kstr(wr, "metric_key", q.key);
    jw_kstr(wr, "x", q.axis == DS_STEP ? "step" : "timestamp");
    jw_kint(wr, "buckets", q.buckets);
    if (w > 0) {
        jw_key(wr, "smoothing");
        jw_double(wr, w);
    }
    jw_key(wr, "series");
    jw_arr(wr);
    for (size_t i = 0; i < nids; i++) {
        q.run_id = ids[i];
        struct ds_result r;
        double *sm = NULL;
        if (metric_downsample(&c->s, &q, &r) != 0 ||
            (w > 0 && smooth_series(c, &q, &r, w, &sm) != 0))
            return -1;
        jw_obj(wr);
        put_ds_result(wr, &q, &r);
        if (sm) {
            jw_key(wr, "smoothed");
            jw_arr(wr);
            for (size_t k = 0; k < r.n; k++) {
                if (isfinite(sm[k]))
                    jw_double(wr, sm[k]);
                else
                    jw_null(wr);
            }
            jw_arr_end(wr);
        }
        jw_obj_end(wr);
    }
    jw_arr_end(wr);
    jw_obj_end(wr);
    return 0;
}

/* ---- /metrics/summary ---- */

static void put_summary_point(struct jw *w, const char *k, const struct ds_point *p)
{
    jw_key(w, k);
    jw_obj(w);
    jw_key(w, "value");
    jw_double(w, p->value);
    jw_kint(w, "step", p->step);
    jw_kint(w, "timestamp", p->timestamp);
    jw_obj_end(w);
}

static int h_summary(struct ctx *c)
{
    const char *id;
    if (in_run_id(&c->in, &id) != 0)
        return -1;
    struct run run;
    if (run_get(&c->s, id, &run) != 0)
        return -1;
    struct jw *w = &c->w;
    jw_obj(w);
    jw_kstr(w, "run_id", run.info.run_id);
    jw_key(w, "metrics");
    jw_arr(w);
    for (size_t i = 0; i < run.nmetrics; i++) {
        const struct metric *m = &run.metrics[i];
        /* One bucket: M4 keeps the first, lowest, highest and last point of the series. */
        struct ds_query q = {.run_id = id, .key = m->key, .axis = DS_STEP, .buckets = 1};
        struct ds_result r;
        if (metric_downsample(&c->s, &q, &r) != 0)
            return -1;
        jw_obj(w);
        jw_kstr(w, "key", m->key);
        jw_kint(w, "points", r.in_range > 0 ? r.in_range : 0);
        jw_kint(w, "nan_points", r.nan_points);
        struct ds_point latest = {.step = m->step, .timestamp = m->timestamp, .value = m->value};
        put_summary_point(w, "latest", &latest);
        if (r.n > 0) {
            size_t lo = 0, hi = 0;
            for (size_t k = 1; k < r.n; k++) {
                if (r.pts[k].value < r.pts[lo].value)
                    lo = k;
                if (r.pts[k].value > r.pts[hi].value)
                    hi = k;
            }
            put_summary_point(w, "min", &r.pts[lo]);
            put_summary_point(w, "max", &r.pts[hi]);
        }
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    return 0;
}

const struct route mltrack_series_routes[] = {
    {HTTP_GET, "/metrics/series", h_series, 0, RF_TRACKING, NULL},
    {HTTP_GET, "/metrics/summary", h_summary, 0, RF_TRACKING, NULL},
};
const size_t mltrack_series_routes_n = sizeof mltrack_series_routes / sizeof *mltrack_series_routes;
