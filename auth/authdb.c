/* The auth database on db/ (see authdb.h). */
#include "authdb.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"
#include "pwhash.h"

extern const char auth_schema_sqlite[];
extern const char auth_schema_mltrack_sqlite[];
extern const char auth_schema_postgresql[];
extern const char auth_schema_mltrack_postgresql[];

/* MLflow's auth schema and our tables, per dialect. */
static const struct {
    const struct db_dialect *dialect;
    const char *mlflow, *mltrack;
} schemas[] = {
    {&db_dialect_sqlite, auth_schema_sqlite, auth_schema_mltrack_sqlite},
    {&db_dialect_postgresql, auth_schema_postgresql, auth_schema_mltrack_postgresql},
};

static const struct auth_config *g_cfg;
static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void conn_destroy(void *p)
{
    db_close(p);
}

static void key_init(void)
{
    pthread_key_create(&conn_key, conn_destroy);
}

struct db *authdb_thread(struct err *e)
{
    pthread_once(&key_once, key_init);
    struct db *db = pthread_getspecific(conn_key);
    if (db)
        return db;
    struct err tmp;
    err_clear(&tmp);
    db = g_cfg ? db_open(g_cfg->database_uri, &tmp) : NULL;
    if (!db) {
        log_error("auth database: %s", tmp.msg);
        err_set(e, ERR_TEMPORARILY_UNAVAILABLE, "the auth database cannot be opened right now");
        return NULL;
    }
    pthread_setspecific(conn_key, db);
    return db;
}

void authdb_shutdown(void)
{
    pthread_once(&key_once, key_init);
    struct db *db = pthread_getspecific(conn_key);
    if (db) {
        pthread_setspecific(conn_key, NULL);
        db_close(db);
    }
}

/* ---- statements ---- */

static int db_fail(struct err *e, enum db_rc rc)
{
    if (rc == DB_BUSY)
        return err_set(e, ERR_TEMPORARILY_UNAVAILABLE, "the auth database is busy; try again");
    return err_set(e, ERR_INTERNAL_ERROR, "auth database error");
}

static struct db_stmt *prep(struct db *db, const char *sql, struct err *e)
{
    struct db_stmt *st = db_prepare(db, sql);
    if (!st)
        err_set(e, ERR_INTERNAL_ERROR, "auth database error");
    return st;
}

/* Steps a statement without rows: 0, 1 on a UNIQUE violation, -1 with e set. */
static int run(struct db_stmt *st, struct err *e)
{
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc == DB_DONE || rc == DB_ROW)
        return 0;
    if (rc == DB_CONSTRAINT)
        return 1;
    return db_fail(e, rc);
}

static const char *col_dup(struct arena *a, struct db_stmt *st, int c)
{
    size_t n;
    const char *s = db_col_text(st, c, &n);
    return s ? arena_strndup(a, s, n) : NULL;
}

static bool col_bool(struct db_stmt *st, int c)
{
    if (db_col_null(st, c))
        return false;
    size_t n;
    const char *s = db_col_text(st, c, &n);
    /* SQLite keeps SQLAlchemy's 0/1; PostgreSQL's boolean reads as 't'/'f'. */
    return s && n && (s[0] == '1' || s[0] == 't' || s[0] == 'T');
}

static void bind_bool(struct db_stmt *st, int i, bool v)
{
    struct sql_val sv = {.type = SQL_BOOL, .i = v ? 1 : 0};
    db_bind_val(st, i, &sv);
}

/* ---- validation, MLflow's messages ---- */

int auth_check_username(const char *username, struct err *e)
{
    if (!username || !*username)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Username cannot be empty.");
    if (strlen(username) > 255)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Username must be at most 255 characters.");
    return 0;
}

int auth_check_password(const char *password, struct err *e)
{
    size_t cps = 0; /* Python's len(): code points */
    for (const char *p = password; p && *p; p++)
        cps += ((unsigned char)*p & 0xC0) != 0x80;
    if (!password || cps < 12)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Password must be at least 12 characters.");
    if (strlen(password) > 4096)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Password must be at most 4096 bytes.");
    return 0;
}

static const char valid_types_msg[] =
    "('assessment', 'experiment', 'gateway_endpoint', 'gateway_model_definition', "
    "'gateway_secret', 'logged_model', 'mcp_server', 'mcp_server_version', 'prompt', "
    "'prompt_version', 'registered_model', 'registered_model_version', 'review_queue', 'run', "
    "'scorer', 'scorer_version', 'trace', 'workspace')";

static int check_type(const char *type, struct err *e)
{
    if (!perm_type_known(type))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid resource type '%s'. Valid resource types are: %s", type,
                       valid_types_msg);
    return 0;
}

/* grant_user_resource_permission's checks, in MLflow's order. */
static int check_grant(const char *type, const char *pattern, const char *permission,
                       struct err *e)
{
    if (strcmp(type, "workspace") == 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "resource_type 'workspace' is not supported by the per-user permission "
                       "convenience APIs. Use set_workspace_permission / "
                       "delete_workspace_permission for workspace-wide grants.");
    if (check_type(type, e) != 0)
        return -1;
    if (strcmp(pattern, "*") != 0 && !perm_type_takes_id(type))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid resource_pattern '%s' for resource_type='%s'. This resource "
                       "type supports only wildcard ('*') grants.",
                       pattern, type);
    int p = perm_parse(permission);
    if (p < 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid permission '%s'. Valid permissions are: ('READ', 'USE', "
                       "'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY')",
                       permission);
    if (p == PERM_NO_PERMISSIONS)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid permission '%s' for resource_type='%s'. Resource-level grants "
                       "accept only: ('DENY', 'EDIT', 'MANAGE', 'READ', 'USE').",
                       permission, type);
    return 0;
}

