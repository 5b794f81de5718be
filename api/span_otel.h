/* A stored span (the spans table's content: MLflow's Span.to_dict() as JSON text) as the
 * OpenTelemetry Span in proto JSON that MLflow's Trace.to_proto() sends from get-trace. */
#ifndef MLT_API_SPAN_OTEL_H
#define MLT_API_SPAN_OTEL_H

#include <stddef.h>

#include "../base/err.h"
#include "jw.h"

/* Writes the span as one value of w. -1 with e set (INTERNAL_ERROR) when the content is
 * not a JSON object as json.loads reads it; nothing is written then. */
int span_otel_write(struct jw *w, const char *content, size_t n, struct err *e);

#endif
