/* Percent-decoding (see url.h). */
#include "url.h"

#include <string.h>

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t url_decode(char *out, const char *s, size_t n, bool plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && n - i > 2) {
            int hi = hex_digit(s[i + 1]);
            int lo = hex_digit(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out[o++] = (char)(hi << 4 | lo);
                i += 2;
                continue;
            }
        } else if (c == '+' && plus_is_space) {
            out[o++] = ' ';
            continue;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return o;
}

const char *uri_join(struct arena *a, const char *root, const char *seg)
{
    size_t rn = strlen(root);
    bool slash = rn > 0 && root[rn - 1] == '/';
    return arena_printf(a, "%s%s%s", root, slash ? "" : "/", seg);
}

void buf_join_path(struct buf *b, const char *rel)
{
    for (const char *p = rel; *p;) {
        size_t n = strcspn(p, "/");
        if (!(n == 0 || (n == 1 && p[0] == '.'))) {
            if (b->len == 0 || b->ptr[b->len - 1] != '/')
                buf_putc(b, '/');
            buf_append(b, p, n);
        }
        p += n;
        if (*p == '/')
            p++;
    }
}
