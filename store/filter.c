/* MLflow's search filter, order_by and page-token grammar: a cursor-based scanner that
 * splits a filter into raw clauses the way MLflow's sqlparse-based parser sees them, then
 * per-kind validation that mirrors mlflow/utils/search_utils.py and the SQL stores (which
 * comparators for which entity, value types, aliases) including their error wording.
 * Python set reprs in messages use a fixed order (MLflow's own order varies per process). */
#include "filter.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/banned.h"

/* ---------------------------------------------------------------------------------------
 * Small string helpers */

#define SNIP_MAX 300 /* longest piece of user text quoted in one message */

static int snip_len(struct str s)
{
    return (int)(s.n > SNIP_MAX ? SNIP_MAX : s.n);
}

static struct str str_sub(struct str s, size_t from, size_t to)
{
    return (struct str){s.p + from, to - from};
}

static bool str_is(struct str s, const char *lit)
{
    return str_eq(s, lit);
}

static struct str arena_str(struct arena *a, const char *p, size_t n)
{
    return (struct str){arena_strndup(a, p, n), n};
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* sqlparse's name characters: \w plus $ and #; any non-ASCII byte counts as a letter. */
static bool is_wordc(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c == '#' || c >= 0x80;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_quoted_by(struct str s, char q)
{
    return s.n >= 2 && s.p[0] == q && s.p[s.n - 1] == q;
}

/* MLflow's _trim_backticks. */
static struct str trim_backticks(struct str s)
{
    return is_quoted_by(s, '`') ? str_sub(s, 1, s.n - 1) : s;
}

/* MLflow's _strip_quotes without the "expect quoted" check. */
static struct str strip_quotes(struct str s)
{
    return is_quoted_by(s, '\'') || is_quoted_by(s, '"') ? str_sub(s, 1, s.n - 1) : s;
}

/* ---------------------------------------------------------------------------------------
 * Scanner */

struct cur {
    const char *s;
    size_t n;
    size_t i;
};

static void skip_ws(struct cur *c)
{
    while (c->i < c->n && is_ws((unsigned char)c->s[c->i]))
        c->i++;
}

/* Index just past the closing quote of the string opening at s[i], or 0 if unterminated.
 * A doubled quote stays inside; for ' and " a backslash escapes the quote too, unless that
 * leaves the string unterminated (sqlparse's regexes backtrack the same way). */
static size_t scan_quoted_mode(const char *s, size_t n, size_t i, char q, bool backslash)
{
    for (size_t j = i + 1; j < n; j++) {
        if (backslash && s[j] == '\\' && j + 1 < n) {
            j++;
            continue;
        }
        if (s[j] == q) {
            if (j + 1 < n && s[j + 1] == q) {
                j++;
                continue;
            }
            return j + 1;
        }
    }
    return 0;
}

static size_t scan_quoted(const char *s, size_t n, size_t i)
{
    char q = s[i];
    size_t end = 0;
    if (q != '`')
        end = scan_quoted_mode(s, n, i, q, true);
    if (!end)
        end = scan_quoted_mode(s, n, i, q, false);
    return end;
}

/* One identifier part: a word or a "quoted" / `quoted` name. Returns the end or 0. */
static size_t scan_part(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '`')
        return scan_quoted(s, n, i);
    size_t j = i;
    while (j < n && is_wordc((unsigned char)s[j]))
        j++;
    return j > i ? j : 0;
}

/* identifier := part ( '.' part )*. Returns the end of the span, or 0 when s[i] does not
 * start one. A trailing '.' without a part ends the span before the dot. */
static size_t scan_ident(const char *s, size_t n, size_t i)
{
    size_t j = scan_part(s, n, i);
    if (!j)
        return 0;
    while (j < n && s[j] == '.') {
        size_t k = scan_part(s, n, j + 1);
        if (!k)
            break;
        j = k;
    }
    return j;
}

/* A keyword at s[i] (case-insensitive), not followed by a word character. */
static bool at_keyword(const char *s, size_t n, size_t i, const char *kw)
{
    size_t k = strlen(kw);
    if (n - i < k || strncasecmp(s + i, kw, k) != 0)
        return false;
    return i + k == n || !is_wordc((unsigned char)s[i + k]);
}

/* A number as sqlparse reads one: -?digits[.digits]E-?digits (a float), or
 * -?(digits.digits*|.digits) (a float), or -?digits (an integer), not followed by a word
 * character or a dot. Returns the end or 0; *is_float set. */
static size_t scan_number(const char *s, size_t n, size_t i, bool *is_float)
{
    size_t j = i;
    *is_float = false;
    if (j < n && s[j] == '-')
        j++;
    size_t d0 = j;
    while (j < n && is_digit((unsigned char)s[j]))
        j++;
    if (j > d0) {
        /* The exponent form first, as sqlparse tries it first. */
        size_t k = j;
        if (k + 1 < n && s[k] == '.' && is_digit((unsigned char)s[k + 1])) {
            k++;
            while (k < n && is_digit((unsigned char)s[k]))
                k++;
        }
        if (k < n && (s[k] == 'e' || s[k] == 'E')) {
            size_t m = k + 1;
            if (m < n && s[m] == '-')
                m++;
            if (m < n && is_digit((unsigned char)s[m])) {
                while (m < n && is_digit((unsigned char)s[m]))
                    m++;
                *is_float = true;
                j = m;
                goto done;
            }
        }
        if (j < n && s[j] == '.') {
            j++;
            while (j < n && is_digit((unsigned char)s[j]))
                j++;
            *is_float = true;
        }
    } else if (j + 1 < n && s[j] == '.' && is_digit((unsigned char)s[j + 1])) {
        j++;
        while (j < n && is_digit((unsigned char)s[j]))
            j++;
        *is_float = true;
    } else {
        return 0;
    }
done:
    if (j < n && (is_wordc((unsigned char)s[j]) || s[j] == '.'))
        return 0;
    return j;
}

/* The end of the parenthesised list opening at s[i] (just past the matching ')'), or 0. */
static size_t scan_parens(const char *s, size_t n, size_t i)
{
    int depth = 0;
    for (size_t j = i; j < n; j++) {
        char ch = s[j];
        if (ch == '\'' || ch == '"' || ch == '`') {
            size_t e = scan_quoted(s, n, j);
            if (!e)
                return 0;
            j = e - 1;
        } else if (ch == '(') {
            if (++depth > 64)
                return 0;
        } else if (ch == ')') {
            if (--depth == 0)
                return j + 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Raw clauses: what the scanner found, before any validation */

enum raw_vkind {
    RV_NONE,  /* IS [NOT] NULL */
    RV_SSTR,  /* 'single' */
    RV_DSTR,  /* "double" (sqlparse: an Identifier, accepted as a string value) */
    RV_IDENT, /* a bare word, `backticked`, or dotted name: an Identifier, not a string */
    RV_INT,
    RV_FLOAT,
    RV_LIST, /* ( ... ) */
};

struct raw_clause {
    struct str text;    /* the whole clause as written */
    struct str ident;   /* left-hand side as written */
    struct str op_text; /* the comparator as written */
    bool op_known;      /* false for sqlparse comparators MLflow rejects later: == <> */
    enum filter_op op;
    enum raw_vkind vk;
    struct str vtext; /* the value token as written, quotes and parens included */
};

/* An op name for messages: the comparator as MLflow shows it after upper() (runs, registry)
 * or for unknown ones, the text. Returned string is from the arena. */
static const char *op_text_upper(struct arena *a, const struct raw_clause *rc)
{
    if (rc->op_known)
        return filter_op_name(rc->op);
    char *t = arena_strndup(a, rc->op_text.p, rc->op_text.n);
    for (char *p = t; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return t;
}

/* Scans a comparator at c. Returns false if there is none. */
static bool scan_op(struct cur *c, struct raw_clause *rc)
{
    const char *s = c->s;
    size_t n = c->n, i = c->i;
    static const struct {
        const char *text;
        enum filter_op op;
        bool known;
    } syms[] = {
        {"!=", FILTER_NE, true}, {"<=", FILTER_LE, true},  {">=", FILTER_GE, true},
        {"<>", FILTER_NE, false}, {"==", FILTER_EQ, false}, {"=", FILTER_EQ, true},
        {"<", FILTER_LT, true},  {">", FILTER_GT, true},
    };
    for (size_t k = 0; k < sizeof syms / sizeof syms[0]; k++) {
        size_t len = strlen(syms[k].text);
        if (n - i >= len && memcmp(s + i, syms[k].text, len) == 0) {
            rc->op = syms[k].op;
            rc->op_known = syms[k].known;
            rc->op_text = (struct str){s + i, len};
            c->i = i + len;
            return true;
        }
    }
    rc->op_known = true;
    size_t start = i;
    if (at_keyword(s, n, i, "LIKE")) {
        rc->op = FILTER_LIKE;
        c->i = i + 4;
    } else if (at_keyword(s, n, i, "ILIKE")) {
        rc->op = FILTER_ILIKE;
        c->i = i + 5;
    } else if (at_keyword(s, n, i, "IN")) {
        rc->op = FILTER_IN;
        c->i = i + 2;
    } else if (at_keyword(s, n, i, "NOT")) {
        struct cur d = *c;
        d.i = i + 3;
        skip_ws(&d);
        if (d.i == i + 3 || !at_keyword(s, n, d.i, "IN"))
            return false;
        rc->op = FILTER_NOT_IN;
        c->i = d.i + 2;
    } else if (at_keyword(s, n, i, "IS")) {
        struct cur d = *c;
        d.i = i + 2;
        skip_ws(&d);
        if (d.i == i + 2)
            return false;
        if (at_keyword(s, n, d.i, "NULL")) {
            rc->op = FILTER_IS_NULL;
            c->i = d.i + 4;
        } else if (at_keyword(s, n, d.i, "NOT")) {
            size_t j = d.i + 3;
            d.i = j;
            skip_ws(&d);
            if (d.i == j || !at_keyword(s, n, d.i, "NULL"))
                return false;
            rc->op = FILTER_IS_NOT_NULL;
            c->i = d.i + 4;
        } else {
            return false;
        }
    } else {
        return false;
    }
    rc->op_text = (struct str){s + start, c->i - start};
    return true;
}

/* Scans the value after the comparator. Returns false if there is none. */
static bool scan_value(struct cur *c, struct raw_clause *rc)
{
    const char *s = c->s;
    size_t n = c->n, i = c->i, end = 0;
    if (rc->op == FILTER_IS_NULL || rc->op == FILTER_IS_NOT_NULL) {
        rc->vk = RV_NONE;
        return true;
    }
    if (i >= n)
        return false;
    char ch = s[i];
    bool is_float;
    if (rc->op == FILTER_IN || rc->op == FILTER_NOT_IN) {
        /* sqlparse only forms an IN comparison when a parenthesis follows. */
        if (ch != '(' || !(end = scan_parens(s, n, i)))
            return false;
        rc->vk = RV_LIST;
    } else if (ch == '(') {
        if (!(end = scan_parens(s, n, i)))
            return false;
        rc->vk = RV_LIST;
    } else if (ch == '\'') {
        if (!(end = scan_quoted(s, n, i)))
            return false;
        rc->vk = RV_SSTR;
    } else if ((end = scan_number(s, n, i, &is_float)) != 0) {
        rc->vk = is_float ? RV_FLOAT : RV_INT;
    } else if ((end = scan_ident(s, n, i)) != 0) {
        rc->vk = (ch == '"' && end == scan_quoted(s, n, i)) ? RV_DSTR : RV_IDENT;
    } else {
        return false;
    }
    rc->vtext = (struct str){s + i, end - i};
    c->i = end;
    return true;
}

/* Scans one clause at c (c at a non-space). On failure sets *bad to the text that could
 * not be read as a clause. */
static bool scan_clause(struct cur *c, struct raw_clause *rc, struct str *bad)
{
    size_t start = c->i;
    memset(rc, 0, sizeof *rc);
    size_t end = scan_ident(c->s, c->n, c->i);
    if (!end)
        goto fail;
    rc->ident = (struct str){c->s + start, end - start};
    c->i = end;
    skip_ws(c);
    if (!scan_op(c, rc))
        goto fail;
    skip_ws(c);
    if (!scan_value(c, rc))
        goto fail;
    rc->text = (struct str){c->s + start, c->i - start};
    return true;
fail: {
    /* Report the clause up to the end of the token that broke it. */
    size_t j = c->i;
    while (j < c->n && !is_ws((unsigned char)c->s[j]))
        j++;
    if (j == start && j < c->n)
        j++;
    *bad = (struct str){c->s + start, j - start};
    return false;
}
}

/* ---------------------------------------------------------------------------------------
 * Python list literals: MLflow evaluates "('a', "b")" with ast.literal_eval */

enum py_type { PY_STR, PY_TUPLE, PY_OTHER };

struct py_ctx {
    struct arena *a;
    struct cur c;
    struct str *items; /* the tuple being returned at top level */
    size_t nitems, cap;
    bool too_many;
};

static void py_skip(struct py_ctx *p)
{
    skip_ws(&p->c);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static size_t utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
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
                int h = hexval(s[i + k]);
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
    if (p->nitems == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        struct str *v = arena_calloc(p->a, cap, sizeof *v);
        if (p->nitems)
            memcpy(v, p->items, p->nitems * sizeof *v);
        p->items = v;
        p->cap = cap;
    }
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
        if (str_is(w, "True") || str_is(w, "False") || str_is(w, "None")) {
            p->c.i = j;
            *t = PY_OTHER;
            return 0;
        }
    }
    return -1;
}

/* MLflow's _parse_list_from_sql_token + _check_valid_identifier_list on "( ... )". */
static int parse_str_list(struct arena *a, struct str text, struct str **items, size_t *n,
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

/* ---------------------------------------------------------------------------------------
 * Tables of keys per kind */

struct attr_def {
    const char *name;
    enum filter_attr attr;
    bool numeric;
};

static const struct attr_def runs_search_attrs[] = {
    {"run_id", FATTR_RUN_ID, false},          {"run_name", FATTR_RUN_NAME, false},
    {"run name", FATTR_RUN_NAME, false},      {"Run name", FATTR_RUN_NAME, false},
    {"Run Name", FATTR_RUN_NAME, false},      {"status", FATTR_STATUS, false},
    {"user_id", FATTR_USER_ID, false},        {"artifact_uri", FATTR_ARTIFACT_URI, false},
    {"start_time", FATTR_START_TIME, true},   {"end_time", FATTR_END_TIME, true},
    {"created", FATTR_START_TIME, true},      {"Created", FATTR_START_TIME, true},
    {NULL, FATTR_NONE, false},
};
static const char runs_search_attrs_repr[] =
    "{'run_id', 'run_name', 'run name', 'Run name', 'Run Name', 'status', 'user_id', "
    "'artifact_uri', 'start_time', 'end_time', 'created', 'Created'}";

static const struct attr_def runs_order_attrs[] = {
    {"run_id", FATTR_RUN_ID, false},        {"run_name", FATTR_RUN_NAME, false},
    {"status", FATTR_STATUS, false},        {"user_id", FATTR_USER_ID, false},
    {"artifact_uri", FATTR_ARTIFACT_URI, false}, {"start_time", FATTR_START_TIME, true},
    {"end_time", FATTR_END_TIME, true},     {"created", FATTR_START_TIME, true},
    {"Created", FATTR_START_TIME, true},    {NULL, FATTR_NONE, false},
};
static const char runs_order_attrs_repr[] =
    "{'run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'start_time', 'end_time', "
    "'created', 'Created'}";

static const struct attr_def dataset_attrs[] = {
    {"name", FATTR_DATASET_NAME, false},
    {"digest", FATTR_DATASET_DIGEST, false},
    {"context", FATTR_DATASET_CONTEXT, false},
    {NULL, FATTR_NONE, false},
};

static const struct attr_def exp_attrs[] = {
    {"name", FATTR_NAME, false},
    {"experiment_id", FATTR_EXPERIMENT_ID, false},
    {"creation_time", FATTR_CREATION_TIME, true},
    {"last_update_time", FATTR_LAST_UPDATE_TIME, true},
    {NULL, FATTR_NONE, false},
};
static const char exp_attrs_repr[] =
    "{'name', 'experiment_id', 'creation_time', 'last_update_time'}";

static const struct attr_def rm_attrs[] = {
    {"name", FATTR_NAME, false},
    {NULL, FATTR_NONE, false},
};

static const struct attr_def mv_search_attrs[] = {
    {"name", FATTR_NAME, false},
    {"run_id", FATTR_RUN_ID, false},
    {"source_path", FATTR_SOURCE_PATH, false},
    {"version_number", FATTR_VERSION_NUMBER, true},
    {NULL, FATTR_NONE, false},
};
static const char mv_search_attrs_repr[] = "{'name', 'run_id', 'source_path', 'version_number'}";

static const struct attr_def mv_order_attrs[] = {
    {"name", FATTR_NAME, false},
    {"version_number", FATTR_VERSION_NUMBER, true},
    {"creation_timestamp", FATTR_CREATION_TIMESTAMP, true},
    {"last_updated_timestamp", FATTR_LAST_UPDATED_TIMESTAMP, true},
    {NULL, FATTR_NONE, false},
};
static const char mv_order_attrs_repr[] =
    "{'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}";

/* Columns of SqlLoggedModel and SqlLoggedModel.ALIASES (plus last_updated_time, which
 * MLflow documents but whose lookup fails in its SQL store). */
static const struct attr_def lm_attrs[] = {
    {"name", FATTR_NAME, false},
    {"model_id", FATTR_MODEL_ID, false},
    {"model_type", FATTR_MODEL_TYPE, false},
    {"status", FATTR_STATUS, false},
    {"source_run_id", FATTR_SOURCE_RUN_ID, false},
    {"experiment_id", FATTR_EXPERIMENT_ID, false},
    {"artifact_location", FATTR_ARTIFACT_LOCATION, false},
    {"status_message", FATTR_STATUS_MESSAGE, false},
    {"creation_timestamp", FATTR_CREATION_TIMESTAMP, true},
    {"creation_time", FATTR_CREATION_TIMESTAMP, true},
    {"creation_timestamp_ms", FATTR_CREATION_TIMESTAMP, true},
    {"last_updated_timestamp", FATTR_LAST_UPDATED_TIMESTAMP, true},
    {"last_updated_time", FATTR_LAST_UPDATED_TIMESTAMP, true},
    {"last_updated_timestamp_ms", FATTR_LAST_UPDATED_TIMESTAMP, true},
    {NULL, FATTR_NONE, false},
};

static const struct attr_def *attr_find(const struct attr_def *t, struct str key)
{
    for (; t->name; t++)
        if (str_is(key, t->name))
            return t;
    return NULL;
}

static const char cmp_numeric_repr[] = "{'=', '!=', '<', '<=', '>', '>='}";
static const char cmp_string_attr_repr[] = "{'=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}";
static const char cmp_param_repr[] = "{'=', '!=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}";

static bool op_numeric(enum filter_op op)
{
    return op <= FILTER_GE;
}

static bool op_string(enum filter_op op)
{
    return op == FILTER_EQ || op == FILTER_NE || op == FILTER_LIKE || op == FILTER_ILIKE;
}

static bool op_null(enum filter_op op)
{
    return op == FILTER_IS_NULL || op == FILTER_IS_NOT_NULL;
}

static bool op_list(enum filter_op op)
{
    return op == FILTER_IN || op == FILTER_NOT_IN;
}

const char *filter_entity_name(enum filter_entity ent)
{
    switch (ent) {
    case FILTER_ATTRIBUTE:
        return "attribute";
    case FILTER_METRIC:
        return "metric";
    case FILTER_PARAM:
        return "parameter";
    case FILTER_TAG:
        return "tag";
    case FILTER_DATASET:
        return "dataset";
    }
    return "?";
}

const char *filter_op_name(enum filter_op op)
{
    static const char *const names[] = {"=",     "!=", "<",      "<=",      ">",      ">=",
                                        "LIKE",  "ILIKE", "IN",  "NOT IN", "IS NULL",
                                        "IS NOT NULL"};
    return (size_t)op < sizeof names / sizeof names[0] ? names[op] : "?";
}

/* ---------------------------------------------------------------------------------------
 * Identifiers */

struct ident {
    enum filter_entity entity;
    struct str key; /* unquoted, as written */
    const struct attr_def *def;
};

/* Runs: SearchUtils._get_identifier. */
static int ident_runs(struct str raw, const struct attr_def *attrs, const char *attrs_repr,
                      struct ident *out, struct err *e)
{
    const char *dot = memchr(raw.p, '.', raw.n);
    struct str key = raw;
    out->entity = FILTER_ATTRIBUTE;
    if (dot) {
        struct str ent = trim_backticks(str_sub(raw, 0, (size_t)(dot - raw.p)));
        key = str_sub(raw, (size_t)(dot - raw.p) + 1, raw.n);
        if (str_is(ent, "metric") || str_is(ent, "metrics"))
            out->entity = FILTER_METRIC;
        else if (str_is(ent, "param") || str_is(ent, "params") || str_is(ent, "parameter") ||
                 str_is(ent, "parameters"))
            out->entity = FILTER_PARAM;
        else if (str_is(ent, "tag") || str_is(ent, "tags"))
            out->entity = FILTER_TAG;
        else if (str_is(ent, "attribute") || str_is(ent, "attributes") || str_is(ent, "attr") ||
                 str_is(ent, "run"))
            out->entity = FILTER_ATTRIBUTE;
        else if (str_is(ent, "dataset") || str_is(ent, "datasets"))
            out->entity = FILTER_DATASET;
        else
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid entity type '%.*s'. Valid values are ['metric', "
                           "'parameter', 'tag', 'attribute', 'dataset']",
                           snip_len(ent), ent.p);
    }
    key = trim_backticks(strip_quotes(key));
    out->key = key;
    out->def = NULL;
    if (out->entity == FILTER_ATTRIBUTE) {
        out->def = attr_find(attrs, key);
        if (!out->def)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid attribute key '%.*s' specified. Valid keys are '%s'",
                           snip_len(key), key.p, attrs_repr);
    } else if (out->entity == FILTER_DATASET) {
        out->def = attr_find(dataset_attrs, key);
        if (!out->def)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid dataset key '%.*s' specified. Valid keys are "
                           "'{'name', 'digest', 'context'}'",
                           snip_len(key), key.p);
    }
    return 0;
}

/* Experiments, registered models and model versions: entity "attribute", "tag" or "tags"
 * exactly. The registry checks attribute keys before removing quotes (check_raw). */
static int ident_simple(struct str raw, const struct attr_def *attrs, const char *attrs_repr,
                        bool check_raw, struct ident *out, struct err *e)
{
    const char *dot = memchr(raw.p, '.', raw.n);
    struct str key = raw;
    out->entity = FILTER_ATTRIBUTE;
    if (dot) {
        struct str ent = str_sub(raw, 0, (size_t)(dot - raw.p));
        key = str_sub(raw, (size_t)(dot - raw.p) + 1, raw.n);
        if (str_is(ent, "tag") || str_is(ent, "tags"))
            out->entity = FILTER_TAG;
        else if (!str_is(ent, "attribute"))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid entity type '%.*s'. Valid entity types are ('attribute', "
                           "'tag', 'tags')",
                           snip_len(ent), ent.p);
    }
    struct str unq = trim_backticks(strip_quotes(key));
    out->key = unq;
    out->def = NULL;
    if (out->entity == FILTER_ATTRIBUTE) {
        struct str check = check_raw ? key : unq;
        out->def = attr_find(attrs, check);
        if (!out->def)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid attribute key '%.*s' specified. Valid keys are '%s'",
                           snip_len(check), check.p, attrs_repr);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Values */

static int err_not_quoted(struct err *e, struct str v)
{
    return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                   "Parameter value is either not quoted or unidentified quote types used for "
                   "string value %.*s. Use either single or double quotes.",
                   snip_len(v), v.p);
}

/* A quoted string value (single or double quotes), as MLflow's _strip_quotes leaves it.
 * Returns 1 if the value is a string, 0 if it is not a string token at all (the caller
 * reports), -1 with e set for an unquoted identifier. */
static int value_string(struct arena *a, const struct raw_clause *rc, struct filter_clause *fc,
                        struct err *e)
{
    if (rc->vk == RV_SSTR || rc->vk == RV_DSTR) {
        struct str in = str_sub(rc->vtext, 1, rc->vtext.n - 1);
        fc->vtype = FILTER_V_STRING;
        fc->s = arena_str(a, in.p, in.n);
        return 1;
    }
    if (rc->vk == RV_IDENT) {
        /* An Identifier: quoted only if it is wholly "..." (then it would be RV_DSTR). */
        if (is_quoted_by(rc->vtext, '\'') || is_quoted_by(rc->vtext, '"')) {
            struct str in = str_sub(rc->vtext, 1, rc->vtext.n - 1);
            fc->vtype = FILTER_V_STRING;
            fc->s = arena_str(a, in.p, in.n);
            return 1;
        }
        return err_not_quoted(e, rc->vtext);
    }
    return 0;
}

static int value_number(const struct raw_clause *rc, struct filter_clause *fc)
{
    char tmp[512];
    if (rc->vtext.n >= sizeof tmp)
        return -1;
    memcpy(tmp, rc->vtext.p, rc->vtext.n);
    tmp[rc->vtext.n] = '\0';
    if (rc->vk == RV_INT && parse_i64(rc->vtext.p, rc->vtext.n, &fc->i)) {
        fc->vtype = FILTER_V_INT;
        fc->d = (double)fc->i;
        return 0;
    }
    /* A float, or an integer beyond int64 (Python's int is unbounded): a double. */
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end != tmp + rc->vtext.n)
        return -1;
    fc->vtype = FILTER_V_REAL;
    fc->d = d;
    return 0;
}

static int value_list(struct arena *a, const struct raw_clause *rc, struct filter_clause *fc,
                      struct err *e)
{
    if (parse_str_list(a, rc->vtext, &fc->list, &fc->nlist, e) < 0)
        return -1;
    fc->vtype = FILTER_V_STRLIST;
    return 0;
}

/* A list value is only meaningful with IN / NOT IN, and IN only takes lists. */
static int check_list_op(const struct raw_clause *rc, struct err *e)
{
    bool is_list = rc->vk == RV_LIST;
    if (is_list != op_list(rc->op))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid comparison clause '%.*s': only IN and NOT IN compare with a "
                       "list of quoted string values",
                       snip_len(rc->text), rc->text.p);
    return 0;
}

/* Python's int() of a string: surrounding whitespace, a sign, digits (underscores between
 * digits are allowed too). */
static bool py_int_of_str(struct str s, int64_t *out)
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

/* ---------------------------------------------------------------------------------------
 * Per-kind validation of one raw clause */

static int clause_runs(struct arena *a, const struct raw_clause *rc, struct filter_clause *fc,
                       struct err *e)
{
    struct ident id;
    if (ident_runs(rc->ident, runs_search_attrs, runs_search_attrs_repr, &id, e) < 0)
        return -1;
    fc->entity = id.entity;
    fc->key = arena_str(a, id.key.p, id.key.n);
    fc->attr = id.def ? id.def->attr : FATTR_NONE;
    fc->op = rc->op;
    const char *opn = op_text_upper(a, rc);
    if (op_null(rc->op)) {
        if (id.entity != FILTER_TAG && id.entity != FILTER_PARAM)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "IS NULL / IS NOT NULL is only supported for tags and params, not "
                           "for '%s' '%.*s'",
                           filter_entity_name(id.entity), snip_len(id.key), id.key.p);
        fc->vtype = FILTER_V_NONE;
        return 0;
    }
    int r;
    /* _get_value: the value's type per entity. */
    switch (id.entity) {
    case FILTER_METRIC:
        if ((rc->vk != RV_INT && rc->vk != RV_FLOAT) || value_number(rc, fc) < 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected numeric value type for metric. Found %.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        if (fc->vtype == FILTER_V_INT) {
            fc->vtype = FILTER_V_REAL; /* compared as float(value) */
        }
        break;
    case FILTER_PARAM:
    case FILTER_TAG:
        if ((r = value_string(a, rc, fc, e)) < 0)
            return -1;
        if (r == 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for %s (e.g. 'my-value'). Got value "
                           "%.*s",
                           filter_entity_name(id.entity), snip_len(rc->vtext), rc->vtext.p);
        break;
    case FILTER_ATTRIBUTE:
        if (id.def->numeric) {
            if ((rc->vk != RV_INT && rc->vk != RV_FLOAT) || value_number(rc, fc) < 0)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Expected numeric value type for numeric attribute: %.*s. Found "
                               "%.*s",
                               snip_len(id.key), id.key.p, snip_len(rc->vtext), rc->vtext.p);
        } else if ((r = value_string(a, rc, fc, e)) != 0) {
            if (r < 0)
                return -1;
        } else if (rc->vk == RV_LIST) {
            if (id.def->attr != FATTR_RUN_ID)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Only ['run_id'] attributes support comparison with a list of "
                               "quoted string values.");
            if (value_list(a, rc, fc, e) < 0)
                return -1;
        } else {
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for attributes. Got value %.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        }
        break;
    case FILTER_DATASET:
        if ((r = value_string(a, rc, fc, e)) != 0) {
            if (r < 0)
                return -1;
        } else if (rc->vk == RV_LIST) {
            if (value_list(a, rc, fc, e) < 0)
                return -1;
        } else {
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for dataset attributes. Got value "
                           "%.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        }
        break;
    }
    /* The SQL store's comparator checks (is_metric, is_param, ...). */
    bool ok = true;
    const char *set = NULL, *close = "";
    switch (id.entity) {
    case FILTER_METRIC:
        ok = rc->op_known && op_numeric(rc->op);
        set = cmp_numeric_repr;
        break;
    case FILTER_PARAM:
        ok = rc->op_known && op_string(rc->op);
        set = cmp_param_repr;
        close = "'";
        break;
    case FILTER_TAG:
        ok = rc->op_known && op_string(rc->op);
        set = cmp_param_repr;
        break;
    case FILTER_ATTRIBUTE:
        if (id.def->numeric) {
            ok = rc->op_known && op_numeric(rc->op);
            set = cmp_string_attr_repr; /* sic: MLflow prints the string set here */
        } else {
            ok = rc->op_known && (op_string(rc->op) || op_list(rc->op));
            set = cmp_string_attr_repr;
            close = "'";
        }
        break;
    case FILTER_DATASET:
        ok = rc->op_known && (op_string(rc->op) || op_list(rc->op));
        set = cmp_string_attr_repr;
        break;
    }
    if (!ok)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator '%s' not one of '%s%s",
                       opn, set, close);
    return check_list_op(rc, e);
}

