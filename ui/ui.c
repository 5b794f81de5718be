/* Serves the embedded UI bundle. index.html is revalidated on every load (no-cache with
 * an ETag, answered 304 when unchanged); the hashed scripts and styles it names are
 * immutable. Every UI response carries a Content-Security-Policy that allows only this
 * origin's scripts, so even a missed escape in the UI cannot run injected code. Frames
 * may show blob: URLs (PDF previews, made from bytes the UI fetched itself); HTML
 * artifacts are shown in sandboxed srcdoc frames, which inherit this policy. */
#include <string.h>

#include "../api/route.h"
#include "ui.h"

#define UI_CSP                                                                             \
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "  \
    "frame-src 'self' blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "  \
    "form-action 'self'; frame-ancestors 'self'"

const struct ui_asset *ui_asset_find(const char *path)
{
    for (size_t i = 0; i < ui_assets_n; i++)
        if (strcmp(ui_assets[i].path, path) == 0)
            return &ui_assets[i];
    return NULL;
}

/* Whether an If-None-Match value names etag (or is "*"). A substring test is enough:
 * our ETags are quoted hex digests, which cannot straddle two listed tags. */
static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return false;
    while (*inm == ' ')
        inm++;
    return strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL;
}

static int serve(struct ctx *c, const struct ui_asset *a)
{
    struct resp *out = ctx_resp(c);
    if (!a) {
        out->content_type = "text/plain; charset=utf-8";
        out->status = 404;
        buf_puts(&out->body, "Not found");
        resp_header(out, "Content-Security-Policy", UI_CSP);
        return 0;
    }
    resp_header(out, "Content-Security-Policy", UI_CSP);
    resp_header(out, "ETag", a->etag);
    resp_header(out, "Cache-Control",
           a->immutable ? "public, max-age=31536000, immutable" : "no-cache");
    resp_header(out, "Referrer-Policy", "same-origin");
    const char *inm = ctx_req(c)->header ? ctx_req(c)->header(ctx_req(c)->hctx, "If-None-Match") : NULL;
    if (etag_matches(inm, a->etag)) {
        out->status = 304;
        out->content_type = NULL;
        return 0;
    }
    out->content_type = a->content_type;
    buf_append(&out->body, a->data, a->len);
    return 0;
}

static int h_index(struct ctx *c)
{
    return serve(c, ui_asset_find("index.html"));
}

static int h_static(struct ctx *c)
{
    const char *p = ctx_req(c)->params[0];
    /* Only flat names from the bundle exist; refuse anything else before the lookup. */
    if (!p || strcmp(p, "index.html") == 0 || strchr(p, '/') || strstr(p, ".."))
        return serve(c, NULL);
    return serve(c, ui_asset_find(p));
}

const struct route ui_routes[] = {
    {HTTP_GET, "/", h_index, 0, RF_NO_DB | RF_RAW, NULL},
    {HTTP_GET, "/static-files/{*path}", h_static, 0, RF_NO_DB | RF_RAW, NULL},
};
const size_t ui_routes_n = sizeof ui_routes / sizeof *ui_routes;
