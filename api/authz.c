/* Access control on every route (MLflow's basic-auth before_request): who is asking (HTTP
 * Basic against the auth database, through the credential cache), and whether they may do
 * what the route does, by the rule this file's table names for the route. Admins pass every
 * rule. Routes with no rule here are refused (and tests/unit/test_authz.c fails), so a new
 * route cannot be served unguarded by accident.
 *
 * Rules follow mlflow/server/auth/__init__.py's BEFORE_REQUEST_HANDLERS with workspaces
 * disabled: runs inherit their experiment's grant unless the user holds a grant on the run
 * tier, model versions their registered model's. Listings are filtered with the same rule as
 * the point routes (a row is listed exactly when its own route would let it be read), pushed
 * into SQL so pages stay full and no page shows what the user cannot read. */
#include <string.h>
#include <strings.h>

#include "../auth/authdb.h"
#include "../auth/basic.h"
#include "../auth/credcache.h"
#include "../auth/proxy.h"
#include "../auth/pwhash.h"
#include "../auth/throttle.h"
#include "../base/util.h"
#include "api.h"
#include "authz.h"
#include "authz_rules.h"

enum rule {
    R_NONE = 0,   /* no rule: refused */
    R_OPEN,       /* no login: health, version, server-info, the UI's static files */
    R_AUTHED,     /* any signed-in user */
    R_ADMIN,      /* admins only */
    R_WS_ADMIN,   /* admins and workspace admins (create users, manage roles) */
    R_SELF,       /* the request's username is the caller (users/get) */
    R_SELF_PW,    /* update-password: self (with the current password) or admin */
    R_FILTERED,   /* the handler filters what it returns (searches) */
    R_EXP_CREATE, /* experiments/create */
    R_EXP_READ, R_EXP_READ_BY_NAME, R_EXP_UPDATE, R_EXP_DELETE,
    R_RUN_CREATE, R_RUN_READ, R_RUN_UPDATE, R_RUN_DELETE,
    R_RUNS_READ,   /* every run_id of the request (bulk history) */
    R_UPLOAD,      /* upload-artifact: run_uuid of the query string, update */
    R_RM_CREATE, R_RM_READ, R_RM_UPDATE, R_RM_DELETE,
    R_MV_READ, R_MV_UPDATE, R_MV_DELETE, R_MV_CREATE,
    R_ALIAS_SET, R_ALIAS_DELETE,
    R_LM_CREATE, R_LM_READ, R_LM_UPDATE, R_LM_DELETE,
    R_PROXY_READ, R_PROXY_UPDATE, R_PROXY_DELETE,
    R_DATASETS,     /* search-datasets: READ on every experiment_id */
    R_GRANT,        /* users/permissions/grant|revoke: MANAGE on the resource */
    R_GET_USER_PERM, /* users/permissions/get: self or admin */
    R_TRACE_BASE,    /* R_TRACE(tr): the trace rule tr (api/authz_traces.c) */
};
#define R_TRACE(tr) ((enum rule)(R_TRACE_BASE + (tr)))

