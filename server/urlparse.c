/* Request-target parsing: the path is decoded once with '+' literal, query pairs are
 * decoded once with '+' as space, exactly as Werkzeug does for Flask (MLflow's server). */
#include "urlparse.h"

#include <string.h>


/* Decodes s[0..n) into a fresh arena string; *len gets the decoded length. */
static char *decode_dup(struct arena *a, const char *s, size_t n, bool plus, size_t *len)
{
    char *out = arena_alloc(a, n + 1);
    size_t m = url_decode(out, s, n, plus);
    if (len)
        *len = m;
    return out;
}

enum url_status url_parse_target(struct arena *a, const char *raw, const char **path,
                                 struct http_kv **query, size_t *nquery)
{
    const char *p = raw;
    /* Absolute form: skip "scheme://authority". */
    const char *colon = strstr(p, "://");
    if (colon && colon != p && memchr(p, '/', (size_t)(colon - p)) == NULL &&
        memchr(p, '?', (size_t)(colon - p)) == NULL) {
        p = colon + 3;
        p += strcspn(p, "/?#");
        if (*p != '/')
            return URL_BAD_PATH; /* "http://host" or "http://host?x": no path */
    }
    size_t plen = strcspn(p, "?#");
    if (plen == 0 || p[0] != '/')
        return URL_BAD_PATH;
    size_t dlen;
    char *dpath = decode_dup(a, p, plen, false, &dlen);
    if (strlen(dpath) != dlen)
        return URL_BAD_PATH; /* %00 would silently cut the path short */

    const char *q = p + plen;
    size_t qlen = 0;
    if (*q == '?') {
        q++;
        qlen = strcspn(q, "#");
    }
    /* Count pairs first so the array is one allocation. */
    size_t npairs = 0;
    for (size_t i = 0; i < qlen;) {
        size_t seg = 0;
        while (i + seg < qlen && q[i + seg] != '&')
            seg++;
        if (seg > 0)
            npairs++;
        i += seg + 1;
    }
    if (npairs > URL_MAX_QUERY_PAIRS)
        return URL_TOO_MANY_PARAMS;
    struct http_kv *kv = npairs ? arena_calloc(a, npairs, sizeof *kv) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < qlen;) {
        size_t seg = 0;
        while (i + seg < qlen && q[i + seg] != '&')
            seg++;
        if (seg > 0) {
            const char *s = q + i;
            const char *eq = memchr(s, '=', seg);
            size_t klen = eq ? (size_t)(eq - s) : seg;
            kv[k].key = decode_dup(a, s, klen, true, NULL);
            if (eq)
                kv[k].value = decode_dup(a, eq + 1, seg - klen - 1, true, &kv[k].vlen);
            else {
                kv[k].value = "";
                kv[k].vlen = 0;
            }
            k++;
        }
        i += seg + 1;
    }
    *path = dpath;
    *query = kv;
    *nquery = k;
    return URL_OK;
}
