/* OTLP spans (api/otlp.h) into the rows MLflow stores (store/traces.h): each span's row with
 * its content JSON, and per trace what log_spans derives for trace_info. */
#ifndef MLT_API_SPAN_CONTENT_H
#define MLT_API_SPAN_CONTENT_H

#include "../store/traces.h"
#include "otlp.h"

struct span_batch {
    struct span_row *rows;
    size_t nrows;
    struct span_trace_agg *aggs; /* one per trace, in order of first appearance */
    size_t naggs;
};

/* 0, or -1 with e set (INVALID_PARAMETER_VALUE) for a span MLflow cannot convert: no
 * trace or span id, a time beyond int64. Everything is from the arena. */
int span_batch_from_otlp(struct arena *a, const struct otlp_request *rq, struct span_batch *out,
                         struct err *e);

#endif
