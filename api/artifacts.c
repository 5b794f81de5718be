/* The artifact proxy (MLflow's mlflow-artifacts service) and the artifact routes of the
 * tracking API and the UI: uploads stream into the artifact store as they arrive,
 * downloads stream out of it as the client reads, listings and deletes. Every path from
 * the wire goes through art_path_check() first, before any lookup; where a run's or a
 * model's files are is api/artifact_places.c's to say. */
#include <stdlib.h>
#include <string.h>

#include "../artifacts/art.h"
#include "../base/util.h"
#include "../registry/rules.h"
#include "../store/logged_models.h"
#include "../store/registry.h"
#include "api.h"
#include "range.h"

/* root/sub, both already checked; either may be "". */
static const char *join(struct arena *a, const char *root, const char *sub)
{
    if (!*root)
        return sub;
    if (!*sub)
        return root;
    return arena_printf(a, "%s/%s", root, sub);
}

int art_list_json(struct ctx *c, const struct art_place *pl, const char *sub, bool full_paths)
{
    const char *dir;
    if (art_path_check(c->s.a, join(c->s.a, pl->root, sub), true, &dir, &c->e) != 0)
        return -1;
    struct art_entry *ents;
    size_t n;
    if (art_list(pl->store, dir, c->s.a, &ents, &n, &c->e) != 0)
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

/* ---- download headers ---- */

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
    struct art_place pl;
    struct art_reader *r;
    uint64_t base; /* first byte served (Range) */
};

static long dl_read(void *ctx, uint64_t pos, char *buf, size_t max)
{
    struct dl *d = ctx;
    struct err e;
    ssize_t n = art_read(d->pl.store, d->r, d->base + pos, buf, max, &e);
    if (n < 0)
        log_error("artifact download failed: %s", e.msg);
    return (long)n;
}

static void dl_free(void *ctx)
{
    struct dl *d = ctx;
    art_close_read(d->pl.store, d->r);
    art_place_release(&d->pl);
    free(d);
}

/* Streams sub (checked) of the place to the client as an attachment; the place goes with
 * the stream, or is released here on failure. */
static int send_file(struct ctx *c, struct art_place *pl, const char *sub)
{
    struct art_reader *r;
    int64_t size;
    if (art_open_read(pl->store, join(c->s.a, pl->root, sub), &r, &size, &c->e) != 0) {
        art_place_release(pl);
        return -1;
    }
    struct dl *d = malloc(sizeof *d);
    if (!d) {
        art_close_read(pl->store, r);
        art_place_release(pl);
        return err_set(&c->e, ERR_INTERNAL_ERROR, "out of memory");
    }
    d->pl = *pl;
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
    c->out->content_type = mime_type(sub);
    resp_header(c->out, "Content-Disposition", disposition(c->s.a, sub));
    resp_header(c->out, "Accept-Ranges", "bytes");
    c->out->stream = (struct resp_stream){len, dl_read, dl_free, d};
    return 0;
}

int art_send_location(struct ctx *c, const char *uri, const char *sub)
{
    struct art_place pl;
    if (art_place_open(c, uri, &pl) != 0)
        return -1;
    return send_file(c, &pl, sub);
}

/* GET /api/2.0/mlflow-artifacts/artifacts/<path> */
static int h_download(struct ctx *c)
{
    const char *rel;
    struct art_place pl;
    if (art_path_check(c->s.a, c->r->params[0], false, &rel, &c->e) != 0 ||
        art_place_destination(c, &pl) != 0)
        return -1;
    return send_file(c, &pl, rel);
}

/* ---- uploads ---- */

struct up {
    struct art_place pl;
    struct art_writer *w;
    uint64_t bytes;
    bool need_data; /* an empty body is refused (upload-artifact) */
};

/* Opens a writer for sub (checked) of the place, which the upload then owns; NULL with c->e
 * set (and the place released). */
static struct up *up_open(struct ctx *c, struct art_place *pl, const char *sub)
{
    struct up *u = arena_alloc(c->s.a, sizeof *u);
    u->pl = *pl;
    if (art_open_write(pl->store, join(c->s.a, pl->root, sub), &u->w, &c->e) != 0) {
        art_place_release(pl);
        return NULL;
    }
    return u;
}

static int up_write(void *st, const char *p, size_t n, struct err *e)
{
    struct up *u = st;
    u->bytes += n;
    return art_write(u->pl.store, u->w, p, n, e);
}

static int up_end(void *st, struct ctx *c)
{
    struct up *u = st;
    int rc;
    if (u->need_data && u->bytes == 0) {
        art_abort(u->pl.store, u->w);
        rc = err_set(&c->e, ERR_INVALID_PARAMETER_VALUE, "Request must specify data.");
    } else {
        rc = art_commit(u->pl.store, u->w, &c->e);
    }
    art_place_release(&u->pl);
    return rc != 0 ? -1 : reply_empty(c);
}

static void up_abort(void *st)
{
    struct up *u = st;
    art_abort(u->pl.store, u->w);
    art_place_release(&u->pl);
}

/* PUT /api/2.0/mlflow-artifacts/artifacts/<path> */
static void *put_begin(struct ctx *c)
{
    const char *rel;
    struct art_place pl;
    if (art_path_check(c->s.a, c->r->params[0], false, &rel, &c->e) != 0 ||
        art_place_destination(c, &pl) != 0)
        return NULL;
    return up_open(c, &pl, rel);
}