static int clause_experiments(struct arena *a, const struct raw_clause *rc,
                              struct filter_clause *fc, struct err *e)
{
    struct ident id;
    if (ident_simple(rc->ident, exp_attrs, exp_attrs_repr, false, &id, e) < 0)
        return -1;
    fc->entity = id.entity;
    fc->key = arena_str(a, id.key.p, id.key.n);
    fc->attr = id.def ? id.def->attr : FATTR_NONE;
    fc->op = rc->op;
    const char *opn = op_text_upper(a, rc);
    if (op_null(rc->op)) {
        if (id.entity != FILTER_TAG)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "IS NULL / IS NOT NULL is only supported for tags, not for attribute "
                           "'%.*s'",
                           snip_len(id.key), id.key.p);
        fc->vtype = FILTER_V_NONE;
        return 0;
    }
    int r;
    if (id.entity == FILTER_TAG) {
        if ((r = value_string(a, rc, fc, e)) < 0)
            return -1;
        if (r == 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for tag (e.g. 'my-value'). Got value "
                           "%.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        if (!rc->op_known || !op_string(rc->op))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator for tag: %s", opn);
        return 0;
    }
    if (id.def->numeric) {
        if ((rc->vk != RV_INT && rc->vk != RV_FLOAT) || value_number(rc, fc) < 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected numeric value type for numeric attribute: %.*s. Found %.*s",
                           snip_len(id.key), id.key.p, snip_len(rc->vtext), rc->vtext.p);
        if (!rc->op_known || !op_numeric(rc->op))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid comparator '%s' not one of '%s", opn, cmp_string_attr_repr);
        if (fc->vtype != FILTER_V_INT)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value for numeric attribute '%.*s': '%.*s'",
                           snip_len(id.key), id.key.p, snip_len(rc->vtext), rc->vtext.p);
        return 0;
    }
    if ((r = value_string(a, rc, fc, e)) < 0)
        return -1;
    if (r == 0) {
        if (rc->vk != RV_LIST)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for attributes. Got value %.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        if (id.def->attr != FATTR_EXPERIMENT_ID)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Only ['experiment_id'] attributes support comparison with a list of "
                           "quoted string values.");
        if (value_list(a, rc, fc, e) < 0)
            return -1;
    }
    if (id.def->attr == FATTR_EXPERIMENT_ID) {
        if (!rc->op_known || !(rc->op == FILTER_EQ || rc->op == FILTER_NE || op_list(rc->op)))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid comparator for experiment_id: %s", opn);
        if (check_list_op(rc, e) < 0)
            return -1;
        if (fc->vtype == FILTER_V_STRLIST) {
            fc->ilist = arena_calloc(a, fc->nlist, sizeof *fc->ilist);
            for (size_t k = 0; k < fc->nlist; k++)
                if (!py_int_of_str(fc->list[k], &fc->ilist[k]))
                    return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                                   "Invalid experiment ID '%.*s'. Experiment ID must be a valid "
                                   "integer.",
                                   snip_len(fc->list[k]), fc->list[k].p);
            fc->vtype = FILTER_V_INTLIST;
        } else {
            if (!py_int_of_str(fc->s, &fc->i))
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid experiment ID '%.*s'. Experiment ID must be a valid "
                               "integer.",
                               snip_len(fc->s), fc->s.p);
            fc->vtype = FILTER_V_INT;
            fc->d = (double)fc->i;
        }
        return 0;
    }
    /* name */
    if (!rc->op_known || !(op_string(rc->op) || op_list(rc->op)))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator '%s' not one of '%s'",
                       opn, cmp_string_attr_repr);
    if (!op_string(rc->op))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid comparator for string attribute: %s", opn);
    return 0;
}

