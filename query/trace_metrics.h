/* MLflow 3.17's trace metrics (QueryTraceMetrics, mlflow/store/tracking/utils/
 * sql_trace_metrics_utils.py): what may be asked of each view (its metrics, their
 * aggregations and dimensions), the metrics filter ("trace.tag.team = 'a'", one clause a
 * string), and the aggregate SQL over MLflow's tables, with MLflow's messages for what it
 * refuses (all INVALID_PARAMETER_VALUE). Only MLflow's raw path: its opt-in daily rollups
 * only ever change a query's speed, never its answer.
 *
 * A row of the SQL is the dimensions (time bucket first, as a number of ms; then the asked
 * dimensions, as text) and one value a distinct aggregation (tm_query.aggs, which the
 * caller has folded: MLflow's values are a map by the aggregation's name). Rows come in
 * the dimensions' order; none has a NULL dimension. */
#ifndef MLT_QUERY_TRACE_METRICS_H
#define MLT_QUERY_TRACE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/err.h"
#include "../base/util.h"
#include "../db/db.h"
#include "usage_match.h"

/* MetricViewType and AggregationType, with their proto numbers. */
enum tm_view { TM_TRACES = 1, TM_SPANS = 2, TM_ASSESSMENTS = 3 };
enum tm_agg_type { TM_COUNT = 1, TM_SUM, TM_AVG, TM_PERCENTILE, TM_MIN, TM_MAX };

const char *tm_view_name(enum tm_view v);
const char *tm_agg_type_name(enum tm_agg_type t);

struct tm_agg {
    enum tm_agg_type type;
    double percentile; /* 0..100, PERCENTILE only */
};
/* str(MetricAggregation): "COUNT", "P50.0" (Python's repr of the value). From the arena. */
const char *tm_agg_label(struct arena *a, const struct tm_agg *g);

/* The view's metric called name, or -1 with e set (MLflow's message). */
int tm_metric_find(enum tm_view v, const char *name, struct err *e);
/* validate_query_trace_metrics_params for the aggregations and the dimensions: each
 * dimension's index into the view's table in dims[] (caller's, ndims long). 0, or -1. */
int tm_check(enum tm_view v, int metric, const struct tm_agg *aggs, size_t naggs,
             const char *const *dims, size_t ndims, int *dim_ix, struct err *e);
/* The name of a view's dimension, as the answer's dimensions map has it. */
const char *tm_dim_name(enum tm_view v, int dim);

/* One metrics filter (SearchTraceMetricsUtils.parse_search_filter). */
enum tm_filter_what {
    TMF_TRACE_STATUS,
    TMF_TRACE_TAG,
    TMF_TRACE_METADATA,
    TMF_SPAN_NAME,
    TMF_SPAN_STATUS,
    TMF_SPAN_TYPE,
    TMF_ASSESSMENT_NAME,
    TMF_ASSESSMENT_TYPE,
};
struct tm_filter {
    enum tm_filter_what what;
    struct str key; /* tag and metadata */
    struct str value;
    enum usage_kind usage; /* metadata mlflow.trace.tokenUsage / mlflow.trace.cost */
    struct usage_match match; /* for those, filled by the caller (trace_usage_canonical) */
};
/* Parses one filter string. 0, or -1 with e set. Strings point into s or the arena. */
int tm_filter_parse(struct arena *a, const char *s, size_t n, struct tm_filter *out,
                    struct err *e);

struct tm_query {
    const int64_t *experiment_ids;
    size_t nexp;
    enum tm_view view;
    int metric;
    const struct tm_agg *aggs; /* distinct labels */
    size_t naggs;
    const int *dims; /* tm_check's indexes */
    size_t ndims;
    const struct tm_filter *filters;
    size_t nfilters;
    int64_t interval_s; /* 0: no time buckets */
    bool has_start, has_end;
    int64_t start_ms, end_ms; /* inclusive */
    int64_t limit;            /* < 0: none */
};
/* The SQL for q, appended to sql, and its binds. 0, or -1 with e set (a filter on another
 * view's entity). */
int tm_sql(struct arena *a, const struct db_dialect *d, const struct tm_query *q,
           struct buf *sql, struct sql_val **binds, size_t *nbinds, struct err *e);

#endif
