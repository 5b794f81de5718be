/* Routing: a static table of (method, pattern) -> handler, matched under MLflow's prefixes
 * (/api/2.0/mlflow and <static-prefix>/ajax-api/2.0/mlflow), and the dispatch that gives a
 * handler its request body and database connection. */
#include <stdlib.h>
#include <string.h>

#include "../hooks/hooks.h"
#include "../base/util.h"
#include "mltrack.h"

const struct api_config *api_cfg;

void api_shutdown(void)
{
    artifacts_shutdown();
    mime_shutdown();
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

static const struct route static_routes[] = {
    {HTTP_GET, "/health", h_health, 0, RF_NO_DB | RF_RAW, NULL},
    {HTTP_GET, "/version", h_version, 0, RF_NO_DB | RF_RAW, NULL},
};
static const size_t static_routes_n = sizeof static_routes / sizeof *static_routes;
static const struct route root_routes[] = {
    {HTTP_GET, "/api/3.0/mlflow/server-info", h_server_info, 0, RF_NO_DB, NULL},
};
static const size_t root_routes_n = sizeof root_routes / sizeof *root_routes;

/* Matches pattern against path; {name} captures one non-empty segment and {*name} the
 * non-empty rest of the path into params. */
static bool match_pattern(const char *pat, const char *path, struct req *r)
{
    int np = 0;
    while (*pat) {
        if (*pat == '{') {
            const char *pe = strchr(pat, '}');
            if (!pe || np >= REQ_MAX_PARAMS)
                return false;
            bool rest = pat[1] == '*';
            const char *se = rest ? NULL : strchr(path, '/');
            size_t n = se ? (size_t)(se - path) : strlen(path);
            if (n == 0)
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
        ri.pattern = tab[i].pattern;
        ri.body_max = tab[i].body_max;
        ri.method_mismatch = false;
        ri.stream_in = (tab[i].flags & RF_STREAM_IN) != 0;
        ri.gzip_in = (tab[i].flags & RF_GZIP_IN) != 0;
        return ri;
    }
    return ri;
}

struct table {
    const struct route *tab;
    const size_t *n;
};

static const struct table mlflow_tables[] = {
    {experiment_routes, &experiment_routes_n},
    {run_routes, &run_routes_n},
    {history_routes, &history_routes_n},
    {search_routes, &search_routes_n},
    {registry_routes, &registry_routes_n},
    {logged_model_routes, &logged_model_routes_n},
    {run_artifact_routes, &run_artifact_routes_n},
    {auth_routes, &auth_routes_n},
    {trace_v2_routes, &trace_v2_routes_n},
    {trace_legacy_routes, &trace_legacy_routes_n},
    {webhook_routes, &webhook_routes_n},
    {trace_artifact_routes, &trace_artifact_routes_n}, /* last: /ajax-api only */
};
static const struct table auth_v3_tables[] = {
    {auth_v3_routes, &auth_v3_routes_n},
    {trace_correlation_routes, &trace_correlation_routes_n},
    {trace_metrics_routes, &trace_metrics_routes_n},
    {trace_v3_routes, &trace_v3_routes_n},
    {assessment_routes, &assessment_routes_n},
    {trace_artifact_routes, &trace_artifact_routes_n}, /* last: /ajax-api only */
};
/* Our own API (not MLflow's): what the UI and CI need that MLflow lacks (the registry
 * audit log, documented in README). */
static const struct table mltrack_tables[] = {
    {mltrack_registry_routes, &mltrack_registry_routes_n},
    {mltrack_metric_routes, &mltrack_metric_routes_n},
    {mltrack_series_routes, &mltrack_series_routes_n},
    {mltrack_export_routes, &mltrack_export_routes_n},
    {mltrack_auth_routes, &mltrack_auth_routes_n},
};
static const struct table artifact_tables[] = {
    {artifact_routes, &artifact_routes_n},
};
static const size_t no_routes_n = 0;
/* The last entry takes the UI's table at api_init. */
static struct table plain_tables[] = {
    {static_routes, &static_routes_n},
    {ui_artifact_routes, &ui_artifact_routes_n},
    {NULL, &no_routes_n},
};
static const struct table root_tables[] = {
    {root_routes, &root_routes_n},
    {otlp_routes, &otlp_routes_n},
};

#define TABLES(t) t, sizeof t / sizeof *t
/* All but the last table: MLflow serves its UI's get-trace-artifact under /ajax-api alone. */
#define API_TABLES(t) t, sizeof t / sizeof *t - 1

/* Where each group of routes is mounted. The /ajax-api twins and the UI's own routes sit
 * under --static-prefix; /api never does (MLflow's rule). */
static const struct {
    const char *prefix;
    bool static_prefixed;
    const struct table *tables;
    size_t ntables;
} mounts[] = {
    {"/api/2.0/mlflow", false, API_TABLES(mlflow_tables)},
    {"/api/2.0/mltrack", false, TABLES(mltrack_tables)},
    {"/api/2.0/mlflow-artifacts", false, TABLES(artifact_tables)},
    {"/ajax-api/2.0/mlflow", true, TABLES(mlflow_tables)},
    {"/ajax-api/2.0/mltrack", true, TABLES(mltrack_tables)},
    {"/ajax-api/2.0/mlflow-artifacts", true, TABLES(artifact_tables)},
    {"", true, TABLES(plain_tables)},
    {"", false, TABLES(root_tables)},
    /* After the root mount, which holds /api/3.0/mlflow/server-info. */
    {"/api/3.0/mlflow", false, API_TABLES(auth_v3_tables)},
    {"/ajax-api/3.0/mlflow", true, TABLES(auth_v3_tables)},
};

size_t api_route_tables(struct route_table *out, size_t max)
{
    size_t k = 0;
    for (size_t m = 0; m < sizeof mounts / sizeof *mounts; m++)
        for (size_t t = 0; t < mounts[m].ntables; t++)
            if (k < max && mounts[m].tables[t].tab)
                out[k++] = (struct route_table){mounts[m].tables[t].tab, *mounts[m].tables[t].n};
    return k;
}

int api_init(const struct api_config *cfg, struct err *e)
{
    api_cfg = cfg;
    if (cfg->ui_routes) {
        plain_tables[2].tab = cfg->ui_routes;
        plain_tables[2].n = &cfg->ui_routes_n;
    }
    mime_init();
    return artifacts_init(cfg, e);
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

struct route_info api_match(struct req *r)
{
    const char *sp = api_cfg && api_cfg->static_prefix ? api_cfg->static_prefix : "";
    struct route_info none = {0};
    for (size_t m = 0; m < sizeof mounts / sizeof *mounts; m++) {
        const char *p = r->path;
        if (mounts[m].static_prefixed && !strip(&p, sp))
            continue;
        if (!strip(&p, mounts[m].prefix) || *p != '/')
            continue;
        struct route_info ri = {0};
        for (size_t t = 0; t < mounts[m].ntables; t++) {
            const struct table *tb = &mounts[m].tables[t];
            struct route_info x = find_in(tb->tab, *tb->n, p, r);
            if (x.route)
                return x;
            ri.method_mismatch |= x.method_mismatch;
        }
        /* A named API mount owns its paths: nothing further down can match them. */
        if (*mounts[m].prefix || ri.method_mismatch)
            return ri;
    }
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

/* Sets up c for a request and applies the checks every route shares. Returns 0 to run
 * the handler, or -1 with the error already in out. */
static int ctx_open(struct ctx *c, const struct route *rt, struct req *r, struct resp *out)
{
    memset(c, 0, sizeof *c);
    c->r = r;
    c->out = out;
    out->status = 200;
    out->content_type = "application/json";
    jw_init(&c->w, &out->body);
    c->s.a = r->arena;
    c->s.e = &c->e;
    if (authz_authenticate(c, rt) != 0)
        return -1;

    if ((rt->flags & RF_TRACKING) && api_cfg && api_cfg->artifacts_only) {
        api_error(out, ERR_TEMPORARILY_UNAVAILABLE,
                  "Endpoint disabled due to the mlflow server running in `--artifacts-only` "
                  "mode.");
        return -1;
    }
    if ((rt->flags & RF_ARTIFACTS) && api_cfg && !api_cfg->serve_artifacts) {
        api_error(out, ERR_TEMPORARILY_UNAVAILABLE,
                  "Endpoint: mlflow-artifacts disabled due to the mlflow server running "
                  "without `--serve-artifacts`. To enable artifacts server functionality, run "
                  "`mlflow server` with `--serve-artifacts`");
        return -1;
    }
    if ((rt->flags & RF_JSON) && (r->method == HTTP_POST || r->method == HTTP_PUT)) {
        if (!r->content_type) {
            api_error(out, ERR_INVALID_PARAMETER_VALUE,
                      "Bad Request. Content-Type header is missing.");
            return -1;
        }
        if (!content_type_is_json(r->content_type)) {
            api_error(out, ERR_INVALID_PARAMETER_VALUE,
                      "Bad Request. Content-Type must be one of ['application/json'].");
            return -1;
        }
    }
    if (rt->flags & RF_BINARY_IN)
        in_init_query(&c->in, r, &c->e);
    else if (!(rt->flags & RF_STREAM_IN) && in_init(&c->in, r, &c->e) != 0) {
        in_release(&c->in);
        api_error(out, c->e.code, c->e.msg);
        return -1;
    }
    if (!(rt->flags & RF_NO_DB)) {
        c->s.db = store_thread_db(&c->e);
        if (!c->s.db) {
            in_release(&c->in);
            api_error(out, c->e.code, c->e.msg);
            return -1;
        }
    }
    if (authz_gate(c, rt) != 0) {
        in_release(&c->in);
        return -1;
    }
    return 0;
}

/* Turns a handler's outcome into the response. */
static void ctx_close(struct ctx *c, int rc)
{
    in_release(&c->in);
    /* The write that queued webhook deliveries has committed: a sender may go. */
    if (rc == 0 && c->s.hooks_queued > 0)
        hooks_kick();
    if (rc != 0) {
        if (c->e.code == ERR_OK)
            err_set(&c->e, ERR_INTERNAL_ERROR, "internal error");
        api_error(c->out, c->e.code, c->e.msg);
        return;
    }
    if (!c->out->stream.read && !buf_ok(&c->out->body)) {
        log_error("response too large for %s", c->r->path);
        api_error(c->out, ERR_INTERNAL_ERROR, "the response is too large");
    }
}

void api_handle(const struct route *rt, struct req *r, struct resp *out)
{
    struct ctx c;
    if (ctx_open(&c, rt, r, out) != 0)
        return;
    ctx_close(&c, rt->fn(&c));
}

/* ---- streamed request bodies ---- */

struct stream_call {
    const struct route *rt;
    struct ctx c; /* lives in the request arena for the whole upload */
    void *st;     /* the route's upload state; NULL once finished or aborted */
};

void *api_stream_begin(const struct route *rt, struct req *r, struct resp *out)
{
    struct stream_call *sc = arena_alloc(r->arena, sizeof *sc);
    sc->rt = rt;
    if (ctx_open(&sc->c, rt, r, out) != 0)
        return NULL;
    sc->st = rt->stream->begin(&sc->c);
    if (!sc->st) {
        ctx_close(&sc->c, -1);
        return NULL;
    }
    return sc;
}

int api_stream_write(void *p, const char *data, size_t n, struct resp *out)
{
    struct stream_call *sc = p;
    if (!sc->st)
        return -1;
    if (sc->rt->stream->write(sc->st, data, n, &sc->c.e) == 0)
        return 0;
    sc->rt->stream->abort(sc->st);
    sc->st = NULL;
    sc->c.out = out;
    ctx_close(&sc->c, -1);
    return -1;
}

void api_stream_end(void *p, struct resp *out)
{
    struct stream_call *sc = p;
    sc->c.out = out;
    jw_init(&sc->c.w, &out->body);
    if (!sc->st) {
        ctx_close(&sc->c, -1);
        return;
    }
    void *st = sc->st;
    sc->st = NULL;
    ctx_close(&sc->c, sc->rt->stream->end(st, &sc->c));
}

void api_stream_abort(void *p)
{
    struct stream_call *sc = p;
    if (sc && sc->st) {
        sc->rt->stream->abort(sc->st);
        sc->st = NULL;
    }
}