/* Registered models and model versions (SearchModelUtils / SearchModelVersionUtils and
 * the registry SQL store). */
static int clause_registry(struct arena *a, enum search_kind kind, const struct raw_clause *rc,
                           struct filter_clause *fc, struct err *e)
{
    bool mv = kind == SEARCH_MODEL_VERSIONS;
    struct ident id;
    if (ident_simple(rc->ident, mv ? mv_search_attrs : rm_attrs,
                     mv ? mv_search_attrs_repr : "{'name'}", true, &id, e) < 0)
        return -1;
    fc->entity = id.entity;
    fc->key = arena_str(a, id.key.p, id.key.n);
    fc->attr = id.def ? id.def->attr : FATTR_NONE;
    fc->op = rc->op;
    const char *opn = op_text_upper(a, rc);
    int r;
    if (id.entity == FILTER_TAG) {
        if (op_null(rc->op))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator for tag: %s", opn);
        if ((r = value_string(a, rc, fc, e)) < 0)
            return -1;
        if (r == 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for tag (e.g. 'my-value'). Got value "
                           "%.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        if (!rc->op_known || !op_string(rc->op))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator for tag: %s", opn);
        return 0;
    }
    if (op_null(rc->op))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator for attribute: %s",
                       opn);
    if ((r = value_string(a, rc, fc, e)) < 0)
        return -1;
    if (r == 0) {
        if (rc->vk == RV_LIST) {
            bool ok = mv ? (id.def->attr == FATTR_NAME || id.def->attr == FATTR_RUN_ID)
                         : id.def->attr == FATTR_NAME;
            if (!ok)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Only %s attributes support comparison with a list of quoted "
                               "string values.",
                               mv ? "['name', 'run_id']" : "['name']");
            if (value_list(a, rc, fc, e) < 0)
                return -1;
        } else if (mv && (rc->vk == RV_INT || rc->vk == RV_FLOAT)) {
            if (!id.def->numeric)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Only the '{'version_number', 'creation_timestamp', "
                               "'last_updated_timestamp'}' attributes support comparison with "
                               "numeric values.");
            if (value_number(rc, fc) < 0)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid value for numeric attribute '%.*s': %.*s",
                               snip_len(id.key), id.key.p, snip_len(rc->vtext), rc->vtext.p);
        } else {
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value or a list of quoted string values for "
                           "attributes. Got value %.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        }
    }
    if (mv && id.def->numeric) {
        if (!rc->op_known || !op_numeric(rc->op))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid comparator for attribute %.*s: %s", snip_len(id.key),
                           id.key.p, opn);
        if (fc->vtype == FILTER_V_REAL)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value for numeric attribute '%.*s': %.*s", snip_len(id.key),
                           id.key.p, snip_len(rc->vtext), rc->vtext.p);
        if (fc->vtype == FILTER_V_STRING) {
            if (!py_int_of_str(fc->s, &fc->i))
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid value for numeric attribute '%.*s': '%.*s'",
                               snip_len(id.key), id.key.p, snip_len(fc->s), fc->s.p);
            fc->vtype = FILTER_V_INT;
            fc->d = (double)fc->i;
        }
        return 0;
    }
    if (!rc->op_known || !(op_string(rc->op) || op_list(rc->op)))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator for attribute: %s",
                       opn);
    return check_list_op(rc, e);
}

