/* json.dumps(x, ensure_ascii=False) in C (see pyjson.h). */
#include "pyjson.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "../base/dtoa.h"
#include "../base/json_plain.h"

void pyjson_str(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = json_plain_skip(s, n, i); /* plain ASCII 8 bytes at a time */
        run += j - i;
        if ((i = j) >= n)
            break;
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\') { /* what json.dumps leaves as is */
            run++;
            continue;
        }
        buf_append(b, s + i - run, run);
        run = 0;
        const char *esc = NULL;
        switch (ch) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        }
        if (esc) {
            buf_puts(b, esc);
        } else {
            char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            buf_append(b, u, 6);
        }
    }
    buf_append(b, s + n - run, run);
    buf_putc(b, '"');
}

void pyjson_double(struct buf *b, double d)
{
    if (isnan(d)) {
        buf_puts(b, "NaN");
    } else if (isinf(d)) {
        buf_puts(b, d > 0 ? "Infinity" : "-Infinity");
    } else {
        char t[32];
        buf_append(b, t, dtoa_shortest(d, t));
    }
}

void pyjson_dump(struct buf *b, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        buf_putc(b, '{');
        const char *k;
        json_t *x;
        bool first = true;
        json_object_foreach((json_t *)v, k, x)
        {
            if (!first)
                buf_puts(b, ", ");
            first = false;
            pyjson_str(b, k, strlen(k));
            buf_puts(b, ": ");
            pyjson_dump(b, x);
        }
        buf_putc(b, '}');
        break;
    }
    case JSON_ARRAY:
        buf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                buf_puts(b, ", ");
            pyjson_dump(b, json_array_get(v, i));
        }
        buf_putc(b, ']');
        break;
    case JSON_STRING:
        pyjson_str(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        buf_put_i64(b, json_integer_value(v));
        break;
    case JSON_REAL:
        pyjson_double(b, json_real_value(v));
        break;
    case JSON_TRUE:
        buf_puts(b, "true");
        break;
    case JSON_FALSE:
        buf_puts(b, "false");
        break;
    default:
        buf_puts(b, "null");
    }
}
