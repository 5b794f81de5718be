/* MLflow's page tokens (see page_token.h). The JSON inside them is read with jansson, as
 * every other JSON the API takes. */
#include "page_token.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base64.h"
#include "../base/buf.h"
#include "../base/utf8.h"
#include "../base/util.h"
#include "../query/pylit.h"

/* ---- offset tokens ---- */

enum { OFFSET_TOKEN_MAX = 4096 };

/* The decoded bytes for a message: printable ASCII only, at most 199 characters. */
static void shown_text(const char *p, size_t n, char out[200])
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < 199; i++)
        out[k++] = (unsigned char)p[i] >= 0x20 && (unsigned char)p[i] < 0x7f ? p[i] : '?';
    out[k] = '\0';
}

/* Python's int() of a JSON offset: integers, reals truncated, numeric strings. */
static bool offset_value(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(d > -9.2e18 && d < 9.2e18))
            return false;
        *out = (int64_t)d; /* int(5.7) == 5 */
        return true;
    }
    return false;
}

int page_token_parse_offset(struct arena *a, const char *tok, size_t n, int64_t *offset,
                            struct err *e)
{
    *offset = 0;
    if (n == 0)
        return 0;
    size_t len = 0;
    char *dec = n <= OFFSET_TOKEN_MAX ? base64_decode(a, tok, n, true, &len) : NULL;
    if (!dec)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid page token, could not base64-decode");
    char shown[200];
    shown_text(dec, len, shown);
    /* Valid JSON that is not an object crashes MLflow (500); here both that and invalid
     * JSON are "decoded value" errors. */
    json_t *j = json_loadb(dec, len, JSON_DECODE_ANY, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid page token, decoded value=b'%s'",
                       shown);
    }
    json_t *off = json_object_get(j, "offset");
    int64_t v = 0;
    bool got = off && offset_value(off, &v);
    if (!got && json_is_string(off) && json_string_length(off) > 0) {
        struct str s = {json_string_value(off), json_string_length(off)};
        if (!py_int_of_str(s, &v)) {
            err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid page token, not stringable %.*s",
                    (int)utf8_cut(s.p, s.n, 300), s.p);
            json_decref(j);
            return -1;
        }
        got = true;
    }
    json_decref(j);
    if (!got || v <= 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid page token, parsed value=%s",
                       shown);
    *offset = v;
    return 0;
}

char *page_token_format_offset(struct arena *a, int64_t offset)
{
    char json[64];
    int n = snprintf(json, sizeof json, "{\"offset\": %lld}", (long long)offset);
    return base64_encode(a, json, (size_t)(n < 0 ? 0 : n));
}

/* ---- logged-model tokens ---- */

/* Python's repr() of a decoded JSON value (NULL: absent, None), for MLflow's token
 * mismatch messages. */
static void py_repr(struct buf *b, const json_t *v)
{
    size_t i;
    const char *k;
    json_t *x;
    if (!v) {
        buf_puts(b, "None");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:
        buf_puts(b, "None");
        return;
    case JSON_TRUE:
        buf_puts(b, "True");
        return;
    case JSON_FALSE:
        buf_puts(b, "False");
        return;
    case JSON_INTEGER:
        buf_printf(b, "%lld", (long long)json_integer_value(v));
        return;
    case JSON_REAL:
        buf_printf(b, "%.17g", json_real_value(v));
        return;
    case JSON_STRING: {
        const char *s = json_string_value(v);
        char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
        buf_putc(b, q);
        for (; *s; s++) {
            if (*s == q || *s == '\\')
                buf_putc(b, '\\');
            buf_putc(b, *s);
        }
        buf_putc(b, q);
        return;
    }
    case JSON_ARRAY:
        buf_putc(b, '[');
        json_array_foreach(v, i, x) {
            if (i)
                buf_puts(b, ", ");
            py_repr(b, x);
        }
        buf_putc(b, ']');
        return;
    case JSON_OBJECT: {
        bool first = true;
        buf_putc(b, '{');
        json_object_foreach((json_t *)v, k, x) {
            json_t *ks = json_string(k);
            if (!first)
                buf_puts(b, ", ");
            first = false;
            if (ks)
                py_repr(b, ks);
            json_decref(ks);
            buf_puts(b, ": ");
            py_repr(b, x);
        }
        buf_putc(b, '}');
        return;
    }
    }
}