struct rule_entry {
    enum http_method m;
    const char *pattern;
    enum rule rule;
};
static const struct rule_entry rules[] = {
    /* router.c, the UI */
    {HTTP_GET, "/health", R_OPEN},
    {HTTP_GET, "/version", R_OPEN},
    {HTTP_GET, "/api/3.0/mlflow/server-info", R_OPEN},
    {HTTP_GET, "/static-files/{*path}", R_OPEN},
    {HTTP_GET, "/", R_AUTHED},
    /* experiments */
    {HTTP_POST, "/experiments/create", R_EXP_CREATE},
    {HTTP_GET, "/experiments/get", R_EXP_READ},
    {HTTP_GET, "/experiments/get-by-name", R_EXP_READ_BY_NAME},
    {HTTP_POST, "/experiments/update", R_EXP_UPDATE},
    {HTTP_POST, "/experiments/delete", R_EXP_DELETE},
    {HTTP_POST, "/experiments/restore", R_EXP_DELETE},
    {HTTP_POST, "/experiments/set-experiment-tag", R_EXP_UPDATE},
    {HTTP_POST, "/experiments/delete-experiment-tag", R_EXP_UPDATE},
    {HTTP_POST, "/experiments/search", R_FILTERED},
    {HTTP_GET, "/experiments/search", R_FILTERED},
    {HTTP_POST, "/experiments/search-datasets", R_DATASETS},
    /* runs */
    {HTTP_POST, "/runs/create", R_RUN_CREATE},
    {HTTP_GET, "/runs/get", R_RUN_READ},
    {HTTP_POST, "/runs/update", R_RUN_UPDATE},
    {HTTP_POST, "/runs/delete", R_RUN_DELETE},
    {HTTP_POST, "/runs/restore", R_RUN_DELETE},
    {HTTP_POST, "/runs/set-tag", R_RUN_UPDATE},
    {HTTP_POST, "/runs/delete-tag", R_RUN_UPDATE},
    {HTTP_POST, "/runs/log-parameter", R_RUN_UPDATE},
    {HTTP_POST, "/runs/log-metric", R_RUN_UPDATE},
    {HTTP_POST, "/runs/log-batch", R_RUN_UPDATE},
    {HTTP_POST, "/runs/log-inputs", R_RUN_UPDATE},
    {HTTP_POST, "/runs/outputs", R_RUN_UPDATE},
    {HTTP_POST, "/runs/search", R_FILTERED},
    {HTTP_GET, "/metrics/get-history", R_RUN_READ},
    {HTTP_GET, "/metrics/get-history-bulk", R_RUNS_READ},
    {HTTP_GET, "/metrics/get-history-bulk-interval", R_RUNS_READ},
    {HTTP_GET, "/metrics/downsample", R_RUN_READ},
    {HTTP_GET, "/metrics/series", R_RUNS_READ},   /* run_id repeated */
    {HTTP_GET, "/metrics/summary", R_RUN_READ},
    /* the export reads experiments through read_runs_query, which drops unreadable ones */
    {HTTP_GET, "/runs/export-csv", R_FILTERED},
    {HTTP_POST, "/runs/export-csv", R_FILTERED},
    {HTTP_GET, "/artifacts/list", R_RUN_READ},
    {HTTP_POST, "/upload-artifact", R_UPLOAD},
    {HTTP_GET, "/get-artifact", R_RUN_READ},
    /* the registry */
    {HTTP_POST, "/registered-models/create", R_RM_CREATE},
    {HTTP_POST, "/registered-models/rename", R_RM_UPDATE},
    {HTTP_PATCH, "/registered-models/update", R_RM_UPDATE},
    {HTTP_DELETE, "/registered-models/delete", R_RM_DELETE},
    {HTTP_GET, "/registered-models/get", R_RM_READ},
    {HTTP_GET, "/registered-models/search", R_FILTERED},
    {HTTP_POST, "/registered-models/get-latest-versions", R_MV_READ},
    {HTTP_GET, "/registered-models/get-latest-versions", R_MV_READ},
    {HTTP_POST, "/registered-models/set-tag", R_RM_UPDATE},
    {HTTP_DELETE, "/registered-models/delete-tag", R_RM_UPDATE},
    {HTTP_POST, "/registered-models/alias", R_ALIAS_SET},
    {HTTP_DELETE, "/registered-models/alias", R_ALIAS_DELETE},
    {HTTP_GET, "/registered-models/alias", R_MV_READ},
    {HTTP_POST, "/model-versions/create", R_MV_CREATE},
    {HTTP_PATCH, "/model-versions/update", R_MV_UPDATE},
    {HTTP_POST, "/model-versions/transition-stage", R_MV_UPDATE},
    {HTTP_DELETE, "/model-versions/delete", R_MV_DELETE},
    {HTTP_GET, "/model-versions/get", R_MV_READ},
    {HTTP_GET, "/model-versions/search", R_FILTERED},
    {HTTP_GET, "/model-versions/get-download-uri", R_MV_READ},
    {HTTP_POST, "/model-versions/set-tag", R_MV_UPDATE},
    {HTTP_DELETE, "/model-versions/delete-tag", R_MV_DELETE},
    {HTTP_GET, "/model-versions/get-artifact", R_MV_READ},
    /* webhooks: MLflow's WEBHOOK_BEFORE_REQUEST_HANDLERS are sender_is_admin for all six */
    {HTTP_POST, "/webhooks", R_ADMIN},
    {HTTP_GET, "/webhooks", R_ADMIN},
    {HTTP_GET, "/webhooks/{webhook_id}", R_ADMIN},
    {HTTP_PATCH, "/webhooks/{webhook_id}", R_ADMIN},
    {HTTP_DELETE, "/webhooks/{webhook_id}", R_ADMIN},
    {HTTP_POST, "/webhooks/{webhook_id}/test", R_ADMIN},
    /* ours: the registry audit log spans every model */
    {HTTP_GET, "/registry/audit", R_ADMIN},
    /* logged models */
    /* traces (api/traces.c, api/otlp.c, api/assessments.c) */
    {HTTP_POST, "/traces", R_TRACE(TR_START)},
    {HTTP_PATCH, "/traces/{request_id}", R_TRACE(TR_UPDATE)},
    {HTTP_GET, "/traces/{request_id}/info", R_TRACE(TR_READ)},
    {HTTP_GET, "/traces", R_TRACE(TR_SEARCH_V2)},
    {HTTP_GET, "/traces/get", R_TRACE(TR_READ)},
    {HTTP_GET, "/get-trace-artifact", R_TRACE(TR_ARTIFACT)},
    {HTTP_GET, "/traces/batchGet", R_TRACE(TR_BATCH)},
    {HTTP_POST, "/traces/batchGetInfos", R_TRACE(TR_BATCH)},
    {HTTP_POST, "/traces/search", R_TRACE(TR_SEARCH)},
    {HTTP_POST, "/traces/delete-traces", R_TRACE(TR_DELETE)},
    {HTTP_POST, "/traces/metrics", R_TRACE(TR_METRICS)},
    {HTTP_POST, "/traces/calculate-filter-correlation", R_TRACE(TR_CORRELATION)},
    {HTTP_POST, "/traces/link-to-run", R_TRACE(TR_LINK)},
    {HTTP_POST, "/traces/link-prompts", R_TRACE(TR_UPDATE)},
    {HTTP_GET, "/traces/{trace_id}", R_TRACE(TR_READ)},
    {HTTP_PATCH, "/traces/{trace_id}/tags", R_TRACE(TR_UPDATE)},
    {HTTP_DELETE, "/traces/{trace_id}/tags", R_TRACE(TR_UPDATE)},
    {HTTP_PATCH, "/traces/{request_id}/tags", R_TRACE(TR_UPDATE)},
    {HTTP_DELETE, "/traces/{request_id}/tags", R_TRACE(TR_UPDATE)},
    {HTTP_POST, "/v1/traces", R_TRACE(TR_OTLP)},
    {HTTP_POST, "/traces/{trace_id}/assessments", R_TRACE(TR_ASSESS_CREATE)},
    {HTTP_GET, "/traces/{trace_id}/assessments/{assessment_id}", R_TRACE(TR_ASSESS_READ)},
    {HTTP_PATCH, "/traces/{trace_id}/assessments/{assessment_id}", R_TRACE(TR_ASSESS_UPDATE)},
    {HTTP_DELETE, "/traces/{trace_id}/assessments/{assessment_id}", R_TRACE(TR_ASSESS_DELETE)},
    {HTTP_POST, "/logged-models/search", R_FILTERED},
    {HTTP_POST, "/logged-models", R_LM_CREATE},
    {HTTP_GET, "/logged-models/{model_id}", R_LM_READ},
    {HTTP_PATCH, "/logged-models/{model_id}", R_LM_UPDATE},
    {HTTP_DELETE, "/logged-models/{model_id}", R_LM_DELETE},
    {HTTP_PATCH, "/logged-models/{model_id}/tags", R_LM_UPDATE},
    {HTTP_DELETE, "/logged-models/{model_id}/tags/{tag_key}", R_LM_UPDATE},
    {HTTP_POST, "/logged-models/{model_id}/params", R_LM_UPDATE},
    {HTTP_GET, "/logged-models/{model_id}/artifacts/directories", R_LM_READ},
    {HTTP_GET, "/logged-models/{model_id}/artifacts/files", R_LM_READ},
    /* the artifact proxy: <experiment_id>/<run_id>/artifacts/... */
    {HTTP_GET, "/artifacts", R_PROXY_READ},
    {HTTP_GET, "/artifacts/{*path}", R_PROXY_READ},
    {HTTP_PUT, "/artifacts/{*path}", R_PROXY_UPDATE},
    {HTTP_DELETE, "/artifacts/{*path}", R_PROXY_DELETE},
    {HTTP_POST, "/mpu/create/{*path}", R_PROXY_UPDATE},
    {HTTP_POST, "/mpu/complete/{*path}", R_PROXY_UPDATE},
    {HTTP_POST, "/mpu/abort/{*path}", R_PROXY_UPDATE},
    /* the auth API (api/auth_api.c) */
    {HTTP_POST, "/users/create", R_WS_ADMIN},
    {HTTP_GET, "/users/get", R_SELF},
    {HTTP_GET, "/users/current", R_AUTHED},
    {HTTP_GET, "/users/list", R_AUTHED}, /* MLflow: any member may list the roster */
    {HTTP_PATCH, "/users/update-password", R_SELF_PW},
    {HTTP_PATCH, "/users/update-admin", R_ADMIN},
    {HTTP_DELETE, "/users/delete", R_ADMIN},
    {HTTP_GET, "/users/current/permissions", R_AUTHED},
    {HTTP_GET, "/users/permissions/list", R_SELF},
    {HTTP_POST, "/users/permissions/grant", R_GRANT},
    {HTTP_POST, "/users/permissions/revoke", R_GRANT},
    {HTTP_GET, "/users/permissions/get", R_GET_USER_PERM},
    /* roles: MLflow lets admins and workspace admins manage them; viewing roles as a mere
     * member of a workspace is not offered here */
    {HTTP_POST, "/roles/create", R_WS_ADMIN},
    {HTTP_GET, "/roles/get", R_WS_ADMIN},
    {HTTP_GET, "/roles/list", R_WS_ADMIN},
    {HTTP_PATCH, "/roles/update", R_WS_ADMIN},
    {HTTP_DELETE, "/roles/delete", R_WS_ADMIN},
    {HTTP_POST, "/roles/permissions/add", R_WS_ADMIN},
    {HTTP_DELETE, "/roles/permissions/remove", R_WS_ADMIN},
    {HTTP_GET, "/roles/permissions/list", R_WS_ADMIN},
    {HTTP_PATCH, "/roles/permissions/update", R_WS_ADMIN},
    {HTTP_POST, "/roles/assign", R_WS_ADMIN},
    {HTTP_DELETE, "/roles/unassign", R_WS_ADMIN},
    {HTTP_GET, "/users/roles/list", R_SELF},
    {HTTP_GET, "/roles/users/list", R_WS_ADMIN},
    /* ours, under /api/2.0/mltrack: a user's own API tokens, the admins' audit log */
    {HTTP_POST, "/tokens/create", R_AUTHED},
    {HTTP_POST, "/tokens/revoke", R_AUTHED},
    {HTTP_GET, "/tokens/list", R_AUTHED},
    {HTTP_GET, "/auth/audit", R_ADMIN},
    {HTTP_GET, "/auth/whoami", R_AUTHED},
};

