/* MLflow's auth REST API, as mlflow.server.auth.client.AuthServiceClient calls it: users
 * (create, get, current, list, update-password, update-admin, delete) under
 * /api/2.0/mlflow, and the per-user grants (grant, revoke, get, list, current) under
 * /api/3.0/mlflow, with the /ajax-api twins. Who may call what is api/authz.c's table; the
 * handlers here check what MLflow's handlers check (a user changing its own password gives
 * the current one, an admin cannot delete itself). The routes exist only with
 * --app-name basic-auth; without it they answer 404 like any unknown endpoint. */
#include <string.h>

#include "../auth/authdb.h"
#include "../auth/credcache.h"
#include "../auth/pwhash.h"
#include "api.h"

/* The auth database connection, or -1 with c->e set (404 when auth is off). */
static int open_db(struct ctx *c, struct db **db)
{
    *db = NULL;
    if (!api_cfg || !api_cfg->auth || !c->az)
        return err_set(&c->e, ERR_ENDPOINT_NOT_FOUND, "%s: no such endpoint", c->r->path);
    *db = authdb_thread(&c->e);
    return *db ? 0 : -1;
}

/* A required string parameter, MLflow's _get_request_param message when missing. */
static int param(struct ctx *c, const char *name, const char **out)
{
    if (in_str(&c->in, name, out) != 0)
        return -1;
    if (!*out)
        return err_missing(&c->e, name, true);
    return 0;
}

static void put_user(struct jw *w, const struct auth_user *u)
{
    jw_obj(w);
    jw_kint(w, "id", u->id);
    jw_kstr(w, "username", u->username);
    jw_key(w, "is_admin");
    jw_bool(w, u->is_admin);
    jw_obj_end(w);
}

/* One audit event for a change that has been made, by the caller. */
static void audit(struct ctx *c, struct db *db, const char *action, const char *target,
                  const char *detail)
{
    authdb_audit(db, c->az->user.username, action, target, detail);
}

static int plain(struct ctx *c, int status, const char *text)
{
    c->out->status = status;
    c->out->content_type = "text/html; charset=utf-8";
    buf_clear(&c->out->body);
    buf_puts(&c->out->body, text);
    return 0;
}

static int h_create(struct ctx *c)
{
    struct db *db = NULL;
    if (open_db(c, &db) != 0)
        return -1;
    const char *ct = c->r->content_type;
    if (!ct || strncmp(ct, "application/json", 16) != 0)
        return plain(c, 400, "Invalid content type. Must be application/json");
    const char *username, *password;
    if (param(c, "username", &username) != 0 || param(c, "password", &password) != 0)
        return -1;
    if (!*username || !*password)
        return plain(c, 400, "Username and password cannot be empty.");
    struct auth_user u;
    if (authdb_user_create(db, c->r->arena, username, password, false, &u, &c->e) != 0)
        return -1;
    audit(c, db, "user_create", username, NULL);
    jw_obj(&c->w);
    jw_key(&c->w, "user");
    put_user(&c->w, &u);
    jw_obj_end(&c->w);
    return 0;
}

static int get_user(struct ctx *c, struct db *db, const char *username, struct auth_user *u)
{
    int r = authdb_user_get(db, c->r->arena, username, u, &c->e);
    if (r == 0)
        return err_set(&c->e, ERR_RESOURCE_DOES_NOT_EXIST, "User with username=%s not found",
                       username);
    return r < 0 ? -1 : 0;
}

static int h_get(struct ctx *c)
{
    struct db *db = NULL;
    const char *username;
    struct auth_user u;
    if (open_db(c, &db) != 0 || param(c, "username", &username) != 0 ||
        get_user(c, db, username, &u) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "user");
    put_user(&c->w, &u);
    jw_obj_end(&c->w);
    return 0;
}

static int h_current(struct ctx *c)
{
    struct db *db = NULL;
    if (open_db(c, &db) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "user");
    put_user(&c->w, &c->az->user);
    jw_key(&c->w, "is_basic_auth");
    jw_bool(&c->w, true);
    jw_obj_end(&c->w);
    return 0;
}

