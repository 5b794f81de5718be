/* Permanent deletion for `mltrack gc` (see gc.h). Each entity goes in a transaction of its
 * own, so that on SQLite the write lock, shared with a running server, is held for one run
 * at a time; the first statement re-reads the entity's stage under that lock (a row lock
 * on PostgreSQL), so that an entity restored since it was listed is left alone. */
#include "gc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/util.h"
#include "internal.h"
#include "schema_revisions.h"

/* Per kind: the columns (id, stage, time, location) read by lookups and listings, and the
 * statements of a deletion. Every statement takes the id as its only parameter. */
struct kind_sql {
    const char *lookup, *deleted, *of_experiment;
    /* UPDATE ... SET stage = stage ... RETURNING stage, location: locks the row and
     * reads it again inside the deleting transaction. */
    const char *lock;
    const char *const *children; /* NULL-terminated, run in order, before `self` */
    const char *self;
    bool int_id;
};

#define RUN_COLS "SELECT run_uuid, lifecycle_stage, deleted_time, artifact_uri FROM runs "
#define MODEL_COLS                                                                             \
    "SELECT model_id, lifecycle_stage, last_updated_timestamp_ms, artifact_location "          \
    "FROM logged_models "
#define EXP_COLS                                                                               \
    "SELECT experiment_id, lifecycle_stage, last_update_time, artifact_location FROM "         \
    "experiments "

/* What refers to a run. MLflow deletes metrics, latest_metrics, params and tags; the
 * database cascades logged_model_metrics and sets issues.source_run_id to NULL; we also
 * drop the run's dataset inputs and model inputs/outputs (and their tags), which MLflow
 * leaves behind pointing at nothing. */
static const char *const run_children[] = {
    "DELETE FROM metrics WHERE run_uuid = ?",
    "DELETE FROM latest_metrics WHERE run_uuid = ?",
    "DELETE FROM params WHERE run_uuid = ?",
    "DELETE FROM tags WHERE run_uuid = ?",
    "DELETE FROM input_tags WHERE input_uuid IN (SELECT input_uuid FROM inputs WHERE "
    "destination_type = 'RUN' AND destination_id = ?1 UNION ALL SELECT input_uuid FROM "
    "inputs WHERE source_type IN ('RUN_INPUT', 'RUN_OUTPUT') AND source_id = ?1)",
    "DELETE FROM inputs WHERE destination_type = 'RUN' AND destination_id = ?",
    "DELETE FROM inputs WHERE source_type IN ('RUN_INPUT', 'RUN_OUTPUT') AND source_id = ?",
    "DELETE FROM logged_model_metrics WHERE run_id = ?",
    NULL,
};

static const char *const model_children[] = {
    "DELETE FROM logged_model_metrics WHERE model_id = ?",
    "DELETE FROM logged_model_params WHERE model_id = ?",
    "DELETE FROM logged_model_tags WHERE model_id = ?",
    "DELETE FROM input_tags WHERE input_uuid IN (SELECT input_uuid FROM inputs WHERE "
    "destination_type IN ('MODEL_INPUT', 'MODEL_OUTPUT') AND destination_id = ?)",
    "DELETE FROM inputs WHERE destination_type IN ('MODEL_INPUT', 'MODEL_OUTPUT') AND "
    "destination_id = ?",
    NULL,
};

/* An experiment's runs and logged models are deleted before it, each on its own. What is
 * left: its datasets (and the inputs that name them), tags, traces (the database
 * cascades their tags, metadata, spans, assessments), the trace rollups MLflow deletes by
 * hand, and through the cascades the GenAI tables (scorers, issues, label schemas, review
 * queues; endpoints keep a NULL experiment). */
