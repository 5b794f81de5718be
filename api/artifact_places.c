/* Where an artifact location's files are, as MLflow's server decides it
 * (_is_servable_proxied_run_artifact_root, _get_proxied_run_artifact_destination_path,
 * _get_artifact_repository_for_uri): the proxy's destination for mlflow-artifacts: and
 * http(s) proxy URIs, the directory of a local path or file: URI, the bucket of an s3:// URI.
 * The destination's store is opened at start-up; the others come from a pool of stores
 * shared by the worker threads (artifacts/pool.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../artifacts/pool.h"
#include "../base/util.h"
#include "../registry/source.h"
#include "api.h"

/* Unused stores of run and model locations kept for reuse: a few buckets, and the local
 * directories of the runs being browsed (which hold no descriptor while unused). */
enum { PLACES_KEEP = 64 };

static struct art_store *g_store;
static struct art_pool *g_pool;
static char *g_cwd;

int artifacts_init(const struct api_config *cfg, struct err *e)
{
    g_cwd = getcwd(NULL, 0);
    g_pool = art_pool_new(PLACES_KEEP);
    if (!g_cwd || !g_pool)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    if (!cfg->serve_artifacts || !cfg->artifacts_destination)
        return 0;
    g_store = art_open(cfg->artifacts_destination, e);
    return g_store ? 0 : -1;
}

void artifacts_shutdown(void)
{
    art_close(g_store);
    g_store = NULL;
    art_pool_free(g_pool);
    g_pool = NULL;
    free(g_cwd);
    g_cwd = NULL;
}

const char *api_cwd(void)
{
    return g_cwd;
}

int art_place_destination(struct ctx *c, struct art_place *out)
{
    *out = (struct art_place){g_store, "", false, NULL};
    if (g_store)
        return 0;
    return err_set(&c->e, ERR_NOT_IMPLEMENTED,
                   "This server does not serve artifacts (started with --no-serve-artifacts)");
}

/* The destination path of a proxied location (urlparse(uri).path, for http(s) the part
 * after the proxy's route), not yet checked; NULL when uri is not one. */
static const char *proxied_path(const struct reg_uri *u)
{
    static const char anchor[] = "/api/2.0/mlflow-artifacts/artifacts/";
    const char *p = u->path;
    if (strcmp(u->scheme, "http") == 0 || strcmp(u->scheme, "https") == 0) {
        p = strstr(p, anchor);
        if (!p)
            return NULL;
        p += sizeof anchor - 1;
    } else if (strcmp(u->scheme, "mlflow-artifacts") != 0) {
        return NULL;
    }
    while (*p == '/')
        p++;
    return p;
}

static int unreachable(struct err *e, const char *uri)
{
    return err_set(e, ERR_NOT_IMPLEMENTED,
                   "The artifacts at '%s' cannot be reached by this server: it serves local "
                   "paths, file:// and s3:// locations, and mlflow-artifacts locations when "
                   "serving artifacts",
                   uri);
}

/* The pool key of a local or s3:// location and the location's path inside that store. */
static int pooled_key(struct arena *a, const char *uri, const struct reg_uri *u,
                      const char **key, const char **path, struct err *e)
{
    bool local;
    if (reg_source_is_local(a, uri, &local, e) != 0)
        return -1;
    if (local) {
        /* local_file_uri_to_path decodes once; a decoded NUL would cut the path short. */
        if (strstr(uri, "%00"))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid path");
        char *dir = reg_local_path(a, uri);
        if (dir[0] != '/')
            dir = arena_printf(a, "%s/%s", g_cwd, dir);
        for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
            dir[n - 1] = '\0';
        *key = dir;
        *path = "";
        return 0;
    }
    if (strcmp(u->scheme, "s3") != 0 || !*u->netloc)
        return unreachable(e, uri);
    *key = arena_printf(a, "s3://%s", u->netloc);
    *path = u->path[0] == '/' ? u->path + 1 : u->path;
    return 0;
}

int art_place_resolve(struct arena *a, const char *uri, struct art_place *out, struct err *e)
{
    *out = (struct art_place){NULL, "", false, NULL};
    if (!uri || !*uri)
        return unreachable(e, "");
    struct reg_uri u;
    reg_uri_split(a, uri, &u);
    const char *path;
    /* g_store is open only when serving artifacts (artifacts_init). */
    if (g_store && (path = proxied_path(&u))) {
        out->store = g_store;
        return art_path_check(a, path, true, &out->root, e);
    }
    if (strcmp(u.scheme, "mlflow-artifacts") == 0 || strcmp(u.scheme, "http") == 0 ||
        strcmp(u.scheme, "https") == 0)
        return unreachable(e, uri); /* the server would have to connect to a named host */
    const char *key = NULL, *root;
    if (pooled_key(a, uri, &u, &key, &path, e) != 0 ||
        art_path_check(a, path, true, &root, e) != 0)
        return -1;
    out->store = art_pool_get(g_pool, key, e);
    if (!out->store)
        return -1;
    out->root = root;
    out->pooled = true;
    if (key[0] == '/')
        out->dir = key;
    return 0;
}

int art_place_open(struct ctx *c, const char *uri, struct art_place *out)
{
    return art_place_resolve(c->s.a, uri, out, &c->e);
}

void art_place_release(struct art_place *p)
{
    if (p->pooled && p->store)
        art_pool_put(g_pool, p->store);
    p->store = NULL;
    p->pooled = false;
}
