/* The rows side of `mltrack gc` (MLflow's _hard_delete_run, _hard_delete_logged_model,
 * _hard_delete_experiment and their listings): what is in the deleted stage, and the
 * permanent deletion of one entity with every row that refers to it, one transaction per
 * entity. Artifacts are not touched here; each delete returns the location to empty once
 * its transaction has committed, and queues it in mltrack_gc_pending in that transaction
 * (so that a gc stopped in between finds it again). */
#ifndef MLT_STORE_GC_H
#define MLT_STORE_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum gc_kind { GC_RUN, GC_LOGGED_MODEL, GC_EXPERIMENT };

struct gc_item {
    const char *id;       /* from the arena */
    bool deleted;         /* lifecycle_stage = 'deleted' */
    bool has_time;        /* the time below is not NULL */
    int64_t time;         /* runs: deleted_time; logged models: last_updated_timestamp_ms;
                             experiments: last_update_time (what MLflow's --older-than reads) */
    const char *location; /* artifact_uri / artifact_location, from the arena; may be NULL */
};

/* Opens the existing database at uri for gc on a connection of its own: refused (e set)
 * unless mltrack serves its schema revision as it is. On SQLite the connection enforces
 * foreign keys, as MLflow's store does there, so that the schema's ON DELETE CASCADE and
 * SET NULL clean the GenAI tables (traces, scorers, issues...) as `mlflow gc` does; on
 * PostgreSQL they always apply. Close with db_close. */
struct db *gc_db_open(const char *uri, struct err *e);

/* The item of kind k with id: 1 found (any stage), 0 absent, -1 with c->e set. An
 * experiment id that is not an integer is INVALID_PARAMETER_VALUE with MLflow's message. */
int gc_lookup(struct sctx *c, enum gc_kind k, const char *id, struct gc_item *out);

/* Every item of kind k in the deleted stage; or, with exp_id (runs and logged models),
 * every one of that experiment in any stage. Arrays from the arena. */
int gc_list(struct sctx *c, enum gc_kind k, const char *exp_id, struct gc_item **out,
            size_t *n);

/* Permanently deletes the item of kind k with id and every row that refers to it, in one
 * write transaction (on SQLite a run's metric history first, in committed pieces of 20,000
 * rows: a failure after them leaves the run deleted-stage without its history, and the
 * next gc finishes it) (busy waits on SQLite are the connection's busy timeout): 1 deleted,
 * *location set (from the arena) for the caller to empty after this returns; 0 nothing
 * done because it is gone already, or is no longer in the deleted stage (restored
 * meanwhile: *restored set) unless any_stage (the runs and models of an experiment being
 * deleted, which MLflow's cascade takes in any stage); -1 with c->e set and the
 * transaction rolled back, also for an experiment that still has runs or logged models
 * (INVALID_STATE). */
int gc_delete(struct sctx *c, enum gc_kind k, const char *id, bool any_stage,
              const char **location, bool *restored);

/* Locations whose entity's rows are gone but whose files may not be (mltrack_gc_pending):
 * queued by gc_delete in the deleting transaction, dropped by gc_pending_done once the
 * files have been removed. */
struct gc_pending {
    const char *location, *entity, *entity_id; /* from the arena */
};
/* All of them, oldest first (arrays from the arena). */
int gc_pending_list(struct sctx *c, struct gc_pending **out, size_t *n);
/* Drops location from the queue, in a transaction of its own. */
int gc_pending_done(struct sctx *c, const char *location);

#endif
