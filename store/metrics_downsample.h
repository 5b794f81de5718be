/* Downsampled metric series for charts (ours, not MLflow's): the points of one run's metric
 * inside an x range, reduced to at most four per bucket (the first, lowest, highest and
 * last: M4), so a line drawn through them shows every extreme the full series has. */
#ifndef MLT_METRICS_DOWNSAMPLE_H
#define MLT_METRICS_DOWNSAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum { DS_BUCKETS_DEFAULT = 1000, DS_BUCKETS_MAX = 10000 };

enum ds_axis { DS_STEP, DS_TIMESTAMP };

struct ds_point {
    int64_t step, timestamp;
    double value; /* never NaN: NaN points are counted, not drawn */
};

struct ds_query {
    const char *run_id, *key; /* borrowed */
    enum ds_axis axis;
    bool has_min, has_max;    /* without them the range is the series' own */
    int64_t min, max;         /* inclusive bounds on the axis */
    int buckets;              /* 1..DS_BUCKETS_MAX (checked by the caller) */
    bool preview;             /* DS_STEP only: one index seek per bucket instead of a scan */
};

struct ds_result {
    struct ds_point *pts; /* from c->a, in x order; NULL when n == 0 */
    size_t n;
    int64_t min, max;     /* the range bucketed (the query's, or the series'); valid when n */
    int64_t in_range;     /* points inside the range, NaN ones included; -1 for a preview */
    int64_t nan_points;   /* of those, NaN values (not in pts) */
    bool sampled;         /* some points in range were left out */
};

/* Fills out for q. A preview (q->preview) takes the first point at or after the start of
 * each bucket by one index seek, so its cost is the bucket count, not the point count: a
 * chart of 1,000,000 points can be drawn at once while the exact M4 series (which reads
 * every point once) is on its way. It may miss spikes; it never invents points.
 * RESOURCE_DOES_NOT_EXIST when the run does not exist; an unknown key or
 * an empty range gives n == 0. Cost: one pass over the run's points inside the range for
 * DS_STEP (the (run_uuid, key, step) index bounds it); for DS_TIMESTAMP, which no index
 * orders, one pass over all the run's points of that key (two without a full range). */
int metric_downsample(struct sctx *c, const struct ds_query *q, struct ds_result *out);

#endif
