/* Assessments (feedback, expectations) on MLflow's assessments table (see traces.h). The
 * value, error and metadata columns hold JSON text that api/ writes as Python does; here
 * they are only stored and read back. */
#include <string.h>

#include "../base/util.h"
#include "internal.h"
#include "traces.h"

static void read_row(struct sctx *c, struct db_stmt *st, struct assessment *a)
{
    memset(a, 0, sizeof *a);
    a->assessment_id = store_col(c, st, 0);
    a->trace_id = store_col(c, st, 1);
    a->name = store_col(c, st, 2);
    a->type = store_col(c, st, 3);
    a->value_json = store_col(c, st, 4);
    a->error_json = store_col(c, st, 5);
    a->created = db_col_int(st, 6);
    a->updated = db_col_int(st, 7);
    a->source_type = store_col(c, st, 8);
    a->source_id = store_col(c, st, 9);
    a->run_id = store_col(c, st, 10);
    a->span_id = store_col(c, st, 11);
    a->rationale = store_col(c, st, 12);
    a->overrides = store_col(c, st, 13);
    a->valid = db_col_int(st, 14) != 0;
    a->metadata_json = store_col(c, st, 15);
}

static int not_found(struct sctx *c, const char *trace_id, const char *id)
{
    return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                   "Assessment with ID '%s' not found for trace '%s'", id, trace_id);
}

static int load(struct sctx *c, const char *trace_id, const char *id, struct assessment *out)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT assessment_id, trace_id, name, assessment_type, value, error, "
               "created_timestamp, last_updated_timestamp, source_type, source_id, run_id, "
               "span_id, rationale, overrides, valid, assessment_metadata FROM assessments "
               "WHERE trace_id = ? AND assessment_id = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, trace_id);
    db_bind_str(st, 2, id);
    int r = store_lookup(c, st);
    if (r <= 0)
        return r < 0 ? -1 : not_found(c, trace_id, id);
    read_row(c, st, out);
    db_done(st);
    return 0;
}

int assess_get(struct sctx *c, const char *trace_id, const char *id, struct assessment *out)
{
    if (txn_begin_read(c) != 0)
        return -1;
    return txn_end_read(c, load(c, trace_id, id, out));
}

int assess_list_many(struct sctx *c, const char *trace_ids_json, struct assessment **out,
                     size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_stmt *st = db_prepare(
        c->db, "SELECT assessment_id, trace_id, name, assessment_type, value, error, "
               "created_timestamp, last_updated_timestamp, source_type, source_id, run_id, "
               "span_id, rationale, overrides, valid, assessment_metadata FROM assessments "
               "WHERE trace_id IN (SELECT value FROM json_each(?)) "
               "ORDER BY trace_id, created_timestamp, assessment_id");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, trace_ids_json);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *out = arena_grow(c->a, *out, *n, sizeof **out);
        read_row(c, st, &(*out)[(*n)++]);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

static void bind_aggregate(struct db_stmt *st, int i, bool has, double v)
{
    if (has)
        db_bind_real(st, i, v);
    else
        db_bind_null(st, i);
}

/* Writes the row of in (its trace_id) in the caller's transaction, valid, with the trace's
 * experiment and time; an id is made when in has none (*id_out: the id written). With
 * upsert, a row of the same id is replaced; without, it is a conflict (1). */
