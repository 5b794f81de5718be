/* The model registry's reads: registered models with their latest versions, model
 * versions with tags and aliases, searches, the lookups that source resolution needs, and
 * the audit log, on MLflow's tables (see registry.h for the semantics). Every query names
 * the workspace 'default', as MLflow's single-tenant store does, so the primary keys (which
 * start with workspace) serve the lookups. */
#include "registry.h"


#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/util.h"
#include "internal.h"
#include "registry_internal.h"

#define MV_COLS                                                                                \
    "name, version, creation_time, last_updated_time, description, user_id, current_stage, "  \
    "source, run_id, status, status_message, run_link, storage_location"

/* ---- not found ---- */

int rm_not_found(struct sctx *c, const char *name)
{
    return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Registered Model with name=%s not found",
                   name);
}

static int mv_not_found(struct sctx *c, const char *name, int64_t version)
{
    return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                   "Model Version (name=%s, version=%lld) not found", name, (long long)version);
}

/* ---- model versions ---- */

static void read_mv_row(struct sctx *c, struct db_stmt *st, struct model_version *mv)
{
    memset(mv, 0, sizeof *mv);
    mv->name = store_col(c, st, 0);
    mv->version = db_col_int(st, 1);
    mv->creation_time = db_col_int(st, 2);
    mv->has_last_updated_time = !db_col_null(st, 3);
    mv->last_updated_time = db_col_int(st, 3);
    mv->description = store_col(c, st, 4);
    mv->user_id = store_col(c, st, 5);
    mv->current_stage = store_col(c, st, 6);
    mv->source = store_col(c, st, 7);
    mv->run_id = store_col(c, st, 8);
    mv->status = store_col(c, st, 9);
    mv->status_message = store_col(c, st, 10);
    mv->run_link = store_col(c, st, 11);
    mv->storage_location = store_col(c, st, 12);
}

static int mv_load_tags(struct sctx *c, struct model_version *mv)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT key, value FROM model_version_tags WHERE workspace = 'default' AND "
               "name = ? AND version = ? ORDER BY key");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, mv->name);
    db_bind_int(st, 2, mv->version);
    int rc = store_read_kvs(c, st, &mv->tags, &mv->ntags);
    return rc;
}

static int mv_load_aliases(struct sctx *c, struct model_version *mv)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT alias, alias FROM registered_model_aliases WHERE workspace = 'default' "
               "AND name = ? AND version = ? ORDER BY alias");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, mv->name);
    db_bind_int(st, 2, mv->version);
    struct kv *v;
    size_t n;
    int rc = store_read_kvs(c, st, &v, &n);
    if (rc != 0)
        return -1;
    mv->aliases = arena_calloc(c->a, n ? n : 1, sizeof *mv->aliases);
    for (size_t i = 0; i < n; i++)
        mv->aliases[i] = v[i].key;
    mv->naliases = n;
    return 0;
}

/* Reads a visible (not soft-deleted) version with its tags; 404 when there is none. */
int mv_read(struct sctx *c, const char *name, int64_t version, struct model_version *out,
            bool with_aliases)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT " MV_COLS " FROM model_versions WHERE workspace = 'default' AND name = ? "
               "AND version = ? AND current_stage != 'Deleted_Internal'");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, name);
    db_bind_int(st, 2, version);
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW)
        read_mv_row(c, st, out);
    db_done(st);
    if (rc == DB_DONE)
        return mv_not_found(c, name, version);
    if (rc != DB_ROW)
        return store_err_step(c, rc);
    if (mv_load_tags(c, out) != 0)
        return -1;
    return with_aliases ? mv_load_aliases(c, out) : 0;
}

/* The latest visible version of each stage, the stages in the order their first version
 * appears (the order MLflow's RegisteredModel.latest_versions comes out in). */
