/* Python's str operations (see pystr.h). */
#include "pystr.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "dtoa.h"
#include "utf8.h"

/* The next code point of s at *i (U+FFFD for an ill-formed subpart), advancing *i. */
static uint32_t next_cp(const char *s, size_t n, size_t *i)
{
    uint32_t cp;
    int k = utf8_next(s + *i, n - *i, &cp);
    if (k < 0) {
        *i += (size_t)-k;
        return 0xFFFD;
    }
    *i += (size_t)k;
    return cp;
}

static const char *from_buf(struct arena *a, struct buf *b)
{
    const char *s = arena_strndup(a, b->ptr ? b->ptr : "", b->len);
    buf_release(b);
    return s;
}

void py_json_u_escape(struct buf *b, uint32_t cp)
{
    if (cp < 0x10000) {
        buf_printf(b, "\\u%04x", (unsigned)cp);
        return;
    }
    uint32_t v = cp - 0x10000;
    buf_printf(b, "\\u%04x\\u%04x", (unsigned)(0xD800 | (v >> 10)),
               (unsigned)(0xDC00 | (v & 0x3FF)));
}

const char *py_json_str(struct arena *a, const char *s)
{
    struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    buf_putc(&b, '"');
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp = next_cp(s, n, &i);
        switch (cp) {
        case '"':
            buf_puts(&b, "\\\"");
            continue;
        case '\\':
            buf_puts(&b, "\\\\");
            continue;
        case '\n':
            buf_puts(&b, "\\n");
            continue;
        case '\r':
            buf_puts(&b, "\\r");
            continue;
        case '\t':
            buf_puts(&b, "\\t");
            continue;
        case '\b':
            buf_puts(&b, "\\b");
            continue;
        case '\f':
            buf_puts(&b, "\\f");
            continue;
        }
        if (cp >= 0x20 && cp <= 0x7E) {
            buf_putc(&b, (char)cp);
        } else {
            py_json_u_escape(&b, cp);
        }
    }
    buf_putc(&b, '"');
    return from_buf(a, &b);
}

const char *py_repr(struct arena *a, const char *s)
{
    char quote = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    buf_putc(&b, quote);
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t at = i;
        uint32_t cp = next_cp(s, n, &i);
        if (cp == (uint32_t)quote || cp == '\\') {
            buf_putc(&b, '\\');
            buf_putc(&b, (char)cp);
        } else if (cp == '\n') {
            buf_puts(&b, "\\n");
        } else if (cp == '\r') {
            buf_puts(&b, "\\r");
        } else if (cp == '\t') {
            buf_puts(&b, "\\t");
        } else if (cp >= 0x20 && cp <= 0x7E) {
            buf_putc(&b, (char)cp);
        } else if (cp == 0xFFFD) { /* also what an ill-formed byte reads as */
            buf_append(&b, "\xEF\xBF\xBD", 3);
        } else if (cp >= 0x80 && utf8_is_printable(cp)) {
            buf_append(&b, s + at, i - at);
        } else if (cp < 0x100) {
            buf_printf(&b, "\\x%02x", (unsigned)cp);
        } else if (cp < 0x10000) {
            buf_printf(&b, "\\u%04x", (unsigned)cp);
        } else {
            buf_printf(&b, "\\U%08x", (unsigned)cp);
        }
    }
    buf_putc(&b, quote);
    return from_buf(a, &b);
}

const char *py_normpath(struct arena *a, const char *s)
{
    if (!*s)
        return ".";
    /* POSIX keeps exactly two leading slashes; one, or three and more, become one. */
    int initial = s[0] == '/' ? (s[1] == '/' && s[2] != '/' ? 2 : 1) : 0;
    size_t n = strlen(s);
    /* Kept segments as (start, length); at most one per byte. */
    size_t *seg = arena_calloc(a, n + 1, 2 * sizeof *seg);
    size_t k = 0;
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && s[j] != '/')
            j++;
        size_t len = j - i;
        bool dotdot = len == 2 && s[i] == '.' && s[i + 1] == '.';
        if (len == 0 || (len == 1 && s[i] == '.')) {
            /* dropped */
        } else if (!dotdot || (!initial && k == 0) ||
                   (k > 0 && seg[2 * (k - 1) + 1] == 2 && s[seg[2 * (k - 1)]] == '.' &&
                    s[seg[2 * (k - 1)] + 1] == '.')) {
            seg[2 * k] = i;
            seg[2 * k + 1] = len;
            k++;
        } else if (k > 0) {
            k--;
        }
        i = j + 1;
    }
    struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    for (int i = 0; i < initial; i++)
        buf_putc(&b, '/');
    for (size_t i = 0; i < k; i++) {
        if (i)
            buf_putc(&b, '/');
        buf_append(&b, s + seg[2 * i], seg[2 * i + 1]);
    }
    if (b.len == 0)
        buf_putc(&b, '.');
    return from_buf(a, &b);
}

bool py_path_not_unique(struct arena *a, const char *s)
{
    const char *norm = py_normpath(a, s);
    return strcmp(norm, s) != 0 || strcmp(norm, ".") == 0 || strncmp(norm, "..", 2) == 0 ||
           norm[0] == '/';
}

bool py_blank(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;)
        if (!utf8_is_space(next_cp(s, n, &i)))
            return false;
    return true;
}

const char *py_repr_float(struct arena *a, double d)
{
    if (isnan(d))
        return "nan";
    if (isinf(d))
        return d > 0 ? "inf" : "-inf";
    char s[32];
    return arena_strndup(a, s, dtoa_shortest(d, s));
}
