/* json.dumps(json.loads(text)) for the span translator: a stored JSON text written again
 * as Python writes it, and json.dumps' ASCII escaping. Apart because it is text work on
 * json.loads' grammar alone, which the generic code (model, provider) and the vendors'
 * readers both use. */
#include "span_translate_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/pystr.h"
#include "../base/utf8.h"
#include "pyjson.h"
#include "pyjson_scan.h"

/* json.dumps(json.loads(text)) of text pyjson_value accepted at s[i]: separators and
 * numbers as Python writes them, strings re-escaped. An object's repeated key is written
 * each time (Python's dict would keep one). -1 for a lone escaped surrogate. */
int tr_redump(struct buf *b, const char *s, size_t n, size_t i, size_t *end)
{
    size_t e;
    enum pyjson_kind k = pyjson_skip(s, n, i, &e);
    *end = e;
    switch (k) {
    case PYJSON_STRING: {
        struct buf t;
        buf_init(&t, TEXT_MAX);
        int rc = pyjson_unescape(&t, s + i, e - i);
        if (rc == 0)
            pyjson_str(b, t.ptr ? t.ptr : "", t.len);
        buf_release(&t);
        return rc;
    }
    case PYJSON_INT:
        if (e - i == 2 && s[i] == '-' && s[i + 1] == '0')
            buf_putc(b, '0');
        else
            buf_append(b, s + i, e - i);
        return 0;
    case PYJSON_REAL: {
        char *tmp = strndup(s + i, e - i);
        if (!tmp)
            return -1;
        pyjson_double(b, strtod(tmp, NULL));
        free(tmp);
        return 0;
    }
    case PYJSON_ARRAY:
    case PYJSON_OBJECT: {
        char close = k == PYJSON_ARRAY ? ']' : '}';
        buf_putc(b, s[i]);
        size_t j = pyjson_ws(s, e, i + 1);
        bool first = true;
        while (j < e && s[j] != close) {
            if (!first)
                buf_puts(b, ", ");
            first = false;
            size_t ve;
            if (k == PYJSON_OBJECT) {
                if (tr_redump(b, s, e, j, &ve) != 0)
                    return -1;
                buf_puts(b, ": ");
                j = pyjson_ws(s, e, pyjson_ws(s, e, ve) + 1);
            }
            if (tr_redump(b, s, e, j, &ve) != 0)
                return -1;
            j = pyjson_ws(s, e, ve);
            if (j < e && s[j] == ',')
                j = pyjson_ws(s, e, j + 1);
        }
        buf_putc(b, close);
        return 0;
    }
    default: /* null, true, false, NaN, Infinity: as written */
        buf_append(b, s + i, e - i);
        return 0;
    }
}

/* json.dumps' default ensure_ascii: every non-ASCII character (only ever inside strings)
 * as \uXXXX, a surrogate pair past the BMP. */
void tr_ascii_escape(struct buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = (unsigned char)s[i] < 0x80 ? 1 : utf8_next(s + i, n - i, &cp);
        if (k == 1 || k <= 0) {
            buf_putc(out, s[i++]);
            continue;
        }
        py_json_u_escape(out, cp);
        i += (size_t)k;
    }
}