/* Logged models: mlflow/utils/search_logged_model_utils.py. */
static int clause_logged_models(struct arena *a, const struct raw_clause *rc,
                                struct filter_clause *fc, struct err *e)
{
    if (op_null(rc->op))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid comparison: %.*s. Expected a comparison with 3 tokens.",
                       snip_len(rc->text), rc->text.p);
    /* Entity.from_str: ^([a-z]+)\.(.+)$ */
    struct str raw = rc->ident, key = raw, ent = {raw.p, 0};
    size_t k = 0;
    while (k < raw.n && raw.p[k] >= 'a' && raw.p[k] <= 'z')
        k++;
    fc->entity = FILTER_ATTRIBUTE;
    if (k > 0 && k + 1 < raw.n && raw.p[k] == '.') {
        ent = str_sub(raw, 0, k);
        key = str_sub(raw, k + 1, raw.n);
        if (str_is(ent, "metrics"))
            fc->entity = FILTER_METRIC;
        else if (str_is(ent, "params"))
            fc->entity = FILTER_PARAM;
        else if (str_is(ent, "tags"))
            fc->entity = FILTER_TAG;
        else if (!str_is(ent, "attributes"))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid entity type: '%.*s'. Expected one of ['attributes', "
                           "'metrics', 'params', 'tags'].",
                           snip_len(ent), ent.p);
    }
    /* .strip("`") */
    while (key.n && key.p[0] == '`')
        key = str_sub(key, 1, key.n);
    while (key.n && key.p[key.n - 1] == '`')
        key.n--;
    fc->key = arena_str(a, key.p, key.n);
    const struct attr_def *def = NULL;
    if (fc->entity == FILTER_ATTRIBUTE) {
        def = attr_find(lm_attrs, key);
        if (!def)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid logged model search key '%.*s'", snip_len(key), key.p);
        fc->attr = def->attr;
    }
    bool numeric = fc->entity == FILTER_METRIC || (def && def->numeric);
    fc->op = rc->op;
    const char *opn = op_text_upper(a, rc);
    bool ok = rc->op_known && (numeric ? op_numeric(rc->op) : (op_string(rc->op) ||
                                                               op_list(rc->op)));
    if (!ok) {
        const char *ename = fc->entity == FILTER_METRIC  ? "metrics"
                            : fc->entity == FILTER_PARAM ? "params"
                            : fc->entity == FILTER_TAG   ? "tags"
                                                         : "attributes";
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid comparison operator for %s.%.*s: '%s'. Expected one of %s.",
                       ename, snip_len(key), key.p, opn,
                       numeric ? "('<', '<=', '>', '>=', '=', '!=')"
                               : "('=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN')");
    }
    if (numeric) {
        if ((rc->vk != RV_INT && rc->vk != RV_FLOAT) || value_number(rc, fc) < 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid filter string: could not convert %.*s to a number",
                           snip_len(rc->vtext), rc->vtext.p);
        if (fc->vtype == FILTER_V_INT)
            fc->vtype = FILTER_V_REAL; /* float(value) */
        return 0;
    }
    if (rc->vk == RV_LIST) {
        if (value_list(a, rc, fc, e) < 0)
            return -1;
        return check_list_op(rc, e);
    }
    if (check_list_op(rc, e) < 0)
        return -1;
    /* value.strip("'"): any token, single quotes trimmed from both ends. */
    struct str v = rc->vtext;
    while (v.n && v.p[0] == '\'')
        v = str_sub(v, 1, v.n);
    while (v.n && v.p[v.n - 1] == '\'')
        v.n--;
    fc->vtype = FILTER_V_STRING;
    fc->s = arena_str(a, v.p, v.n);
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * filter_parse */