static void put_role_rows(struct jw *w, const struct auth_perm_row *v, size_t n)
{
    jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(w);
        jw_kint(w, "role_id", v[i].role_id);
        jw_kstr(w, "role_name", v[i].role_name);
        jw_kstr(w, "workspace", v[i].workspace);
        jw_kstr(w, "resource_type", v[i].resource_type);
        jw_kstr(w, "resource_pattern", v[i].resource_pattern);
        jw_kstr(w, "permission", v[i].permission);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

struct auth_role;
static void put_role(struct jw *w, const struct auth_role *r);

/* {"users": [{"id", "username", "is_admin", "roles": [...]}]}, the per-user (synthetic)
 * roles included, as MLflow lists them. */
static int h_list(struct ctx *c)
{
    struct db *db = NULL;
    struct auth_user *v;
    size_t n;
    if (open_db(c, &db) != 0 || authdb_user_list(db, c->r->arena, &v, &n, &c->e) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "users");
    jw_arr(&c->w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&c->w);
        jw_kint(&c->w, "id", v[i].id);
        jw_kstr(&c->w, "username", v[i].username);
        jw_key(&c->w, "is_admin");
        jw_bool(&c->w, v[i].is_admin);
        /* MLflow's scoping: an admin and the user itself see every role; a workspace
         * admin those of its workspace; others none. */
        bool all = c->az->user.is_admin || v[i].id == c->az->user.id;
        bool ws = !all && perm_is_workspace_admin(&c->az->pc);
        struct auth_role *roles = NULL;
        size_t nr = 0;
        if ((all || ws) && authdb_role_list(db, c->r->arena, all ? NULL : AUTH_WORKSPACE,
                                            v[i].id, &roles, &nr, &c->e) != 0)
            return -1;
        jw_key(&c->w, "roles");
        jw_arr(&c->w);
        for (size_t k = 0; k < nr; k++)
            put_role(&c->w, &roles[k]);
        jw_arr_end(&c->w);
        jw_obj_end(&c->w);
    }
    jw_arr_end(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

static int h_update_password(struct ctx *c)
{
    struct db *db = NULL;
    const char *username, *password;
    if (open_db(c, &db) != 0 || param(c, "username", &username) != 0 ||
        param(c, "password", &password) != 0)
        return -1;
    if (strcmp(username, c->az->user.username) == 0) {
        /* Self-service re-asserts the current password (a hijacked session cannot rotate
         * it); admins changing another user's skip this, as in MLflow. */
        const char *cur = NULL;
        if (in_str(&c->in, "current_password", &cur) != 0)
            return -1;
        if (!cur || !*cur)
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Current password is required when changing your own password.");
        if (!pw_verify(c->az->user.password_hash, cur, strlen(cur)))
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE, "Current password does not match.");
        if (strcmp(password, cur) == 0)
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "New password must differ from the current password.");
    }
    if (authdb_user_set_password(db, username, password, &c->e) != 0)
        return -1;
    cred_cache_forget(username);
    audit(c, db, "user_update_password", username, NULL);
    return reply_empty(c);
}

static int h_update_admin(struct ctx *c)
{
    struct db *db = NULL;
    const char *username;
    bool is_admin, present;
    if (open_db(c, &db) != 0 || param(c, "username", &username) != 0 ||
        in_bool(&c->in, "is_admin", &is_admin, &present) != 0)
        return -1;
    if (!present)
        return err_missing(&c->e, "is_admin", true);
    if (authdb_user_set_admin(db, username, is_admin, &c->e) != 0)
        return -1;
    cred_cache_forget(username);
    audit(c, db, "user_update_admin", username, is_admin ? "is_admin=true" : "is_admin=false");
    return reply_empty(c);
}

static int h_delete(struct ctx *c)
{
    struct db *db = NULL;
    const char *username;
    if (open_db(c, &db) != 0 || param(c, "username", &username) != 0)
        return -1;
    if (strcmp(username, c->az->user.username) == 0)
        return err_set(&c->e, ERR_BAD_REQUEST,
                       "Users cannot delete their own account. Ask another admin to delete "
                       "this user instead.");
    if (authdb_user_delete(db, username, &c->e) != 0)
        return -1;
    cred_cache_forget(username);
    audit(c, db, "user_delete", username, NULL);
    return reply_empty(c);
}

static int h_permissions_of(struct ctx *c, const struct auth_user *u)
{
    struct db *db = NULL;
    struct auth_perm_row *v;
    size_t n;
    if (open_db(c, &db) != 0 ||
        authdb_user_permissions(db, c->r->arena, u->id, &v, &n, &c->e) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "is_admin");
    jw_bool(&c->w, u->is_admin);
    jw_key(&c->w, "permissions");
    put_role_rows(&c->w, v, n);
    jw_obj_end(&c->w);
    return 0;
}

