/* The one place where a path from the wire is judged safe to use under an artifact root. */
#include <string.h>

#include "../base/url.h"
#include "art.h"

/* The longest path segment accepted: NAME_MAX of Linux file systems, past which a local
 * store cannot create the file (a 400 for the client, not the 500 of a failed open). */
enum { ART_SEGMENT_MAX = 255 };

static int invalid(struct err *e)
{
    return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid path");
}

int art_path_check(struct arena *a, const char *path, bool allow_root, const char **out,
                   struct err *e)
{
    size_t n = strlen(path);
    /* The server decoded the path once. Anything that a second decoding would turn into a
     * separator, a dot, a percent sign or a control character is a double-encoded attack
     * (MLflow decodes until stable; refusing is stricter and keeps one decoding). */
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)path[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\' || ch == '#')
            return invalid(e);
        if (ch == '%' && i + 2 < n + 0 && hex_digit(path[i + 1]) >= 0 && hex_digit(path[i + 2]) >= 0) {
            int v = hex_digit(path[i + 1]) * 16 + hex_digit(path[i + 2]);
            if (v < 0x20 || v == '/' || v == '\\' || v == '.' || v == '%' || v == 0x7f)
                return invalid(e);
        }
    }
    /* Absolute and UNC paths. */
    if (path[0] == '/')
        return invalid(e);
    /* Normalize: drop empty and "." segments, refuse "..". A trailing slash is dropped. */
    char *norm = arena_alloc(a, n + 1);
    size_t len = 0;
    const char *p = path;
    while (*p) {
        const char *s = strchr(p, '/');
        size_t sl = s ? (size_t)(s - p) : strlen(p);
        if (sl == 2 && p[0] == '.' && p[1] == '.')
            return invalid(e);
        if (sl > ART_SEGMENT_MAX)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid path: a path segment is longer than %d bytes",
                           ART_SEGMENT_MAX);
        if (sl > 0 && !(sl == 1 && p[0] == '.')) {
            if (len)
                norm[len++] = '/';
            memcpy(norm + len, p, sl);
            len += sl;
        }
        if (!s)
            break;
        p = s + 1;
    }
    norm[len] = '\0';
    /* Drive letters (C:) and file: URIs, judged on the normal form so that a leading "./"
     * cannot hide them. */
    if ((len == 0 && !allow_root) || (len >= 2 && norm[1] == ':') ||
        strncmp(norm, "file:", 5) == 0)
        return invalid(e);
    *out = norm;
    return 0;
}