/* ---- users ---- */

int authdb_user_get(struct db *db, struct arena *a, const char *username, struct auth_user *u,
                    struct err *e)
{
    struct db_stmt *st = prep(
        db, "SELECT id, username, password_hash, is_admin FROM users WHERE username = ?", e);
    if (!st)
        return -1;
    db_bind_str(st, 1, username);
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW) {
        u->id = db_col_int(st, 0);
        u->username = col_dup(a, st, 1);
        u->password_hash = col_dup(a, st, 2);
        u->is_admin = col_bool(st, 3);
        db_done(st);
        return 1;
    }
    db_done(st);
    if (rc == DB_DONE)
        return 0;
    return db_fail(e, rc);
}

static int user_must(struct db *db, struct arena *a, const char *username, struct auth_user *u,
                     struct err *e)
{
    int r = authdb_user_get(db, a, username, u, e);
    if (r == 0)
        return err_set(e, ERR_RESOURCE_DOES_NOT_EXIST, "User with username=%s not found",
                       username);
    return r < 0 ? -1 : 0;
}

int authdb_user_create(struct db *db, struct arena *a, const char *username,
                       const char *password, bool is_admin, struct auth_user *u, struct err *e)
{
    if (auth_check_username(username, e) != 0 || auth_check_password(password, e) != 0)
        return -1;
    char hash[PW_HASH_MAX];
    if (pw_hash(password, strlen(password), hash) != 0)
        return err_set(e, ERR_INTERNAL_ERROR, "cannot hash the password");
    struct db_stmt *st =
        prep(db, "INSERT INTO users (username, password_hash, is_admin) VALUES (?, ?, ?)", e);
    if (!st)
        return -1;
    db_bind_str(st, 1, username);
    db_bind_str(st, 2, hash);
    bind_bool(st, 3, is_admin);
    int r = run(st, e);
    if (r == 1)
        return err_set(e, ERR_RESOURCE_ALREADY_EXISTS, "User (username=%s) already exists.",
                       username);
    if (r < 0)
        return -1;
    return user_must(db, a, username, u, e);
}

int authdb_user_provision(struct db *db, struct arena *a, const char *username,
                          struct auth_user *u, struct err *e)
{
    int r = authdb_user_get(db, a, username, u, e);
    if (r != 0)
        return r < 0 ? -1 : 0;
    unsigned char raw[24];
    random_bytes(raw, sizeof raw);
    char pw[49];
    hex_encode(pw, raw, sizeof raw);
    struct err tmp;
    err_clear(&tmp);
    if (authdb_user_create(db, a, username, pw, false, u, &tmp) == 0) {
        log_info("auth: created user '%s' named by the trusted proxy", username);
        return 0;
    }
    /* Another request created it first. */
    if (tmp.code == ERR_RESOURCE_ALREADY_EXISTS)
        return user_must(db, a, username, u, e);
    *e = tmp;
    return -1;
}

int authdb_user_list(struct db *db, struct arena *a, struct auth_user **v, size_t *n,
                     struct err *e)
{
    *v = NULL;
    *n = 0;
    struct db_stmt *st =
        prep(db, "SELECT id, username, password_hash, is_admin FROM users ORDER BY id", e);
    if (!st)
        return -1;
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *v = arena_grow(a, *v, *n, sizeof **v);
        struct auth_user *u = &(*v)[(*n)++];
        u->id = db_col_int(st, 0);
        u->username = col_dup(a, st, 1);
        u->password_hash = NULL; /* never leaves the store in a listing */
        u->is_admin = col_bool(st, 3);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : db_fail(e, rc);
}

/* Runs an `UPDATE users SET ... WHERE username = ?2`: username is bound here, and a user
 * that does not exist is MLflow's RESOURCE_DOES_NOT_EXIST. */
static int run_user_update(struct db *db, struct db_stmt *st, const char *username,
                           struct err *e)
{
    db_bind_str(st, 2, username);
    if (run(st, e) != 0)
        return -1;
    if (db_changes(db) == 0)
        return err_set(e, ERR_RESOURCE_DOES_NOT_EXIST, "User with username=%s not found",
                       username);
    return 0;
}

int authdb_user_set_password(struct db *db, const char *username, const char *password,
                             struct err *e)
{
    if (auth_check_password(password, e) != 0)
        return -1;
    char hash[PW_HASH_MAX];
    if (pw_hash(password, strlen(password), hash) != 0)
        return err_set(e, ERR_INTERNAL_ERROR, "cannot hash the password");
    struct db_stmt *st = prep(db, "UPDATE users SET password_hash = ? WHERE username = ?", e);
    if (!st)
        return -1;
    db_bind_str(st, 1, hash);
    return run_user_update(db, st, username, e);
}

int authdb_user_set_admin(struct db *db, const char *username, bool is_admin, struct err *e)
{
    struct db_stmt *st = prep(db, "UPDATE users SET is_admin = ? WHERE username = ?", e);
    if (!st)
        return -1;
    bind_bool(st, 1, is_admin);
    return run_user_update(db, st, username, e);
}

/* Runs one statement bound with a single integer. */
static int run_id(struct db *db, const char *sql, int64_t id, struct err *e)
{
    struct db_stmt *st = prep(db, sql, e);
    if (!st)
        return -1;
    db_bind_int(st, 1, id);
    return run(st, e) == 0 ? 0 : (e->code ? -1 : db_fail(e, DB_ERROR));
}