static int insert_row(struct sctx *c, const struct assessment *in, int64_t exp, int64_t ts,
                      bool upsert, const char **id_out)
{
    char hex[33];
    const char *id = in->assessment_id;
    if (!id) {
        uuid4_hex(hex);
        id = arena_printf(c->a, "a-%s", hex);
    }
    *id_out = id;
    int64_t now = now_ms();
    /* The upsert is SQLAlchemy's session.merge of start_trace: the row with that id becomes
     * this one, whatever trace it was on. */
    static const char insert_sql[] =
        "INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value, error, "
        "created_timestamp, last_updated_timestamp, source_type, source_id, run_id, span_id, "
        "rationale, overrides, valid, assessment_metadata, experiment_id, trace_timestamp_ms, "
        "aggregate_value, is_numeric_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?)";
    static const char upsert_sql[] =
        "INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value, error, "
        "created_timestamp, last_updated_timestamp, source_type, source_id, run_id, span_id, "
        "rationale, overrides, valid, assessment_metadata, experiment_id, trace_timestamp_ms, "
        "aggregate_value, is_numeric_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?) ON CONFLICT (assessment_id) DO UPDATE SET trace_id = excluded.trace_id, "
        "name = excluded.name, assessment_type = excluded.assessment_type, value = "
        "excluded.value, error = excluded.error, created_timestamp = "
        "excluded.created_timestamp, last_updated_timestamp = excluded.last_updated_timestamp, "
        "source_type = excluded.source_type, source_id = excluded.source_id, run_id = "
        "excluded.run_id, span_id = excluded.span_id, rationale = excluded.rationale, overrides "
        "= excluded.overrides, valid = excluded.valid, assessment_metadata = "
        "excluded.assessment_metadata, experiment_id = excluded.experiment_id, "
        "trace_timestamp_ms = excluded.trace_timestamp_ms, aggregate_value = "
        "excluded.aggregate_value, is_numeric_value = excluded.is_numeric_value";
    struct db_stmt *st = db_prepare(c->db, upsert ? upsert_sql : insert_sql);
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, id);
    db_bind_str(st, 2, in->trace_id);
    db_bind_str(st, 3, in->name);
    db_bind_str(st, 4, in->type);
    db_bind_str(st, 5, in->value_json);
    db_bind_str(st, 6, in->error_json);
    db_bind_int(st, 7, in->created ? in->created : now);
    db_bind_int(st, 8, in->updated ? in->updated : now);
    db_bind_str(st, 9, in->source_type);
    db_bind_str(st, 10, in->source_id);
    db_bind_str(st, 11, in->run_id);
    db_bind_str(st, 12, in->span_id);
    db_bind_str(st, 13, in->rationale);
    db_bind_str(st, 14, in->overrides);
    db_bind_val(st, 15, &(struct sql_val){.type = SQL_BOOL, .i = 1});
    db_bind_str(st, 16, in->metadata_json);
    db_bind_int(st, 17, exp);
    db_bind_int(st, 18, ts);
    bind_aggregate(st, 19, in->has_aggregate, in->aggregate);
    db_bind_val(st, 20, &(struct sql_val){.type = SQL_BOOL, .i = in->numeric});
    return store_exec_unique(c, st);
}

int assess_put_for_trace(struct sctx *c, const struct assessment *in, int64_t exp, int64_t ts)
{
    const char *id;
    int r = insert_row(c, in, exp, ts, true, &id);
    return r < 0 ? -1 : 0;
}

