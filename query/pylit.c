/* Python literals as MLflow evaluates them: the list in `IN ('a', "b")` goes through
 * ast.literal_eval, numeric strings through int(), order_by identifiers through
 * shlex.split. Only what those accept is accepted, with their escapes. */
#include "pylit.h"

#include <string.h>

#include "../base/url.h"
#include "../base/utf8.h"
#include "scan.h"

enum py_type { PY_STR, PY_TUPLE, PY_OTHER };

struct py_ctx {
    struct arena *a;
    struct cur c;
    struct str *items; /* the tuple being returned at top level */
    size_t nitems;
    bool too_many;
};

static void py_skip(struct py_ctx *p)
{
    skip_ws(&p->c);
}

/* The end (just past the closing quote) of the Python string literal at s[i], or 0. */
static size_t py_string_end(const char *s, size_t n, size_t i)
{
    char q = s[i];
    for (size_t j = i + 1; j < n; j++) {
        if (s[j] == '\\')
            j++;
        else if (s[j] == q)
            return j + 1;
        else if (s[j] == '\n')
            return 0;
    }
    return 0;
}

/* One Python string literal at p->c (a quote), escapes applied, appended to out[*len].
 * out has room for the rest of the input (escapes never grow the text). */
static int py_string(struct py_ctx *p, char *out, size_t *len)
{
    const char *s = p->c.s;
    size_t n = p->c.n, i = p->c.i;
    char q = s[i++];
    while (i < n && s[i] != q) {
        char ch = s[i];
        if (ch == '\n')
            return -1;
        if (ch != '\\') {
            out[(*len)++] = ch;
            i++;
            continue;
        }
        if (i + 1 >= n)
            return -1;
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case '\n':
            break;
        case '\\':
        case '\'':
        case '"':
            out[(*len)++] = e;
            break;
        case 'a':
            out[(*len)++] = '\a';
            break;
        case 'b':
            out[(*len)++] = '\b';
            break;
        case 'f':
            out[(*len)++] = '\f';
            break;
        case 'n':
            out[(*len)++] = '\n';
            break;
        case 'r':
            out[(*len)++] = '\r';
            break;
        case 't':
            out[(*len)++] = '\t';
            break;
        case 'v':
            out[(*len)++] = '\v';
            break;
        case 'x':
        case 'u':
        case 'U': {
            size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            uint32_t cp = 0;
            if (n - i < digits)
                return -1;
            for (size_t k = 0; k < digits; k++) {
                int h = hex_digit(s[i + k]);
                if (h < 0)
                    return -1;
                cp = cp * 16 + (uint32_t)h;
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return -1;
            /* Never longer than the escape itself (4 bytes for >= 6 input bytes). */
            *len += utf8_put(out + *len, cp);
            i += digits;
            break;
        }
        default:
            if (e >= '0' && e <= '7') {
                uint32_t cp = (uint32_t)(e - '0');
                for (int k = 0; k < 2 && i < n && s[i] >= '0' && s[i] <= '7'; k++)
                    cp = cp * 8 + (uint32_t)(s[i++] - '0');
                if (cp >= 0x80) /* would take 2 UTF-8 bytes for a 2-byte escape at least */
                    *len += utf8_put(out + *len, cp);
                else
                    out[(*len)++] = (char)cp;
            } else {
                /* Python keeps unknown escapes as written. */
                out[(*len)++] = '\\';
                out[(*len)++] = e;
            }
        }
    }
    if (i >= n)
        return -1;
    p->c.i = i + 1;
    return 0;
}

static int py_push(struct py_ctx *p, struct str s)
{
    p->items = arena_grow(p->a, p->items, p->nitems, sizeof *p->items);
    p->items[p->nitems++] = s;
    return 0;
}

/* Parses one expression. For a tuple at top level (collect) the string items go to
 * p->items; *all_str tells whether every item was a string. Returns -1 on a syntax error. */
