/* The web UI: assets bundled by esbuild at build time and embedded into the binary
 * (ui/build_assets.py writes the table), served under --static-prefix at "/" (index.html)
 * and "/static-files/..." with an ETag, caching headers and a Content-Security-Policy. */
#ifndef MLT_UI_H
#define MLT_UI_H

#include <stdbool.h>
#include <stddef.h>

#include "../api/route.h"

struct ui_asset {
    const char *path;         /* relative to /static-files/, or "index.html" */
    const char *content_type;
    const char *etag;         /* quoted, from the content's hash */
    const unsigned char *data;
    size_t len;
    bool immutable;           /* the name holds the content hash: cache for a year */
};

/* Generated (ui_assets.c): every file of the bundle. */
extern const struct ui_asset ui_assets[];
extern const size_t ui_assets_n;

/* The asset at path, or NULL. */
const struct ui_asset *ui_asset_find(const char *path);

/* The routes: / and /static-files/..., which server/ hands to api_init to be mounted under
 * --static-prefix. */
extern const struct route ui_routes[];
extern const size_t ui_routes_n;

#endif