static int h_current_permissions(struct ctx *c)
{
    struct db *db = NULL;
    if (open_db(c, &db) != 0)
        return -1;
    return h_permissions_of(c, &c->az->user);
}

static int h_user_permissions(struct ctx *c)
{
    struct db *db = NULL;
    const char *username;
    struct auth_user u;
    if (open_db(c, &db) != 0 || param(c, "username", &username) != 0 ||
        get_user(c, db, username, &u) != 0)
        return -1;
    return h_permissions_of(c, &u);
}

static int grant_params(struct ctx *c, struct db **db, const char **username, const char **type,
                        const char **id, struct auth_user *u)
{
    if (open_db(c, db) != 0 || param(c, "username", username) != 0 ||
        param(c, "resource_type", type) != 0 || param(c, "resource_id", id) != 0 ||
        get_user(c, *db, *username, u) != 0)
        return -1;
    return 0;
}

static int h_grant(struct ctx *c)
{
    struct db *db = NULL;
    const char *username, *type, *id, *permission;
    struct auth_user u;
    if (grant_params(c, &db, &username, &type, &id, &u) != 0 ||
        param(c, "permission", &permission) != 0 ||
        authdb_grant(db, username, type, id, permission, false, &c->e) != 0)
        return -1;
    audit(c, db, "grant", arena_printf(c->r->arena, "%s %s: %s", type, id, username),
          permission);
    return reply_empty(c);
}

static int h_revoke(struct ctx *c)
{
    struct db *db = NULL;
    const char *username, *type, *id;
    struct auth_user u;
    if (grant_params(c, &db, &username, &type, &id, &u) != 0 ||
        authdb_revoke(db, username, type, id, &c->e) != 0)
        return -1;
    audit(c, db, "revoke", arena_printf(c->r->arena, "%s %s: %s", type, id, username), NULL);
    return reply_empty(c);
}

/* {"allowed": can_use, "permission": NAME}: the permission a request of that user would
 * be judged by, on that resource. */
static int h_get_permission(struct ctx *c)
{
    struct db *db = NULL;
    const char *username, *type, *id;
    struct auth_user u;
    if (grant_params(c, &db, &username, &type, &id, &u) != 0)
        return -1;
    if (strcmp(type, "workspace") == 0 || !perm_type_known(type))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Unsupported resource_type '%s'.", type);
    struct perm_ctx pc = {.default_perm = api_cfg->auth->default_permission};
    if (authdb_grants(db, c->r->arena, u.id, (struct grant **)&pc.grants, &pc.n, &c->e) != 0)
        return -1;
    enum perm p = u.is_admin ? PERM_MANAGE : perm_effective(&pc, type, id);
    jw_obj(&c->w);
    jw_key(&c->w, "allowed");
    jw_bool(&c->w, perm_allows(p, ACT_USE));
    jw_kstr(&c->w, "permission", perm_name(p));
    jw_obj_end(&c->w);
    return 0;
}

/* ---- roles ---- */

static int int_param(struct ctx *c, const char *name, int64_t *v)
{
    bool present = false;
    if (in_i64(&c->in, name, v, &present) != 0)
        return -1;
    return present ? 0 : err_missing(&c->e, name, true);
}

static void put_role_perm(struct jw *w, const struct auth_role_perm *p)
{
    jw_obj(w);
    jw_kint(w, "id", p->id);
    jw_kint(w, "role_id", p->role_id);
    jw_kstr(w, "resource_type", p->resource_type);
    jw_kstr(w, "resource_pattern", p->resource_pattern);
    jw_kstr(w, "permission", p->permission);
    jw_obj_end(w);
}

static void put_role(struct jw *w, const struct auth_role *r)
{
    jw_obj(w);
    jw_kint(w, "id", r->id);
    jw_kstr(w, "name", r->name);
    jw_kstr(w, "workspace", r->workspace);
    jw_kstr(w, "description", r->description);
    jw_key(w, "permissions");
    jw_arr(w);
    for (size_t i = 0; i < r->nperms; i++)
        put_role_perm(w, &r->perms[i]);
    jw_arr_end(w);
    jw_obj_end(w);
}

static void put_role_item(struct jw *w, const void *item)
{
    put_role(w, (const struct auth_role *)item);
}