static int latest_per_stage(struct sctx *c, const char *name, struct model_version **out,
                            size_t *nout)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT version, current_stage FROM model_versions WHERE workspace = 'default' "
               "AND name = ? AND current_stage != 'Deleted_Internal' ORDER BY version");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, name);
    size_t cap = 4, n = 0;
    const char **stages = arena_calloc(c->a, cap, sizeof *stages);
    int64_t *latest = arena_calloc(c->a, cap, sizeof *latest);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        size_t len;
        const char *s = db_col_text(st, 1, &len);
        s = s ? s : "";
        size_t i = 0;
        while (i < n && !(strlen(stages[i]) == len && memcmp(stages[i], s, len) == 0))
            i++;
        if (i == n) {
            if (n == cap) {
                const char **ns = arena_calloc(c->a, cap * 2, sizeof *ns);
                int64_t *nl = arena_calloc(c->a, cap * 2, sizeof *nl);
                memcpy(ns, stages, n * sizeof *ns);
                memcpy(nl, latest, n * sizeof *nl);
                stages = ns;
                latest = nl;
                cap *= 2;
            }
            stages[n++] = arena_strndup(c->a, s, len);
        }
        latest[i] = db_col_int(st, 0);
    }
    db_done(st);
    if (rc != DB_DONE)
        return store_err_step(c, rc);
    *out = arena_calloc(c->a, n ? n : 1, sizeof **out);
    for (size_t i = 0; i < n; i++)
        if (mv_read(c, name, latest[i], &(*out)[i], false) != 0)
            return -1;
    *nout = n;
    return 0;
}

/* ---- registered models ---- */

static int rm_read(struct sctx *c, const char *name, struct registered_model *out)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT name, creation_time, last_updated_time, description FROM "
               "registered_models WHERE workspace = 'default' AND name = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, name);
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW) {
        memset(out, 0, sizeof *out);
        out->name = store_col(c, st, 0);
        out->has_creation_time = !db_col_null(st, 1);
        out->creation_time = db_col_int(st, 1);
        out->has_last_updated_time = !db_col_null(st, 2);
        out->last_updated_time = db_col_int(st, 2);
        out->description = store_col(c, st, 3);
    }
    db_done(st);
    if (rc == DB_DONE)
        return rm_not_found(c, name);
    return rc == DB_ROW ? 0 : store_err_step(c, rc);
}

/* Existence check inside a transaction. */
int rm_exists(struct sctx *c, const char *name)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT 1 FROM registered_models WHERE workspace = 'default' AND name = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, name);
    int found = store_lookup(c, st);
    if (found > 0)
        db_done(st);
    return found > 0 ? 0 : found < 0 ? -1 : rm_not_found(c, name);
}

int rm_load(struct sctx *c, const char *name, struct registered_model *out)
{
    if (rm_read(c, name, out) != 0)
        return -1;
    struct db_stmt *st = db_prepare(
        c->db, "SELECT key, value FROM registered_model_tags WHERE workspace = 'default' AND "
               "name = ? ORDER BY key");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, name);
    int rc = store_read_kvs(c, st, &out->tags, &out->ntags);
    if (rc != 0)
        return -1;
    st = db_prepare(c->db, "SELECT alias, version FROM registered_model_aliases WHERE "
                           "workspace = 'default' AND name = ? ORDER BY alias");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, name);
    size_t cap = 4, n = 0;
    struct rm_alias *al = arena_calloc(c->a, cap, sizeof *al);
    enum db_rc r;
    while ((r = db_step(st)) == DB_ROW) {
        if (n == cap) {
            struct rm_alias *na = arena_calloc(c->a, cap * 2, sizeof *na);
            memcpy(na, al, n * sizeof *na);
            al = na;
            cap *= 2;
        }
        al[n].alias = store_col(c, st, 0);
        al[n].version = db_col_int(st, 1);
        n++;
    }
    db_done(st);
    if (r != DB_DONE)
        return store_err_step(c, r);
    out->aliases = al;
    out->naliases = n;
    return latest_per_stage(c, name, &out->latest, &out->nlatest);
}

int prompt_flag(struct sctx *c, const char *name, bool *out)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT value FROM registered_model_tags WHERE workspace = 'default' AND "
               "name = ? AND key = '" IS_PROMPT_KEY "'");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, name);
    *out = false;
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW) {
        size_t n;
        const char *v = db_col_text(st, 0, &n);
        *out = v && n == 4 && strncasecmp(v, "true", 4) == 0;
    }
    db_done(st);
    return rc == DB_ROW || rc == DB_DONE ? 0 : store_err_step(c, rc);
}

int rm_is_prompt(struct sctx *c, const char *name, bool *out)
{
    if (txn_begin_read(c) != 0)
        return -1;
    return txn_end_read(c, prompt_flag(c, name, out));
}

