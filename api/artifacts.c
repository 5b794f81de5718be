/* The artifact proxy (MLflow's mlflow-artifacts service) and the artifact routes of the
 * tracking API and the UI: uploads stream into the artifact store as they arrive,
 * downloads stream out of it as the client reads, listings and deletes. Every path from
 * the wire goes through art_path_check() before it reaches the store. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../artifacts/art.h"
#include "../base/util.h"
#include "../registry/rules.h"
#include "../store/logged_models.h"
#include "../store/registry.h"
#include "api.h"
#include "range.h"

static struct art_store *g_store;

int artifacts_init(const struct api_config *cfg, struct err *e)
{
    if (!cfg->serve_artifacts || !cfg->artifacts_destination)
        return 0;
    g_store = art_open(cfg->artifacts_destination, e);
    return g_store ? 0 : -1;
}

void artifacts_shutdown(void)
{
    if (g_store)
        art_close(g_store);
    g_store = NULL;
}

struct art_store *api_artifact_store(void)
{
    return g_store;
}

const char *art_uri_relpath(const char *uri)
{
    static const char scheme[] = "mlflow-artifacts:";
    if (!uri || strncmp(uri, scheme, sizeof scheme - 1) != 0)
        return NULL;
    const char *p = uri + sizeof scheme - 1;
    if (p[0] == '/' && p[1] == '/') { /* mlflow-artifacts://host:port/path */
        p += 2;
        p += strcspn(p, "/?#");
    }
    if (p[strcspn(p, "?#")])
        return NULL;
    while (*p == '/')
        p++;
    return p;
}

/* The store, or NOT_IMPLEMENTED when the server does not hold the artifacts itself. */
static struct art_store *need_store(struct err *e, const char *uri)
{
    if (g_store && (!uri || art_uri_relpath(uri)))
        return g_store;
    err_set(e, ERR_NOT_IMPLEMENTED,
            "The artifacts at '%s' are not served by this server (only mlflow-artifacts: "
            "locations under --artifacts-destination are)",
            uri ? uri : "");
    return NULL;
}

/* root/sub, both already checked; either may be "". */
static const char *join(struct arena *a, const char *root, const char *sub)
{
    if (!*root)
        return sub;
    if (!*sub)
        return root;
    return arena_printf(a, "%s/%s", root, sub);
}

int art_list_json(struct ctx *c, const char *root, const char *sub, bool full_paths)
{
    struct art_store *as = need_store(&c->e, NULL);
    const char *dir;
    if (!as || art_path_check(c->s.a, join(c->s.a, root, sub), true, &dir, &c->e) != 0)
        return -1;
    struct art_entry *ents;
    size_t n;
    if (art_list(as, dir, c->s.a, &ents, &n, &c->e) != 0)
        return -1;
    if (!n)
        return 0;
    jw_key(&c->w, "files");
    jw_arr(&c->w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&c->w);
        jw_kstr(&c->w, "path", full_paths ? join(c->s.a, sub, ents[i].name) : ents[i].name);
        jw_key(&c->w, "is_dir");
        jw_bool(&c->w, ents[i].is_dir);
        /* MLflow's FileInfo.to_proto sets file_size only when it is truthy: an empty file
         * lists without it (the client then reads None, not 0). */
        if (!ents[i].is_dir && ents[i].size)
            jw_kint(&c->w, "file_size", ents[i].size);
        jw_obj_end(&c->w);
    }
    jw_arr_end(&c->w);
    return 0;
}

/* ---- content types ---- */

