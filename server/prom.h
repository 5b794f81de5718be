/* Prometheus metrics (--expose-prometheus): counters the HTTP glue feeds as requests end,
 * and GET /metrics in the text exposition format. MLflow's own series (its
 * prometheus_flask_exporter names, mlflow_http_request_*) are there for existing
 * dashboards, with mltrack's per route beside them. Off, it costs one branch a request. */
#ifndef MLT_SERVER_PROM_H
#define MLT_SERVER_PROM_H

#include <stdbool.h>
#include <stdint.h>

#include "../api/request.h"
#include "../base/arena.h"
#include "../base/buf.h"

/* At start-up, before any request. */
void prom_enable(void);
bool prom_enabled(void);

/* One request ended: its route pattern (NULL when none matched), method, status and
 * duration from head to last byte. */
void prom_request(const char *route, enum http_method m, int status, int64_t ns);
/* Body bytes received and sent (after compression), counted as they move. */
void prom_bytes(uint64_t in, uint64_t out);
/* Artifact bytes streamed to a client (download) or from one (upload). */
void prom_artifact_bytes(uint64_t down, uint64_t up);

/* Appends the exposition to out; a is for the store's gauges. */
void prom_render(struct buf *out, struct arena *a);

#endif