static const char *const exp_children[] = {
    "DELETE FROM input_tags WHERE input_uuid IN (SELECT i.input_uuid FROM inputs i JOIN "
    "datasets d ON i.source_id = d.dataset_uuid WHERE i.source_type = 'DATASET' AND "
    "d.experiment_id = ?)",
    "DELETE FROM inputs WHERE source_type = 'DATASET' AND source_id IN (SELECT dataset_uuid "
    "FROM datasets WHERE experiment_id = ?)",
    "DELETE FROM datasets WHERE experiment_id = ?",
    "DELETE FROM experiment_tags WHERE experiment_id = ?",
    "DELETE FROM trace_info WHERE experiment_id = ?",
    "DELETE FROM sql_trace_rollup_rebuild_queue WHERE experiment_id = ?",
    "DELETE FROM sql_trace_metric_daily_rollups WHERE experiment_id = ?",
    "DELETE FROM sql_span_cost_daily_rollups WHERE experiment_id = ?",
    "DELETE FROM sql_assessment_daily_rollups WHERE experiment_id = ?",
    NULL,
};

static const struct kind_sql kinds[] = {
    [GC_RUN] = {RUN_COLS "WHERE run_uuid = ?",
                RUN_COLS "WHERE lifecycle_stage = 'deleted' ORDER BY run_uuid",
                RUN_COLS "WHERE experiment_id = ? ORDER BY run_uuid",
                "UPDATE runs SET lifecycle_stage = lifecycle_stage WHERE run_uuid = ? "
                "RETURNING lifecycle_stage, artifact_uri",
                run_children, "DELETE FROM runs WHERE run_uuid = ?", false},
    [GC_LOGGED_MODEL] = {MODEL_COLS "WHERE model_id = ?",
                         MODEL_COLS "WHERE lifecycle_stage = 'deleted' ORDER BY model_id",
                         MODEL_COLS "WHERE experiment_id = ? ORDER BY model_id",
                         "UPDATE logged_models SET lifecycle_stage = lifecycle_stage WHERE "
                         "model_id = ? RETURNING lifecycle_stage, artifact_location",
                         model_children, "DELETE FROM logged_models WHERE model_id = ?",
                         false},
    [GC_EXPERIMENT] = {EXP_COLS "WHERE experiment_id = ?",
                       EXP_COLS "WHERE lifecycle_stage = 'deleted' ORDER BY experiment_id",
                       NULL,
                       "UPDATE experiments SET lifecycle_stage = lifecycle_stage WHERE "
                       "experiment_id = ? RETURNING lifecycle_stage, artifact_location",
                       exp_children, "DELETE FROM experiments WHERE experiment_id = ?", true},
};

struct db *gc_db_open(const char *uri, struct err *e)
{
    err_clear(e);
    struct db *db = db_open_existing(uri, e);
    if (!db)
        return NULL;
    char rev[64];
    const char *r = store_alembic_revision(db, rev, sizeof rev);
    char *shown = db_uri_redacted(uri);
    const char *known = NULL;
    if (!r)
        err_set(e, ERR_INTERNAL_ERROR, "cannot read the database '%s'", shown ? shown : "?");
    else if (!*r)
        err_set(e, ERR_INVALID_STATE, "'%s' has no MLflow schema (no alembic_version table)",
                shown ? shown : "?");
    else if (strcmp(r, ALEMBIC_HEAD) != 0)
        schema_accept_revision(db, r, shown ? shown : "?", &known, e);
    free(shown);
    const char *fk = db_dialect(db)->enforce_fk_sql;
    if (e->code == ERR_OK && fk && db_exec(db, fk) != 0)
        err_set(e, ERR_INTERNAL_ERROR, "cannot turn foreign keys on (see the log)");
    /* mltrack_gc_pending, on a database no mltrack server of this version has opened. */
    if (e->code == ERR_OK && store_ensure_own_tables(db) != 0)
        err_set(e, ERR_INTERNAL_ERROR, "cannot create mltrack's tables (see the log)");
    if (e->code != ERR_OK) {
        db_close(db);
        return NULL;
    }
    return db;
}

/* Binds id as the kind's key: experiment ids are integers, as MLflow parses them. */
static int bind_id(struct sctx *c, const struct kind_sql *k, struct db_stmt *st,
                   const char *id)
{
    if (!k->int_id) {
        db_bind_str(st, 1, id);
        return 0;
    }
    int64_t v = 0;
    if (*id && !parse_i64(id, strlen(id), &v)) {
        db_done(st);
        return err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid experiment ID '%s'. Experiment ID must be a valid integer.",
                       id);
    }
    db_bind_int(st, 1, v); /* "" is the default experiment, as in MLflow */
    return 0;
}