static bool ends_with_nocase(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* MLflow's _guess_mime_type: its text extensions (and MLmodel, MLproject) are text/plain,
 * then the usual types, else application/octet-stream. */
static const char *mime_type(const char *name)
{
    static const char *const text[] = {
        ".txt", ".log", ".err", ".cfg", ".conf", ".cnf", ".cf", ".ini", ".properties",
        ".prop", ".hocon", ".toml", ".yaml", ".yml", ".xml", ".json", ".js", ".py", ".py3",
        ".csv", ".tsv", ".md", ".rst", ".ipynb"};
    static const struct {
        const char *ext, *type;
    } known[] = {{".png", "image/png"},      {".jpg", "image/jpeg"},  {".jpeg", "image/jpeg"},
                 {".gif", "image/gif"},      {".svg", "image/svg+xml"}, {".bmp", "image/bmp"},
                 {".webp", "image/webp"},    {".html", "text/html"}, {".htm", "text/html"},
                 {".pdf", "application/pdf"}, {".zip", "application/zip"},
                 {".gz", "application/gzip"}, {".tar", "application/x-tar"},
                 {".pkl", "application/octet-stream"}, {".parquet", "application/octet-stream"}};
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (!strcmp(base, "MLmodel") || !strcmp(base, "MLproject"))
        return "text/plain";
    for (size_t i = 0; i < sizeof text / sizeof *text; i++)
        if (ends_with_nocase(base, text[i]))
            return "text/plain";
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (ends_with_nocase(base, known[i].ext))
            return known[i].type;
    return "application/octet-stream";
}

/* Content-Disposition for a download: MLflow's RFC 6266 form, with the name quoted, and
 * for non-ASCII names an ASCII fallback plus filename*=UTF-8''<percent-encoded>. */
static const char *disposition(struct arena *a, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    struct buf b;
    buf_init(&b, 4096);
    bool ascii = true;
    for (const unsigned char *p = (const unsigned char *)base; *p; p++)
        ascii &= *p < 0x80;
    buf_puts(&b, "attachment; filename=\"");
    bool any = false;
    for (const unsigned char *p = (const unsigned char *)base; *p; p++) {
        if (*p >= 0x80 || *p < 0x20)
            continue;
        if (*p == '"' || *p == '\\')
            buf_putc(&b, '\\');
        buf_putc(&b, (char)*p);
        any = true;
    }
    if (!any)
        buf_puts(&b, "download");
    buf_putc(&b, '"');
    if (!ascii) {
        static const char safe[] = "!#$&+-.^_`|~";
        buf_puts(&b, "; filename*=UTF-8''");
        for (const unsigned char *p = (const unsigned char *)base; *p; p++) {
            bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                         (*p >= '0' && *p <= '9') || strchr(safe, *p);
            if (plain && *p)
                buf_putc(&b, (char)*p);
            else
                buf_printf(&b, "%%%02X", *p);
        }
    }
    const char *s = arena_strndup(a, b.ptr ? b.ptr : "", b.len);
    buf_release(&b);
    return s;
}

/* ---- downloads ---- */

struct dl {
    struct art_store *as;
    struct art_reader *r;
    uint64_t base; /* first byte served (Range) */
};

static long dl_read(void *ctx, uint64_t pos, char *buf, size_t max)
{
    struct dl *d = ctx;
    struct err e;
    ssize_t n = art_read(d->as, d->r, d->base + pos, buf, max, &e);
    if (n < 0)
        log_error("artifact download failed: %s", e.msg);
    return (long)n;
}

static void dl_free(void *ctx)
{
    struct dl *d = ctx;
    art_close_read(d->as, d->r);
    free(d);
}

/* Streams relpath (already checked) to the client as an attachment. */
static int send_file(struct ctx *c, const char *relpath, const char *display_name)
{
    struct art_store *as = need_store(&c->e, NULL);
    if (!as)
        return -1;
    struct art_reader *r;
    int64_t size;
    if (art_open_read(as, relpath, &r, &size, &c->e) != 0)
        return -1;
    struct dl *d = malloc(sizeof *d);
    if (!d) {
        art_close_read(as, r);
        return err_set(&c->e, ERR_INTERNAL_ERROR, "out of memory");
    }
    d->as = as;
    d->r = r;
    d->base = 0;
    uint64_t from, to, len = (uint64_t)size;
    const char *range = c->r->header ? c->r->header(c->r->hctx, "Range") : NULL;
    if (http_range_parse(range, (uint64_t)size, &from, &to)) {
        d->base = from;
        len = to - from + 1;
        c->out->status = 206;
        resp_header(c->out, "Content-Range",
                    arena_printf(c->s.a, "bytes %llu-%llu/%lld", (unsigned long long)from,
                                 (unsigned long long)to, (long long)size));
    }
    c->out->content_type = mime_type(display_name);
    resp_header(c->out, "Content-Disposition", disposition(c->s.a, display_name));
    resp_header(c->out, "Accept-Ranges", "bytes");
    c->out->stream = (struct resp_stream){len, dl_read, dl_free, d};
    return 0;
}

/* GET /api/2.0/mlflow-artifacts/artifacts/<path> */
static int h_download(struct ctx *c)
{
    const char *rel;
    if (art_path_check(c->s.a, c->r->params[0], false, &rel, &c->e) != 0)
        return -1;
    return send_file(c, rel, rel);
}

/* ---- uploads ---- */

struct up {
    struct art_store *as;
    struct art_writer *w;
};

/* Opens a writer for relpath (checked); NULL with c->e set. */
static struct up *up_open(struct ctx *c, const char *relpath)
{
    struct art_store *as = need_store(&c->e, NULL);
    if (!as)
        return NULL;
    struct up *u = arena_alloc(c->s.a, sizeof *u);
    u->as = as;
    if (art_open_write(as, relpath, &u->w, &c->e) != 0)
        return NULL;
    return u;
}

static int up_write(void *st, const char *p, size_t n, struct err *e)
{
    struct up *u = st;
    return art_write(u->as, u->w, p, n, e);
}

static int up_end(void *st, struct ctx *c)
{
    struct up *u = st;
    if (art_commit(u->as, u->w, &c->e) != 0)
        return -1;
    return reply_empty(c);
}

static void up_abort(void *st)
{
    struct up *u = st;
    art_abort(u->as, u->w);
}

/* PUT /api/2.0/mlflow-artifacts/artifacts/<path> */
static void *put_begin(struct ctx *c)
{
    const char *rel;
    if (art_path_check(c->s.a, c->r->params[0], false, &rel, &c->e) != 0)
        return NULL;
    return up_open(c, rel);
}

static const struct stream_ops put_ops = {put_begin, up_write, up_end, up_abort};

/* ---- listing and deleting ---- */

/* GET /api/2.0/mlflow-artifacts/artifacts?path=<dir>: basenames, as MLflow lists them. */
static int h_list(struct ctx *c)
{
    const char *path;
    if (in_str(&c->in, "path", &path) != 0)
        return -1;
    jw_obj(&c->w);
    if (art_list_json(c, "", path ? path : "", false) != 0)
        return -1;
    jw_obj_end(&c->w);
    return 0;
}

/* DELETE /api/2.0/mlflow-artifacts/artifacts/<path> */
static int h_delete(struct ctx *c)
{
    const char *rel;
    struct art_store *as = need_store(&c->e, NULL);
    if (!as || art_path_check(c->s.a, c->r->params[0], false, &rel, &c->e) != 0 ||
        art_remove(as, rel, &c->e) != 0)
        return -1;
    return reply_empty(c);
}

/* Multipart uploads need presigned part URLs, which a local destination cannot give;
 * MLflow's client falls back to a single PUT when the message starts exactly so. */
static int h_mpu_unsupported(struct ctx *c)
{
    const char *rel;
    if (art_path_check(c->s.a, c->r->params[0], false, &rel, &c->e) != 0)
        return -1;
    return err_set(&c->e, ERR_NOT_IMPLEMENTED,
                   "Multipart upload is not supported for the current artifact repository");
}

const struct route artifact_routes[] = {
    {HTTP_GET, "/artifacts", h_list, 0, RF_ARTIFACTS | RF_NO_DB, NULL},
    {HTTP_GET, "/artifacts/{*path}", h_download, 0, RF_ARTIFACTS | RF_NO_DB | RF_RAW, NULL},
    {HTTP_PUT, "/artifacts/{*path}", NULL, (size_t)1 << 40,
     RF_ARTIFACTS | RF_NO_DB | RF_STREAM_IN, &put_ops},
    {HTTP_DELETE, "/artifacts/{*path}", h_delete, 64 * KB, RF_ARTIFACTS | RF_NO_DB, NULL},
    {HTTP_POST, "/mpu/create/{*path}", h_mpu_unsupported, 1 * MB, RF_ARTIFACTS | RF_NO_DB,
     NULL},
    {HTTP_POST, "/mpu/complete/{*path}", h_mpu_unsupported, 16 * MB, RF_ARTIFACTS | RF_NO_DB,
     NULL},
    {HTTP_POST, "/mpu/abort/{*path}", h_mpu_unsupported, 1 * MB, RF_ARTIFACTS | RF_NO_DB,
     NULL},
};
const size_t artifact_routes_n = sizeof artifact_routes / sizeof *artifact_routes;

/* ---- run artifacts (tracking API) ---- */

/* The run's artifact root inside the store; NOT_IMPLEMENTED for artifact URIs the server
 * does not hold (s3://, file paths: the client reads those directly). */
static int run_root(struct ctx *c, const char *run_id, const char **uri, const char **root)
{
    struct run r;
    if (run_get(&c->s, run_id, &r) != 0)
        return -1;
    *uri = r.info.artifact_uri;
    const char *rel = art_uri_relpath(*uri);
    if (!need_store(&c->e, *uri))
        return -1;
    return art_path_check(c->s.a, rel, true, root, &c->e);
}

/* GET /api/2.0/mlflow/artifacts/list?run_id=&path=: paths relative to the run's root. */
static int h_run_list(struct ctx *c)
{
    const char *id, *path, *uri, *root, *sub = "";
    if (in_run_id(&c->in, &id) != 0 || in_str(&c->in, "path", &path) != 0 ||
        run_root(c, id, &uri, &root) != 0)
        return -1;
    if (path && art_path_check(c->s.a, path, true, &sub, &c->e) != 0)
        return -1;
    jw_obj(&c->w);
    jw_kstr(&c->w, "root_uri", uri);
    if (art_list_json(c, root, sub, true) != 0)
        return -1;
    jw_obj_end(&c->w);
    return 0;
}

/* GET /get-artifact?run_id=&path= (the UI's download) */
static int h_get_artifact(struct ctx *c)
{
    const char *id, *path, *uri, *root, *sub;
    if (in_run_id(&c->in, &id) != 0 || in_str_req(&c->in, "path", &path) != 0 ||
        art_path_check(c->s.a, path, false, &sub, &c->e) != 0 ||
        run_root(c, id, &uri, &root) != 0)
        return -1;
    return send_file(c, join(c->s.a, root, sub), sub);
}

/* POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=&path= (the UI's upload, raw body) */
static void *upload_begin(struct ctx *c)
{
    const char *id, *path, *uri, *root, *sub;
    in_init_query(&c->in, c->r, &c->e);
    if (in_str(&c->in, "run_uuid", &id) != 0 ||
        in_str_req(&c->in, "path", &path) != 0)
        return NULL;
    if (!id || !*id) {
        err_missing(&c->e, "run_uuid", false);
        return NULL;
    }
    if (art_path_check(c->s.a, path, false, &sub, &c->e) != 0 ||
        run_root(c, id, &uri, &root) != 0)
        return NULL;
    struct run r;
    if (run_get(&c->s, id, &r) != 0)
        return NULL;
    if (strcmp(r.info.lifecycle_stage, "active") != 0) {
        err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                "The run %s must be in the 'active' state. Current state is %s.", id,
                r.info.lifecycle_stage);
        return NULL;
    }
    return up_open(c, join(c->s.a, root, sub));
}