static int py_expr(struct py_ctx *p, int depth, bool collect, enum py_type *t, struct str *sv,
                   bool *all_str)
{
    if (depth > 32)
        return -1;
    py_skip(p);
    if (p->c.i >= p->c.n)
        return -1;
    const char *s = p->c.s;
    char ch = s[p->c.i];
    if (ch == '(') {
        p->c.i++;
        py_skip(p);
        if (p->c.i < p->c.n && s[p->c.i] == ')') {
            p->c.i++;
            *t = PY_TUPLE;
            *all_str = true;
            return 0;
        }
        enum py_type t1;
        struct str s1 = {0};
        bool inner_all = true;
        size_t mark = p->nitems;
        if (py_expr(p, depth + 1, collect, &t1, &s1, &inner_all) < 0)
            return -1;
        py_skip(p);
        if (p->c.i < p->c.n && s[p->c.i] == ')') { /* grouping parentheses */
            p->c.i++;
            *t = t1;
            *sv = s1;
            *all_str = inner_all;
            return 0;
        }
        /* A tuple: forget anything a nested grouping collected and collect our items. */
        p->nitems = mark;
        *t = PY_TUPLE;
        *all_str = t1 == PY_STR;
        if (collect && t1 == PY_STR)
            py_push(p, s1);
        while (p->c.i < p->c.n && s[p->c.i] == ',') {
            p->c.i++;
            py_skip(p);
            if (p->c.i < p->c.n && s[p->c.i] == ')')
                break;
            enum py_type ti;
            struct str si = {0};
            bool dummy = true;
            if (py_expr(p, depth + 1, false, &ti, &si, &dummy) < 0)
                return -1;
            if (ti != PY_STR)
                *all_str = false;
            else if (collect) {
                if (p->nitems >= FILTER_MAX_LIST)
                    p->too_many = true;
                else
                    py_push(p, si);
            }
            py_skip(p);
        }
        if (p->c.i >= p->c.n || s[p->c.i] != ')')
            return -1;
        p->c.i++;
        return 0;
    }
    if (ch == '\'' || ch == '"') {
        /* Adjacent literals concatenate: 'a' 'b' is 'ab'. Size the copy to their extent
         * (escapes only shrink the text), not to the rest of the input. */
        size_t extent = 0;
        struct cur d = p->c;
        while (d.i < d.n && (d.s[d.i] == '\'' || d.s[d.i] == '"')) {
            size_t end = py_string_end(d.s, d.n, d.i);
            if (!end)
                return -1;
            extent += end - d.i;
            d.i = end;
            skip_ws(&d);
        }
        char *out = arena_alloc(p->a, extent + 1);
        size_t len = 0;
        while (p->c.i < p->c.n && (s[p->c.i] == '\'' || s[p->c.i] == '"')) {
            if (py_string(p, out, &len) < 0)
                return -1;
            py_skip(p);
        }
        out[len] = '\0';
        *t = PY_STR;
        *sv = (struct str){out, len};
        return 0;
    }
    /* Numbers (with unary signs) and the constants True, False, None: valid literals that
     * are not strings. Anything else is not a literal. */
    size_t j = p->c.i;
    while (j < p->c.n && (s[j] == '-' || s[j] == '+'))
        j++;
    if (j < p->c.n && (is_digit((unsigned char)s[j]) || s[j] == '.')) {
        while (j < p->c.n && (is_wordc((unsigned char)s[j]) || s[j] == '.'))
            j++;
        p->c.i = j;
        *t = PY_OTHER;
        return 0;
    }
    if (j == p->c.i) {
        struct str w = {s + j, 0};
        while (j < p->c.n && is_wordc((unsigned char)s[j]))
            j++;
        w.n = (size_t)(s + j - w.p);
        if (str_eq(w, "True") || str_eq(w, "False") || str_eq(w, "None")) {
            p->c.i = j;
            *t = PY_OTHER;
            return 0;
        }
    }
    return -1;
}

/* MLflow's _parse_list_from_sql_token + _check_valid_identifier_list on "( ... )". */
int parse_str_list(struct arena *a, struct str text, struct str **items, size_t *n,
                   struct err *e)
{
    struct py_ctx p = {.a = a, .c = {text.p, text.n, 0}};
    enum py_type t;
    struct str sv = {0};
    bool all_str = true;
    if (py_expr(&p, 0, true, &t, &sv, &all_str) < 0 || (py_skip(&p), p.c.i != p.c.n))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "While parsing a list in the query, expected a non-empty list of string "
                       "values, but got ill-formed list.");
    if (t == PY_STR) {
        p.items = arena_alloc(a, sizeof *p.items);
        p.items[0] = sv;
        p.nitems = 1;
    } else if (t == PY_TUPLE && p.nitems == 0 && all_str) {
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "While parsing a list in the query, expected a non-empty list of string "
                       "values, but got empty list");
    }
    if (t == PY_OTHER || !all_str)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "While parsing a list in the query, expected string value, punctuation, "
                       "or whitespace, but got different type in list: %.*s",
                       snip_len(text), text.p);
    if (p.too_many)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "While parsing a list in the query, expected at most %d values",
                       FILTER_MAX_LIST);
    *items = p.items;
    *n = p.nitems;
    return 0;
}


/* Python's int() of a string: surrounding whitespace, a sign, digits (underscores between
 * digits are allowed too). */
bool py_int_of_str(struct str s, int64_t *out)
{
    while (s.n && is_ws((unsigned char)s.p[0]))
        s = str_sub(s, 1, s.n);
    while (s.n && is_ws((unsigned char)s.p[s.n - 1]))
        s.n--;
    char tmp[64];
    size_t k = 0;
    for (size_t j = 0; j < s.n; j++) {
        if (s.p[j] == '_' && j > 0 && j + 1 < s.n && is_digit((unsigned char)s.p[j - 1]) &&
            is_digit((unsigned char)s.p[j + 1]))
            continue;
        if (k + 1 >= sizeof tmp)
            return false;
        tmp[k++] = s.p[j];
    }
    return parse_i64(tmp, k, out);
}

/* shlex.split of the identifier after MLflow turns backticks into double quotes: quote
 * characters vanish, a backslash escapes the next character. Result from the arena. */
struct str shlex_unquote(struct arena *a, struct str raw)
{
    char *out = arena_alloc(a, raw.n + 1);
    size_t k = 0;
    bool inq = false;
    for (size_t j = 0; j < raw.n; j++) {
        char ch = raw.p[j];
        if (ch == '"' || ch == '`') {
            inq = !inq;
            continue;
        }
        if (ch == '\\' && j + 1 < raw.n) {
            char nx = raw.p[j + 1];
            if (!inq || nx == '"' || nx == '`' || nx == '\\') {
                out[k++] = nx == '`' ? '"' : nx;
                j++;
                continue;
            }
        }
        out[k++] = ch;
    }
    out[k] = '\0';
    return (struct str){out, k};
}

