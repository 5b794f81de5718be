/* The model registry's writes: registered models, model versions (numbered inside the
 * transaction that inserts them), tags, stage transitions, aliases and the audit log that
 * records who moved what (see registry.h). */
#include "registry.h"


#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/pystr.h"
#include "../base/util.h"
#include "internal.h"
#include "registry_internal.h"

#define MV_CREATE_ATTEMPTS 3

/* ---- the audit log ---- */

static int audit(struct sctx *c, int64_t ts, const char *actor, const char *action,
                 const char *name, const int64_t *version, const char *alias,
                 const char *old_value, const char *new_value)
{
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO mltrack_registry_audit (workspace, timestamp, user_id, action, name, "
               "version, alias, old_value, new_value) VALUES ('default', ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return store_err(c);
    db_bind_int(st, 1, ts);
    db_bind_str(st, 2, actor);
    db_bind_str(st, 3, action);
    db_bind_str(st, 4, name);
    if (version)
        db_bind_int(st, 5, *version);
    else
        db_bind_null(st, 5);
    db_bind_str(st, 6, alias);
    db_bind_str(st, 7, old_value);
    db_bind_str(st, 8, new_value);
    return store_exec(c, st);
}

static const char *version_str(struct sctx *c, int64_t v)
{
    return arena_printf(c->a, "%lld", (long long)v);
}

/* ---- registered models: writing ---- */

static int upsert_rm_tag(struct sctx *c, const char *name, const char *key, const char *value)
{
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO registered_model_tags (key, value, name, workspace) VALUES "
               "(?, ?, ?, 'default') ON CONFLICT (workspace, key, name) DO UPDATE SET "
               "value = excluded.value");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, key);
    db_bind_str(st, 2, value);
    db_bind_str(st, 3, name);
    return store_exec(c, st);
}