static int err_clause(struct err *e, enum search_kind kind, struct str all, struct str bad)
{
    switch (kind) {
    case SEARCH_RUNS:
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid clause(s) in filter string: '%.*s'", snip_len(bad), bad.p);
    case SEARCH_LOGGED_MODELS:
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid filter string: '%.*s'. Expected a list of comparisons separated "
                       "by 'AND' (e.g. 'metrics.loss > 0.1 AND params.lr = 0.01').",
                       snip_len(all), all.p);
    default:
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid clause(s) in filter string: %.*s",
                       snip_len(bad), bad.p);
    }
}

int filter_parse(struct arena *a, enum search_kind kind, const char *s, size_t n,
                 struct filter *out, struct err *e)
{
    out->kind = kind;
    out->clauses = NULL;
    out->n = 0;
    if (n > FILTER_MAX_LEN)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Filter string is too long: %zu bytes (at most %d)", n, FILTER_MAX_LEN);
    if (n == 0)
        return 0;
    if (memchr(s, '\0', n))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Filter string contains a NUL byte");
    struct cur c = {s, n, 0};
    struct str all = {s, n};
    size_t cap = 0;
    for (;;) {
        skip_ws(&c);
        if (c.i >= n)
            break;
        /* AND separates clauses; MLflow tolerates leading, trailing and repeated ANDs. */
        if (at_keyword(s, n, c.i, "AND")) {
            c.i += 3;
            continue;
        }
        struct raw_clause rc;
        struct str bad;
        if (!scan_clause(&c, &rc, &bad))
            return err_clause(e, kind, all, bad);
        /* After a clause: the end, or AND. */
        skip_ws(&c);
        if (c.i < n && !at_keyword(s, n, c.i, "AND")) {
            size_t j = c.i;
            while (j < n && !is_ws((unsigned char)s[j]))
                j++;
            return err_clause(e, kind, all, (struct str){rc.text.p, j - (size_t)(rc.text.p - s)});
        }
        if (out->n == FILTER_MAX_CLAUSES)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Filter string has too many clauses (at most %d)", FILTER_MAX_CLAUSES);
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct filter_clause *v = arena_calloc(a, ncap, sizeof *v);
            if (out->n)
                memcpy(v, out->clauses, out->n * sizeof *v);
            out->clauses = v;
            cap = ncap;
        }
        struct filter_clause *fc = &out->clauses[out->n];
        memset(fc, 0, sizeof *fc);
        int r;
        switch (kind) {
        case SEARCH_RUNS:
            r = clause_runs(a, &rc, fc, e);
            break;
        case SEARCH_EXPERIMENTS:
            r = clause_experiments(a, &rc, fc, e);
            break;
        case SEARCH_REGISTERED_MODELS:
        case SEARCH_MODEL_VERSIONS:
            r = clause_registry(a, kind, &rc, fc, e);
            break;
        case SEARCH_LOGGED_MODELS:
            r = clause_logged_models(a, &rc, fc, e);
            break;
        default:
            r = err_set(e, ERR_INTERNAL_ERROR, "unknown search kind");
        }
        if (r < 0) {
            out->n = 0;
            return -1;
        }
        out->n++;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * order_by */

/* shlex.split of the identifier after MLflow turns backticks into double quotes: quote
 * characters vanish, a backslash escapes the next character. Result from the arena. */
static struct str shlex_unquote(struct arena *a, struct str raw)
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

/* _parse_order_by_string: "<identifier>[ ws ASC|DESC]". */
static int order_split(struct arena *a, struct str item, struct str *ident, bool *asc,
                       struct err *e)
{
    size_t end = scan_ident(item.p, item.n, 0);
    *asc = true;
    if (!end)
        goto unparsable;
    *ident = shlex_unquote(a, str_sub(item, 0, end));
    if (end == item.n)
        return 0;
    size_t j = end;
    while (j < item.n && is_ws((unsigned char)item.p[j]))
        j++;
    if (j == end || j == item.n)
        goto unparsable;
    size_t w = j;
    while (w < item.n && is_wordc((unsigned char)item.p[w]))
        w++;
    if (w == j || w != item.n)
        goto unparsable;
    struct str dir = str_sub(item, j, w);
    if (str_eq_nocase(dir, "asc"))
        *asc = true;
    else if (str_eq_nocase(dir, "desc"))
        *asc = false;
    else
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid ordering key in order_by clause '%.*s'.", snip_len(item), item.p);
    return 0;
unparsable:
    return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                   "Invalid order_by clause '%.*s'. Could not be parsed.", snip_len(item),
                   item.p);
}

