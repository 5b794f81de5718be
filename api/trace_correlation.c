/* POST <prefix>/3.0/mlflow/traces/calculate-filter-correlation: MLflow 3.17's
 * CalculateTraceFilterCorrelation (_calculate_trace_filter_correlation). How two trace
 * filters co-occur over the traces of some experiments, as NPMI (normalized pointwise mutual
 * information) with MLflow's rules (mlflow/store/analytics/trace_correlation.py), and the four
 * counts it comes from. A base filter, when given, is the universe and is folded into both
 * filters as MLflow folds it ("<base> and <filter>"). An undefined NPMI is left out of the
 * answer, as MLflow's to_proto leaves it (its client reads a missing npmi as NaN). */
#include <math.h>
#include <string.h>

#include "../query/filter.h"
#include "../store/traces.h"
#include "api.h"
#include "trace_usage.h"

#define JEFFREYS_PRIOR 0.5 /* MLflow's smoothing for npmi_smoothed */

/* _calculate_npmi_core: NPMI of a 2x2 table, each cell smoothed by s; NaN when undefined. */
static double npmi_core(double n11, double n10, double n01, double n00, double s)
{
    double both = n11 + s, all = both + (n10 + s) + (n01 + s) + (n00 + s);
    double m1 = both + (n10 + s), m2 = both + (n01 + s);
    if (m1 <= 0 || m2 <= 0 || both <= 0)
        return NAN;
    if (n10 == 0 && n01 == 0 && n00 == 0) /* always together (before smoothing) */
        return 1.0;
    double pmi = (log(both) + log(all)) - (log(m1) + log(m2));
    double npmi = pmi / -(log(both) - log(all));
    return fmax(-1.0, fmin(1.0, npmi)); /* floating point may step past the bounds */
}

/* calculate_npmi_from_counts: NaN for no traces, a filter that selects none, or counts that
 * do not add up; -1 for filters that never meet. */
static void npmi_of(const struct trace_correlation_counts *k, double *npmi, double *smoothed)
{
    *npmi = *smoothed = NAN;
    if (k->total <= 0 || k->n1 == 0 || k->n2 == 0)
        return;
    int64_t n11 = k->joint, n10 = k->n1 - k->joint, n01 = k->n2 - k->joint;
    int64_t n00 = k->total - k->n1 - k->n2 + k->joint;
    if (n11 < 0 || n10 < 0 || n01 < 0 || n00 < 0)
        return;
    *npmi = n11 == 0 ? -1.0 : npmi_core((double)n11, (double)n10, (double)n01, (double)n00, 0);
    *smoothed = npmi_core((double)n11, (double)n10, (double)n01, (double)n00, JEFFREYS_PRIOR);
}

/* s, with base in front when there is one, parsed as a trace search filter. */
static int parse_under(struct ctx *c, const char *base, const char *s, struct filter *f)
{
    const char *t = base ? arena_printf(c->s.a, "%s and %s", base, s) : s;
    if (filter_parse(c->s.a, SEARCH_TRACES, t, strlen(t), f, &c->e) != 0)
        return -1;
    trace_usage_filter_read(c->s.a, f);
    return 0;
}

static int h_correlation(struct ctx *c)
{
    const char **ids, *s1, *s2, *base;
    size_t n;
    if (in_str_list(&c->in, "experiment_ids", &ids, &n) != 0)
        return -1;
    if (!n)
        return err_missing(&c->e, "experiment_ids", true);
    if (in_str_req(&c->in, "filter_string1", &s1) != 0 ||
        in_str_req(&c->in, "filter_string2", &s2) != 0 ||
        in_str(&c->in, "base_filter", &base) != 0)
        return -1;
    if (base && !*base) /* MLflow's `if base_filter:` */
        base = NULL;
    int64_t *exps = arena_calloc(c->s.a, n, sizeof *exps);
    for (size_t i = 0; i < n; i++)
        if (exp_parse_id(&c->s, ids[i], &exps[i]) != 0)
            return -1;
    struct filter f1, f2, universe;
    if (parse_under(c, base, s1, &f1) != 0 || parse_under(c, base, s2, &f2) != 0 ||
        (base && parse_under(c, NULL, base, &universe) != 0))
        return -1;
    struct trace_correlation_counts k;
    if (trace_correlation_counts(&c->s, exps, n, base ? &universe : NULL, &f1, &f2, &k) != 0)
        return -1;
    double npmi, smoothed;
    npmi_of(&k, &npmi, &smoothed);
    jw_obj(&c->w);
    if (!isnan(npmi)) {
        jw_key(&c->w, "npmi");
        jw_double(&c->w, npmi);
    }
    if (!isnan(smoothed)) {
        jw_key(&c->w, "npmi_smoothed");
        jw_double(&c->w, smoothed);
    }
    jw_kint(&c->w, "filter1_count", k.n1);
    jw_kint(&c->w, "filter2_count", k.n2);
    jw_kint(&c->w, "joint_count", k.joint);
    jw_kint(&c->w, "total_count", k.total);
    jw_obj_end(&c->w);
    return 0;
}

/* Under /api/3.0/mlflow (and /ajax-api/3.0/mlflow), before the {trace_id} routes. */
const struct route trace_correlation_routes[] = {
    {HTTP_POST, "/traces/calculate-filter-correlation", h_correlation, 1 * MB,
     RF_TRACKING | RF_JSON, NULL},
};
const size_t trace_correlation_routes_n =
    sizeof trace_correlation_routes / sizeof *trace_correlation_routes;