/* str() of a value for the filter mismatch message: a string bare, null as None. */
static const char *py_str(struct arena *a, const json_t *v)
{
    if (v && json_is_string(v))
        return arena_strdup(a, json_string_value(v));
    struct buf b;
    buf_init(&b, 64 * 1024);
    py_repr(&b, v);
    const char *s = arena_strndup(a, b.ptr, b.len);
    buf_release(&b);
    return s;
}

void page_token_lm_release(struct page_token_lm *t)
{
    json_decref(t->experiment_ids);
    json_decref(t->filter_string);
    json_decref(t->order_by);
}

char *page_token_lm_encode(struct arena *a, const struct page_token_lm *t, int64_t offset)
{
    json_t *o = json_object();
    json_object_set(o, "experiment_ids", t->experiment_ids);
    json_object_set(o, "filter_string", t->filter_string);
    json_object_set(o, "order_by", t->order_by);
    json_object_set_new(o, "offset", json_integer(offset));
    /* Python's json.dumps: ", " and ": " separators, non-ASCII escaped. */
    char *s = json_dumps(o, JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        return NULL;
    char *tok = base64_encode(a, s, strlen(s));
    free(s);
    return tok;
}

static int bad_token(struct err *e, const char *tok, const char *why)
{
    return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid page token: %.300s. %s", tok, why);
}

int page_token_lm_decode(struct arena *a, const char *tok, const struct page_token_lm *t,
                         int64_t *offset, struct err *e)
{
    size_t tn = strlen(tok), len;
    if (tn > PAGE_TOKEN_LM_MAX)
        return bad_token(e, "(too long)", "The token is too long.");
    char *raw = base64_decode(a, tok, tn, false, &len);
    if (!raw)
        return bad_token(e, tok, "The token is not base64.");
    json_error_t je;
    json_t *j = json_loadb(raw, len, 0, &je);
    if (!j)
        return bad_token(e, tok, je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return bad_token(e, tok, "The token is not a JSON object.");
    }
    int rc = 0;
    struct buf b1, b2;
    buf_init(&b1, 64 * 1024);
    buf_init(&b2, 64 * 1024);
    json_t *ids = json_object_get(j, "experiment_ids");
    json_t *fs = json_object_get(j, "filter_string");
    json_t *ob = json_object_get(j, "order_by");
    json_t *off = json_object_get(j, "offset");
    /* `token.get(x) or None`: empty strings and lists read as None. */
    if (fs && ((json_is_string(fs) && json_string_length(fs) == 0) || json_is_false(fs)))
        fs = NULL;
    if (fs && json_is_null(fs))
        fs = NULL;
    if (ob && ((json_is_array(ob) && json_array_size(ob) == 0) || json_is_null(ob)))
        ob = NULL;
    if (!ids || !json_equal(ids, t->experiment_ids)) {
        py_repr(&b1, t->experiment_ids);
        py_repr(&b2, ids);
        rc = err_set(e, ERR_INVALID_PARAMETER_VALUE,
                     "Experiment IDs in the page token do not match the requested experiment "
                     "IDs. Expected: %s. Found: %s",
                     b1.ptr ? b1.ptr : "", b2.ptr ? b2.ptr : "");
    } else if (!(fs ? json_equal(fs, t->filter_string) : json_is_null(t->filter_string))) {
        rc = err_set(e, ERR_INVALID_PARAMETER_VALUE,
                     "Filter string in the page token does not match the requested filter "
                     "string. Expected: %s. Found: %s",
                     py_str(a, t->filter_string), py_str(a, fs));
    } else if (!(ob ? json_equal(ob, t->order_by) : json_is_null(t->order_by))) {
        py_repr(&b1, t->order_by);
        py_repr(&b2, ob);
        rc = err_set(e, ERR_INVALID_PARAMETER_VALUE,
                     "Order by in the page token does not match the requested order by. "
                     "Expected: %s. Found: %s",
                     b1.ptr ? b1.ptr : "", b2.ptr ? b2.ptr : "");
    } else if (off && !json_is_null(off) && !(json_is_integer(off) &&
                                               json_integer_value(off) >= 0)) {
        rc = bad_token(e, tok, "The offset is not a non-negative integer.");
    } else {
        *offset = off && json_is_integer(off) ? json_integer_value(off) : 0;
    }
    buf_release(&b1);
    buf_release(&b2);
    json_decref(j);
    return rc;
}