static int begin(struct db *db, struct err *e)
{
    int rc = db_begin(db, true);
    return rc == 0 ? 0 : db_fail(e, (enum db_rc)rc);
}

static int commit(struct db *db, struct err *e)
{
    int rc = db_commit(db);
    if (rc != 0) {
        db_rollback(db);
        return db_fail(e, (enum db_rc)rc);
    }
    return 0;
}

static int fail(struct db *db)
{
    db_rollback(db);
    return -1;
}

int authdb_user_delete(struct db *db, const char *username, struct err *e)
{
    struct arena a;
    arena_init(&a);
    struct auth_user u;
    int rc = -1;
    if (begin(db, e) != 0)
        goto out;
    if (user_must(db, &a, username, &u, e) != 0)
        goto rollback;
    /* The synthetic role and its grants first, then every assignment, the legacy tables'
     * rows (MLflow's _RETAINED_LEGACY_PERMISSION_TABLES) and the user. */
    static const char *const steps[] = {
        "DELETE FROM role_permissions WHERE role_id IN (SELECT id FROM roles WHERE name = "
        "'__user_' || CAST(?1 AS TEXT) || '__')",
        "DELETE FROM user_role_assignments WHERE role_id IN (SELECT id FROM roles WHERE name "
        "= '__user_' || CAST(?1 AS TEXT) || '__')",
        "DELETE FROM roles WHERE name = '__user_' || CAST(?1 AS TEXT) || '__'",
        "DELETE FROM user_role_assignments WHERE user_id = ?",
        "DELETE FROM experiment_permissions WHERE user_id = ?",
        "DELETE FROM registered_model_permissions WHERE user_id = ?",
        "DELETE FROM scorer_permissions WHERE user_id = ?",
        "DELETE FROM gateway_secret_permissions WHERE user_id = ?",
        "DELETE FROM gateway_endpoint_permissions WHERE user_id = ?",
        "DELETE FROM gateway_model_definition_permissions WHERE user_id = ?",
        "DELETE FROM workspace_permissions WHERE user_id = ?",
        /* Ours: a user's tokens die with it (SQLite may give its id to the next user). */
        "DELETE FROM mltrack_auth_tokens WHERE user_id = ?",
        "DELETE FROM users WHERE id = ?",
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (run_id(db, steps[i], u.id, e) != 0)
            goto rollback;
    rc = commit(db, e);
    goto out;
rollback:
    fail(db);
out:
    arena_release(&a);
    return rc;
}

/* ---- grants ---- */

int authdb_grants(struct db *db, struct arena *a, int64_t user_id, struct grant **g,
                  size_t *n, struct err *e)
{
    *g = NULL;
    *n = 0;
    struct db_stmt *st = prep(
        db,
        "SELECT rp.resource_type, rp.resource_pattern, rp.permission FROM role_permissions rp "
        "JOIN roles r ON r.id = rp.role_id JOIN user_role_assignments ura ON ura.role_id = r.id "
        "WHERE ura.user_id = ? AND r.workspace = '" AUTH_WORKSPACE "'",
        e);
    if (!st)
        return -1;
    db_bind_int(st, 1, user_id);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        size_t pn;
        const char *ps = db_col_text(st, 2, &pn);
        char pbuf[32];
        int p = -1;
        if (ps && pn < sizeof pbuf) {
            memcpy(pbuf, ps, pn);
            pbuf[pn] = '\0';
            p = perm_parse(pbuf);
        }
        if (p < 0) /* a level we do not know grants nothing, as MLflow's fold would fail */
            continue;
        *g = arena_grow(a, *g, *n, sizeof **g);
        struct grant *x = &(*g)[(*n)++];
        x->resource_type = col_dup(a, st, 0);
        x->resource_pattern = col_dup(a, st, 1);
        x->permission = (enum perm)p;
        if (!x->resource_type || !x->resource_pattern)
            (*n)--;
    }
    db_done(st);
    return rc == DB_DONE ? 0 : db_fail(e, rc);
}

/* The user's synthetic role in the default workspace, created (and assigned) if missing;
 * inside the caller's transaction. */
static int synthetic_role(struct db *db, int64_t user_id, bool create, int64_t *role_id,
                          struct err *e)
{
    struct arena a;
    arena_init(&a);
    const char *name = arena_printf(&a, "__user_%lld__", (long long)user_id);
    int rc = -1;
    struct db_stmt *st =
        prep(db, "SELECT id FROM roles WHERE workspace = '" AUTH_WORKSPACE "' AND name = ?", e);
    if (!st)
        goto out;
    db_bind_str(st, 1, name);
    enum db_rc r = db_step(st);
    if (r == DB_ROW) {
        *role_id = db_col_int(st, 0);
        db_done(st);
    } else {
        db_done(st);
        if (r != DB_DONE) {
            db_fail(e, r);
            goto out;
        }
        if (!create) {
            rc = 0;
            *role_id = -1;
            goto out;
        }
        st = prep(db, "INSERT INTO roles (name, workspace, description) VALUES (?, '"
                      AUTH_WORKSPACE "', NULL) RETURNING id", e);
        if (!st)
            goto out;
        db_bind_str(st, 1, name);
        r = db_step(st);
        if (r != DB_ROW) {
            db_done(st);
            db_fail(e, r);
            goto out;
        }
        *role_id = db_col_int(st, 0);
        db_done(st);
    }
    /* A role of that reserved name held by someone else would leak grants: refuse. */
    st = prep(db, "SELECT user_id FROM user_role_assignments WHERE role_id = ? AND user_id <> ?",
              e);
    if (!st)
        goto out;
    db_bind_int(st, 1, *role_id);
    db_bind_int(st, 2, user_id);
    r = db_step(st);
    if (r == DB_ROW) {
        long long other = (long long)db_col_int(st, 0);
        db_done(st);
        err_set(e, ERR_INVALID_PARAMETER_VALUE,
                "Role '%s' in workspace 'default' collides with the reserved '__user_<id>__' "
                "synthetic namespace but is already assigned to user_id=%lld. Rename or delete "
                "the conflicting role before granting per-user permissions.",
                name, other);
        goto out;
    }
    db_done(st);
    if (create) {
        st = prep(db, "INSERT INTO user_role_assignments (user_id, role_id) VALUES (?, ?) "
                      "ON CONFLICT DO NOTHING", e);
        if (!st)
            goto out;
        db_bind_int(st, 1, user_id);
        db_bind_int(st, 2, *role_id);
        if (run(st, e) < 0)
            goto out;
    }
    rc = 0;
out:
    arena_release(&a);
    return rc;
}