/* MLflow's message for duplicates quotes the whole list as a Python list. */
static int err_duplicate(struct err *e, const struct str *items, size_t n)
{
    char list[600];
    size_t k = 0;
    list[k++] = '[';
    for (size_t j = 0; j < n && k < sizeof list - 8; j++) {
        int room = (int)(sizeof list - 8 - k);
        int w = snprintf(list + k, (size_t)room + 1, "%s'%.*s'", j ? ", " : "",
                         (int)(items[j].n > 100 ? 100 : items[j].n), items[j].p);
        k += (size_t)(w < 0 ? 0 : (w > room ? room : w));
    }
    list[k++] = ']';
    list[k] = '\0';
    return err_set(e, ERR_INVALID_PARAMETER_VALUE, "`order_by` contains duplicate fields: %s",
                   list);
}

static bool order_same(const struct order_key *x, const struct order_key *y)
{
    if (x->entity != y->entity)
        return false;
    if (x->entity == FILTER_ATTRIBUTE)
        return x->attr == y->attr;
    return x->key.n == y->key.n && memcmp(x->key.p, y->key.p, x->key.n) == 0;
}

static int order_one(struct arena *a, enum search_kind kind, struct str item,
                     struct order_key *ok, struct err *e)
{
    struct str tok;
    bool asc;
    struct ident id;
    if (order_split(a, item, &tok, &asc, e) < 0)
        return -1;
    memset(ok, 0, sizeof *ok);
    ok->ascending = asc;
    switch (kind) {
    case SEARCH_RUNS:
        if (ident_runs(tok, runs_order_attrs, runs_order_attrs_repr, &id, e) < 0)
            return -1;
        if (id.entity == FILTER_DATASET)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid identifier type '%s'",
                           filter_entity_name(id.entity));
        break;
    case SEARCH_EXPERIMENTS:
        if (ident_simple(tok, exp_attrs, exp_attrs_repr, false, &id, e) < 0)
            return -1;
        if (id.entity != FILTER_ATTRIBUTE)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid order_by entity: %s",
                           filter_entity_name(id.entity));
        break;
    case SEARCH_REGISTERED_MODELS:
        /* SearchUtils.parse_order_by_for_search_registered_models: bare keys only. */
        if (str_is(tok, "name"))
            ok->attr = FATTR_NAME;
        else if (str_is(tok, "timestamp") || str_is(tok, "last_updated_timestamp"))
            ok->attr = FATTR_LAST_UPDATED_TIMESTAMP;
        else
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid order by key '%.*s' specified. Valid keys are "
                           "'{'name', 'timestamp'}'",
                           snip_len(tok), tok.p);
        ok->entity = FILTER_ATTRIBUTE;
        ok->key = arena_str(a, tok.p, tok.n);
        return 0;
    case SEARCH_MODEL_VERSIONS:
        if (ident_simple(tok, mv_order_attrs, mv_order_attrs_repr, false, &id, e) < 0)
            return -1;
        if (id.entity != FILTER_ATTRIBUTE)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid order_by entity: %s",
                           filter_entity_name(id.entity));
        break;
    default:
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "order_by of logged models is a list of objects");
    }
    ok->entity = id.entity;
    ok->attr = id.def ? id.def->attr : FATTR_NONE;
    ok->key = arena_str(a, id.key.p, id.key.n);
    return 0;
}