int rm_get(struct sctx *c, const char *name, struct registered_model *out)
{
    if (txn_begin_read(c) != 0)
        return -1;
    return txn_end_read(c, rm_load(c, name, out));
}

int rm_latest_versions(struct sctx *c, const char *name, const char *const *stages, size_t n,
                       struct model_version **out, size_t *nout)
{
    if (txn_begin_read(c) != 0)
        return -1;
    struct model_version *all;
    size_t nall;
    if (rm_exists(c, name) != 0 || latest_per_stage(c, name, &all, &nall) != 0)
        return txn_end_read(c, -1);
    size_t k = 0;
    for (size_t i = 0; i < nall; i++) {
        bool want = n == 0;
        for (size_t j = 0; j < n && !want; j++)
            want = strcmp(all[i].current_stage ? all[i].current_stage : "", stages[j]) == 0;
        if (!want)
            continue;
        if (mv_load_aliases(c, &all[i]) != 0)
            return txn_end_read(c, -1);
        all[k++] = all[i];
    }
    *out = all;
    *nout = k;
    return txn_end_read(c, 0);
}

int rm_search(struct sctx *c, const struct search_registered_models_q *q,
              struct registered_model **out, size_t *n)
{
    struct buf sql;
    buf_init(&sql, 1 << 20);
    struct sql_val *binds;
    size_t nb, len;
    const char **names;
    *n = 0;
    int rc = search_registered_models_sql(c->a, db_dialect(c->db), q, &sql, &binds, &nb, c->e);
    if (rc == 0 && (rc = txn_begin_read(c)) == 0) {
        rc = store_run_search(c, &sql, binds, nb, 1, &names, &len);
        *out = arena_calloc(c->a, len ? len : 1, sizeof **out);
        for (size_t i = 0; rc == 0 && i < len; i++)
            rc = rm_load(c, names[i], &(*out)[i]);
        if (rc == 0)
            *n = len;
        rc = txn_end_read(c, rc);
    }
    buf_release(&sql);
    return rc;
}

int mv_get(struct sctx *c, const char *name, int64_t version, struct model_version *out)
{
    if (txn_begin_read(c) != 0)
        return -1;
    return txn_end_read(c, mv_read(c, name, version, out, true));
}

int mv_download_uri(struct sctx *c, const char *name, int64_t version, const char **uri)
{
    struct model_version mv;
    if (mv_get(c, name, version, &mv) != 0)
        return -1;
    *uri = mv.storage_location && *mv.storage_location ? mv.storage_location : mv.source;
    return 0;
}

int mv_search(struct sctx *c, const struct search_model_versions_q *q,
              struct model_version **out, size_t *n)
{
    struct buf sql;
    buf_init(&sql, 1 << 20);
    struct sql_val *binds;
    size_t nb, len;
    const char **cells; /* name, version */
    *n = 0;
    int rc = search_model_versions_sql(c->a, db_dialect(c->db), q, &sql, &binds, &nb, c->e);
    if (rc == 0 && (rc = txn_begin_read(c)) == 0) {
        rc = store_run_search(c, &sql, binds, nb, 2, &cells, &len);
        struct model_version *v = arena_calloc(c->a, len ? len : 1, sizeof *v);
        for (size_t i = 0; rc == 0 && i < len; i++) {
            int64_t version;
            const char *vs = cells[2 * i + 1];
            if (!vs || !parse_i64(vs, strlen(vs), &version))
                rc = store_err(c);
            else
                rc = mv_read(c, cells[2 * i], version, &v[i], false);
        }
        if (rc == 0) {
            *out = v;
            *n = len;
        }
        rc = txn_end_read(c, rc);
    }
    buf_release(&sql);
    return rc;
}

/* ---- aliases ---- */