int authdb_grant(struct db *db, const char *username, const char *type, const char *pattern,
                 const char *permission, bool upsert, struct err *e)
{
    if (check_grant(type, pattern, permission, e) != 0)
        return -1;
    struct arena a;
    arena_init(&a);
    struct auth_user u;
    int64_t role;
    int rc = -1;
    if (begin(db, e) != 0)
        goto out;
    if (user_must(db, &a, username, &u, e) != 0 || synthetic_role(db, u.id, true, &role, e) != 0)
        goto rollback;
    struct db_stmt *st = prep(
        db, upsert ? "INSERT INTO role_permissions (role_id, resource_type, resource_pattern, "
                     "permission) VALUES (?, ?, ?, ?) ON CONFLICT (role_id, resource_type, "
                     "resource_pattern) DO UPDATE SET permission = excluded.permission"
                   : "INSERT INTO role_permissions (role_id, resource_type, resource_pattern, "
                     "permission) VALUES (?, ?, ?, ?)",
        e);
    if (!st)
        goto rollback;
    db_bind_int(st, 1, role);
    db_bind_str(st, 2, type);
    db_bind_str(st, 3, pattern);
    db_bind_str(st, 4, permission);
    int r = run(st, e);
    if (r == 1)
        err_set(e, ERR_RESOURCE_ALREADY_EXISTS,
                "Permission for user=%s on resource_type=%s, resource_id=%s already exists.",
                username, type, pattern);
    if (r != 0)
        goto rollback;
    rc = commit(db, e);
    goto out;
rollback:
    fail(db);
out:
    arena_release(&a);
    return rc;
}

int authdb_revoke(struct db *db, const char *username, const char *type, const char *pattern,
                  struct err *e)
{
    if (strcmp(type, "workspace") == 0 || check_type(type, e) != 0)
        return check_grant(type, pattern, "READ", e);
    struct arena a;
    arena_init(&a);
    struct auth_user u;
    int64_t role = -1;
    int rc = -1;
    if (begin(db, e) != 0)
        goto out;
    if (user_must(db, &a, username, &u, e) != 0 || synthetic_role(db, u.id, false, &role, e) != 0)
        goto rollback;
    if (role >= 0) {
        struct db_stmt *st = prep(db, "DELETE FROM role_permissions WHERE role_id = ? AND "
                                      "resource_type = ? AND resource_pattern = ?", e);
        if (!st)
            goto rollback;
        db_bind_int(st, 1, role);
        db_bind_str(st, 2, type);
        db_bind_str(st, 3, pattern);
        if (run(st, e) != 0)
            goto rollback;
    }
    if (role < 0 || db_changes(db) == 0) {
        err_set(e, ERR_RESOURCE_DOES_NOT_EXIST,
                "Permission for user=%s on resource_type=%s, resource_id=%s not found.",
                username, type, pattern);
        goto rollback;
    }
    rc = commit(db, e);
    goto out;
rollback:
    fail(db);
out:
    arena_release(&a);
    return rc;
}

/* Synthetic roles are named __user_<digits>__ (GLOB: the '_' of LIKE would be a wildcard). */
/* Synthetic roles: the reserved __user_...__ names (create_role refuses the prefix), in SQL
 * both dialects read alike. */
#define SYNTHETIC_ROLES                                                                   \
    "SELECT id FROM roles WHERE workspace = '" AUTH_WORKSPACE "' AND substr(name, 1, 7) = " \
    "'__user_' AND length(name) > 9 AND substr(name, length(name) - 1, 2) = '__'"

int authdb_resource_gone(struct db *db, const char *type, const char *pattern, struct err *e)
{
    struct db_stmt *st = prep(db, "DELETE FROM role_permissions WHERE resource_type = ? AND "
                                  "resource_pattern = ? AND role_id IN (" SYNTHETIC_ROLES ")", e);
    if (!st)
        return -1;
    db_bind_str(st, 1, type);
    db_bind_str(st, 2, pattern);
    return run(st, e) == 0 ? 0 : -1;
}

int authdb_resource_renamed(struct db *db, const char *type, const char *old_pattern,
                            const char *new_pattern, struct err *e)
{
    struct db_stmt *st =
        prep(db, "UPDATE role_permissions SET resource_pattern = ? WHERE resource_type = ? AND "
                 "resource_pattern = ? AND role_id IN (" SYNTHETIC_ROLES ")", e);
    if (!st)
        return -1;
    db_bind_str(st, 1, new_pattern);
    db_bind_str(st, 2, type);
    db_bind_str(st, 3, old_pattern);
    return run(st, e) == 0 ? 0 : -1;
}

