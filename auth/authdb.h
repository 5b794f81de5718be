/* MLflow's auth database (users, roles, role_permissions, user_role_assignments and the
 * legacy per-resource tables MLflow keeps for rollback) at the pinned alembic head, on the
 * db/ interface: schema set-up, the admin bootstrap, one connection per thread (never
 * shared), and the reads and writes of the auth API. A database made by `mlflow server
 * --app-name basic-auth` opens here and the other way round.
 *
 * Per-user grants live, as in MLflow, on a hidden role `__user_<id>__` in the "default"
 * workspace that only that user holds. Strings returned are from the arena given. Errors are
 * MLflow's (code and message) in e; database details go to the log. */
#ifndef MLT_AUTH_AUTHDB_H
#define MLT_AUTH_AUTHDB_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/err.h"
#include "../db/db.h"
#include "config.h"
#include "perm.h"

#define AUTH_ALEMBIC_HEAD "f1a2b3c4d5e6"
#define AUTH_WORKSPACE "default"
/* The admin password older MLflow versions shipped (GHSA-gq3w-7jj3-x7gr): never accepted. */
#define AUTH_LEGACY_ADMIN_PASSWORD "password1234"

struct auth_user {
    int64_t id;
    const char *username, *password_hash;
    bool is_admin;
};

/* Opens cfg->database_uri, creates the schema in an empty database or checks its revision,
 * and creates the admin user when it does not exist (MLflow's create_admin_user: refused
 * without a password, with the legacy default password, or with one under 12 characters).
 * -1 with a one-line message in e. cfg is borrowed for the life of the process. */
int authdb_init(const struct auth_config *cfg, struct err *e);
void authdb_shutdown(void);
/* The calling thread's connection to the auth database (opened on first use). */
struct db *authdb_thread(struct err *e);

/* MLflow's _validate_username / _validate_password: 0, or -1 with e set. */
int auth_check_username(const char *username, struct err *e);
int auth_check_password(const char *password, struct err *e);

/* The user a trusted proxy names, created (not an admin, with a random password nobody
 * knows) on first sight: single sign-on provisions its users. */
int authdb_user_provision(struct db *db, struct arena *a, const char *username,
                          struct auth_user *u, struct err *e);

/* 1 and *u filled when the user exists, 0 when not, -1 on a database error. */
int authdb_user_get(struct db *db, struct arena *a, const char *username, struct auth_user *u,
                    struct err *e);
int authdb_user_create(struct db *db, struct arena *a, const char *username,
                       const char *password, bool is_admin, struct auth_user *u, struct err *e);
int authdb_user_list(struct db *db, struct arena *a, struct auth_user **v, size_t *n,
                     struct err *e);
/* RESOURCE_DOES_NOT_EXIST "User with username=... not found" when absent. */
int authdb_user_set_password(struct db *db, const char *username, const char *password,
                             struct err *e);
int authdb_user_set_admin(struct db *db, const char *username, bool is_admin, struct err *e);
int authdb_user_delete(struct db *db, const char *username, struct err *e);

/* The user's grants in the default workspace (every role they hold). */
int authdb_grants(struct db *db, struct arena *a, int64_t user_id, struct grant **g,
                  size_t *n, struct err *e);

/* Grants on the user's synthetic role. upsert: replace the permission of an existing row
 * (MLflow's grant_user_permission, the creator's MANAGE); else RESOURCE_ALREADY_EXISTS when
 * one exists (grant_user_resource_permission). Validates type, pattern grain and
 * permission with MLflow's messages. */
int authdb_grant(struct db *db, const char *username, const char *type, const char *pattern,
                 const char *permission, bool upsert, struct err *e);
/* RESOURCE_DOES_NOT_EXIST when the user holds no such grant. */
int authdb_revoke(struct db *db, const char *username, const char *type, const char *pattern,
                  struct err *e);
/* Every synthetic-role grant on (type, pattern) dropped, or moved to new_pattern (a
 * registered model deleted or renamed). Admin-made roles are never touched. */
int authdb_resource_gone(struct db *db, const char *type, const char *pattern, struct err *e);
int authdb_resource_renamed(struct db *db, const char *type, const char *old_pattern,
                            const char *new_pattern, struct err *e);