int filter_parse_order_by(struct arena *a, enum search_kind kind, const struct str *items,
                          size_t n, struct order_by *out, struct err *e)
{
    out->keys = NULL;
    out->n = 0;
    if (n == 0)
        return 0;
    if (n > FILTER_MAX_ORDER_BY)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Too many order_by entries (at most %d)",
                       FILTER_MAX_ORDER_BY);
    struct order_key *keys = arena_calloc(a, n, sizeof *keys);
    for (size_t j = 0; j < n; j++) {
        if (items[j].n > FILTER_MAX_LEN)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "order_by entry is too long");
        if (order_one(a, kind, items[j], &keys[j], e) < 0)
            return -1;
        if (kind == SEARCH_EXPERIMENTS)
            continue; /* MLflow does not check duplicates there */
        for (size_t k = 0; k < j; k++)
            if (order_same(&keys[k], &keys[j]))
                return err_duplicate(e, items, n);
    }
    out->keys = keys;
    out->n = n;
    return 0;
}

int filter_parse_logged_model_order_by(struct arena *a, const struct logged_model_order_in *items,
                                       size_t n, struct order_by *out, struct err *e)
{
    out->keys = NULL;
    out->n = 0;
    if (n == 0)
        return 0;
    if (n > FILTER_MAX_ORDER_BY)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Too many order_by entries (at most %d)",
                       FILTER_MAX_ORDER_BY);
    struct order_key *keys = arena_calloc(a, n, sizeof *keys);
    for (size_t j = 0; j < n; j++) {
        struct str f = items[j].field_name;
        struct order_key *ok = &keys[j];
        if (!f.p || f.n > 1000)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "`field_name` in the `order_by` clause must be specified.");
        const char *dot = memchr(f.p, '.', f.n);
        ok->ascending = items[j].ascending;
        if (dot) {
            struct str ent = str_sub(f, 0, (size_t)(dot - f.p));
            if (!str_is(ent, "metrics"))
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid order by field name: %.*s. Only metrics are supported.",
                               snip_len(f), f.p);
            struct str key = str_sub(f, (size_t)(dot - f.p) + 1, f.n);
            ok->entity = FILTER_METRIC;
            ok->key = arena_str(a, key.p, key.n);
            if (items[j].dataset_digest.n && !items[j].dataset_name.n)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "`dataset_digest` can only be specified if `dataset_name` is also "
                               "specified.");
            ok->dataset_name = arena_str(a, items[j].dataset_name.p ? items[j].dataset_name.p
                                                                    : "",
                                         items[j].dataset_name.n);
            ok->dataset_digest = arena_str(a, items[j].dataset_digest.p
                                                  ? items[j].dataset_digest.p
                                                  : "",
                                           items[j].dataset_digest.n);
        } else {
            const struct attr_def *def = attr_find(lm_attrs, f);
            if (!def)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid order by field name: %.*s", snip_len(f), f.p);
            ok->entity = FILTER_ATTRIBUTE;
            ok->attr = def->attr;
            ok->key = arena_str(a, f.p, f.n);
        }
    }
    out->keys = keys;
    out->n = n;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Page tokens */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(char ch)
{
    const char *p = ch ? strchr(b64chars, ch) : NULL;
    return p ? (int)(p - b64chars) : -1;
}

