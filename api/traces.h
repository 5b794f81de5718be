/* What the trace endpoints (api/traces.c) share with MLflow 2's spelling of them
 * (api/traces_v2.c): the checks on a tag or metadata entry, one page of a search, and which
 * metadata a caller may not see. */
#ifndef MLT_API_TRACES_H
#define MLT_API_TRACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../store/traces.h"
#include "api.h"

/* A tag or metadata entry of a trace into out: a key past 250 characters or a value with a
 * NUL byte refused (field names the map in messages), a value past 8,000 cut as MLflow's
 * column cuts it. */
int trace_kv_take(struct ctx *c, const char *field, const char *key, const char *value,
                  size_t len, struct kv *out);

/* One page of a trace search over the experiments exps: the request's filter, order_by and
 * page_token read as MLflow's search_traces reads them, at most max infos. */
struct trace_page {
    struct trace_info *infos;
    size_t n;
    const char *next_token; /* NULL on the last page */
};
int trace_search_page(struct ctx *c, const int64_t *exps, size_t ne, int64_t max,
                      struct trace_page *out);

/* A trace info in one of the two JSON shapes, as a caller may see it (hide:
 * authz_trace_hidden). */
typedef void (*trace_info_writer)(struct jw *w, struct arena *a, const struct trace_info *t,
                                  unsigned hide);
/* The search's answer: {"traces": [...], "next_page_token": ...}. */
void trace_page_put(struct ctx *c, const struct trace_page *pg, trace_info_writer put);

/* Whether a metadata entry is one the caller may not see (authz_trace_hidden's bits). */
bool trace_metadata_hidden(const char *key, unsigned hide);

#endif