/* The routes flagged RF_LEGACY_V2: MLflow 2's requests on paths that v3 routes also have. */
static const struct rule_entry legacy_rules[] = {
    {HTTP_POST, "/traces", R_TRACE(TR_START_V2)},
};

static enum rule rule_of(const struct route *rt)
{
    bool legacy = (rt->flags & RF_LEGACY_V2) != 0;
    const struct rule_entry *t = legacy ? legacy_rules : rules;
    size_t n = legacy ? sizeof legacy_rules / sizeof *legacy_rules : sizeof rules / sizeof *rules;
    for (size_t i = 0; i < n; i++)
        if (t[i].m == rt->method && strcmp(t[i].pattern, rt->pattern) == 0)
            return t[i].rule;
    return R_NONE;
}

bool authz_has_rule(const struct route *rt)
{
    return rule_of(rt) != R_NONE;
}

/* ---- answers ---- */

static int unauthenticated(struct ctx *c)
{
    struct resp *out = c->out;
    buf_clear(&out->body);
    out->status = 401;
    out->content_type = "text/html; charset=utf-8";
    buf_puts(&out->body, "You are not authenticated. Please see "
                         "https://www.mlflow.org/docs/latest/auth/index.html"
                         "#authenticating-to-mlflow on how to authenticate.");
    resp_header(out, "WWW-Authenticate", "Basic realm=\"mlflow\"");
    return -1;
}

