/* How many of each entity the store holds, for the operator's gauges (server/prom.c). */
#ifndef MLT_STORE_COUNTS_H
#define MLT_STORE_COUNTS_H

#include <stdint.h>

#include "store.h"

struct store_counts {
    int64_t experiments[2]; /* [0] active, [1] deleted */
    int64_t runs[2];        /* [0] active, [1] deleted */
    int64_t registered_models, model_versions, logged_models;
};

/* Counts in one read snapshot: 0, or -1 with c->e set. */
int store_count_entities(struct sctx *c, struct store_counts *out);

#endif