int authdb_user_permissions(struct db *db, struct arena *a, int64_t user_id,
                            struct auth_perm_row **v, size_t *n, struct err *e)
{
    *v = NULL;
    *n = 0;
    struct db_stmt *st = prep(
        db,
        "SELECT r.id, r.name, r.workspace, rp.resource_type, rp.resource_pattern, rp.permission "
        "FROM user_role_assignments ura JOIN roles r ON r.id = ura.role_id JOIN role_permissions "
        "rp ON rp.role_id = r.id WHERE ura.user_id = ? ORDER BY r.id, rp.id",
        e);
    if (!st)
        return -1;
    db_bind_int(st, 1, user_id);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *v = arena_grow(a, *v, *n, sizeof **v);
        struct auth_perm_row *x = &(*v)[(*n)++];
        x->role_id = db_col_int(st, 0);
        x->role_name = col_dup(a, st, 1);
        x->workspace = col_dup(a, st, 2);
        x->resource_type = col_dup(a, st, 3);
        x->resource_pattern = col_dup(a, st, 4);
        x->permission = col_dup(a, st, 5);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : db_fail(e, rc);
}

/* ---- set-up ---- */

static int revision(struct db *db, char *buf, size_t cap, struct err *e)
{
    struct db_stmt *st = db_prepare_once(db, db_dialect(db)->table_exists_sql);
    if (!st)
        return err_set(e, ERR_INTERNAL_ERROR, "cannot read the auth database");
    db_bind_str(st, 1, "alembic_version_auth");
    enum db_rc rc = db_step(st);
    db_done(st);
    buf[0] = '\0';
    if (rc == DB_DONE)
        return 0;
    if (rc != DB_ROW)
        return err_set(e, ERR_INTERNAL_ERROR, "cannot read the auth database");
    st = db_prepare_once(db, "SELECT version_num FROM alembic_version_auth");
    if (!st)
        return err_set(e, ERR_INTERNAL_ERROR, "cannot read the auth database");
    if (db_step(st) == DB_ROW) {
        size_t n;
        const char *v = db_col_text(st, 0, &n);
        if (v && n < cap) {
            memcpy(buf, v, n);
            buf[n] = '\0';
        }
    }
    db_done(st);
    if (!buf[0])
        snprintf(buf, cap, "(none)");
    return 0;
}

/* Whether MLflow's users table is there (an auth database of some other revision, or of
 * something else). The auth tables may share a database with the tracking store, as in
 * MLflow, so other tables do not count. */
static bool has_users_table(struct db *db)
{
    struct db_stmt *st = db_prepare_once(db, db_dialect(db)->table_exists_sql);
    if (!st)
        return true;
    db_bind_str(st, 1, "users");
    bool yes = db_step(st) != DB_DONE;
    db_done(st);
    return yes;
}

/* MLflow's create_admin_user, on the set-up connection. */
static int bootstrap_admin(struct db *db, const struct auth_config *cfg, struct err *e)
{
    if (!cfg->admin_username)
        return err_set(e, ERR_INVALID_STATE,
                       "MLflow Authentication needs a username for the admin user, but none is "
                       "configured (or it is empty). Set the MLFLOW_AUTH_ADMIN_USERNAME "
                       "environment variable, or set `admin_username` in the configuration "
                       "file referenced by MLFLOW_AUTH_CONFIG_PATH, and restart the server.");
    struct arena a;
    arena_init(&a);
    struct auth_user u;
    int rc = -1;
    int have = authdb_user_get(db, &a, cfg->admin_username, &u, e);
    if (have < 0)
        goto out;
    if (have == 1) {
        if (pw_verify(u.password_hash, AUTH_LEGACY_ADMIN_PASSWORD,
                      strlen(AUTH_LEGACY_ADMIN_PASSWORD))) {
            if (cfg->admin_password &&
                strcmp(cfg->admin_password, AUTH_LEGACY_ADMIN_PASSWORD) != 0 &&
                auth_check_password(cfg->admin_password, e) == 0) {
                if (authdb_user_set_password(db, cfg->admin_username, cfg->admin_password, e))
                    goto out;
                log_warn("Replaced the insecure default password of admin user '%s' with the "
                         "configured one. Unset MLFLOW_AUTH_ADMIN_PASSWORD (or remove "
                         "`admin_password` from the configuration file) now that the "
                         "rotation is done.",
                         cfg->admin_username);
            } else {
                err_clear(e);
                log_warn("The basic auth user '%s' still uses the insecure default password "
                         "that older MLflow versions shipped; admin logins with it are "
                         "rejected. Rotate it by setting MLFLOW_AUTH_ADMIN_PASSWORD and "
                         "restarting.",
                         cfg->admin_username);
            }
        }
        rc = 0;
        goto out;
    }
    const char *pw = cfg->admin_password;
    if (!pw) {
        err_set(e, ERR_INVALID_STATE,
                "MLflow Authentication needs a password to create the admin user '%s', but none "
                "is configured (or it is empty). MLflow ships no default admin password. Set "
                "the MLFLOW_AUTH_ADMIN_PASSWORD environment variable, or set `admin_password` "
                "in the configuration file referenced by MLFLOW_AUTH_CONFIG_PATH, and restart "
                "the server.",
                cfg->admin_username);
        goto out;
    }
    if (strcmp(pw, AUTH_LEGACY_ADMIN_PASSWORD) == 0) {
        err_set(e, ERR_INVALID_STATE,
                "Refusing to use the insecure default password that older MLflow versions "
                "shipped in basic_auth.ini for the admin user '%s' "
                "(https://github.com/advisories/GHSA-gq3w-7jj3-x7gr). Set "
                "MLFLOW_AUTH_ADMIN_PASSWORD or `admin_password` in the configuration file "
                "referenced by MLFLOW_AUTH_CONFIG_PATH to a different password.",
                cfg->admin_username);
        goto out;
    }
    if (auth_check_password(pw, e) != 0) {
        const char *why = "Password must be at least 12 characters.";
        err_set(e, ERR_INVALID_STATE,
                "The configured password for the admin user '%s' is invalid: %s Set "
                "MLFLOW_AUTH_ADMIN_PASSWORD or `admin_password` in the configuration file "
                "referenced by MLFLOW_AUTH_CONFIG_PATH to a valid password.",
                cfg->admin_username, why);
        goto out;
    }
    if (authdb_user_create(db, &a, cfg->admin_username, pw, true, &u, e) != 0)
        goto out;
    log_info("Created admin user '%s'.", cfg->admin_username);
    rc = 0;
out:
    arena_release(&a);
    return rc;
}

