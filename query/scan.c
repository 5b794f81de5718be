/* The scanner of MLflow's search language: splits a filter into raw clauses the way
 * MLflow's sqlparse-based parser sees them (identifiers, comparators, values), with no
 * judgement yet on whether a clause is valid for a search kind (query/clause.c does that). */
#include "scan.h"

#include <string.h>
#include <strings.h>

#include "text.h"

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
size_t scan_ident(const char *s, size_t n, size_t i)
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
bool at_keyword(const char *s, size_t n, size_t i, const char *kw)
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

/* ---- raw clauses: what the scanner found, before any validation ---- */

/* An op name for messages: the comparator as MLflow shows it after upper() (runs, registry)
 * or for unknown ones, the text. Returned string is from the arena. */
const char *op_text_upper(struct arena *a, const struct raw_clause *rc)
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
    } else if (at_keyword(s, n, i, "RLIKE")) {
        rc->op = FILTER_RLIKE;
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
bool scan_clause(struct cur *c, struct raw_clause *rc, struct str *bad)
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

