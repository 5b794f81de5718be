/* Routing: a static table of (method, pattern) -> handler, matched under MLflow's prefixes
 * (/api/2.0/mlflow and <static-prefix>/ajax-api/2.0/mlflow), the MLflow error body and its
 * HTTP status table, and the dispatch that gives a handler its database connection. */
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"
#include "api.h"
#include "../base/banned.h"

const struct api_config *api_cfg;

void api_init(const struct api_config *cfg)
{
    api_cfg = cfg;
}

int api_status_for(enum err_code code)
{
    switch (code) {
    case ERR_OK:
        return 200;
    case ERR_INVALID_PARAMETER_VALUE:
    case ERR_BAD_REQUEST:
    case ERR_RESOURCE_ALREADY_EXISTS: /* MLflow's legacy mapping: 400, not 409 */
        return 400;
    case ERR_ABORTED:
        return 409;
    case ERR_RESOURCE_DOES_NOT_EXIST:
    case ERR_ENDPOINT_NOT_FOUND:
        return 404;
    case ERR_PERMISSION_DENIED:
        return 403;
    case ERR_REQUEST_LIMIT_EXCEEDED:
        return 429;
    case ERR_NOT_IMPLEMENTED:
        return 501;
    case ERR_TEMPORARILY_UNAVAILABLE:
        return 503;
    case ERR_INVALID_STATE:
    case ERR_INTERNAL_ERROR:
    default:
        return 500;
    }
}

void resp_header(struct resp *out, const char *name, const char *value)
{
    if (out->nheaders < RESP_MAX_HEADERS) {
        out->headers[out->nheaders].name = name;
        out->headers[out->nheaders].value = value;
        out->nheaders++;
    }
}

void api_error(struct resp *out, enum err_code code, const char *msg)
{
    buf_clear(&out->body);
    out->status = api_status_for(code);
    out->content_type = "application/json";
    struct jw w;
    jw_init(&w, &out->body);
    jw_obj(&w);
    jw_kstr(&w, "error_code", err_code_name(code));
    jw_kstr(&w, "message", msg);
    jw_obj_end(&w);
}

/* ---- plain routes ---- */