static void read_item(struct sctx *c, const struct kind_sql *k, struct db_stmt *st,
                      struct gc_item *it)
{
    it->id = k->int_id ? arena_printf(c->a, "%lld", (long long)db_col_int(st, 0))
                       : store_col(c, st, 0);
    const char *stage = store_col(c, st, 1);
    it->deleted = stage && strcmp(stage, "deleted") == 0;
    it->has_time = !db_col_null(st, 2);
    it->time = it->has_time ? db_col_int(st, 2) : 0;
    it->location = store_col(c, st, 3);
}

int gc_lookup(struct sctx *c, enum gc_kind kind, const char *id, struct gc_item *out)
{
    const struct kind_sql *k = &kinds[kind];
    memset(out, 0, sizeof *out);
    struct db_stmt *st = db_prepare(c->db, k->lookup);
    if (!st)
        return store_err(c);
    if (bind_id(c, k, st, id) != 0)
        return -1;
    int rc = store_lookup(c, st);
    if (rc == 1) {
        read_item(c, k, st, out);
        db_done(st);
    }
    return rc;
}

int gc_list(struct sctx *c, enum gc_kind kind, const char *exp_id, struct gc_item **out,
            size_t *n)
{
    const struct kind_sql *k = &kinds[kind];
    *out = NULL;
    *n = 0;
    struct db_stmt *st = db_prepare(c->db, exp_id ? k->of_experiment : k->deleted);
    if (!st)
        return store_err(c);
    if (exp_id && bind_id(c, &kinds[GC_EXPERIMENT], st, exp_id) != 0)
        return -1;
    if (txn_begin_read(c) != 0) {
        db_done(st);
        return -1;
    }
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *out = arena_grow(c->a, *out, *n, sizeof **out);
        read_item(c, k, st, &(*out)[(*n)++]);
    }
    db_done(st);
    return txn_end_read(c, rc == DB_DONE ? 0 : store_err_step(c, rc));
}

/* One statement of a deletion, bound to the id. */
static int run_one(struct sctx *c, const struct kind_sql *k, const char *sql, const char *id)
{
    struct db_stmt *st = db_prepare(c->db, sql);
    if (!st)
        return store_err(c);
    if (bind_id(c, k, st, id) != 0)
        return -1;
    return store_exec(c, st);
}

/* 1 when the experiment still has a run or a logged model (created or restored after
 * they were deleted one by one): it is left for the next gc. */