static const struct stream_ops put_ops = {put_begin, up_write, up_end, up_abort};

/* ---- listing and deleting ---- */

/* GET /api/2.0/mlflow-artifacts/artifacts?path=<dir>: basenames, as MLflow lists them. */
static int h_list(struct ctx *c)
{
    const char *path, *sub = "";
    struct art_place pl;
    if (in_str(&c->in, "path", &path) != 0 ||
        (path && art_path_check(c->s.a, path, true, &sub, &c->e) != 0) ||
        art_place_destination(c, &pl) != 0)
        return -1;
    jw_obj(&c->w);
    if (art_list_json(c, &pl, sub, false) != 0)
        return -1;
    jw_obj_end(&c->w);
    return 0;
}

/* DELETE /api/2.0/mlflow-artifacts/artifacts/<path> */
static int h_delete(struct ctx *c)
{
    const char *rel;
    struct art_place pl;
    if (art_path_check(c->s.a, c->r->params[0], false, &rel, &c->e) != 0 ||
        art_place_destination(c, &pl) != 0 || art_remove(pl.store, rel, &c->e) != 0)
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

/* ---- run, model version and logged model artifacts ---- */

/* The place of a run's artifacts; nothing is held after a failure. */
static int run_place(struct ctx *c, const char *run_id, struct run *r, struct art_place *pl)
{
    if (run_get(&c->s, run_id, r) != 0)
        return -1;
    return art_place_open(c, r->info.artifact_uri, pl);
}

/* GET /api/2.0/mlflow/artifacts/list?run_id=&path=: paths relative to the run's root. */
static int h_run_list(struct ctx *c)
{
    const char *id, *path, *sub = "";
    struct run r;
    struct art_place pl;
    if (in_run_id(&c->in, &id) != 0 || in_str(&c->in, "path", &path) != 0 ||
        (path && art_path_check(c->s.a, path, true, &sub, &c->e) != 0) ||
        run_place(c, id, &r, &pl) != 0)
        return -1;
    jw_obj(&c->w);
    jw_kstr(&c->w, "root_uri", r.info.artifact_uri);
    int rc = art_list_json(c, &pl, sub, true);
    jw_obj_end(&c->w);
    art_place_release(&pl);
    return rc;
}

/* GET /get-artifact?run_id=&path= (the UI's download) */
static int h_get_artifact(struct ctx *c)
{
    const char *id, *path, *sub;
    struct run r;
    if (in_str_req(&c->in, "path", &path) != 0 ||
        art_path_check(c->s.a, path, false, &sub, &c->e) != 0 || in_run_id(&c->in, &id) != 0 ||
        run_get(&c->s, id, &r) != 0)
        return -1;
    return art_send_location(c, r.info.artifact_uri, sub);
}

/* MLflow's messages for the query parameters of upload-artifact. */
static int upload_param(struct ctx *c, const char *name, const char **out)
{
    if (in_str(&c->in, name, out) != 0)
        return -1;
    if (!*out || !**out)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE, "Request must specify %s.", name);
    return 0;
}

/* POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=&path= (the UI's upload, raw body) */
static void *upload_begin(struct ctx *c)
{
    const char *id, *path, *sub;
    struct run r;
    struct art_place pl;
    in_init_query(&c->in, c->r, &c->e);
    if (upload_param(c, "run_uuid", &id) != 0 || upload_param(c, "path", &path) != 0 ||
        art_path_check(c->s.a, path, false, &sub, &c->e) != 0 || run_place(c, id, &r, &pl) != 0)
        return NULL;
    if (strcmp(r.info.lifecycle_stage, "active") != 0) {
        art_place_release(&pl);
        err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                "The run %s must be in the 'active' state. Current state is %s.", id,
                r.info.lifecycle_stage);
        return NULL;
    }
    struct up *u = up_open(c, &pl, sub);
    if (u)
        u->need_data = true;
    return u;
}

static const struct stream_ops upload_ops = {upload_begin, up_write, up_end, up_abort};

/* GET /model-versions/get-artifact?name=&version=&path= */
static int h_mv_get_artifact(struct ctx *c)
{
    const char *name, *version, *path, *sub, *uri;
    int64_t v;
    if (in_str_req(&c->in, "path", &path) != 0 ||
        art_path_check(c->s.a, path, false, &sub, &c->e) != 0 ||
        in_str_req(&c->in, "name", &name) != 0 || in_str_req(&c->in, "version", &version) != 0 ||
        reg_parse_version(&c->e, version, &v) != 0 || mv_download_uri(&c->s, name, v, &uri) != 0)
        return -1;
    return art_send_location(c, uri, sub);
}

/* GET /ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files?artifact_file_path= */
static int h_lm_file(struct ctx *c)
{
    const char *path, *sub;
    struct logged_model m;
    if (in_str(&c->in, "artifact_file_path", &path) != 0)
        return -1;
    if (!path || !*path)
        return err_set(&c->e, ERR_BAD_REQUEST,
                       "Request must include the \"artifact_file_path\" query parameter.");
    if (art_path_check(c->s.a, path, false, &sub, &c->e) != 0 ||
        lm_get(&c->s, c->r->params[0], false, &m) != 0)
        return -1;
    return art_send_location(c, m.artifact_location, sub);
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