int reply_empty(struct ctx *c)
{
    jw_obj(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

static int h_health(struct ctx *c)
{
    c->out->content_type = "text/plain; charset=utf-8";
    buf_puts(&c->out->body, "OK");
    return 0;
}

static int h_version(struct ctx *c)
{
    c->out->content_type = "text/plain; charset=utf-8";
    buf_puts(&c->out->body, api_cfg->version ? api_cfg->version : MLFLOW_COMPAT_VERSION);
    return 0;
}

static int h_server_info(struct ctx *c)
{
    jw_obj(&c->w);
    jw_key(&c->w, "multipart_uploads_enabled");
    jw_bool(&c->w, false);
    jw_key(&c->w, "multipart_downloads_enabled");
    jw_bool(&c->w, false);
    jw_obj_end(&c->w);
    return 0;
}

enum route_base { BASE_MLFLOW, BASE_STATIC, BASE_ROOT };

static const struct route static_routes[] = {
    {HTTP_GET, "/health", h_health, 0, RF_NO_DB | RF_RAW},
    {HTTP_GET, "/version", h_version, 0, RF_NO_DB | RF_RAW},
};
static const struct route root_routes[] = {
    {HTTP_GET, "/api/3.0/mlflow/server-info", h_server_info, 0, RF_NO_DB},
};

/* Matches pattern against path; {name} captures one non-empty segment into params. */
static bool match_pattern(const char *pat, const char *path, struct req *r)
{
    int np = 0;
    while (*pat) {
        if (*pat == '{') {
            const char *pe = strchr(pat, '}');
            if (!pe)
                return false;
            const char *se = strchr(path, '/');
            size_t n = se ? (size_t)(se - path) : strlen(path);
            if (n == 0 || np >= REQ_MAX_PARAMS)
                return false;
            if (r)
                r->params[np] = arena_strndup(r->arena, path, n);
            np++;
            pat = pe + 1;
            path += n;
            continue;
        }
        if (*pat != *path)
            return false;
        pat++;
        path++;
    }
    return *path == '\0';
}

static struct route_info find_in(const struct route *tab, size_t n, const char *path,
                                 struct req *r)
{
    struct route_info ri = {0};
    for (size_t i = 0; i < n; i++) {
        if (!match_pattern(tab[i].pattern, path, NULL))
            continue;
        bool same = tab[i].method == r->method ||
                    (tab[i].method == HTTP_GET && r->method == HTTP_HEAD);
        if (!same) {
            ri.method_mismatch = true;
            continue;
        }
        match_pattern(tab[i].pattern, path, r);
        ri.route = &tab[i];
        ri.body_max = tab[i].body_max;
        ri.method_mismatch = false;
        return ri;
    }
    return ri;
}

/* Strips prefix (a literal) from *path; true when it was there. */
static bool strip(const char **path, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(*path, prefix, n) != 0)
        return false;
    *path += n;
    return true;
}

static const struct {
    const struct route *tab;
    const size_t *n;
} mlflow_tables[] = {
    {experiment_routes, &experiment_routes_n},
    {run_routes, &run_routes_n},
    {search_routes, &search_routes_n},
    {registry_routes, &registry_routes_n},
    {logged_model_routes, &logged_model_routes_n},
};

/* Our own API (not MLflow's), under /api/2.0/mltrack/ and <static-prefix>/ajax-api/2.0/mltrack/:
 * what the UI and CI need that MLflow lacks (the registry audit log, documented in README). */
static struct route_info find_mltrack(const char *path, struct req *r)
{
    return find_in(mltrack_registry_routes, mltrack_registry_routes_n, path, r);
}

/* Looks path up in every table under the MLflow prefixes. */
static struct route_info find_mlflow(const char *path, struct req *r)
{
    struct route_info ri = {0};
    for (size_t i = 0; i < sizeof mlflow_tables / sizeof *mlflow_tables; i++) {
        struct route_info t = find_in(mlflow_tables[i].tab, *mlflow_tables[i].n, path, r);
        if (t.route)
            return t;
        ri.method_mismatch |= t.method_mismatch;
    }
    return ri;
}

struct route_info api_match(struct req *r)
{
    const char *path = r->path;
    const char *sp = api_cfg && api_cfg->static_prefix ? api_cfg->static_prefix : "";
    struct route_info none = {0};
    const char *p = path;
    if (strip(&p, "/api/2.0/mlflow/"))
        return find_mlflow(p - 1, r);
    p = path;
    if (strip(&p, "/api/2.0/mltrack/"))
        return find_mltrack(p - 1, r);
    p = path;
    if (strip(&p, sp)) {
        const char *q = p;
        if (strip(&q, "/ajax-api/2.0/mlflow/"))
            return find_mlflow(q - 1, r);
        q = p;
        if (strip(&q, "/ajax-api/2.0/mltrack/"))
            return find_mltrack(q - 1, r);
        struct route_info ri =
            find_in(static_routes, sizeof static_routes / sizeof *static_routes, p, r);
        if (ri.route || ri.method_mismatch)
            return ri;
    }
    struct route_info ri = find_in(root_routes, sizeof root_routes / sizeof *root_routes, path, r);
    if (ri.route || ri.method_mismatch)
        return ri;
    return none;
}

static bool content_type_is_json(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == 16 && strncmp(ct, "application/json", 16) == 0;
}

void api_handle(const struct route *rt, struct req *r, struct resp *out)
{
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.r = r;
    c.out = out;
    out->status = 200;
    out->content_type = "application/json";
    jw_init(&c.w, &out->body);
    c.s.a = r->arena;
    c.s.e = &c.e;

    if ((rt->flags & RF_TRACKING) && api_cfg && api_cfg->artifacts_only) {
        api_error(out, ERR_TEMPORARILY_UNAVAILABLE,
                  "Endpoint disabled due to the mlflow server running in `--artifacts-only` "
                  "mode.");
        return;
    }
    if ((rt->flags & RF_JSON) && (r->method == HTTP_POST || r->method == HTTP_PUT)) {
        if (!r->content_type) {
            api_error(out, ERR_INVALID_PARAMETER_VALUE,
                      "Bad Request. Content-Type header is missing.");
            return;
        }
        if (!content_type_is_json(r->content_type)) {
            api_error(out, ERR_INVALID_PARAMETER_VALUE,
                      "Bad Request. Content-Type must be one of ['application/json'].");
            return;
        }
    }
    if (in_init(&c.in, r, &c.e) != 0) {
        in_release(&c.in);
        api_error(out, c.e.code, c.e.msg);
        return;
    }
    int rc = 0;
    if (!(rt->flags & RF_NO_DB)) {
        c.s.db = store_thread_db(&c.e);
        if (!c.s.db)
            rc = -1;
    }
    if (rc == 0)
        rc = rt->fn(&c);
    in_release(&c.in);
    if (rc != 0) {
        if (c.e.code == ERR_OK)
            err_set(&c.e, ERR_INTERNAL_ERROR, "internal error");
        api_error(out, c.e.code, c.e.msg);
        return;
    }
    if (!buf_ok(&out->body)) {
        log_error("response too large for %s", r->path);
        api_error(out, ERR_INTERNAL_ERROR, "the response is too large");
    }
}