/* The version an alias points at: 0 with *found set accordingly. */
int alias_version(struct sctx *c, const char *name, const char *alias, int64_t *v,
                  bool *found)
{
    struct db_stmt *st = db_prepare(c->db, "SELECT version FROM registered_model_aliases WHERE "
                                           "workspace = 'default' AND name = ? AND alias = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, name);
    db_bind_str(st, 2, alias);
    enum db_rc rc = db_step(st);
    *found = rc == DB_ROW;
    if (rc == DB_ROW)
        *v = db_col_int(st, 0);
    db_done(st);
    return rc == DB_ROW || rc == DB_DONE ? 0 : store_err_step(c, rc);
}

int alias_get(struct sctx *c, const char *name, const char *alias, struct model_version *out)
{
    if (txn_begin_read(c) != 0)
        return -1;
    if (rm_exists(c, name) != 0)
        return txn_end_read(c, -1);
    if (strcasecmp(alias, "latest") == 0) {
        struct model_version *all;
        size_t n;
        if (latest_per_stage(c, name, &all, &n) != 0)
            return txn_end_read(c, -1);
        if (n == 0)
            return txn_end_read(c, err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                                           "Latest version not found for model %s.", name));
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (all[i].version > all[best].version)
                best = i;
        *out = all[best];
        return txn_end_read(c, mv_load_aliases(c, out));
    }
    int64_t v = 0;
    bool found;
    if (alias_version(c, name, alias, &v, &found) != 0)
        return txn_end_read(c, -1);
    if (!found)
        return txn_end_read(c, err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                                       "Registered model alias %s not found.", alias));
    return txn_end_read(c, mv_read(c, name, v, out, true));
}

/* ---- lookups for source resolution ---- */

int reg_run_artifact_uri(struct sctx *c, const char *run_id, const char **uri)
{
    struct db_stmt *st = db_prepare(c->db, "SELECT artifact_uri FROM runs WHERE run_uuid = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, run_id);
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW)
        *uri = store_col(c, st, 0);
    db_done(st);
    if (rc == DB_DONE)
        return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Run with id=%s not found", run_id);
    if (rc != DB_ROW)
        return store_err_step(c, rc);
    if (!*uri)
        *uri = "";
    return 0;
}

int reg_logged_model(struct sctx *c, const char *model_id, const char **artifact_location,
                     const char **source_run_id)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT artifact_location, source_run_id FROM logged_models WHERE model_id = ? "
               "AND (lifecycle_stage IS NULL OR lifecycle_stage != 'deleted')");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, model_id);
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW) {
        *artifact_location = store_col(c, st, 0);
        *source_run_id = store_col(c, st, 1);
    }
    db_done(st);
    if (rc == DB_DONE)
        return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Logged model with ID '%s' not found.",
                       model_id);
    if (rc != DB_ROW)
        return store_err_step(c, rc);
    if (!*artifact_location)
        *artifact_location = "";
    return 0;
}

/* ---- audit log ---- */

int reg_audit_list(struct sctx *c, const char *name, int64_t offset, int64_t limit,
                   struct reg_audit_event **out, size_t *n)
{
#define AUDIT_COLS                                                                            \
    "SELECT id, timestamp, user_id, action, name, version, alias, old_value, new_value FROM " \
    "mltrack_registry_audit WHERE workspace = 'default' "
    struct db_stmt *st =
        name ? db_prepare(c->db, AUDIT_COLS "AND name = ? ORDER BY id LIMIT ? OFFSET ?")
             : db_prepare(c->db, AUDIT_COLS "ORDER BY id LIMIT ? OFFSET ?");
#undef AUDIT_COLS
    if (!st)
        return store_err(c);
    int i = 1;
    if (name)
        db_bind_str(st, i++, name);
    db_bind_int(st, i++, limit);
    db_bind_int(st, i, offset);
    size_t cap = 16, len = 0;
    struct reg_audit_event *v = arena_calloc(c->a, cap, sizeof *v);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (len == cap) {
            struct reg_audit_event *nv = arena_calloc(c->a, cap * 2, sizeof *nv);
            memcpy(nv, v, len * sizeof *nv);
            v = nv;
            cap *= 2;
        }
        struct reg_audit_event *ev = &v[len++];
        ev->id = db_col_int(st, 0);
        ev->timestamp = db_col_int(st, 1);
        ev->user_id = store_col(c, st, 2);
        ev->action = store_col(c, st, 3);
        ev->name = store_col(c, st, 4);
        ev->has_version = !db_col_null(st, 5);
        ev->version = db_col_int(st, 5);
        ev->alias = store_col(c, st, 6);
        ev->old_value = store_col(c, st, 7);
        ev->new_value = store_col(c, st, 8);
    }
    db_done(st);
    if (rc != DB_DONE)
        return store_err_step(c, rc);
    *out = v;
    *n = len;
    return 0;
}