/* Too many failed logins: 429 with Retry-After, MLflow's error shape. */
static int throttled(struct ctx *c)
{
    char *msg = arena_printf(c->r->arena,
                             "Too many failed login attempts; retry in %lld seconds.",
                             (long long)c->retry_after);
    api_error(c->out, ERR_REQUEST_LIMIT_EXCEEDED, msg);
    resp_header(c->out, "Retry-After",
                arena_printf(c->r->arena, "%lld", (long long)c->retry_after));
    return -1;
}

static int forbidden(struct ctx *c)
{
    struct resp *out = c->out;
    buf_clear(&out->body);
    out->status = 403;
    out->content_type = "text/html; charset=utf-8";
    buf_puts(&out->body, "Permission denied");
    return -1;
}

static int failed(struct ctx *c)
{
    if (c->e.code == ERR_OK)
        err_set(&c->e, ERR_INTERNAL_ERROR, "internal error");
    api_error(c->out, c->e.code, c->e.msg);
    return -1;
}

/* ---- who is asking ---- */

/* The token of "Authorization: Bearer <token>", or NULL. */
static const char *bearer_token(const char *hdr)
{
    if (!hdr)
        return NULL;
    while (*hdr == ' ' || *hdr == '\t')
        hdr++;
    if (strncasecmp(hdr, "bearer", 6) != 0 || (hdr[6] != ' ' && hdr[6] != '\t'))
        return NULL;
    hdr += 7;
    while (*hdr == ' ' || *hdr == '\t')
        hdr++;
    return *hdr ? hdr : NULL;
}

/* The user is known: load their grants and hang them on the request. */
static int finish_login(struct ctx *c, struct db *db, struct az *az, const char *pw,
                        size_t pwlen)
{
    struct req *r = c->r;
    if (authdb_grants(db, r->arena, az->user.id, (struct grant **)&az->pc.grants, &az->pc.n,
                      &c->e) != 0)
        return -1;
    az->pc.default_perm = api_cfg->auth->default_permission;
    az->admin = az->user.is_admin;
    az->password = pw;
    az->password_len = pwlen;
    c->az = az;
    r->remote_user = az->user.username;
    return 1;
}

/* 1: authenticated (c->az filled), 0: not, -1: an error (c->e set). */
static int authenticate(struct ctx *c)
{
    struct req *r = c->r;
    const char *hdr = r->header ? r->header(r->hctx, "Authorization") : NULL;
    const char *user, *pw;
    size_t pwlen;
    struct az *az = arena_calloc(r->arena, 1, sizeof *az);
    const struct auth_config *ac = api_cfg->auth;
    if (ac->proxy_header && proxy_addr_trusted(ac->trusted_proxies, r->remote_addr)) {
        /* Single sign-on: the proxy has authenticated the user and names them. From any
         * other address the header means nothing and credentials are needed as usual. */
        const char *name = r->header ? r->header(r->hctx, ac->proxy_header) : NULL;
        if (name && *name) {
            struct db *db = authdb_thread(&c->e);
            if (!db || auth_check_username(name, &c->e) != 0 ||
                authdb_user_provision(db, r->arena, name, &az->user, &c->e) != 0)
                return -1;
            return finish_login(c, db, az, NULL, 0);
        }
    }
    const char *bearer = bearer_token(hdr);
    if (bearer) {
        /* An API token (MLFLOW_TRACKING_TOKEN): looked up by its hash on every request,
         * so a revoked or expired one fails at once, in every process. */
        struct db *db = authdb_thread(&c->e);
        if (!db)
            return -1;
        int found = authdb_token_user(db, r->arena, bearer, strlen(bearer), &az->user, &c->e);
        if (found <= 0)
            return found;
        return finish_login(c, db, az, NULL, 0);
    }
    if (basic_parse(r->arena, hdr, &user, &pw, &pwlen) != 0)
        return 0;
    struct db *db = authdb_thread(&c->e);
    if (!db)
        return -1;
    int found = authdb_user_get(db, r->arena, user, &az->user, &c->e);
    if (found < 0)
        return -1;
    /* A hit needs the hash the password was verified against to be the row's hash now. */
    if (found == 0 || !cred_cache_hit(user, pw, pwlen, az->user.password_hash)) {
        /* Past a few failures, a guesser waits before a password is even looked at. */
        int64_t wait = throttle_wait(user, r->remote_addr, now_ms());
        if (wait > 0) {
            c->retry_after = wait;
            return 0;
        }
        /* An unknown user costs the same scrypt as a known one: the time of a failure
         * does not tell which user names exist. */
        static const char unknown_user_hash[] =
            "scrypt:32768:8:1$mltrackNoSuchUs$"
            "0000000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000000";
        if (!pw_verify(found ? az->user.password_hash : unknown_user_hash, pw, pwlen) ||
            !found) {
            throttle_failed(user, r->remote_addr, now_ms());
            return 0;
        }
        cred_cache_put(user, pw, pwlen, az->user.password_hash);
        throttle_succeeded(user);
    }
    /* MLflow never lets an admin in with the publicly known legacy default password. */
    if (az->user.is_admin && pwlen == strlen(AUTH_LEGACY_ADMIN_PASSWORD) &&
        memcmp(pw, AUTH_LEGACY_ADMIN_PASSWORD, pwlen) == 0) {
        log_warn("Rejected a login by admin user '%s' with the insecure default password",
                 user);
        return 0;
    }
    return finish_login(c, db, az, pw, pwlen);
}