int authdb_init(const struct auth_config *cfg, struct err *e)
{
    g_cfg = cfg;
    struct db *db = db_open(cfg->database_uri, e);
    if (!db)
        return -1;
    int rc = -1;
    const char *mlflow_schema = NULL, *mltrack_schema = NULL;
    for (size_t i = 0; i < sizeof schemas / sizeof *schemas; i++)
        if (schemas[i].dialect == db_dialect(db)) {
            mlflow_schema = schemas[i].mlflow;
            mltrack_schema = schemas[i].mltrack;
        }
    /* Set-up under the dialect's lock, so processes starting together create it once. */
    const char *lock = db_dialect(db)->setup_lock_sql;
    if (!mlflow_schema || db_begin(db, true) != 0 || (lock && db_exec(db, lock) != 0)) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot lock the auth database '%s'", cfg->database_uri);
        goto rollback;
    }
    char rev[64];
    if (revision(db, rev, sizeof rev, e) != 0)
        goto rollback;
    if (!rev[0]) {
        if (has_users_table(db)) {
            err_set(e, ERR_INVALID_STATE,
                    "the auth database '%s' has tables but no alembic_version_auth: not an "
                    "MLflow auth database",
                    cfg->database_uri);
            goto rollback;
        }
        if (db_exec(db, mlflow_schema) != 0) {
            err_set(e, ERR_INTERNAL_ERROR, "cannot create the auth schema in '%s'",
                    cfg->database_uri);
            goto rollback;
        }
        log_info("created MLflow's auth schema (alembic %s) in %s", AUTH_ALEMBIC_HEAD,
                 cfg->database_uri);
    } else if (strcmp(rev, AUTH_ALEMBIC_HEAD) != 0) {
        err_set(e, ERR_INVALID_STATE,
                "the auth database '%s' is at revision %s but mltrack speaks %s (MLflow %s); "
                "start `mlflow server --app-name basic-auth` on it once to upgrade it",
                cfg->database_uri, rev, AUTH_ALEMBIC_HEAD, MLFLOW_COMPAT_VERSION);
        goto rollback;
    }
    /* Our own tables (tokens, the audit log), on new and existing databases. */
    if (db_exec(db, mltrack_schema) != 0) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot create mltrack's tables in '%s'",
                cfg->database_uri);
        goto rollback;
    }
    if (bootstrap_admin(db, cfg, e) != 0)
        goto rollback;
    if (db_commit(db) != 0) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot commit the auth set-up in '%s'",
                cfg->database_uri);
        goto rollback;
    }
    rc = 0;
    goto out;
rollback:
    db_rollback(db);
out:
    db_close(db);
    return rc;
}

/* ---- roles ---- */

/* _validate_permission_for_resource_type then _validate_resource_pattern, MLflow's order. */
static int check_role_perm(const char *type, const char *pattern, const char *permission,
                           struct err *e)
{
    int p = perm_parse(permission);
    if (p < 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid permission '%s'. Valid permissions are: ('READ', 'USE', "
                       "'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY')",
                       permission);
    if (check_type(type, e) != 0)
        return -1;
    if (strcmp(type, "workspace") == 0) {
        if (p != PERM_USE && p != PERM_MANAGE)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid permission '%s' for resource_type='workspace'. "
                           "Workspace-wide grants accept only: ('MANAGE', 'USE').",
                           permission);
    } else if (p == PERM_NO_PERMISSIONS) {
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid permission '%s' for resource_type='%s'. Resource-level grants "
                       "accept only: ('DENY', 'EDIT', 'MANAGE', 'READ', 'USE').",
                       permission, type);
    }
    if (pattern && strcmp(pattern, "*") != 0 && !perm_type_takes_id(type))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid resource_pattern '%s' for resource_type='%s'. This resource "
                       "type supports only wildcard ('*') grants.",
                       pattern, type);
    return 0;
}

static int reserved_name(const char *name, struct err *e)
{
    if (strncmp(name, "__user_", 7) == 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Role name '%s' uses the reserved '__user_' prefix, which is held for the "
                       "per-user permission representation. Choose a different name.",
                       name);
    return 0;
}

