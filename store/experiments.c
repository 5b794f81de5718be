/* Experiments and their tags. */
#include <stdlib.h>
#include <string.h>

#include "../base/url.h"
#include "../base/util.h"
#include "tracking.h"
#include "internal.h"

int exp_parse_id(struct sctx *c, const char *s, int64_t *out)
{
    if (!s || !parse_i64(s, strlen(s), out))
        return err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid experiment ID '%s'. Experiment ID must be a valid integer.",
                       s ? s : "");
    return 0;
}

#define EXP_COLS                                                                              \
    "experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time"

static void read_exp_row(struct sctx *c, struct db_stmt *st, struct experiment *x)
{
    memset(x, 0, sizeof *x);
    x->id = db_col_int(st, 0);
    x->name = store_col(c, st, 1);
    x->artifact_location = store_col(c, st, 2);
    x->lifecycle_stage = store_col(c, st, 3);
    x->has_creation_time = !db_col_null(st, 4);
    x->creation_time = db_col_int(st, 4);
    x->has_last_update_time = !db_col_null(st, 5);
    x->last_update_time = db_col_int(st, 5);
}

static int load_exp_tags(struct sctx *c, struct experiment *x)
{
    struct db_stmt *st =
        db_prepare(c->db, "SELECT key, value FROM experiment_tags WHERE experiment_id = ?");
    if (!st)
        return store_err(c);
    db_bind_int(st, 1, x->id);
    int rc = store_read_kvs(c, st, &x->tags, &x->ntags);
    return rc;
}

static int exp_fetch(struct sctx *c, struct db_stmt *st, struct experiment *out,
                     const char *what)
{
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW)
        read_exp_row(c, st, out);
    db_done(st);
    if (rc == DB_DONE)
        return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST, "%s", what);
    if (rc != DB_ROW)
        return store_err_step(c, rc);
    return load_exp_tags(c, out);
}

int exp_get(struct sctx *c, int64_t id, struct experiment *out)
{
    struct db_stmt *st =
        db_prepare(c->db, "SELECT " EXP_COLS " FROM experiments WHERE experiment_id = ?");
    if (!st)
        return store_err(c);
    db_bind_int(st, 1, id);
    char what[96];
    snprintf(what, sizeof what, "No Experiment with id=%lld exists", (long long)id);
    return exp_fetch(c, st, out, what);
}

int exp_get_by_name(struct sctx *c, const char *name, struct experiment *out)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT " EXP_COLS " FROM experiments WHERE name = ? AND workspace = 'default' "
               "ORDER BY lifecycle_stage = 'active' DESC LIMIT 1");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, name);
    const char *what = arena_printf(c->a, "Could not find experiment with name '%s'", name);
    return exp_fetch(c, st, out, what);
}

/* Reads (lifecycle_stage) of an experiment inside a transaction. */
static int exp_stage(struct sctx *c, int64_t id, char stage[16])
{
    struct db_stmt *st =
        db_prepare(c->db, "SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?");
    if (!st)
        return store_err(c);
    db_bind_int(st, 1, id);
    int found = store_lookup(c, st);
    if (found <= 0)
        return found < 0 ? -1
                         : err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                                   "No Experiment with id=%lld exists", (long long)id);
    size_t n;
    const char *s = db_col_text(st, 0, &n);
    snprintf(stage, 16, "%.*s", s ? (int)n : 0, s ? s : "");
    db_done(st);
    return 0;
}

static int exp_check_active(struct sctx *c, int64_t id)
{
    char stage[16];
    if (exp_stage(c, id, stage) != 0)
        return -1;
    if (strcmp(stage, "active") != 0)
        return err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                       "The experiment %lld must be in the 'active' state. Current state is %s.",
                       (long long)id, stage);
    return 0;
}

static int insert_exp_tags(struct sctx *c, int64_t id, const struct kv *tags, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct db_stmt *st = db_prepare(
            c->db, "INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?) "
                   "ON CONFLICT (key, experiment_id) DO UPDATE SET value = excluded.value");
        if (!st)
            return store_err(c);
        db_bind_str(st, 1, tags[i].key);
        db_bind_str(st, 2, tags[i].value);
        db_bind_int(st, 3, id);
        enum db_rc rc = db_step(st);
        db_done(st);
        if (rc != DB_DONE)
            return store_err_step(c, rc);
    }
    return 0;
}

