/* Internal to api/: what our own endpoints (/api/2.0/mltrack/..., not MLflow's) share, and
 * their route tables. Documented in README ("Web UI"). */
#ifndef MLT_API_MLTRACK_H
#define MLT_API_MLTRACK_H

#include "../store/metrics_downsample.h"
#include "api.h"

/* The query of /metrics/downsample and /metrics/series besides the run: metric_key, x,
 * min, max, buckets and preview, checked with the messages both endpoints give. */
int read_ds_query(struct ctx *c, struct ds_query *q);

/* Writes the fields of one downsampled series (no braces): run_id, metric_key, x,
 * buckets, min, max, exact, points_in_range, nan_points, sampled, steps, timestamps,
 * values. */
void put_ds_result(struct jw *w, const struct ds_query *q, const struct ds_result *r);

/* Under /api/2.0/mltrack (ours): several runs' series in one request, smoothing over the
 * raw points, and per-metric summaries (api/mltrack_series.c). */
extern const struct route mltrack_series_routes[];
extern const size_t mltrack_series_routes_n;
/* Under /api/2.0/mltrack (ours): the runs table as CSV, streamed (api/mltrack_export.c). */
extern const struct route mltrack_export_routes[];
extern const size_t mltrack_export_routes_n;

#endif
