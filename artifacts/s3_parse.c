/* The network-free half of the S3 backend (see s3_parse.h): destinations, keys, URLs, and
 * a small XML reader for S3's answers. The XML reader knows only what S3 sends: elements,
 * text, the five named entities and numeric references, a declaration, comments; it walks
 * the bytes it is given with a cursor and an explicit depth limit, and never allocates
 * more than the decoded text it hands back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"
#include "s3_parse.h"

#define XML_MAX_DEPTH 32

static bool bucket_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}

int s3_loc_parse(const char *uri, struct s3_loc *out, struct err *e)
{
    out->bucket = out->prefix = NULL;
    if (strncmp(uri, "s3://", 5) != 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "not an s3:// URI: '%s'", uri);
    const char *b = uri + 5;
    size_t bn = strcspn(b, "/");
    if (bn < 3 || bn > 63)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "invalid S3 bucket name in '%s' (3 to 63 characters)", uri);
    for (size_t i = 0; i < bn; i++)
        if (!bucket_char_ok(b[i]))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "invalid S3 bucket name in '%s' (letters, digits, '.', '-')", uri);
    const char *p = b + bn;
    while (*p == '/')
        p++;
    size_t pn = strlen(p);
    while (pn && p[pn - 1] == '/')
        pn--;
    for (size_t i = 0; i < pn; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '?' || p[i] == '#')
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "invalid character in the S3 prefix of '%s'", uri);
    out->bucket = strndup(b, bn);
    out->prefix = strndup(p, pn);
    if (!out->bucket || !out->prefix) {
        s3_loc_release(out);
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    }
    return 0;
}

void s3_loc_release(struct s3_loc *l)
{
    free(l->bucket);
    free(l->prefix);
    l->bucket = l->prefix = NULL;
}

static bool region_ok(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
            return false;
    return true;
}

int s3_endpoint_init(struct s3_endpoint *ep, const char *endpoint_url, const char *region,
                     const char *style, const char *bucket, struct err *e)
{
    ep->bucket_url = NULL;
    ep->path_style = false;
    bool want_path = style && !strcmp(style, "path");
    bool want_virtual = style && !strcmp(style, "virtual");
    struct buf b;
    buf_init(&b, 4096);
    if (endpoint_url && *endpoint_url) {
        const char *rest;
        size_t scheme_n;
        if (!strncmp(endpoint_url, "http://", 7))
            scheme_n = 7;
        else if (!strncmp(endpoint_url, "https://", 8))
            scheme_n = 8;
        else
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "MLFLOW_S3_ENDPOINT_URL must start with http:// or https://");
        rest = endpoint_url + scheme_n;
        size_t n = strlen(rest);
        while (n && rest[n - 1] == '/')
            n--;
        if (n == 0 || memchr(rest, '?', n) || memchr(rest, '#', n) || memchr(rest, '@', n))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "MLFLOW_S3_ENDPOINT_URL must be scheme://host[:port][/path]");
        ep->path_style = !want_virtual;
        buf_append(&b, endpoint_url, scheme_n);
        if (ep->path_style) {
            buf_append(&b, rest, n);
            buf_putc(&b, '/');
            buf_puts(&b, bucket);
        } else {
            buf_puts(&b, bucket);
            buf_putc(&b, '.');
            buf_append(&b, rest, n);
        }
    } else {
        if (!region_ok(region))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "invalid AWS region '%s'", region);
        ep->path_style = want_path || strchr(bucket, '.') != NULL;
        if (ep->path_style)
            buf_printf(&b, "https://s3.%s.amazonaws.com/%s", region, bucket);
        else
            buf_printf(&b, "https://%s.s3.%s.amazonaws.com", bucket, region);
    }
    if (!buf_ok(&b)) {
        buf_release(&b);
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "S3 endpoint URL too long");
    }
    ep->bucket_url = buf_detach(&b, NULL);
    return 0;
}

void s3_endpoint_release(struct s3_endpoint *ep)
{
    free(ep->bucket_url);
    ep->bucket_url = NULL;
}

void s3_uri_encode(struct buf *b, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                     (c == '/' && keep_slash);
        if (plain) {
            buf_putc(b, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_append(b, esc, 3);
        }
    }
}

void s3_key(struct buf *b, const char *prefix, const char *relpath)
{
    buf_puts(b, prefix);
    if (*prefix && *relpath)
        buf_putc(b, '/');
    buf_puts(b, relpath);
}

void s3_url(struct buf *b, const struct s3_endpoint *ep, const char *key, const char *query)
{
    buf_puts(b, ep->bucket_url);
    if (key && *key) {
        buf_putc(b, '/');
        s3_uri_encode(b, key, strlen(key), true);
    } else if (!ep->path_style) {
        buf_putc(b, '/');
    }
    if (query) {
        buf_putc(b, '?');
        buf_puts(b, query);
    }
}

/* ---- XML ---- */