int exp_create(struct sctx *c, const char *name, const char *artifact_location,
               const struct kv *tags, size_t ntags, int64_t *out_id)
{
    if (txn_begin(c) != 0)
        return -1;
    int64_t now = now_ms();
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, "
               "last_update_time, workspace) VALUES (?, ?, 'active', ?, ?, 'default') "
               "RETURNING experiment_id");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, name);
    db_bind_str(st, 2, artifact_location && *artifact_location ? artifact_location : NULL);
    db_bind_int(st, 3, now);
    db_bind_int(st, 4, now);
    enum db_rc rc = db_step(st);
    int64_t id = rc == DB_ROW ? db_col_int(st, 0) : 0;
    if (rc == DB_ROW)
        rc = db_step(st);
    db_done(st);
    if (rc == DB_CONSTRAINT)
        return txn_fail(c, err_set(c->e, ERR_RESOURCE_ALREADY_EXISTS,
                                   "Experiment(name=%s) already exists.", name));
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    if (!artifact_location || !*artifact_location) {
        char idbuf[24];
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
        const char *loc = uri_join(c->a, store_config()->default_artifact_root, idbuf);
        st = db_prepare(c->db,
                        "UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_str(st, 1, loc);
        db_bind_int(st, 2, id);
        rc = db_step(st);
        db_done(st);
        if (rc != DB_DONE)
            return txn_fail(c, store_err_step(c, rc));
    }
    if (insert_exp_tags(c, id, tags, ntags) != 0)
        return txn_fail(c, -1);
    if (txn_commit(c) != 0)
        return -1;
    *out_id = id;
    return 0;
}

int exp_rename(struct sctx *c, int64_t id, const char *new_name)
{
    if (txn_begin(c) != 0)
        return -1;
    char stage[16];
    if (exp_stage(c, id, stage) != 0)
        return txn_fail(c, -1);
    if (strcmp(stage, "active") != 0)
        return txn_fail(c, err_set(c->e, ERR_INVALID_STATE,
                                   "Cannot rename a non-active experiment."));
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, new_name);
    db_bind_int(st, 2, now_ms());
    db_bind_int(st, 3, id);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc == DB_CONSTRAINT)
        return txn_fail(c, err_set(c->e, ERR_RESOURCE_ALREADY_EXISTS,
                                   "Experiment(name=%s) already exists.", new_name));
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    return txn_commit(c);
}

int exp_set_deleted(struct sctx *c, int64_t id, bool deleted)
{
    if (txn_begin(c) != 0)
        return -1;
    char stage[16];
    if (exp_stage(c, id, stage) != 0)
        return txn_fail(c, -1);
    /* MLflow looks the experiment up among active ones to delete and among deleted ones to
     * restore, so the other case reads as "does not exist". */
    if (strcmp(stage, deleted ? "active" : "deleted") != 0)
        return txn_fail(c, err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                                   "No Experiment with id=%lld exists", (long long)id));
    int64_t now = now_ms();
    struct db_stmt *st = db_prepare(c->db, "UPDATE experiments SET lifecycle_stage = ?, "
                                           "last_update_time = ? WHERE experiment_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, deleted ? "deleted" : "active");
    db_bind_int(st, 2, now);
    db_bind_int(st, 3, id);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    st = db_prepare(c->db, "UPDATE runs SET lifecycle_stage = ?, deleted_time = ? "
                           "WHERE experiment_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, deleted ? "deleted" : "active");
    if (deleted)
        db_bind_int(st, 2, now);
    else
        db_bind_null(st, 2);
    db_bind_int(st, 3, id);
    rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    return txn_commit(c);
}

int exp_set_tag(struct sctx *c, int64_t id, const char *key, const char *value)
{
    if (txn_begin(c) != 0)
        return -1;
    if (exp_check_active(c, id) != 0)
        return txn_fail(c, -1);
    struct kv t = {key, value};
    if (insert_exp_tags(c, id, &t, 1) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int exp_delete_tag(struct sctx *c, int64_t id, const char *key)
{
    if (txn_begin(c) != 0)
        return -1;
    if (exp_check_active(c, id) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st =
        db_prepare(c->db, "DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_int(st, 1, id);
    db_bind_str(st, 2, key);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    if (db_changes(c->db) == 0)
        return txn_fail(c, err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                                   "No tag with name: %s in experiment with id %lld", key,
                                   (long long)id));
    return txn_commit(c);
}

int exp_load_many(struct sctx *c, const int64_t *ids, size_t n, struct experiment *out)
{
    for (size_t i = 0; i < n; i++)
        if (exp_get(c, ids[i], &out[i]) != 0)
            return -1;
    return 0;
}
