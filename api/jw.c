/* Streaming JSON writer. */
#include "jw.h"

#include <stdint.h>

#include "../base/dtoa.h"
#include "../base/json_plain.h"
#include "../base/utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void jw_init(struct jw *w, struct buf *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
}

static void pre_value(struct jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->comma[w->depth])
        buf_putc(w->b, ',');
    w->comma[w->depth] = true;
}

static void open(struct jw *w, char c)
{
    pre_value(w);
    buf_putc(w->b, c);
    if (w->depth < JW_MAX_DEPTH - 1)
        w->depth++;
    w->comma[w->depth] = false;
}

static void close_(struct jw *w, char c)
{
    buf_putc(w->b, c);
    if (w->depth > 0)
        w->depth--;
}

void jw_obj(struct jw *w)
{
    open(w, '{');
}
void jw_obj_end(struct jw *w)
{
    close_(w, '}');
}
void jw_arr(struct jw *w)
{
    open(w, '[');
}
void jw_arr_end(struct jw *w)
{
    close_(w, ']');
}

/* Writes s[0..n) as a JSON string. Bytes that are not well-formed UTF-8 (a value cut short
 * elsewhere, a percent-decoded path, an old database) become U+FFFD, one per maximal
 * ill-formed subpart as Python decodes with errors="replace": every body this writer makes
 * is valid JSON in valid UTF-8, whatever the strings it is given. */
static void put_escaped(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    size_t run = 0; /* start of the pending run of plain bytes */
    for (size_t i = 0; i < n; i++) {
        i = json_plain_skip(s, n, i); /* plain ASCII 8 bytes at a time */
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            uint32_t cp;
            int k = utf8_next(s + i, n - i, &cp);
            if (k > 0) {
                i += (size_t)k - 1;
                continue;
            }
            buf_append(b, s + run, i - run);
            buf_append(b, "\xEF\xBF\xBD", 3);
            i += (size_t)-k - 1;
            run = i + 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            buf_append(b, "\\\"", 2);
            break;
        case '\\':
            buf_append(b, "\\\\", 2);
            break;
        case '\n':
            buf_append(b, "\\n", 2);
            break;
        case '\r':
            buf_append(b, "\\r", 2);
            break;
        case '\t':
            buf_append(b, "\\t", 2);
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, u, 6);
        }
        }
    }
    buf_append(b, s + run, n - run);
    buf_putc(b, '"');
}

void jw_key(struct jw *w, const char *k)
{
    pre_value(w);
    put_escaped(w->b, k, strlen(k));
    buf_putc(w->b, ':');
    w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
    pre_value(w);
    put_escaped(w->b, s, n);
}

void jw_str(struct jw *w, const char *s)
{
    if (!s) {
        jw_null(w);
        return;
    }
    jw_strn(w, s, strlen(s));
}

void jw_int(struct jw *w, int64_t v)
{
    pre_value(w);
    buf_put_i64(w->b, v);
}

void jw_kid(struct jw *w, const char *k, int64_t v)
{
    jw_key(w, k);
    pre_value(w);
    buf_putc(w->b, '"');
    buf_put_i64(w->b, v);
    buf_putc(w->b, '"');
}

void jw_double(struct jw *w, double v)
{
    if (isnan(v)) {
        jw_str(w, "NaN");
        return;
    }
    if (isinf(v)) {
        jw_str(w, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    pre_value(w);
    char tmp[32];
    buf_append(w->b, tmp, dtoa_shortest(v, tmp));
}

void jw_bool(struct jw *w, bool v)
{
    pre_value(w);
    buf_puts(w->b, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
    pre_value(w);
    buf_append(w->b, "null", 4);
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
    buf_append(jw_raw_begin(w), json, n);
}

struct buf *jw_raw_begin(struct jw *w)
{
    pre_value(w);
    return w->b;
}