/* Skips past the first occurrence of pat in [p, end); NULL when absent. */
static const char *skip_past(const char *p, const char *end, const char *pat)
{
    size_t m = strlen(pat);
    for (; p + m <= end; p++)
        if (!memcmp(p, pat, m))
            return p + m;
    return NULL;
}

/* The end of the tag starting at p ('<'): just past its '>', quotes respected. Sets
 * *self_closing for "<x/>". NULL when unterminated. */
static const char *tag_end(const char *p, const char *end, bool *self_closing)
{
    char quote = 0;
    for (const char *c = p + 1; c < end; c++) {
        if (quote) {
            if (*c == quote)
                quote = 0;
        } else if (*c == '"' || *c == '\'') {
            quote = *c;
        } else if (*c == '>') {
            *self_closing = c[-1] == '/';
            return c + 1;
        }
    }
    return NULL;
}

/* Skips a declaration, comment or other "<!...>"/"<?...?>" at p; NULL when unterminated. */
static const char *skip_special(const char *p, const char *end)
{
    if (end - p >= 4 && !memcmp(p, "<!--", 4))
        return skip_past(p + 4, end, "-->");
    if (end - p >= 9 && !memcmp(p, "<![CDATA[", 9))
        return skip_past(p + 9, end, "]]>");
    if (end - p >= 2 && p[1] == '?')
        return skip_past(p + 2, end, "?>");
    return skip_past(p + 2, end, ">");
}

/* The next element among the children at *pos (which moves past it): its name and its
 * inner content. 1 found, 0 none left, -1 malformed. */
static int xml_next(const char **pos, const char *end, struct str *name, struct str *inner)
{
    const char *p = *pos;
    for (;;) {
        p = memchr(p, '<', (size_t)(end - p));
        if (!p || end - p < 2)
            return 0;
        if (p[1] == '/')
            return 0; /* the parent's end tag */
        if (p[1] == '!' || p[1] == '?') {
            p = skip_special(p, end);
            if (!p)
                return -1;
            continue;
        }
        break;
    }
    const char *nm = p + 1;
    size_t nn = 0;
    while (nm + nn < end && !strchr(" \t\r\n/>", nm[nn]))
        nn++;
    if (nn == 0)
        return -1;
    bool self;
    const char *body = tag_end(p, end, &self);
    if (!body)
        return -1;
    *name = (struct str){nm, nn};
    if (self) {
        *inner = (struct str){body, 0};
        *pos = body;
        return 1;
    }
    int depth = 1;
    const char *c = body;
    while (depth > 0) {
        c = memchr(c, '<', (size_t)(end - c));
        if (!c || end - c < 2)
            return -1;
        if (c[1] == '!' || c[1] == '?') {
            c = skip_special(c, end);
            if (!c)
                return -1;
            continue;
        }
        bool closing = c[1] == '/';
        bool sc;
        const char *after = tag_end(c, end, &sc);
        if (!after)
            return -1;
        if (closing) {
            if (--depth == 0) {
                *inner = (struct str){body, (size_t)(c - body)};
                *pos = after;
                return 1;
            }
        } else if (!sc && ++depth > XML_MAX_DEPTH) {
            return -1;
        }
        c = after;
    }
    return -1;
}

/* Appends code point cp as UTF-8. */
static void put_utf8(struct buf *b, uint32_t cp)
{
    char u[4];
    if (cp < 0x80) {
        buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 4);
    }
}

/* Decodes a text node; NULL when it holds an unknown or broken entity. */
static const char *xml_text(struct arena *a, struct str t)
{
    static const struct {
        const char *ent;
        char c;
    } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    struct buf b;
    buf_init(&b, t.n + 1);
    const char *p = t.p, *end = t.p + t.n;
    bool bad = false;
    while (p < end && !bad) {
        if (*p != '&') {
            buf_putc(&b, *p++);
            continue;
        }
        p++;
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi || semi - p > 10) {
            bad = true;
            break;
        }
        if (*p == '#') {
            uint32_t cp = 0;
            bool hexa = p + 1 < semi && (p[1] == 'x' || p[1] == 'X');
            const char *d = p + (hexa ? 2 : 1);
            if (d == semi)
                bad = true;
            for (; d < semi && !bad; d++) {
                int v;
                if (*d >= '0' && *d <= '9')
                    v = *d - '0';
                else if (hexa && *d >= 'a' && *d <= 'f')
                    v = *d - 'a' + 10;
                else if (hexa && *d >= 'A' && *d <= 'F')
                    v = *d - 'A' + 10;
                else {
                    bad = true;
                    break;
                }
                cp = cp * (hexa ? 16u : 10u) + (uint32_t)v;
                if (cp > 0x10FFFF)
                    bad = true;
            }
            if (!bad && cp == 0)
                bad = true;
            if (!bad)
                put_utf8(&b, cp);
        } else {
            size_t i, m = (size_t)(semi - p) + 1;
            for (i = 0; i < sizeof named / sizeof *named; i++)
                if (strlen(named[i].ent) == m && !memcmp(p, named[i].ent, m))
                    break;
            if (i == sizeof named / sizeof *named)
                bad = true;
            else
                buf_putc(&b, named[i].c);
        }
        p = semi + 1;
    }
    const char *s = NULL;
    if (!bad && buf_ok(&b))
        s = arena_strndup(a, b.ptr ? b.ptr : "", b.len);
    buf_release(&b);
    return s;
}