int assess_create(struct sctx *c, const struct assessment *in, struct assessment *out)
{
    if (txn_begin(c) != 0)
        return -1;
    struct db_stmt *st = db_prepare(c->db, "SELECT experiment_id, timestamp_ms FROM trace_info "
                                           "WHERE request_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, in->trace_id);
    int r = store_lookup(c, st);
    if (r <= 0)
        return txn_fail(c, r < 0 ? -1
                                 : err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                                           "Trace with ID '%s' not found.", in->trace_id));
    int64_t exp = db_col_int(st, 0), ts = db_col_int(st, 1);
    db_done(st);
    if (in->overrides) {
        st = db_prepare(c->db, "UPDATE assessments SET valid = ? WHERE trace_id = ? AND "
                               "assessment_id = ?");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_int(st, 1, 0);
        db_bind_str(st, 2, in->trace_id);
        db_bind_str(st, 3, in->overrides);
        if (store_exec(c, st) != 0)
            return txn_fail(c, -1);
        if (db_changes(c->db) == 0)
            return txn_fail(c, not_found(c, in->trace_id, in->overrides));
    }
    const char *id;
    r = insert_row(c, in, exp, ts, false, &id);
    if (r != 0)
        return txn_fail(c, r < 0 ? -1
                                 : err_set(c->e, ERR_RESOURCE_ALREADY_EXISTS,
                                           "Assessment with ID '%s' already exists", id));
    if (load(c, in->trace_id, id, out) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int assess_update(struct sctx *c, const char *trace_id, const char *id,
                  const struct assessment_update *u, struct assessment *out)
{
    if (txn_begin(c) != 0)
        return -1;
    struct assessment cur;
    if (load(c, trace_id, id, &cur) != 0)
        return txn_fail(c, -1);
    if (cur.updated != u->expect_updated)
        return txn_fail(c, 1);
    bool expectation = strcmp(cur.type, "expectation") == 0;
    if (u->set_value && u->is_expectation != expectation)
        return txn_fail(c, err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                                   u->is_expectation
                                       ? "Cannot update expectation value on a Feedback "
                                         "assessment."
                                       : "Cannot update feedback value on an Expectation "
                                         "assessment."));
    /* Expectations have no rationale (MLflow rebuilds them without one). */
    const char *rationale = expectation ? NULL : u->rationale ? u->rationale : cur.rationale;
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE assessments SET name = ?, value = ?, error = ?, last_updated_timestamp = "
               "?, rationale = ?, assessment_metadata = ?, aggregate_value = CASE WHEN ? THEN ? "
               "ELSE aggregate_value END, is_numeric_value = CASE WHEN ? THEN ? ELSE "
               "is_numeric_value END WHERE trace_id = ? AND assessment_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    int64_t now = now_ms();
    if (now <= cur.updated)
        now = cur.updated + 1; /* a later update always reads as later */
    db_bind_str(st, 1, u->name ? u->name : cur.name);
    db_bind_str(st, 2, u->set_value ? u->value_json : cur.value_json);
    db_bind_str(st, 3, expectation ? NULL : u->set_value ? u->error_json : cur.error_json);
    db_bind_int(st, 4, now);
    db_bind_str(st, 5, rationale);
    db_bind_str(st, 6, u->metadata_json);
    struct sql_val set = {.type = SQL_BOOL, .i = u->set_value};
    db_bind_val(st, 7, &set);
    bind_aggregate(st, 8, u->has_aggregate, u->aggregate);
    db_bind_val(st, 9, &set);
    db_bind_val(st, 10, &(struct sql_val){.type = SQL_BOOL, .i = u->numeric});
    db_bind_str(st, 11, trace_id);
    db_bind_str(st, 12, id);
    if (store_exec(c, st) != 0 || load(c, trace_id, id, out) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int assess_delete(struct sctx *c, const char *trace_id, const char *id)
{
    if (txn_begin(c) != 0)
        return -1;
    struct db_stmt *st = db_prepare(c->db, "SELECT 1 FROM trace_info WHERE request_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, trace_id);
    int r = store_lookup(c, st);
    if (r <= 0)
        return txn_fail(c, r < 0 ? -1
                                 : err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                                           "Trace with ID '%s' not found.", trace_id));
    db_done(st);
    struct assessment cur;
    if (load(c, trace_id, id, &cur) != 0) {
        if (c->e->code != ERR_RESOURCE_DOES_NOT_EXIST)
            return txn_fail(c, -1);
        c->e->code = ERR_OK;
        c->e->msg[0] = 0;
        return txn_commit(c);
    }
    if (cur.overrides) {
        st = db_prepare(c->db, "UPDATE assessments SET valid = ? WHERE assessment_id = ?");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_val(st, 1, &(struct sql_val){.type = SQL_BOOL, .i = 1});
        db_bind_str(st, 2, cur.overrides);
        if (store_exec(c, st) != 0)
            return txn_fail(c, -1);
    }
    st = db_prepare(c->db, "DELETE FROM assessments WHERE trace_id = ? AND assessment_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, trace_id);
    db_bind_str(st, 2, id);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}