int rm_create(struct sctx *c, const char *name, const char *description, const struct kv *tags,
              size_t ntags, struct registered_model *out)
{
    if (txn_begin(c) != 0)
        return -1;
    int64_t now = now_ms();
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO registered_models (name, creation_time, last_updated_time, "
               "description, workspace) VALUES (?, ?, ?, ?, 'default')");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, name);
    db_bind_int(st, 2, now);
    db_bind_int(st, 3, now);
    db_bind_str(st, 4, description ? description : "");
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc == DB_CONSTRAINT) {
        bool old_prompt = false, new_prompt = false;
        /* Rolled back first: on PostgreSQL the failed INSERT aborted the transaction. */
        txn_fail(c, 0);
        prompt_flag(c, name, &old_prompt);
        for (size_t i = 0; i < ntags; i++)
            if (strcmp(tags[i].key, IS_PROMPT_KEY) == 0)
                new_prompt = tags[i].value && strcasecmp(tags[i].value, "true") == 0;
        if (old_prompt != new_prompt)
            return err_set(c->e, ERR_RESOURCE_ALREADY_EXISTS,
                           "Tried to create a %s with name '%s', but the name is already taken "
                           "by a %s. MLflow does not allow creating a model and a prompt with the "
                           "same name.",
                           new_prompt ? "prompt" : "registered model", name,
                           old_prompt ? "prompt" : "registered model");
        return err_set(c->e, ERR_RESOURCE_ALREADY_EXISTS, "%s (name=%s) already exists.",
                       new_prompt ? "Prompt" : "Registered Model", name);
    }
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    for (size_t i = 0; i < ntags; i++)
        if (upsert_rm_tag(c, name, tags[i].key, tags[i].value) != 0)
            return txn_fail(c, -1);
    if (hook_rm_created(c, name, description, tags, ntags) != 0 || rm_load(c, name, out) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int rm_update(struct sctx *c, const char *name, const char *description,
              struct registered_model *out)
{
    if (txn_begin(c) != 0)
        return -1;
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE registered_models SET description = ?, last_updated_time = ? WHERE "
               "workspace = 'default' AND name = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, description ? description : "");
    db_bind_int(st, 2, now_ms());
    db_bind_str(st, 3, name);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    if (db_changes(c->db) == 0)
        return txn_fail(c, rm_not_found(c, name));
    if (rm_load(c, name, out) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

/* UPDATE <table> SET name = new WHERE name = old, for the tables that carry a model name. */
static int rename_in(struct sctx *c, struct db_stmt *st, const char *name, const char *new_name)
{
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, new_name);
    db_bind_str(st, 2, name);
    return store_exec(c, st);
}

int rm_rename(struct sctx *c, const char *name, const char *new_name,
              struct registered_model *out)
{
    if (txn_begin(c) != 0)
        return -1;
    if (rm_exists(c, name) != 0)
        return txn_fail(c, -1);
    int64_t now = now_ms();
    /* The parent first: with foreign keys enforced (PostgreSQL) ON UPDATE CASCADE moves the
     * children and the statements below find nothing left to do; without (SQLite, as MLflow
     * leaves them off for our connections) they move the children themselves. */
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE registered_models SET name = ?, last_updated_time = ? WHERE "
               "workspace = 'default' AND name = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, new_name);
    db_bind_int(st, 2, now);
    db_bind_str(st, 3, name);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc == DB_CONSTRAINT)
        return txn_fail(c, err_set(c->e, ERR_RESOURCE_ALREADY_EXISTS,
                                   "Registered Model (name=%s) already exists.", new_name));
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    st = db_prepare(c->db, "UPDATE model_versions SET name = ?, last_updated_time = ? WHERE "
                           "workspace = 'default' AND name IN (?, ?)");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, new_name);
    db_bind_int(st, 2, now);
    db_bind_str(st, 3, name);
    db_bind_str(st, 4, new_name);
    if (store_exec(c, st) != 0 ||
        rename_in(c, db_prepare(c->db, "UPDATE model_version_tags SET name = ? WHERE "
                                       "workspace = 'default' AND name = ?"),
                  name, new_name) != 0 ||
        rename_in(c, db_prepare(c->db, "UPDATE registered_model_tags SET name = ? WHERE "
                                       "workspace = 'default' AND name = ?"),
                  name, new_name) != 0 ||
        rename_in(c, db_prepare(c->db, "UPDATE registered_model_aliases SET name = ? WHERE "
                                       "workspace = 'default' AND name = ?"),
                  name, new_name) != 0 ||
        /* The audit history follows the model. */
        rename_in(c, db_prepare(c->db, "UPDATE mltrack_registry_audit SET name = ? WHERE "
                                       "workspace = 'default' AND name = ?"),
                  name, new_name) != 0)
        return txn_fail(c, -1);
    if (rm_load(c, new_name, out) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

static int delete_by_name(struct sctx *c, struct db_stmt *st, const char *name)
{
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, name);
    return store_exec(c, st);
}

int rm_delete(struct sctx *c, const char *name)
{
    if (txn_begin(c) != 0)
        return -1;
    if (rm_exists(c, name) != 0)
        return txn_fail(c, -1);
    /* Children first, so that enforced foreign keys never see an orphan. The audit log
     * keeps the model's history. */
    if (delete_by_name(c, db_prepare(c->db, "DELETE FROM model_version_tags WHERE "
                                            "workspace = 'default' AND name = ?"),
                       name) != 0 ||
        delete_by_name(c, db_prepare(c->db, "DELETE FROM registered_model_aliases WHERE "
                                            "workspace = 'default' AND name = ?"),
                       name) != 0 ||
        delete_by_name(c, db_prepare(c->db, "DELETE FROM model_versions WHERE "
                                            "workspace = 'default' AND name = ?"),
                       name) != 0 ||
        delete_by_name(c, db_prepare(c->db, "DELETE FROM registered_model_tags WHERE "
                                            "workspace = 'default' AND name = ?"),
                       name) != 0 ||
        delete_by_name(c, db_prepare(c->db, "DELETE FROM registered_models WHERE "
                                            "workspace = 'default' AND name = ?"),
                       name) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int rm_set_tag(struct sctx *c, const char *name, const char *key, const char *value)
{
    if (txn_begin(c) != 0)
        return -1;
    if (rm_exists(c, name) != 0 || upsert_rm_tag(c, name, key, value) != 0 ||
        hook_rm_tag(c, name, key, value, true) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int rm_delete_tag(struct sctx *c, const char *name, const char *key)
{
    if (txn_begin(c) != 0)
        return -1;
    if (rm_exists(c, name) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st = db_prepare(c->db, "DELETE FROM registered_model_tags WHERE "
                                           "workspace = 'default' AND name = ? AND key = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, name);
    db_bind_str(st, 2, key);
    if (store_exec(c, st) != 0 || hook_rm_tag(c, name, key, NULL, false) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

/* ---- model versions: writing ---- */

/* The tracking store's set_model_versions_tags(): the logged model's mlflow.modelVersions
 * tag lists the versions registered from it, as json.dumps writes the list. An existing
 * value is extended (never parsed: MLflow's own writer is the only format we append to). */
static int link_logged_model(struct sctx *c, const char *model_id, const char *name,
                             int64_t version)
{
    const char *entry = arena_printf(c->a, "{\"name\": %s, \"version\": %lld}",
                                     py_json_str(c->a, name), (long long)version);
    struct db_stmt *st = db_prepare(
        c->db, "SELECT tag_value FROM logged_model_tags WHERE model_id = ? AND "
               "tag_key = 'mlflow.modelVersions'");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, model_id);
    const char *old = NULL;
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW)
        old = store_col(c, st, 0);
    db_done(st);
    const char *value;
    size_t on = old ? strlen(old) : 0;
    if (old && strstr(old, entry))
        return 0;
    if (old && on >= 2 && old[0] == '[' && old[on - 1] == ']')
        value = on == 2 ? arena_printf(c->a, "[%s]", entry)
                        : arena_printf(c->a, "%.*s, %s]", (int)(on - 1), old, entry);
    else
        value = arena_printf(c->a, "[%s]", entry);
    st = db_prepare(c->db, "INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, "
                           "tag_value) SELECT model_id, experiment_id, 'mlflow.modelVersions', ? "
                           "FROM logged_models WHERE model_id = ? ON CONFLICT (model_id, tag_key) "
                           "DO UPDATE SET tag_value = excluded.tag_value");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, value);
    db_bind_str(st, 2, model_id);
    return store_exec(c, st);
}

static int upsert_mv_tag(struct sctx *c, const char *name, int64_t version, const char *key,
                         const char *value)
{
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO model_version_tags (key, value, name, version, workspace) VALUES "
               "(?, ?, ?, ?, 'default') ON CONFLICT (workspace, key, name, version) DO UPDATE "
               "SET value = excluded.value");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, key);
    db_bind_str(st, 2, value);
    db_bind_str(st, 3, name);
    db_bind_int(st, 4, version);
    return store_exec(c, st);
}

/* One attempt: 1 when the version number was taken by a concurrent writer (retry). */
static int mv_create_once(struct sctx *c, const struct mv_create *in, struct model_version *out)
{
    if (txn_begin(c) != 0)
        return -1;
    int64_t now = now_ms();
    /* UPDATE first: on PostgreSQL it takes the model's row lock, which serializes version
     * allocation for one model among all writers; on SQLite the write transaction already
     * holds the database lock. */
    struct db_stmt *st = db_prepare(c->db, "UPDATE registered_models SET last_updated_time = ? "
                                           "WHERE workspace = 'default' AND name = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_int(st, 1, now);
    db_bind_str(st, 2, in->name);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    if (db_changes(c->db) == 0)
        return txn_fail(c, rm_not_found(c, in->name));
    st = db_prepare(c->db, "SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE "
                           "workspace = 'default' AND name = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, in->name);
    enum db_rc rc = db_step(st);
    int64_t version = rc == DB_ROW ? db_col_int(st, 0) + 1 : 0;
    db_done(st);
    if (rc != DB_ROW)
        return txn_fail(c, store_err_step(c, rc));
    st = db_prepare(
        c->db, "INSERT INTO model_versions (name, version, creation_time, last_updated_time, "
               "description, user_id, current_stage, source, run_id, status, status_message, "
               "run_link, storage_location, workspace) VALUES (?, ?, ?, ?, ?, NULL, 'None', ?, "
               "?, 'READY', NULL, ?, ?, 'default')");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, in->name);
    db_bind_int(st, 2, version);
    db_bind_int(st, 3, now);
    db_bind_int(st, 4, now);
    db_bind_str(st, 5, in->description ? in->description : "");
    db_bind_str(st, 6, in->source);
    db_bind_str(st, 7, in->run_id);
    db_bind_str(st, 8, in->run_link ? in->run_link : "");
    db_bind_str(st, 9, in->storage_location ? in->storage_location : in->source);
    rc = db_step(st);
    db_done(st);
    if (rc == DB_CONSTRAINT) {
        txn_fail(c, 0);
        return 1;
    }
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    for (size_t i = 0; i < in->ntags; i++)
        if (upsert_mv_tag(c, in->name, version, in->tags[i].key, in->tags[i].value) != 0)
            return txn_fail(c, -1);
    if (in->model_id && *in->model_id &&
        link_logged_model(c, in->model_id, in->name, version) != 0)
        return txn_fail(c, -1);
    if (hook_mv_created(c, in, version) != 0 || mv_read(c, in->name, version, out, true) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int mv_create(struct sctx *c, const struct mv_create *in, struct model_version *out)
{
    for (int attempt = 0; attempt < MV_CREATE_ATTEMPTS; attempt++) {
        int rc = mv_create_once(c, in, out);
        if (rc <= 0)
            return rc;
        log_info("model version creation conflict (name=%s); retrying", in->name);
    }
    return err_set(c->e, ERR_INTERNAL_ERROR,
                   "Model Version creation error (name=%s). Giving up after %d attempts.",
                   in->name, MV_CREATE_ATTEMPTS);
}

int mv_update(struct sctx *c, const char *name, int64_t version, const char *description,
              struct model_version *out)
{
    if (txn_begin(c) != 0)
        return -1;
    if (mv_read(c, name, version, out, false) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE model_versions SET description = ?, last_updated_time = ? WHERE "
               "workspace = 'default' AND name = ? AND version = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, description);
    db_bind_int(st, 2, now_ms());
    db_bind_str(st, 3, name);
    db_bind_int(st, 4, version);
    if (store_exec(c, st) != 0 || mv_read(c, name, version, out, true) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

static int touch_model(struct sctx *c, const char *name, int64_t now)
{
    struct db_stmt *st = db_prepare(c->db, "UPDATE registered_models SET last_updated_time = ? "
                                           "WHERE workspace = 'default' AND name = ?");
    if (!st)
        return store_err(c);
    db_bind_int(st, 1, now);
    db_bind_str(st, 2, name);
    return store_exec(c, st);
}

int mv_transition(struct sctx *c, const char *name, int64_t version, const char *stage,
                  bool archive, const char *actor, struct model_version *out)
{
    if (txn_begin(c) != 0)
        return -1;
    int64_t now = now_ms();
    struct model_version cur;
    if (mv_read(c, name, version, &cur, false) != 0)
        return txn_fail(c, -1);
    const char *who = actor ? actor : cur.user_id;
    if (archive) {
        struct db_stmt *st = db_prepare(
            c->db, "SELECT version FROM model_versions WHERE workspace = 'default' AND name = ? "
                   "AND version != ? AND current_stage = ? ORDER BY version");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_str(st, 1, name);
        db_bind_int(st, 2, version);
        db_bind_str(st, 3, stage);
        size_t cap = 8, n = 0;
        int64_t *moved = arena_calloc(c->a, cap, sizeof *moved);
        enum db_rc rc;
        while ((rc = db_step(st)) == DB_ROW) {
            if (n == cap) {
                int64_t *nm = arena_calloc(c->a, cap * 2, sizeof *nm);
                memcpy(nm, moved, n * sizeof *nm);
                moved = nm;
                cap *= 2;
            }
            moved[n++] = db_col_int(st, 0);
        }
        db_done(st);
        if (rc != DB_DONE)
            return txn_fail(c, store_err_step(c, rc));
        st = db_prepare(c->db, "UPDATE model_versions SET current_stage = 'Archived', "
                               "last_updated_time = ? WHERE workspace = 'default' AND name = ? "
                               "AND version != ? AND current_stage = ?");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_int(st, 1, now);
        db_bind_str(st, 2, name);
        db_bind_int(st, 3, version);
        db_bind_str(st, 4, stage);
        if (store_exec(c, st) != 0)
            return txn_fail(c, -1);
        for (size_t i = 0; i < n; i++)
            if (audit(c, now, who, "transition_stage", name, &moved[i], NULL, stage,
                      STAGE_ARCHIVED) != 0)
                return txn_fail(c, -1);
    }
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE "
               "workspace = 'default' AND name = ? AND version = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, stage);
    db_bind_int(st, 2, now);
    db_bind_str(st, 3, name);
    db_bind_int(st, 4, version);
    if (store_exec(c, st) != 0 || touch_model(c, name, now) != 0 ||
        audit(c, now, who, "transition_stage", name, &version, NULL, cur.current_stage,
              stage) != 0 ||
        mv_read(c, name, version, out, true) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int mv_delete(struct sctx *c, const char *name, int64_t version, const char *actor)
{
    if (txn_begin(c) != 0)
        return -1;
    int64_t now = now_ms();
    struct model_version cur;
    if (mv_read(c, name, version, &cur, true) != 0 || touch_model(c, name, now) != 0)
        return txn_fail(c, -1);
    const char *who = actor ? actor : cur.user_id;
    for (size_t i = 0; i < cur.naliases; i++)
        if (audit(c, now, who, "delete_alias", name, &version, cur.aliases[i],
                  version_str(c, version), NULL) != 0)
            return txn_fail(c, -1);
    struct db_stmt *st = db_prepare(c->db, "DELETE FROM registered_model_aliases WHERE "
                                           "workspace = 'default' AND name = ? AND version = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, name);
    db_bind_int(st, 2, version);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    /* MLflow's soft delete: the row stays (its number is never reused), its tags too. */
    st = db_prepare(c->db, "UPDATE model_versions SET current_stage = 'Deleted_Internal', "
                           "last_updated_time = ?, description = NULL, user_id = NULL, "
                           "source = 'REDACTED-SOURCE-PATH', run_id = 'REDACTED-RUN-ID', "
                           "run_link = 'REDACTED-RUN-LINK', status_message = NULL WHERE "
                           "workspace = 'default' AND name = ? AND version = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_int(st, 1, now);
    db_bind_str(st, 2, name);
    db_bind_int(st, 3, version);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int mv_set_tag(struct sctx *c, const char *name, int64_t version, const char *key,
               const char *value)
{
    if (txn_begin(c) != 0)
        return -1;
    struct model_version cur;
    if (mv_read(c, name, version, &cur, false) != 0 ||
        upsert_mv_tag(c, name, version, key, value) != 0 ||
        hook_mv_tag(c, name, version, key, value, true) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int mv_delete_tag(struct sctx *c, const char *name, int64_t version, const char *key)
{
    if (txn_begin(c) != 0)
        return -1;
    struct model_version cur;
    if (mv_read(c, name, version, &cur, false) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st = db_prepare(
        c->db, "DELETE FROM model_version_tags WHERE workspace = 'default' AND name = ? AND "
               "version = ? AND key = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, name);
    db_bind_int(st, 2, version);
    db_bind_str(st, 3, key);
    if (store_exec(c, st) != 0 || hook_mv_tag(c, name, version, key, NULL, false) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

/* ---- aliases ---- */

int alias_set(struct sctx *c, const char *name, const char *alias, int64_t version,
              const char *actor)
{
    if (txn_begin(c) != 0)
        return -1;
    struct model_version cur;
    int64_t old = 0;
    bool had;
    if (mv_read(c, name, version, &cur, false) != 0 ||
        alias_version(c, name, alias, &old, &had) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO registered_model_aliases (alias, version, name, workspace) VALUES "
               "(?, ?, ?, 'default') ON CONFLICT (workspace, name, alias) DO UPDATE SET "
               "version = excluded.version");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, alias);
    db_bind_int(st, 2, version);
    db_bind_str(st, 3, name);
    if (store_exec(c, st) != 0 ||
        audit(c, now_ms(), actor ? actor : cur.user_id, "set_alias", name, &version, alias,
              had ? version_str(c, old) : NULL, version_str(c, version)) != 0 ||
        hook_alias(c, name, alias, &version) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int alias_delete(struct sctx *c, const char *name, const char *alias, const char *actor)
{
    if (txn_begin(c) != 0)
        return -1;
    int64_t old = 0;
    bool had;
    if (rm_exists(c, name) != 0 || alias_version(c, name, alias, &old, &had) != 0)
        return txn_fail(c, -1);
    if (!had) {
        /* Nothing to delete: a no-op, as in MLflow, whose handler still sends the event. */
        if (hook_alias(c, name, alias, NULL) != 0)
            return txn_fail(c, -1);
        return txn_commit(c);
    }
    struct db_stmt *st = db_prepare(c->db, "DELETE FROM registered_model_aliases WHERE "
                                           "workspace = 'default' AND name = ? AND alias = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, name);
    db_bind_str(st, 2, alias);
    if (store_exec(c, st) != 0 ||
        audit(c, now_ms(), actor, "delete_alias", name, &old, alias, version_str(c, old),
              NULL) != 0 ||
        hook_alias(c, name, alias, NULL) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}