/* ---- the rules ---- */

bool authz_allowed(struct ctx *c, const struct perm_req *reqs, size_t n)
{
    return perm_authorize(&c->az->pc, reqs, n);
}

/* An experiment id as grants spell it: the handlers read "01" and " 1" as 1 (parse_i64),
 * so the rules must too, or a grant on "1" could be side-stepped. Text that is no number
 * stays as it is (the handler refuses it). */
const char *authz_canon_exp(struct ctx *c, const char *s)
{
    int64_t v;
    if (!s || !parse_i64(s, strlen(s), &v))
        return s;
    return arena_printf(c->r->arena, "%lld", (long long)v);
}

static bool can_exp(struct ctx *c, const char *exp_id, enum perm_action a)
{
    exp_id = authz_canon_exp(c, exp_id);
    struct perm_req r = {.type = "experiment", .id = exp_id, .action = a};
    return authz_allowed(c, &r, 1);
}

/* _run_requirement: READ on the experiment, and the action on the run tier falling back to
 * the experiment. A missing run denies (no oracle for which ids exist). */
int authz_can_run(struct ctx *c, const char *run_id, enum perm_action a, bool *ok)
{
    int64_t exp;
    int found = run_experiment_of(&c->s, run_id, &exp);
    if (found < 0)
        return -1;
    *ok = false;
    if (found == 0)
        return 0;
    const char *eid = arena_printf(c->r->arena, "%lld", (long long)exp);
    struct perm_req reqs[2] = {
        {.type = "experiment", .id = eid, .action = ACT_READ},
        {.type = "run", .id = NULL, .action = a, .fb_type = "experiment", .fb_id = eid},
    };
    *ok = authz_allowed(c, reqs, 2);
    return 0;
}

static int can_lm(struct ctx *c, const char *model_id, enum perm_action a, bool *ok)
{
    int64_t exp;
    int found = lm_experiment_of(&c->s, model_id, &exp);
    if (found < 0)
        return -1;
    *ok = false;
    if (found == 0)
        return 0;
    const char *eid = arena_printf(c->r->arena, "%lld", (long long)exp);
    struct perm_req reqs[2] = {
        {.type = "experiment", .id = eid, .action = ACT_READ},
        {.type = "logged_model", .id = NULL, .action = a, .fb_type = "experiment",
         .fb_id = eid},
    };
    *ok = authz_allowed(c, reqs, 2);
    return 0;
}

/* _authorize_version_action: READ on the model, the action on the version tier falling back
 * to the model. */
static bool can_mv(struct ctx *c, const char *name, enum perm_action a)
{
    struct perm_req reqs[2] = {
        {.type = "registered_model", .id = name, .action = ACT_READ},
        {.type = "registered_model_version", .id = NULL, .action = a,
         .fb_type = "registered_model", .fb_id = name},
    };
    return authz_allowed(c, reqs, 2);
}

static bool can_rm(struct ctx *c, const char *name, enum perm_action a)
{
    struct perm_req r = {.type = "registered_model", .id = name, .action = a};
    return authz_allowed(c, &r, 1);
}

/* The experiment id at the head of an artifact proxy path ("12/<run>/artifacts/x"); NULL
 * when the path does not start with one. */
static const char *proxy_experiment(struct ctx *c, const char *path)
{
    if (!path)
        return NULL;
    if (strncmp(path, "workspaces/", 11) == 0) {
        const char *s = strchr(path + 11, '/');
        if (!s)
            return NULL;
        path = s + 1;
    }
    size_t n = strspn(path, "0123456789");
    if (n == 0 || n > 19 || (path[n] != '/' && path[n] != '\0'))
        return NULL;
    return arena_strndup(c->r->arena, path, n);
}

/* Fetches a string field (query or body); NULL when absent. in_str's errors are left for
 * the handler to report with its own messages, so absence here only denies. */
const char *authz_field(struct ctx *c, const char *name)
{
    const char *v = NULL;
    struct err saved = c->e;
    if (in_str(&c->in, name, &v) != 0) {
        c->e = saved;
        return NULL;
    }
    return v;
}