static int role_perms(struct db *db, struct arena *a, struct auth_role *r, struct err *e)
{
    r->perms = NULL;
    r->nperms = 0;
    struct db_stmt *st = prep(db, "SELECT id, role_id, resource_type, resource_pattern, "
                                  "permission FROM role_permissions WHERE role_id = ? ORDER BY id",
                              e);
    if (!st)
        return -1;
    db_bind_int(st, 1, r->id);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        r->perms = arena_grow(a, r->perms, r->nperms, sizeof *r->perms);
        struct auth_role_perm *p = &r->perms[r->nperms++];
        p->id = db_col_int(st, 0);
        p->role_id = db_col_int(st, 1);
        p->resource_type = col_dup(a, st, 2);
        p->resource_pattern = col_dup(a, st, 3);
        p->permission = col_dup(a, st, 4);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : db_fail(e, rc);
}

int authdb_role_get(struct db *db, struct arena *a, int64_t id, struct auth_role *out,
                    struct err *e)
{
    struct db_stmt *st =
        prep(db, "SELECT id, name, workspace, description FROM roles WHERE id = ?", e);
    if (!st)
        return -1;
    db_bind_int(st, 1, id);
    enum db_rc rc = db_step(st);
    if (rc != DB_ROW) {
        db_done(st);
        if (rc == DB_DONE)
            return err_set(e, ERR_RESOURCE_DOES_NOT_EXIST, "Role with id=%lld not found",
                           (long long)id);
        return db_fail(e, rc);
    }
    out->id = db_col_int(st, 0);
    out->name = col_dup(a, st, 1);
    out->workspace = col_dup(a, st, 2);
    out->description = col_dup(a, st, 3);
    db_done(st);
    return role_perms(db, a, out, e);
}

int authdb_role_create(struct db *db, struct arena *a, const char *name, const char *workspace,
                       const char *description, struct auth_role *out, struct err *e)
{
    if (reserved_name(name, e) != 0)
        return -1;
    struct db_stmt *st = prep(
        db, "INSERT INTO roles (name, workspace, description) VALUES (?, ?, ?) RETURNING id", e);
    if (!st)
        return -1;
    db_bind_str(st, 1, name);
    db_bind_str(st, 2, workspace);
    db_bind_str(st, 3, description);
    enum db_rc rc = db_step(st);
    int64_t id = rc == DB_ROW ? db_col_int(st, 0) : 0;
    db_done(st);
    if (rc == DB_CONSTRAINT)
        return err_set(e, ERR_RESOURCE_ALREADY_EXISTS,
                       "Role (name=%s, workspace=%s) already exists.", name, workspace);
    if (rc != DB_ROW)
        return db_fail(e, rc);
    return authdb_role_get(db, a, id, out, e);
}

int authdb_role_list(struct db *db, struct arena *a, const char *workspace, int64_t user_id,
                     struct auth_role **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    struct db_stmt *st = prep(
        db,
        "SELECT r.id FROM roles r WHERE (?1 IS NULL OR r.workspace = ?1) AND (?2 < 0 OR r.id IN "
        "(SELECT role_id FROM user_role_assignments WHERE user_id = ?2)) ORDER BY r.id",
        e);
    if (!st)
        return -1;
    db_bind_str(st, 1, workspace);
    db_bind_int(st, 2, user_id);
    int64_t *ids = NULL;
    size_t k = 0;
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        ids = arena_grow(a, ids, k, sizeof *ids);
        ids[k++] = db_col_int(st, 0);
    }
    db_done(st);
    if (rc != DB_DONE)
        return db_fail(e, rc);
    *out = arena_calloc(a, k ? k : 1, sizeof **out);
    for (size_t i = 0; i < k; i++)
        if (authdb_role_get(db, a, ids[i], &(*out)[i], e) != 0)
            return -1;
    *n = k;
    return 0;
}

int authdb_role_update(struct db *db, struct arena *a, int64_t id, const char *name,
                       const char *description, struct auth_role *out, struct err *e)
{
    if (name && reserved_name(name, e) != 0)
        return -1;
    struct auth_role cur;
    if (authdb_role_get(db, a, id, &cur, e) != 0)
        return -1;
    struct db_stmt *st = prep(db, "UPDATE roles SET name = coalesce(?, name), description = "
                                  "coalesce(?, description) WHERE id = ?", e);
    if (!st)
        return -1;
    db_bind_str(st, 1, name);
    db_bind_str(st, 2, description);
    db_bind_int(st, 3, id);
    int r = run(st, e);
    if (r == 1)
        return err_set(e, ERR_RESOURCE_ALREADY_EXISTS,
                       "Role with name=%s already exists in workspace=%s", name, cur.workspace);
    if (r < 0)
        return -1;
    return authdb_role_get(db, a, id, out, e);
}

int authdb_role_delete(struct db *db, int64_t id, struct err *e)
{
    struct arena a;
    arena_init(&a);
    struct auth_role r;
    int rc = -1;
    if (begin(db, e) != 0)
        goto out;
    if (authdb_role_get(db, &a, id, &r, e) != 0 ||
        run_id(db, "DELETE FROM role_permissions WHERE role_id = ?", id, e) != 0 ||
        run_id(db, "DELETE FROM user_role_assignments WHERE role_id = ?", id, e) != 0 ||
        run_id(db, "DELETE FROM roles WHERE id = ?", id, e) != 0) {
        fail(db);
        goto out;
    }
    rc = commit(db, e);
out:
    arena_release(&a);
    return rc;
}