static const struct stream_ops upload_ops = {upload_begin, up_write, up_end, up_abort};

/* Where a model version's files are (its storage location). */
static int mv_storage_root(struct ctx *c, const char *name, const char *version,
                           const char **uri)
{
    int64_t v;
    if (reg_parse_version(&c->e, version, &v) != 0)
        return -1;
    return mv_download_uri(&c->s, name, v, uri);
}

static int lm_artifact_root(struct ctx *c, const char *model_id, const char **uri)
{
    struct logged_model m;
    if (lm_get(&c->s, model_id, false, &m) != 0)
        return -1;
    *uri = m.artifact_location;
    return 0;
}

/* GET /model-versions/get-artifact?name=&version=&path= */
static int h_mv_get_artifact(struct ctx *c)
{
    const char *name, *version, *path, *sub, *uri, *root;
    if (in_str_req(&c->in, "name", &name) != 0 || in_str_req(&c->in, "version", &version) != 0 ||
        in_str_req(&c->in, "path", &path) != 0 ||
        art_path_check(c->s.a, path, false, &sub, &c->e) != 0 ||
        mv_storage_root(c, name, version, &uri) != 0)
        return -1;
    const char *rel = art_uri_relpath(uri);
    if (!need_store(&c->e, uri) || art_path_check(c->s.a, rel, true, &root, &c->e) != 0)
        return -1;
    return send_file(c, join(c->s.a, root, sub), sub);
}