int authz_list(struct ctx *c, const char *name, const char ***out, size_t *n)
{
    struct err saved = c->e;
    if (in_str_list(&c->in, name, out, n) != 0) {
        c->e = saved;
        *out = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

static const char *run_id_field(struct ctx *c)
{
    const char *v = authz_field(c, "run_id");
    return v ? v : authz_field(c, "run_uuid");
}

/* Whether the rule lets the (non-admin) caller in: 1 yes, 0 no, -1 error. */
static int check(struct ctx *c, const struct route *rt, enum rule rule)
{
    bool ok = false;
    switch (rule) {
    case R_NONE:
        return 0;
    case R_OPEN:
    case R_AUTHED:
    case R_FILTERED:
        return 1;
    case R_ADMIN:
        return 0;
    case R_TRACE_BASE:
        return 0;
    case R_WS_ADMIN:
        return perm_is_workspace_admin(&c->az->pc);
    case R_SELF:
    case R_SELF_PW:
    case R_GET_USER_PERM: {
        const char *u = authz_field(c, "username");
        return u && strcmp(u, c->az->user.username) == 0;
    }
    case R_GRANT: {
        const char *type = authz_field(c, "resource_type"), *id = authz_field(c, "resource_id");
        if (!type || !id)
            return 1; /* the handler answers the missing parameter */
        if (!perm_type_known(type) || strcmp(type, "workspace") == 0)
            return 1; /* and the bad type, with MLflow's message */
        struct perm_req r = {.type = type, .id = id, .action = ACT_MANAGE};
        return authz_allowed(c, &r, 1);
    }
    case R_EXP_CREATE: {
        struct perm_req r = {.type = "experiment", .id = NULL, .action = ACT_NOT_DENIED};
        return authz_allowed(c, &r, 1);
    }
    case R_EXP_READ:
    case R_EXP_UPDATE: {
        const char *id = authz_field(c, "experiment_id");
        return id && can_exp(c, id, rule == R_EXP_READ ? ACT_READ : ACT_UPDATE);
    }
    case R_EXP_DELETE: {
        const char *id = authz_canon_exp(c, authz_field(c, "experiment_id"));
        if (!id)
            return 0;
        struct perm_req reqs[3] = {
            {.type = "experiment", .id = id, .action = ACT_DELETE},
            {.type = "run", .action = ACT_DELETE, .fb_type = "experiment", .fb_id = id},
            {.type = "logged_model", .action = ACT_DELETE, .fb_type = "experiment",
             .fb_id = id},
        };
        return authz_allowed(c, reqs, 3);
    }
    case R_EXP_READ_BY_NAME: {
        const char *name = authz_field(c, "experiment_name");
        struct experiment x;
        if (!name)
            return 0;
        struct err saved = c->e;
        if (exp_get_by_name(&c->s, name, &x) != 0) {
            /* Not found: the handler answers 404 as MLflow's does for admins; others are
             * denied (MLflow's validator fails the same way before the handler runs). */
            c->e = saved;
            return 0;
        }
        const char *id = arena_printf(c->r->arena, "%lld", (long long)x.id);
        return can_exp(c, id, ACT_READ);
    }
    case R_RUN_CREATE: {
        /* create_run puts a run without experiment_id in the Default experiment. */
        const char *id = authz_field(c, "experiment_id");
        id = authz_canon_exp(c, id && *id ? id : "0");
        struct perm_req reqs[2] = {
            {.type = "experiment", .id = id, .action = ACT_UPDATE},
            {.type = "run", .action = ACT_NOT_DENIED},
        };
        return authz_allowed(c, reqs, 2);
    }
    case R_RUN_READ:
    case R_RUN_UPDATE:
    case R_RUN_DELETE:
    case R_UPLOAD: {
        /* The very parameter the handler reads: upload-artifact takes run_uuid only, the
         * rest run_id falling back to run_uuid (in_run_id). */
        const char *id = rule == R_UPLOAD ? authz_field(c, "run_uuid") : run_id_field(c);
        if (!id)
            return 0;
        enum perm_action a = rule == R_RUN_READ     ? ACT_READ
                             : rule == R_RUN_DELETE ? ACT_DELETE
                                                    : ACT_UPDATE;
        if (authz_can_run(c, id, a, &ok) != 0)
            return -1;
        return ok;
    }
    case R_RUNS_READ: {
        /* get-history-bulk repeats run_id, get-history-bulk-interval run_ids: every id
         * under either spelling must be readable. */
        static const char *const names[] = {"run_id", "run_ids"};
        for (size_t k = 0; k < 2; k++) {
            const char **ids;
            size_t n;
            struct err saved = c->e;
            if (in_str_list(&c->in, names[k], &ids, &n) != 0) {
                c->e = saved;
                return 0;
            }
            for (size_t i = 0; i < n; i++) {
                if (authz_can_run(c, ids[i], ACT_READ, &ok) != 0)
                    return -1;
                if (!ok)
                    return 0;
            }
        }
        return 1;
    }
    case R_RM_CREATE: {
        const char *name = authz_field(c, "name");
        struct perm_req r = {.type = "registered_model", .id = name, .action = ACT_NOT_DENIED};
        return authz_allowed(c, &r, 1);
    }
    case R_RM_READ:
    case R_RM_UPDATE:
    case R_RM_DELETE: {
        const char *name = authz_field(c, "name");
        if (!name)
            return 0;
        if (rule == R_RM_DELETE) {
            struct perm_req reqs[2] = {
                {.type = "registered_model", .id = name, .action = ACT_DELETE},
                {.type = "registered_model_version", .action = ACT_DELETE,
                 .fb_type = "registered_model", .fb_id = name},
            };
            return authz_allowed(c, reqs, 2);
        }
        return can_rm(c, name, rule == R_RM_READ ? ACT_READ : ACT_UPDATE);
    }
    case R_MV_READ: {
        const char *name = authz_field(c, "name");
        if (!name)
            return 0;
        struct perm_req reqs[2] = {
            {.type = "registered_model", .id = name, .action = ACT_READ},
            {.type = "registered_model_version", .action = ACT_NOT_DENIED},
        };
        return authz_allowed(c, reqs, 2);
    }
    case R_MV_UPDATE:
    case R_MV_DELETE: {
        const char *name = authz_field(c, "name");
        return name && can_mv(c, name, rule == R_MV_UPDATE ? ACT_UPDATE : ACT_DELETE);
    }
    case R_MV_CREATE: {
        /* _authorize_create_version: update on the model, the version tier not denied; a
         * run_id given must be readable. */
        const char *name = authz_field(c, "name");
        if (!name)
            return 0;
        struct perm_req reqs[2] = {
            {.type = "registered_model", .id = name, .action = ACT_UPDATE},
            {.type = "registered_model_version", .action = ACT_NOT_DENIED},
        };
        if (!authz_allowed(c, reqs, 2))
            return 0;
        const char *run = authz_field(c, "run_id");
        if (run && *run) {
            if (authz_can_run(c, run, ACT_READ, &ok) != 0)
                return -1;
            return ok;
        }
        return 1;
    }
    case R_ALIAS_SET:
    case R_ALIAS_DELETE: {
        const char *name = authz_field(c, "name");
        if (!name || !can_rm(c, name, rule == R_ALIAS_SET ? ACT_UPDATE : ACT_DELETE))
            return 0;
        struct perm_req r = {.type = "registered_model_version", .action = ACT_READ,
                             .fb_type = "registered_model", .fb_id = name};
        return authz_allowed(c, &r, 1);
    }
    case R_LM_CREATE: {
        const char *id = authz_canon_exp(c, authz_field(c, "experiment_id"));
        if (!id)
            return 0;
        struct perm_req reqs[2] = {
            {.type = "experiment", .id = id, .action = ACT_UPDATE},
            {.type = "logged_model", .action = ACT_NOT_DENIED},
        };
        return authz_allowed(c, reqs, 2);
    }
    case R_LM_READ:
    case R_LM_UPDATE:
    case R_LM_DELETE: {
        const char *id = c->r->params[0];
        if (!id)
            return 0;
        enum perm_action a = rule == R_LM_READ     ? ACT_READ
                             : rule == R_LM_DELETE ? ACT_DELETE
                                                   : ACT_UPDATE;
        if (can_lm(c, id, a, &ok) != 0)
            return -1;
        return ok;
    }
    case R_PROXY_READ:
    case R_PROXY_UPDATE:
    case R_PROXY_DELETE: {
        const char *path = c->r->params[0];
        if (!path && rt->pattern[strlen(rt->pattern) - 1] != '}')
            path = authz_field(c, "path"); /* the listing: ?path= */
        const char *eid = proxy_experiment(c, path);
        if (!eid)
            return 0;
        return can_exp(c, eid,
                       rule == R_PROXY_READ     ? ACT_READ
                       : rule == R_PROXY_UPDATE ? ACT_UPDATE
                                                : ACT_MANAGE);
    }
    case R_DATASETS: {
        const char **ids;
        size_t n;
        if (authz_list(c, "experiment_ids", &ids, &n) != 0)
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!can_exp(c, ids[i], ACT_READ))
                return 0;
        return 1;
    }
    }
    if (rule > R_TRACE_BASE)
        return authz_trace_check(c, (enum trace_rule)(rule - R_TRACE_BASE));
    return 0;
}

int authz_authenticate(struct ctx *c, const struct route *rt)
{
    if (!api_cfg || !api_cfg->auth || rule_of(rt) == R_OPEN)
        return 0;
    int a = authenticate(c);
    if (a < 0)
        return failed(c);
    if (a == 0 && c->retry_after > 0)
        return throttled(c);
    if (a == 0)
        return unauthenticated(c);
    return 0;
}

int authz_gate(struct ctx *c, const struct route *rt)
{
    if (!api_cfg || !api_cfg->auth)
        return 0;
    enum rule rule = rule_of(rt);
    if (rule == R_OPEN)
        return 0;
    if (!c->az) /* authz_authenticate answered already; never reached */
        return unauthenticated(c);
    /* Only admins skip the rules. A workspace admin (workspace, *, MANAGE) is MANAGE on
     * every resource through the rules themselves, but manages users only as MLflow lets
     * it (create them, manage roles), never promoting or deleting anyone. */
    if (c->az->admin)
        return 0;
    if (rule == R_NONE) {
        log_error("authz: no rule for %s; refused", rt->pattern);
        return forbidden(c);
    }
    /* Streamed bodies are not parsed; their rules read the query string and the path. */
    if (rt->flags & RF_STREAM_IN)
        in_init_query(&c->in, c->r, &c->e);
    int ok = check(c, rt, rule);
    if (ok < 0)
        return failed(c);
    return ok ? 0 : forbidden(c);
}

/* ---- for handlers ---- */

bool authz_is_admin(const struct ctx *c)
{
    return !c->az || c->az->admin || perm_is_workspace_admin(&c->az->pc);
}

bool authz_can_read(struct ctx *c, const char *type, const char *id)
{
    if (authz_is_admin(c))
        return true;
    if (strcmp(type, "run_experiment") == 0 || strcmp(type, "logged_model_experiment") == 0 ||
        strcmp(type, "experiment") == 0)
        id = authz_canon_exp(c, id);
    if (strcmp(type, "run_experiment") == 0) {
        /* search_runs: READ on the experiment and the run tier not denied. */
        struct perm_req reqs[2] = {
            {.type = "experiment", .id = id, .action = ACT_READ},
            {.type = "run", .action = ACT_NOT_DENIED},
        };
        return authz_allowed(c, reqs, 2);
    }
    if (strcmp(type, "logged_model_experiment") == 0) {
        struct perm_req reqs[2] = {
            {.type = "experiment", .id = id, .action = ACT_READ},
            {.type = "logged_model", .id = NULL, .action = ACT_READ, .fb_type = "experiment",
             .fb_id = id},
        };
        return authz_allowed(c, reqs, 2);
    }
    struct perm_req r = {.type = type, .id = id, .action = ACT_READ};
    return authz_allowed(c, &r, 1);
}

static bool all_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 18;
}