static int role_perm_get(struct db *db, struct arena *a, int64_t id, struct auth_role_perm *p,
                         struct err *e)
{
    struct db_stmt *st = prep(db, "SELECT id, role_id, resource_type, resource_pattern, "
                                  "permission FROM role_permissions WHERE id = ?", e);
    if (!st)
        return -1;
    db_bind_int(st, 1, id);
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW) {
        p->id = db_col_int(st, 0);
        p->role_id = db_col_int(st, 1);
        p->resource_type = col_dup(a, st, 2);
        p->resource_pattern = col_dup(a, st, 3);
        p->permission = col_dup(a, st, 4);
    }
    db_done(st);
    if (rc == DB_DONE)
        return err_set(e, ERR_RESOURCE_DOES_NOT_EXIST, "Role permission with id=%lld not found",
                       (long long)id);
    return rc == DB_ROW ? 0 : db_fail(e, rc);
}

int authdb_role_perm_add(struct db *db, struct arena *a, int64_t role_id, const char *type,
                         const char *pattern, const char *permission,
                         struct auth_role_perm *out, struct err *e)
{
    struct auth_role r;
    if (check_role_perm(type, pattern, permission, e) != 0 ||
        authdb_role_get(db, a, role_id, &r, e) != 0)
        return -1;
    struct db_stmt *st = prep(db, "INSERT INTO role_permissions (role_id, resource_type, "
                                  "resource_pattern, permission) VALUES (?, ?, ?, ?) RETURNING id",
                              e);
    if (!st)
        return -1;
    db_bind_int(st, 1, role_id);
    db_bind_str(st, 2, type);
    db_bind_str(st, 3, pattern);
    db_bind_str(st, 4, permission);
    enum db_rc rc = db_step(st);
    int64_t id = rc == DB_ROW ? db_col_int(st, 0) : 0;
    db_done(st);
    if (rc == DB_CONSTRAINT)
        return err_set(e, ERR_RESOURCE_ALREADY_EXISTS,
                       "Role permission (role_id=%lld, resource_type=%s, resource_pattern=%s) "
                       "already exists.",
                       (long long)role_id, type, pattern);
    if (rc != DB_ROW)
        return db_fail(e, rc);
    return role_perm_get(db, a, id, out, e);
}

int authdb_role_perm_remove(struct db *db, int64_t id, struct err *e)
{
    struct arena a;
    arena_init(&a);
    struct auth_role_perm p;
    int rc = role_perm_get(db, &a, id, &p, e) != 0
                 ? -1
                 : run_id(db, "DELETE FROM role_permissions WHERE id = ?", id, e);
    arena_release(&a);
    return rc;
}

int authdb_role_perm_update(struct db *db, struct arena *a, int64_t id, const char *permission,
                            struct auth_role_perm *out, struct err *e)
{
    struct auth_role_perm p;
    if (role_perm_get(db, a, id, &p, e) != 0 ||
        check_role_perm(p.resource_type, NULL, permission, e) != 0)
        return -1;
    struct db_stmt *st = prep(db, "UPDATE role_permissions SET permission = ? WHERE id = ?", e);
    if (!st)
        return -1;
    db_bind_str(st, 1, permission);
    db_bind_int(st, 2, id);
    if (run(st, e) != 0)
        return -1;
    return role_perm_get(db, a, id, out, e);
}

int authdb_assign(struct db *db, int64_t user_id, int64_t role_id,
                  struct auth_assignment *out, struct err *e)
{
    struct arena a;
    arena_init(&a);
    struct auth_role r;
    int rc = -1;
    if (authdb_role_get(db, &a, role_id, &r, e) != 0)
        goto out;
    struct db_stmt *st = prep(db, "INSERT INTO user_role_assignments (user_id, role_id) VALUES "
                                  "(?, ?) RETURNING id", e);
    if (!st)
        goto out;
    db_bind_int(st, 1, user_id);
    db_bind_int(st, 2, role_id);
    enum db_rc s = db_step(st);
    out->id = s == DB_ROW ? db_col_int(st, 0) : 0;
    db_done(st);
    if (s == DB_CONSTRAINT) {
        err_set(e, ERR_RESOURCE_ALREADY_EXISTS,
                "User role assignment (user_id=%lld, role_id=%lld) already exists",
                (long long)user_id, (long long)role_id);
        goto out;
    }
    if (s != DB_ROW) {
        db_fail(e, s);
        goto out;
    }
    out->user_id = user_id;
    out->role_id = role_id;
    rc = 0;
out:
    arena_release(&a);
    return rc;
}

int authdb_unassign(struct db *db, int64_t user_id, int64_t role_id, struct err *e)
{
    struct db_stmt *st =
        prep(db, "DELETE FROM user_role_assignments WHERE user_id = ? AND role_id = ?", e);
    if (!st)
        return -1;
    db_bind_int(st, 1, user_id);
    db_bind_int(st, 2, role_id);
    if (run(st, e) != 0)
        return -1;
    if (db_changes(db) == 0)
        return err_set(e, ERR_RESOURCE_DOES_NOT_EXIST,
                       "User role assignment (user_id=%lld, role_id=%lld) not found",
                       (long long)user_id, (long long)role_id);
    return 0;
}

int authdb_role_users(struct db *db, struct arena *a, int64_t role_id,
                      struct auth_assignment **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    struct auth_role r;
    if (authdb_role_get(db, a, role_id, &r, e) != 0)
        return -1;
    struct db_stmt *st = prep(db, "SELECT id, user_id, role_id FROM user_role_assignments "
                                  "WHERE role_id = ? ORDER BY id", e);
    if (!st)
        return -1;
    db_bind_int(st, 1, role_id);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *out = arena_grow(a, *out, *n, sizeof **out);
        struct auth_assignment *x = &(*out)[(*n)++];
        x->id = db_col_int(st, 0);
        x->user_id = db_col_int(st, 1);
        x->role_id = db_col_int(st, 2);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : db_fail(e, rc);
}