/* Strict standard base64 with padding. out must hold n/4*3 bytes. Returns the length or
 * -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out)
{
    if (n == 0 || n % 4)
        return -1;
    size_t k = 0;
    for (size_t j = 0; j < n; j += 4) {
        int v[4];
        int pad = 0;
        for (int q = 0; q < 4; q++) {
            char ch = s[j + (size_t)q];
            if (ch == '=' && j + 4 == n && q >= 2) {
                v[q] = 0;
                pad++;
            } else {
                if (pad) /* data after '=' */
                    return -1;
                v[q] = b64val(ch);
                if (v[q] < 0)
                    return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
                     (uint32_t)v[3];
        out[k++] = (unsigned char)(w >> 16);
        if (pad < 2)
            out[k++] = (unsigned char)(w >> 8);
        if (pad < 1)
            out[k++] = (unsigned char)w;
    }
    return (long)k;
}

/* A tiny JSON reader for the token: an object whose values are scalars (or nested values,
 * skipped). Finds "offset". */
struct jcur {
    const char *s;
    size_t n, i;
};

static void j_ws(struct jcur *j)
{
    while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' ||
                           j->s[j->i] == '\r'))
        j->i++;
}

/* A JSON string; *raw gets its content without the quotes (escapes left as is). */
static bool j_string(struct jcur *j, struct str *raw)
{
    if (j->i >= j->n || j->s[j->i] != '"')
        return false;
    size_t start = ++j->i;
    while (j->i < j->n && j->s[j->i] != '"') {
        if ((unsigned char)j->s[j->i] < 0x20)
            return false;
        if (j->s[j->i] == '\\')
            j->i++;
        j->i++;
    }
    if (j->i >= j->n)
        return false;
    *raw = (struct str){j->s + start, j->i - start};
    j->i++;
    return true;
}

enum jtype { J_BAD, J_STR, J_NUM, J_TRUE, J_FALSE, J_NULL, J_NESTED };

static enum jtype j_value(struct jcur *j, struct str *text, int depth)
{
    j_ws(j);
    if (j->i >= j->n || depth > 16)
        return J_BAD;
    char ch = j->s[j->i];
    size_t start = j->i;
    if (ch == '"')
        return j_string(j, text) ? J_STR : J_BAD;
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        j->i++;
        j_ws(j);
        if (j->i < j->n && j->s[j->i] == close) {
            j->i++;
            return J_NESTED;
        }
        for (;;) {
            struct str dummy;
            if (ch == '{') {
                j_ws(j);
                if (!j_string(j, &dummy))
                    return J_BAD;
                j_ws(j);
                if (j->i >= j->n || j->s[j->i] != ':')
                    return J_BAD;
                j->i++;
            }
            if (j_value(j, &dummy, depth + 1) == J_BAD)
                return J_BAD;
            j_ws(j);
            if (j->i < j->n && j->s[j->i] == ',') {
                j->i++;
                continue;
            }
            if (j->i < j->n && j->s[j->i] == close) {
                j->i++;
                return J_NESTED;
            }
            return J_BAD;
        }
    }
    static const struct {
        const char *w;
        enum jtype t;
    } words[] = {{"true", J_TRUE}, {"false", J_FALSE}, {"null", J_NULL}};
    for (size_t k = 0; k < 3; k++) {
        size_t len = strlen(words[k].w);
        if (j->n - j->i >= len && memcmp(j->s + j->i, words[k].w, len) == 0) {
            j->i += len;
            return words[k].t;
        }
    }
    if (ch == '-' || is_digit((unsigned char)ch)) {
        j->i++;
        while (j->i < j->n && (is_digit((unsigned char)j->s[j->i]) || j->s[j->i] == '.' ||
                               j->s[j->i] == 'e' || j->s[j->i] == 'E' || j->s[j->i] == '+' ||
                               j->s[j->i] == '-'))
            j->i++;
        *text = (struct str){j->s + start, j->i - start};
        return J_NUM;
    }
    return J_BAD;
}

int filter_page_token_parse(const char *tok, size_t n, int64_t *offset, struct err *e)
{
    *offset = 0;
    if (n == 0)
        return 0;
    if (n > 4096)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid page token, could not base64-decode");
    unsigned char dec[3072 + 1];
    long len = b64_decode(tok, n, dec);
    if (len < 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid page token, could not base64-decode");
    dec[len] = '\0';
    struct str text = {(const char *)dec, (size_t)len};
    /* Only printable ASCII goes back into the message. */
    char shown[200];
    size_t k = 0;
    for (long q = 0; q < len && k < sizeof shown - 1; q++)
        shown[k++] = (dec[q] >= 0x20 && dec[q] < 0x7f) ? (char)dec[q] : '?';
    shown[k] = '\0';

    struct jcur j = {text.p, text.n, 0};
    struct str off_text = {0};
    enum jtype off_type = J_BAD;
    bool ok = false, found = false;
    j_ws(&j);
    if (j.i < j.n && j.s[j.i] == '{') {
        j.i++;
        j_ws(&j);
        if (j.i < j.n && j.s[j.i] == '}') {
            j.i++;
            ok = true;
        } else {
            for (;;) {
                struct str key, val = {0};
                j_ws(&j);
                if (!j_string(&j, &key))
                    break;
                j_ws(&j);
                if (j.i >= j.n || j.s[j.i] != ':')
                    break;
                j.i++;
                enum jtype t = j_value(&j, &val, 0);
                if (t == J_BAD)
                    break;
                if (str_is(key, "offset")) {
                    found = true;
                    off_type = t;
                    off_text = val;
                }
                j_ws(&j);
                if (j.i < j.n && j.s[j.i] == ',') {
                    j.i++;
                    continue;
                }
                if (j.i < j.n && j.s[j.i] == '}') {
                    j.i++;
                    ok = true;
                }
                break;
            }
        }
        j_ws(&j);
        if (j.i != j.n)
            ok = false;
    } else {
        /* Valid JSON that is not an object crashes MLflow (500); anything else is a decode
         * error. Both are client errors here. */
        ok = false;
    }
    if (!ok)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid page token, decoded value=b'%s'",
                       shown);
    int64_t v = 0;
    bool got = false;
    if (found && off_type == J_NUM) {
        if (parse_i64(off_text.p, off_text.n, &v)) {
            got = true;
        } else {
            char tmp[64];
            if (off_text.n < sizeof tmp) {
                memcpy(tmp, off_text.p, off_text.n);
                tmp[off_text.n] = '\0';
                char *end;
                double d = strtod(tmp, &end);
                if (end == tmp + off_text.n && d > -9.2e18 && d < 9.2e18) {
                    v = (int64_t)d; /* int(5.7) == 5 */
                    got = true;
                }
            }
        }
    } else if (found && off_type == J_STR && off_text.n > 0) {
        if (!py_int_of_str(off_text, &v))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid page token, not stringable %.*s", snip_len(off_text),
                           off_text.p);
        got = true;
    }
    if (!got || v <= 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid page token, parsed value=%s",
                       shown);
    *offset = v;
    return 0;
}

char *filter_page_token_format(struct arena *a, int64_t offset)
{
    char json[64];
    int n = snprintf(json, sizeof json, "{\"offset\": %lld}", (long long)offset);
    size_t len = (size_t)(n < 0 ? 0 : n);
    char *out = arena_alloc(a, (len + 2) / 3 * 4 + 1);
    size_t k = 0;
    for (size_t j = 0; j < len; j += 3) {
        uint32_t w = (uint32_t)(unsigned char)json[j] << 16;
        if (j + 1 < len)
            w |= (uint32_t)(unsigned char)json[j + 1] << 8;
        if (j + 2 < len)
            w |= (uint32_t)(unsigned char)json[j + 2];
        out[k++] = b64chars[(w >> 18) & 63];
        out[k++] = b64chars[(w >> 12) & 63];
        out[k++] = j + 1 < len ? b64chars[(w >> 6) & 63] : '=';
        out[k++] = j + 2 < len ? b64chars[w & 63] : '=';
    }
    out[k] = '\0';
    return out;
}