const struct search_acl *authz_acl(struct ctx *c, const char *type)
{
    if (authz_is_admin(c))
        return NULL;
    const struct perm_ctx *pc = &c->az->pc;
    bool numeric = strcmp(type, "experiment") == 0;
    struct perm_req base = {.type = type, .id = NULL, .action = ACT_READ};
    bool base_ok = perm_authorize(pc, &base, 1);
    /* With registered-model listings the version tier must not be denied either. */
    if (strcmp(type, "registered_model_version") == 0) {
        struct perm_req v = {.type = "registered_model_version", .action = ACT_NOT_DENIED};
        if (!perm_authorize(pc, &v, 1)) {
            struct search_acl *none = arena_calloc(c->r->arena, 1, sizeof *none);
            none->allow_only = true;
            none->ids_json = "[]";
            return none;
        }
        type = "registered_model";
        base.type = type;
        base_ok = perm_authorize(pc, &base, 1);
    }
    /* Exceptions to the base decision, one per resource the user holds a grant on. */
    struct buf b;
    buf_init(&b, 1 << 24);
    struct jw w;
    jw_init(&w, &b);
    jw_arr(&w);
    bool first = true;
    for (size_t i = 0; i < pc->n; i++) {
        const struct grant *g = &pc->grants[i];
        if (strcmp(g->resource_type, type) != 0 || strcmp(g->resource_pattern, "*") == 0)
            continue;
        if (numeric && !all_digits(g->resource_pattern))
            continue; /* a pattern that is no experiment id matches no row */
        struct perm_req r = {.type = type, .id = g->resource_pattern, .action = ACT_READ};
        if (perm_authorize(pc, &r, 1) == base_ok)
            continue;
        first = false;
        jw_str(&w, g->resource_pattern);
    }
    jw_arr_end(&w);
    struct search_acl *acl = arena_calloc(c->r->arena, 1, sizeof *acl);
    acl->allow_only = !base_ok;
    acl->ids_json = buf_ok(&b) ? arena_strndup(c->r->arena, b.ptr, b.len) : "[]";
    if (!buf_ok(&b))
        acl->allow_only = true; /* fail closed */
    buf_release(&b);
    if (base_ok && first) {
        return NULL; /* nothing to leave out */
    }
    return acl;
}

