/* `mltrack gc`, MLflow's `mlflow gc` (its _gc_tracking_resources): permanently delete the
 * runs, logged models and experiments in the deleted stage, and their artifacts, in a
 * database a server may be serving at the same time. Which entities, and the errors for
 * ids that do not qualify, are MLflow's; unlike MLflow every id is checked before anything
 * is deleted, and an entity's artifacts are removed only after the transaction that
 * deleted its rows has committed. */
#ifndef MLT_API_GC_H
#define MLT_API_GC_H

#include <stdint.h>
#include <stdio.h>

#include "../base/err.h"

struct gc_opts {
    const char *backend_uri;
    /* Where mlflow-artifacts: (and http(s) proxy) locations are: the server's
     * --artifacts-destination. */
    const char *artifacts_destination;
    const char *older_than; /* MLflow's #d#h#m#s; NULL when not given */
    /* Comma-separated ids; NULL or "" when not given (then: every deleted one). */
    const char *run_ids, *experiment_ids, *logged_model_ids;
    FILE *out;  /* one line per deleted entity, MLflow's words */
    FILE *warn; /* locations whose artifacts were not removed, entities skipped */
};

/* 0 when everything chosen is deleted; 1 when it is, but some artifacts could not be
 * removed or an entity changed meanwhile and was left (each said on o->warn); -1 with e
 * set when an id does not qualify (nothing deleted) or the database failed (what was
 * deleted before stays deleted: run it again). */
int gc_run(const struct gc_opts *o, struct err *e);

/* MLflow's --older-than: "1d2h3m4s", each part optional but in that order, numbers with
 * decimals allowed ("1.5d"); the milliseconds into *ms. -1 with MLflow's message in e. */
int gc_parse_older_than(const char *s, int64_t *ms, struct err *e);

#endif