static int reply_role(struct ctx *c, const struct auth_role *r)
{
    return reply_item(c, "role", put_role_item, r);
}

static int reply_roles(struct ctx *c, const struct auth_role *v, size_t n)
{
    jw_obj(&c->w);
    jw_key(&c->w, "roles");
    jw_arr(&c->w);
    for (size_t i = 0; i < n; i++)
        put_role(&c->w, &v[i]);
    jw_arr_end(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

static bool blank(const char *s)
{
    if (!s)
        return true;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return *s == '\0';
}

static int h_role_create(struct ctx *c)
{
    struct db *db = NULL;
    const char *name, *ws, *desc = NULL;
    if (open_db(c, &db) != 0 || param(c, "name", &name) != 0 || param(c, "workspace", &ws) != 0)
        return -1;
    if (blank(name))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE, "Role name cannot be empty.");
    if (blank(ws))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE, "Workspace cannot be empty.");
    if (in_str(&c->in, "description", &desc) != 0)
        return -1;
    struct auth_role r;
    if (authdb_role_create(db, c->r->arena, name, ws, desc, &r, &c->e) != 0)
        return -1;
    audit(c, db, "role_create", arena_printf(c->r->arena, "role %lld", (long long)r.id), name);
    return reply_role(c, &r);
}

static int h_role_get(struct ctx *c)
{
    struct db *db = NULL;
    int64_t id;
    struct auth_role r;
    if (open_db(c, &db) != 0 || int_param(c, "role_id", &id) != 0 ||
        authdb_role_get(db, c->r->arena, id, &r, &c->e) != 0)
        return -1;
    return reply_role(c, &r);
}

static int h_role_list(struct ctx *c)
{
    struct db *db = NULL;
    const char *ws = NULL;
    struct auth_role *v;
    size_t n;
    if (open_db(c, &db) != 0 || in_str(&c->in, "workspace", &ws) != 0)
        return -1;
    if (ws && blank(ws))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Parameter 'workspace' must be a non-empty string when provided.");
    if (authdb_role_list(db, c->r->arena, ws, -1, &v, &n, &c->e) != 0)
        return -1;
    return reply_roles(c, v, n);
}

static int h_role_update(struct ctx *c)
{
    struct db *db = NULL;
    int64_t id;
    const char *name = NULL, *desc = NULL;
    if (open_db(c, &db) != 0 || int_param(c, "role_id", &id) != 0 ||
        in_str(&c->in, "name", &name) != 0 || in_str(&c->in, "description", &desc) != 0)
        return -1;
    if (!name && !desc)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "At least one of 'name' or 'description' must be provided to update a "
                       "role.");
    if (name && blank(name))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE, "Role name cannot be empty.");
    struct auth_role r;
    if (authdb_role_update(db, c->r->arena, id, name, desc, &r, &c->e) != 0)
        return -1;
    audit(c, db, "role_update", arena_printf(c->r->arena, "role %lld", (long long)id), name);
    return reply_role(c, &r);
}

static int h_role_delete(struct ctx *c)
{
    struct db *db = NULL;
    int64_t id;
    if (open_db(c, &db) != 0 || int_param(c, "role_id", &id) != 0 ||
        authdb_role_delete(db, id, &c->e) != 0)
        return -1;
    audit(c, db, "role_delete", arena_printf(c->r->arena, "role %lld", (long long)id), NULL);
    return reply_empty(c);
}

static void put_role_perm_item(struct jw *w, const void *item)
{
    put_role_perm(w, (const struct auth_role_perm *)item);
}

static int reply_role_perm(struct ctx *c, const struct auth_role_perm *p)
{
    return reply_item(c, "role_permission", put_role_perm_item, p);
}

static int h_role_perm_add(struct ctx *c)
{
    struct db *db = NULL;
    int64_t id;
    const char *type, *pattern, *permission;
    struct auth_role_perm p;
    if (open_db(c, &db) != 0 || int_param(c, "role_id", &id) != 0 ||
        param(c, "resource_type", &type) != 0 || param(c, "resource_pattern", &pattern) != 0 ||
        param(c, "permission", &permission) != 0 ||
        authdb_role_perm_add(db, c->r->arena, id, type, pattern, permission, &p, &c->e) != 0)
        return -1;
    audit(c, db, "role_permission_add",
          arena_printf(c->r->arena, "role %lld: %s %s", (long long)id, type, pattern),
          permission);
    return reply_role_perm(c, &p);
}