void authz_created(struct ctx *c, const char *type, const char *id)
{
    if (!c->az || !api_cfg || !api_cfg->auth)
        return;
    struct db *db = authdb_thread(&c->e);
    struct err e;
    err_clear(&e);
    if (!db || authdb_grant(db, c->az->user.username, type, id, "MANAGE", true, &e) != 0) {
        log_error("authz: cannot grant MANAGE on %s %s to its creator %s: %s", type, id,
                  c->az->user.username, e.msg);
        return;
    }
    authdb_audit(db, c->az->user.username, "grant",
                 arena_printf(c->r->arena, "%s %s: %s", type, id, c->az->user.username),
                 "MANAGE (creator)");
}

void authz_resource_gone(struct ctx *c, const char *type, const char *id)
{
    if (!api_cfg || !api_cfg->auth)
        return;
    struct err e;
    err_clear(&e);
    struct db *db = authdb_thread(&e);
    if (!db || authdb_resource_gone(db, type, id, &e) != 0)
        log_error("authz: cannot drop the grants on deleted %s %s: %s", type, id, e.msg);
}

void authz_resource_renamed(struct ctx *c, const char *type, const char *from, const char *to)
{
    (void)c;
    if (!api_cfg || !api_cfg->auth)
        return;
    struct err e;
    err_clear(&e);
    struct db *db = authdb_thread(&e);
    if (!db || authdb_resource_renamed(db, type, from, to, &e) != 0)
        log_error("authz: cannot move the grants of renamed %s %s: %s", type, from, e.msg);
}