/* One grant of one of the user's roles, for users/permissions/list. */
struct auth_perm_row {
    int64_t role_id;
    const char *role_name, *workspace, *resource_type, *resource_pattern, *permission;
};
int authdb_user_permissions(struct db *db, struct arena *a, int64_t user_id,
                            struct auth_perm_row **v, size_t *n, struct err *e);


/* ---- roles (MLflow's RBAC tables), admin-managed ---- */

struct auth_role_perm {
    int64_t id, role_id;
    const char *resource_type, *resource_pattern, *permission;
};
struct auth_role {
    int64_t id;
    const char *name, *workspace, *description; /* description NULL when none */
    struct auth_role_perm *perms;
    size_t nperms;
};
struct auth_assignment {
    int64_t id, user_id, role_id;
};

/* Names starting with "__user_" are reserved for the per-user roles: INVALID_PARAMETER_VALUE. */
int authdb_role_create(struct db *db, struct arena *a, const char *name, const char *workspace,
                       const char *description, struct auth_role *out, struct err *e);
/* RESOURCE_DOES_NOT_EXIST "Role with id=N not found". */
int authdb_role_get(struct db *db, struct arena *a, int64_t id, struct auth_role *out,
                    struct err *e);
/* Every role (workspace NULL), one workspace's, or the roles user_id holds (>= 0). */
int authdb_role_list(struct db *db, struct arena *a, const char *workspace, int64_t user_id,
                     struct auth_role **out, size_t *n, struct err *e);
int authdb_role_update(struct db *db, struct arena *a, int64_t id, const char *name,
                       const char *description, struct auth_role *out, struct err *e);
int authdb_role_delete(struct db *db, int64_t id, struct err *e);
int authdb_role_perm_add(struct db *db, struct arena *a, int64_t role_id, const char *type,
                         const char *pattern, const char *permission,
                         struct auth_role_perm *out, struct err *e);
int authdb_role_perm_remove(struct db *db, int64_t id, struct err *e);
int authdb_role_perm_update(struct db *db, struct arena *a, int64_t id, const char *permission,
                            struct auth_role_perm *out, struct err *e);
int authdb_assign(struct db *db, int64_t user_id, int64_t role_id,
                  struct auth_assignment *out, struct err *e);
int authdb_unassign(struct db *db, int64_t user_id, int64_t role_id, struct err *e);
int authdb_role_users(struct db *db, struct arena *a, int64_t role_id,
                      struct auth_assignment **out, size_t *n, struct err *e);

/* ---- API tokens and the audit log (mltrack's tables, auth/schema/mltrack_sqlite.sql) ---- */

struct auth_token {
    const char *id, *name, *username;
    int64_t created_at, expires_at, revoked_at; /* ms; expires_at/revoked_at 0 when none */
};

/* A new token for user: the secret (shown once: only its SHA-256 is stored) in *secret,
 * from the arena. expires_in_days 0: never. */
int authdb_token_create(struct db *db, struct arena *a, const struct auth_user *u,
                        const char *name, int64_t expires_in_days, const char **secret,
                        struct auth_token *out, struct err *e);
/* The user a live (not revoked, not expired) token belongs to: 1 and *u, 0 when none. */
int authdb_token_user(struct db *db, struct arena *a, const char *secret, size_t len,
                      struct auth_user *u, struct err *e);
/* Revokes by id or by secret; only the owner's tokens unless owner_id < 0 (an admin).
 * RESOURCE_DOES_NOT_EXIST when there is no such live token of theirs. */
int authdb_token_revoke(struct db *db, const char *id, const char *secret, int64_t owner_id,
                        struct err *e);
/* The tokens of user_id (every user's when < 0), newest first. */
int authdb_token_list(struct db *db, struct arena *a, int64_t user_id, struct auth_token **out,
                      size_t *n, struct err *e);

struct auth_event {
    int64_t id, ts;
    const char *actor, *action, *target, *detail;
};
/* Appends one event (failures are logged: the change itself has happened). */
void authdb_audit(struct db *db, const char *actor, const char *action, const char *target,
                  const char *detail);
/* Up to max events with id < before (before <= 0: from the newest), newest first. */
int authdb_audit_list(struct db *db, struct arena *a, int64_t before, int64_t max,
                      struct auth_event **out, size_t *n, struct err *e);

#endif