static int h_role_perm_remove(struct ctx *c)
{
    struct db *db = NULL;
    int64_t id;
    if (open_db(c, &db) != 0 || int_param(c, "role_permission_id", &id) != 0 ||
        authdb_role_perm_remove(db, id, &c->e) != 0)
        return -1;
    audit(c, db, "role_permission_remove",
          arena_printf(c->r->arena, "role permission %lld", (long long)id), NULL);
    return reply_empty(c);
}

static int h_role_perm_list(struct ctx *c)
{
    struct db *db = NULL;
    int64_t id;
    struct auth_role r;
    if (open_db(c, &db) != 0 || int_param(c, "role_id", &id) != 0 ||
        authdb_role_get(db, c->r->arena, id, &r, &c->e) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "role_permissions");
    jw_arr(&c->w);
    for (size_t i = 0; i < r.nperms; i++)
        put_role_perm(&c->w, &r.perms[i]);
    jw_arr_end(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

static int h_role_perm_update(struct ctx *c)
{
    struct db *db = NULL;
    int64_t id;
    const char *permission;
    struct auth_role_perm p;
    if (open_db(c, &db) != 0 || int_param(c, "role_permission_id", &id) != 0 ||
        param(c, "permission", &permission) != 0 ||
        authdb_role_perm_update(db, c->r->arena, id, permission, &p, &c->e) != 0)
        return -1;
    audit(c, db, "role_permission_update",
          arena_printf(c->r->arena, "role permission %lld", (long long)id), permission);
    return reply_role_perm(c, &p);
}

static int h_assign(struct ctx *c)
{
    struct db *db = NULL;
    const char *username;
    int64_t id;
    struct auth_user u;
    struct auth_assignment x;
    if (open_db(c, &db) != 0 || param(c, "username", &username) != 0 ||
        int_param(c, "role_id", &id) != 0 || get_user(c, db, username, &u) != 0 ||
        authdb_assign(db, u.id, id, &x, &c->e) != 0)
        return -1;
    audit(c, db, "role_assign", arena_printf(c->r->arena, "role %lld: %s", (long long)id,
                                             username), NULL);
    jw_obj(&c->w);
    jw_key(&c->w, "assignment");
    jw_obj(&c->w);
    jw_kint(&c->w, "id", x.id);
    jw_kint(&c->w, "user_id", x.user_id);
    jw_kint(&c->w, "role_id", x.role_id);
    jw_obj_end(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

static int h_unassign(struct ctx *c)
{
    struct db *db = NULL;
    const char *username;
    int64_t id;
    struct auth_user u;
    if (open_db(c, &db) != 0 || param(c, "username", &username) != 0 ||
        int_param(c, "role_id", &id) != 0 || get_user(c, db, username, &u) != 0 ||
        authdb_unassign(db, u.id, id, &c->e) != 0)
        return -1;
    audit(c, db, "role_unassign", arena_printf(c->r->arena, "role %lld: %s", (long long)id,
                                               username), NULL);
    return reply_empty(c);
}

static int h_user_roles(struct ctx *c)
{
    struct db *db = NULL;
    const char *username;
    struct auth_user u;
    struct auth_role *v;
    size_t n;
    if (open_db(c, &db) != 0 || param(c, "username", &username) != 0 ||
        get_user(c, db, username, &u) != 0 ||
        authdb_role_list(db, c->r->arena, NULL, u.id, &v, &n, &c->e) != 0)
        return -1;
    return reply_roles(c, v, n);
}

static int h_role_users(struct ctx *c)
{
    struct db *db = NULL;
    int64_t id;
    struct auth_assignment *v;
    size_t n;
    if (open_db(c, &db) != 0 || int_param(c, "role_id", &id) != 0 ||
        authdb_role_users(db, c->r->arena, id, &v, &n, &c->e) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "assignments");
    jw_arr(&c->w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&c->w);
        jw_kint(&c->w, "id", v[i].id);
        jw_kint(&c->w, "user_id", v[i].user_id);
        jw_kint(&c->w, "role_id", v[i].role_id);
        jw_obj_end(&c->w);
    }
    jw_arr_end(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

const struct route auth_routes[] = {
    {HTTP_POST, "/users/create", h_create, 64 * KB, 0, NULL},
    {HTTP_GET, "/users/get", h_get, 0, 0, NULL},
    {HTTP_GET, "/users/current", h_current, 0, 0, NULL},
    {HTTP_GET, "/users/list", h_list, 0, 0, NULL},
    {HTTP_PATCH, "/users/update-password", h_update_password, 64 * KB, RF_JSON, NULL},
    {HTTP_PATCH, "/users/update-admin", h_update_admin, 64 * KB, RF_JSON, NULL},
    {HTTP_DELETE, "/users/delete", h_delete, 64 * KB, RF_JSON, NULL},
};
const size_t auth_routes_n = sizeof auth_routes / sizeof *auth_routes;

const struct route auth_v3_routes[] = {
    {HTTP_GET, "/users/current/permissions", h_current_permissions, 0, 0, NULL},
    {HTTP_GET, "/users/permissions/list", h_user_permissions, 0, 0, NULL},
    {HTTP_POST, "/users/permissions/grant", h_grant, 64 * KB, RF_JSON, NULL},
    {HTTP_POST, "/users/permissions/revoke", h_revoke, 64 * KB, RF_JSON, NULL},
    {HTTP_GET, "/users/permissions/get", h_get_permission, 0, 0, NULL},
    {HTTP_POST, "/roles/create", h_role_create, 64 * KB, RF_JSON, NULL},
    {HTTP_GET, "/roles/get", h_role_get, 0, 0, NULL},
    {HTTP_GET, "/roles/list", h_role_list, 0, 0, NULL},
    {HTTP_PATCH, "/roles/update", h_role_update, 64 * KB, RF_JSON, NULL},
    {HTTP_DELETE, "/roles/delete", h_role_delete, 64 * KB, 0, NULL},
    {HTTP_POST, "/roles/permissions/add", h_role_perm_add, 64 * KB, RF_JSON, NULL},
    {HTTP_DELETE, "/roles/permissions/remove", h_role_perm_remove, 64 * KB, 0, NULL},
    {HTTP_GET, "/roles/permissions/list", h_role_perm_list, 0, 0, NULL},
    {HTTP_PATCH, "/roles/permissions/update", h_role_perm_update, 64 * KB, RF_JSON, NULL},
    {HTTP_POST, "/roles/assign", h_assign, 64 * KB, RF_JSON, NULL},
    {HTTP_DELETE, "/roles/unassign", h_unassign, 64 * KB, 0, NULL},
    {HTTP_GET, "/users/roles/list", h_user_roles, 0, 0, NULL},
    {HTTP_GET, "/roles/users/list", h_role_users, 0, 0, NULL},
};
const size_t auth_v3_routes_n = sizeof auth_v3_routes / sizeof *auth_v3_routes;

/* ---- ours: API tokens and the audit log, under /api/2.0/mltrack ---- */

static void put_token(struct jw *w, const struct auth_token *t)
{
    jw_obj(w);
    jw_kstr(w, "id", t->id);
    jw_kstr(w, "name", t->name);
    jw_kstr(w, "username", t->username);
    jw_kint(w, "created_at", t->created_at);
    jw_key(w, "expires_at");
    if (t->expires_at)
        jw_int(w, t->expires_at);
    else
        jw_null(w);
    jw_key(w, "revoked_at");
    if (t->revoked_at)
        jw_int(w, t->revoked_at);
    else
        jw_null(w);
    jw_obj_end(w);
}

/* {"name": ..., "expires_in_days": N} -> {"token", "id", "expires_at"}: the secret is in
 * this answer only. */
static int h_token_create(struct ctx *c)
{
    struct db *db = NULL;
    const char *name = NULL;
    int64_t days = 0;
    bool present = false;
    if (open_db(c, &db) != 0 || in_str(&c->in, "name", &name) != 0 ||
        in_i64(&c->in, "expires_in_days", &days, &present) != 0)
        return -1;
    const char *secret;
    struct auth_token t;
    if (authdb_token_create(db, c->r->arena, &c->az->user, name ? name : "", days, &secret, &t,
                            &c->e) != 0)
        return -1;
    audit(c, db, "token_create", arena_printf(c->r->arena, "token %s", t.id), t.name);
    jw_obj(&c->w);
    jw_kstr(&c->w, "token", secret);
    jw_kstr(&c->w, "id", t.id);
    jw_key(&c->w, "expires_at");
    if (t.expires_at)
        jw_int(&c->w, t.expires_at);
    else
        jw_null(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

/* {"token": ...} or {"id": ...}: the caller's own, or anyone's for an admin. */
static int h_token_revoke(struct ctx *c)
{
    struct db *db = NULL;
    const char *id = NULL, *secret = NULL;
    if (open_db(c, &db) != 0 || in_str(&c->in, "id", &id) != 0 ||
        in_str(&c->in, "token", &secret) != 0)
        return -1;
    if (!id && !secret)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Missing value for required parameter 'token' or 'id'.");
    int64_t owner = c->az->user.is_admin ? -1 : c->az->user.id;
    if (authdb_token_revoke(db, id, secret, owner, &c->e) != 0)
        return -1;
    audit(c, db, "token_revoke", id ? arena_printf(c->r->arena, "token %s", id) : "token", NULL);
    return reply_empty(c);
}

/* The caller's tokens (an admin's: everybody's), never their secrets. */
static int h_token_list(struct ctx *c)
{
    struct db *db = NULL;
    struct auth_token *v;
    size_t n;
    if (open_db(c, &db) != 0 ||
        authdb_token_list(db, c->r->arena, c->az->user.is_admin ? -1 : c->az->user.id, &v, &n,
                          &c->e) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "tokens");
    jw_arr(&c->w);
    for (size_t i = 0; i < n; i++)
        put_token(&c->w, &v[i]);
    jw_arr_end(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

/* GET ?max_results=N&page_token=T: events newest first; the token is the id to go below. */
static int h_audit(struct ctx *c)
{
    struct db *db = NULL;
    int64_t max = 100, before = 0;
    bool present;
    const char *tok = NULL;
    if (open_db(c, &db) != 0 || in_i64(&c->in, "max_results", &max, &present) != 0 ||
        in_str(&c->in, "page_token", &tok) != 0)
        return -1;
    if (max < 1 || max > 1000)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "max_results must be between 1 and 1000, got %lld", (long long)max);
    if (tok && *tok && (!parse_i64(tok, strlen(tok), &before) || before < 1))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE, "Invalid page token '%s'", tok);
    struct auth_event *v;
    size_t n;
    if (authdb_audit_list(db, c->r->arena, before, max + 1, &v, &n, &c->e) != 0)
        return -1;
    bool more = n > (size_t)max;
    if (more)
        n = (size_t)max;
    jw_obj(&c->w);
    jw_key(&c->w, "events");
    jw_arr(&c->w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&c->w);
        jw_kint(&c->w, "id", v[i].id);
        jw_kint(&c->w, "timestamp", v[i].ts);
        jw_kstr(&c->w, "actor", v[i].actor);
        jw_kstr(&c->w, "action", v[i].action);
        jw_kstr(&c->w, "target", v[i].target);
        jw_kstr(&c->w, "detail", v[i].detail);
        jw_obj_end(&c->w);
    }
    jw_arr_end(&c->w);
    if (more)
        jw_kstr(&c->w, "next_page_token",
                arena_printf(c->r->arena, "%lld", (long long)v[n - 1].id));
    jw_obj_end(&c->w);
    return 0;
}

/* Ours, for the UI: whether the server runs basic auth, and as whom the caller is signed in
 * ({"auth": false} without auth, where MLflow's users/current does not exist). */
static int h_whoami(struct ctx *c)
{
    jw_obj(&c->w);
    jw_key(&c->w, "auth");
    jw_bool(&c->w, api_cfg && api_cfg->auth && c->az);
    if (api_cfg && api_cfg->auth && c->az) {
        jw_key(&c->w, "user");
        put_user(&c->w, &c->az->user);
    }
    jw_obj_end(&c->w);
    return 0;
}

const struct route mltrack_auth_routes[] = {
    {HTTP_GET, "/auth/whoami", h_whoami, 0, RF_NO_DB, NULL},
    {HTTP_POST, "/tokens/create", h_token_create, 64 * KB, RF_JSON, NULL},
    {HTTP_POST, "/tokens/revoke", h_token_revoke, 64 * KB, RF_JSON, NULL},
    {HTTP_GET, "/tokens/list", h_token_list, 0, 0, NULL},
    {HTTP_GET, "/auth/audit", h_audit, 0, 0, NULL},
};
const size_t mltrack_auth_routes_n = sizeof mltrack_auth_routes / sizeof *mltrack_auth_routes;