/* GET /ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files?artifact_file_path= */
static int h_lm_file(struct ctx *c)
{
    const char *path, *sub, *uri, *root;
    if (in_str_req(&c->in, "artifact_file_path", &path) != 0 ||
        art_path_check(c->s.a, path, false, &sub, &c->e) != 0 ||
        lm_artifact_root(c, c->r->params[0], &uri) != 0)
        return -1;
    const char *rel = art_uri_relpath(uri);
    if (!need_store(&c->e, uri) || art_path_check(c->s.a, rel, true, &root, &c->e) != 0)
        return -1;
    return send_file(c, join(c->s.a, root, sub), sub);
}

const struct route run_artifact_routes[] = {
    {HTTP_GET, "/artifacts/list", h_run_list, 0, RF_TRACKING, NULL},
    {HTTP_POST, "/upload-artifact", NULL, 10 * MB, RF_TRACKING | RF_STREAM_IN, &upload_ops},
    {HTTP_GET, "/logged-models/{model_id}/artifacts/files", h_lm_file, 0, RF_TRACKING | RF_RAW,
     NULL},
};
const size_t run_artifact_routes_n = sizeof run_artifact_routes / sizeof *run_artifact_routes;

const struct route ui_artifact_routes[] = {
    {HTTP_GET, "/get-artifact", h_get_artifact, 0, RF_TRACKING | RF_RAW, NULL},
    {HTTP_GET, "/model-versions/get-artifact", h_mv_get_artifact, 0, RF_TRACKING | RF_RAW,
     NULL},
};
const size_t ui_artifact_routes_n = sizeof ui_artifact_routes / sizeof *ui_artifact_routes;