static int has_members(struct sctx *c, const char *id)
{
    static const char *const probes[] = {
        "SELECT 1 FROM runs WHERE experiment_id = ? LIMIT 1",
        "SELECT 1 FROM logged_models WHERE experiment_id = ? LIMIT 1",
    };
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
        struct db_stmt *st = db_prepare(c->db, probes[i]);
        if (!st)
            return store_err(c);
        if (bind_id(c, &kinds[GC_EXPERIMENT], st, id) != 0)
            return -1;
        int rc = store_lookup(c, st);
        if (rc == 1)
            db_done(st);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Begins a write transaction and locks the item's row, reading its stage and location
 * again: 1 locked and still to be deleted (the transaction open), 0 gone or restored (rolled
 * back), -1 with c->e set (rolled back). */
static int begin_locked(struct sctx *c, const struct kind_sql *k, const char *id,
                        bool any_stage, const char **location, bool *restored)
{
    if (txn_begin(c) != 0)
        return -1;
    struct db_stmt *st = db_prepare(c->db, k->lock);
    if (!st)
        return txn_fail(c, store_err(c));
    if (bind_id(c, k, st, id) != 0)
        return txn_fail(c, -1);
    int rc = store_lookup(c, st);
    if (rc != 1)
        return txn_fail(c, rc); /* gone already (0), or an error */
    const char *stage = store_col(c, st, 0);
    *location = store_col(c, st, 1);
    db_done(st);
    if (!any_stage && (!stage || strcmp(stage, "deleted") != 0)) {
        *restored = true;
        return txn_fail(c, 0);
    }
    return 1;
}

/* A run's metric history, the one child that grows without bound, is deleted ahead of the
 * run in pieces, each a transaction of its own, where the database has one lock for all
 * writers (SQLite): a run of millions of points would otherwise hold the server's writes
 * for seconds, past its busy timeout. Between pieces the lock is left free for a moment,
 * for a waiting writer's busy handler to find it. Same returns as begin_locked, without a
 * transaction open after 1. */
enum { METRICS_PIECE = 20000, PIECE_PAUSE_MS = 50 };

static int trim_metrics(struct sctx *c, const char *id, bool any_stage, const char **location,
                        bool *restored)
{
    const char *row = db_dialect(c->db)->row_id;
    if (!row)
        return 1; /* row locks only (PostgreSQL): one statement, in the run's transaction */
    const char *sql = arena_printf(c->a,
                                   "DELETE FROM metrics WHERE %s IN (SELECT %s FROM metrics "
                                   "WHERE run_uuid = ? LIMIT %d)",
                                   row, row, METRICS_PIECE);
    for (;;) {
        int rc = begin_locked(c, &kinds[GC_RUN], id, any_stage, location, restored);
        if (rc != 1)
            return rc;
        struct db_stmt *st = db_prepare_once(c->db, sql);
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_str(st, 1, id);
        if (store_exec(c, st) != 0)
            return txn_fail(c, -1);
        int64_t n = db_changes(c->db);
        if (txn_commit(c) != 0)
            return -1;
        if (n < METRICS_PIECE)
            return 1;
        struct timespec ts = {0, PIECE_PAUSE_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
}

int gc_delete(struct sctx *c, enum gc_kind kind, const char *id, bool any_stage,
              const char **location, bool *restored)
{
    const struct kind_sql *k = &kinds[kind];
    *location = NULL;
    *restored = false;
    int rc;
    if (kind == GC_RUN && (rc = trim_metrics(c, id, any_stage, location, restored)) != 1)
        return rc;
    if ((rc = begin_locked(c, k, id, any_stage, location, restored)) != 1)
        return rc;
    struct db_stmt *st;
    if (kind == GC_EXPERIMENT && (rc = has_members(c, id)) != 0)
        return txn_fail(c, rc < 0 ? rc
                                  : err_set(c->e, ERR_INVALID_STATE,
                                            "experiment %s gained runs or logged models while "
                                            "it was collected; run gc again",
                                            id));
    for (const char *const *sql = k->children; *sql; sql++)
        if (run_one(c, k, *sql, id) != 0)
            return txn_fail(c, -1);
    if (run_one(c, k, k->self, id) != 0)
        return txn_fail(c, -1);
    /* The location is queued with the rows' deletion, so that it is removed even if this
     * process stops before it gets there (an experiment's own location is kept). */
    if (kind != GC_EXPERIMENT && *location && **location) {
        st = db_prepare(c->db, "INSERT INTO mltrack_gc_pending (location, entity, entity_id, "
                               "queued_time) VALUES (?, ?, ?, ?) ON CONFLICT (location) DO "
                               "NOTHING");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_str(st, 1, *location);
        db_bind_str(st, 2, kind == GC_RUN ? "run" : "logged model");
        db_bind_str(st, 3, id);
        db_bind_int(st, 4, now_ms());
        if (store_exec(c, st) != 0)
            return txn_fail(c, -1);
    }
    return txn_commit(c) == 0 ? 1 : -1;
}

int gc_pending_list(struct sctx *c, struct gc_pending **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_stmt *st = db_prepare(c->db, "SELECT location, entity, entity_id FROM "
                                           "mltrack_gc_pending ORDER BY queued_time, location");
    if (!st)
        return store_err(c);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *out = arena_grow(c->a, *out, *n, sizeof **out);
        struct gc_pending *p = &(*out)[(*n)++];
        p->location = store_col(c, st, 0);
        p->entity = store_col(c, st, 1);
        p->entity_id = store_col(c, st, 2);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

int gc_pending_done(struct sctx *c, const char *location)
{
    if (txn_begin(c) != 0)
        return -1;
    struct db_stmt *st = db_prepare(c->db, "DELETE FROM mltrack_gc_pending WHERE location = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, location);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}