/* The root element's name and content. */
static int xml_root(const char *xml, size_t n, struct str *name, struct str *inner)
{
    const char *pos = xml;
    return xml_next(&pos, xml + n, name, inner) == 1 ? 0 : -1;
}

const char *s3_xml_root(struct arena *a, const char *xml, size_t n)
{
    struct str name, inner;
    if (xml_root(xml, n, &name, &inner) != 0)
        return NULL;
    return arena_strndup(a, name.p, name.n);
}

/* The first child of parent named name (n bytes). */
static bool xml_child(struct str parent, const char *nm, size_t nn, struct str *inner)
{
    const char *pos = parent.p, *end = parent.p + parent.n;
    struct str name, in;
    int rc;
    while ((rc = xml_next(&pos, end, &name, &in)) == 1) {
        if (name.n == nn && !memcmp(name.p, nm, nn)) {
            *inner = in;
            return true;
        }
    }
    return false;
}

const char *s3_xml_get(struct arena *a, const char *xml, size_t n, const char *path)
{
    struct str name, cur;
    if (xml_root(xml, n, &name, &cur) != 0)
        return NULL;
    size_t seg = strcspn(path, "/");
    if (seg != name.n || memcmp(path, name.p, seg) != 0)
        return NULL;
    path += seg;
    while (*path == '/') {
        path++;
        seg = strcspn(path, "/");
        if (!xml_child(cur, path, seg, &cur))
            return NULL;
        path += seg;
    }
    return xml_text(a, cur);
}

void s3_xml_escape(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

/* Adds an item named by key minus prefix, unless it is skipped (see s3_parse_list). */
static void list_add(struct arena *a, struct s3_list_page *out, size_t *cap, const char *key,
                     const char *prefix, bool is_dir, int64_t size, bool delimited)
{
    size_t pn = strlen(prefix);
    if (strncmp(key, prefix, pn) != 0)
        return;
    const char *rest = key + pn;
    size_t rn = strlen(rest);
    if (is_dir) {
        if (rn == 0 || rest[rn - 1] != '/')
            return;
        rn--; /* the trailing delimiter */
    } else if (rn == 0 || rest[rn - 1] == '/') {
        return; /* the prefix itself, or a folder marker object */
    }
    if (rn == 0 || (delimited && memchr(rest, '/', rn)))
        return;
    if (out->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        struct s3_item *v = arena_calloc(a, ncap, sizeof *v);
        if (out->n)
            memcpy(v, out->items, out->n * sizeof *v);
        out->items = v;
        *cap = ncap;
    }
    out->items[out->n++] = (struct s3_item){arena_strndup(a, rest, rn), is_dir, size};
}

int s3_parse_list(struct arena *a, const char *xml, size_t n, const char *prefix,
                  bool delimited, struct s3_list_page *out)
{
    memset(out, 0, sizeof *out);
    struct str name, root;
    if (xml_root(xml, n, &name, &root) != 0 || !str_eq(name, "ListBucketResult"))
        return -1;
    size_t cap = 0;
    const char *pos = root.p, *end = root.p + root.n;
    struct str in;
    int rc;
    while ((rc = xml_next(&pos, end, &name, &in)) == 1) {
        struct str leaf;
        if (str_eq(name, "Contents")) {
            if (!xml_child(in, "Key", 3, &leaf))
                return -1;
            const char *key = xml_text(a, leaf);
            int64_t size = 0;
            if (xml_child(in, "Size", 4, &leaf) && !parse_i64(leaf.p, leaf.n, &size))
                return -1;
            if (!key || size < 0)
                return -1;
            list_add(a, out, &cap, key, prefix, false, size, delimited);
        } else if (str_eq(name, "CommonPrefixes")) {
            if (!xml_child(in, "Prefix", 6, &leaf))
                return -1;
            const char *p = xml_text(a, leaf);
            if (!p)
                return -1;
            list_add(a, out, &cap, p, prefix, true, 0, delimited);
        } else if (str_eq(name, "IsTruncated")) {
            out->truncated = in.n == 4 && !memcmp(in.p, "true", 4);
        } else if (str_eq(name, "NextContinuationToken")) {
            out->next_token = xml_text(a, in);
            if (!out->next_token)
                return -1;
        }
    }
    if (rc < 0)
        return -1;
    if (!out->truncated)
        out->next_token = NULL;
    else if (!out->next_token || !*out->next_token)
        return -1; /* truncated without a way to go on */
    return 0;
}
