/* Python `re` patterns translated into POSIX extended regular expressions (see pyre.h):
 * one pass with a cursor, every construct either written in its POSIX form or refused. */
#include "pyre.h"

#include <string.h>

#define MAX_GROUPS 100
#define MAX_DEPTH 64
/* glibc compiles a{m,n} into n copies of a: the copies of all counted repetitions are
 * bounded, in bytes of ERE (and one counted repetition may not hold another), so that a
 * filter cannot make regcomp build a huge automaton. */
#define MAX_COST (64 * 1024)
#define MAX_BOUND 1000

struct tr {
    const char *p;
    size_t n, i;
    struct buf *out;
    bool dotall;
    bool can_repeat; /* the last thing written is an atom a quantifier may follow */
    int depth;
    size_t atom_start;                    /* where the last atom's ERE begins in out */
    bool atom_counted;                    /* that atom is a group holding a {m,n} */
    size_t group_start[MAX_DEPTH];        /* per open group: where its '(' is */
    bool group_counted[MAX_DEPTH];        /* per open group: it holds a {m,n} */
    size_t cost;                          /* what the {m,n} copies add up to, in bytes */
};

static bool ere_special(char c)
{
    return c != '\0' && strchr(".[]()*+?{}|^$\\", c) != NULL;
}

/* The length of the UTF-8 sequence led by c (1 for ASCII and stray bytes). */
static size_t seq_len(unsigned char c)
{
    if (c >= 0xf0 && c < 0xf8)
        return 4;
    if (c >= 0xe0)
        return c < 0xf0 ? 3 : 1;
    if (c >= 0xc0)
        return 2;
    return 1;
}

/* One character written outside brackets as a literal. */
static void put_lit(struct tr *t, const char *c, size_t len)
{
    if (len == 1 && ere_special(*c))
        buf_putc(t->out, '\\');
    buf_append(t->out, c, len);
    t->can_repeat = true;
}

/* The character an escape letter stands for (\n, \t, ...), or 0. */
static char escape_char(char e)
{
    switch (e) {
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    case 'f':
        return '\f';
    case 'v':
        return '\v';
    case 'a':
        return '\a';
    default:
        return 0;
    }
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_dig(char c)
{
    return c >= '0' && c <= '9';
}

/* An escape outside brackets; t->i is just past the backslash. */
static int escape(struct tr *t)
{
    if (t->i >= t->n)
        return -1; /* re: bad escape (end of pattern) */
    char e = t->p[t->i];
    char ch;
    if (e == 'd' || e == 'D') {
        buf_puts(t->out, e == 'd' ? "[0-9]" : "[^0-9]");
        t->can_repeat = true;
    } else if (e == 'w' || e == 'W' || e == 's' || e == 'S') {
        buf_putc(t->out, '\\');
        buf_putc(t->out, e);
        t->can_repeat = true;
    } else if (e == 'b' || e == 'B') {
        buf_putc(t->out, '\\');
        buf_putc(t->out, e);
        t->can_repeat = false;
    } else if (e == 'A' || e == 'Z') {
        buf_putc(t->out, e == 'A' ? '^' : '$');
        t->can_repeat = false;
    } else if ((ch = escape_char(e)) != 0) {
        put_lit(t, &ch, 1);
    } else if (e >= '1' && e <= '9') {
        return -1; /* backreferences: glibc may backtrack without bound on them */
    } else if (is_alpha(e) || e == '0') {
        return -1; /* \x \u \N octal, and the letters re refuses */
    } else {
        size_t len = seq_len((unsigned char)e);
        if (t->i + len > t->n)
            len = t->n - t->i;
        put_lit(t, t->p + t->i, len);
        t->i += len - 1;
    }
    t->i++;
    return 0;
}

/* A bracket expression's members, gathered then written in an order POSIX reads right:
 * ']' first, '-' last, '^' never first, '[' where it cannot open "[:", "[." or "[=". */
struct cls {
    struct buf body;
    bool rbracket, caret, lbracket, dash;
};

/* One member of a class at t->i: a character (its bytes in *c, *len) or a named class
 * (*name). Returns 0, or -1 for what re refuses or POSIX cannot say. */
static int class_item(struct tr *t, const char **c, size_t *len, const char **name, char *tmp)
{
    *name = NULL;
    if (t->p[t->i] == '\\') {
        if (++t->i >= t->n)
            return -1;
        char e = t->p[t->i];
        if (e == 'd' || e == 'w' || e == 's') {
            *name = e == 'd' ? "[:digit:]" : e == 'w' ? "[:alnum:]_" : "[:space:]";
            t->i++;
            return 0;
        }
        if (e == 'b') {
            *tmp = '\b';
        } else if ((*tmp = escape_char(e)) == 0) {
            if (is_alpha(e) || is_dig(e))
                return -1; /* \D \W \S, \x, octal, unknown letters */
            *c = t->p + t->i;
            *len = seq_len((unsigned char)e);
            if (t->i + *len > t->n)
                *len = t->n - t->i;
            t->i += *len;
            return 0;
        }
        *c = tmp;
        *len = 1;
        t->i++;
        return 0;
    }
    *c = t->p + t->i;
    *len = seq_len((unsigned char)t->p[t->i]);
    if (t->i + *len > t->n)
        *len = t->n - t->i;
    t->i += *len;
    return 0;
}

/* A range endpoint: a collating symbol when the character is one POSIX reads as syntax. */
static void put_endpoint(struct buf *b, const char *c, size_t len)
{
    bool sym = len == 1 && strchr("[]-^", *c);
    if (sym)
        buf_puts(b, "[.");
    buf_append(b, c, len);
    if (sym)
        buf_puts(b, ".]");
}

/* A code point's order for range checks (bytes compare as UTF-8 orders them). */
static int cmp_chars(const char *a, size_t an, const char *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    if (r)
        return r;
    return an < bn ? -1 : an > bn;
}

/* A class; t->i is just past the '['. */
static int bracket(struct tr *t)
{
    struct cls k;
    memset(&k, 0, sizeof k);
    buf_init(&k.body, 64 * 1024);
    bool neg = false, first = true;
    int rc = -1;
    if (t->i < t->n && t->p[t->i] == '^') {
        neg = true;
        t->i++;
    }
    for (;;) {
        if (t->i >= t->n)
            goto done; /* unterminated */
        if (t->p[t->i] == ']' && !first) {
            t->i++;
            break;
        }
        first = false;
        const char *c = NULL, *name;
        size_t len = 0;
        char tmp1, tmp2;
        if (class_item(t, &c, &len, &name, &tmp1) < 0)
            goto done;
        if (name) {
            buf_puts(&k.body, name);
            continue;
        }
        if (t->i + 1 < t->n && t->p[t->i] == '-' && t->p[t->i + 1] != ']') {
            t->i++;
            const char *c2 = NULL, *name2;
            size_t len2 = 0;
            if (class_item(t, &c2, &len2, &name2, &tmp2) < 0 || name2)
                goto done;
            if (cmp_chars(c, len, c2, len2) > 0)
                goto done; /* re: bad character range */
            put_endpoint(&k.body, c, len);
            buf_putc(&k.body, '-');
            put_endpoint(&k.body, c2, len2);
            continue;
        }
        if (len == 1 && *c == ']')
            k.rbracket = true;
        else if (len == 1 && *c == '^')
            k.caret = true;
        else if (len == 1 && *c == '[')
            k.lbracket = true;
        else if (len == 1 && *c == '-')
            k.dash = true;
        else
            buf_append(&k.body, c, len);
    }
    bool caret_first = k.caret && !neg && !k.rbracket && k.body.len == 0;
    if (caret_first && !k.lbracket && !k.dash) {
        buf_puts(t->out, "\\^"); /* [\^] alone */
    } else {
        buf_putc(t->out, '[');
        if (neg)
            buf_putc(t->out, '^');
        if (k.rbracket)
            buf_putc(t->out, ']');
        if (caret_first) {
            /* "[-^]" or "[[^-]": anything before the caret but the bracket's opening. */
            buf_puts(t->out, k.lbracket ? "[^" : "-^");
            if (k.lbracket && k.dash)
                buf_putc(t->out, '-');
        } else {
            if (k.body.len)
                buf_append(t->out, k.body.ptr, k.body.len);
            if (k.caret)
                buf_putc(t->out, '^');
            if (k.lbracket)
                buf_putc(t->out, '[');
            if (k.dash)
                buf_putc(t->out, '-');
        }
        buf_putc(t->out, ']');
    }
    t->can_repeat = true;
    rc = buf_ok(&k.body) ? 0 : -1;
done:
    buf_release(&k.body);
    return rc;
}

/* A quantifier's {m,n} at t->i ('{'): 1 if it is one (written), 0 if the brace is a
 * literal, -1 if refused. */
static int braces(struct tr *t)
{
    size_t j = t->i + 1, lo0 = j;
    while (j < t->n && is_dig(t->p[j]))
        j++;
    size_t lo1 = j, hi0 = j, hi1 = j;
    bool comma = false;
    if (j < t->n && t->p[j] == ',') {
        comma = true;
        hi0 = ++j;
        while (j < t->n && is_dig(t->p[j]))
            j++;
        hi1 = j;
    }
    if (j >= t->n || t->p[j] != '}' || (!comma && lo1 == lo0))
        return 0;
    if (!t->can_repeat || t->atom_counted || lo1 - lo0 > 5 || hi1 - hi0 > 5)
        return -1;
    long lo = 0, hi = -1;
    for (size_t k = lo0; k < lo1; k++)
        lo = lo * 10 + (t->p[k] - '0');
    if (!comma)
        hi = lo;
    else if (hi1 > hi0)
        for (hi = 0; hi0 < hi1; hi0++)
            hi = hi * 10 + (t->p[hi0] - '0');
    if (lo > MAX_BOUND || hi > MAX_BOUND || (hi >= 0 && hi < lo))
        return -1;
    size_t copies = (size_t)(hi > lo ? hi : lo) + 1;
    t->cost += copies * (t->out->len - t->atom_start + 1);
    if (t->cost > MAX_COST)
        return -1;
    if (t->depth > 0)
        t->group_counted[t->depth - 1] = true;
    if (hi < 0)
        buf_printf(t->out, "{%ld,}", lo);
    else if (!comma)
        buf_printf(t->out, "{%ld}", lo);
    else
        buf_printf(t->out, "{%ld,%ld}", lo, hi);
    t->i = j + 1;
    return 1;
}

/* After a quantifier: a lazy '?' is dropped (the same strings match), a possessive '+'
 * refused (it changes which strings match). */
static int after_quantifier(struct tr *t)
{
    t->can_repeat = false;
    if (t->i < t->n && t->p[t->i] == '?')
        t->i++;
    else if (t->i < t->n && t->p[t->i] == '+')
        return -1;
    return 0;
}

static int open_group(struct tr *t)
{
    if (t->depth >= MAX_DEPTH)
        return -1;
    t->group_start[t->depth] = t->out->len;
    t->group_counted[t->depth] = false;
    t->depth++;
    buf_putc(t->out, '(');
    t->can_repeat = false;
    return 0;
}

/* "(?" at t->i (the '('): the forms POSIX can say. */
static int extension(struct tr *t, bool at_start)
{
    size_t j = t->i + 2;
    if (j >= t->n)
        return -1;
    char c = t->p[j];
    if (c == ':') {
        t->i = j + 1;
        return open_group(t);
    }
    if (c == 'P' && j + 1 < t->n && t->p[j + 1] == '<') {
        const char *gt = memchr(t->p + j + 2, '>', t->n - (j + 2));
        if (!gt || gt == t->p + j + 2)
            return -1;
        t->i = (size_t)(gt - t->p) + 1;
        return open_group(t);
    }
    /* Global flags, at the start only (as Python 3.11 requires). */
    bool any = false;
    while (j < t->n && t->p[j] && strchr("aisu", t->p[j])) {
        any = true;
        j++;
    }
    if (!any || j >= t->n || t->p[j] != ')' || !at_start)
        return -1;
    return (int)(j + 1); /* the caller applies the flags */
}

int pyre_to_ere(const char *p, size_t n, struct buf *out, struct pyre_flags *fl)
{
    struct tr t;
    memset(&t, 0, sizeof t);
    t.p = p;
    t.n = n;
    t.out = out;
    fl->icase = false;
    while (t.i < t.n) {
        char c = p[t.i];
        int r;
        if (c != ')' && c != '*' && c != '+' && c != '?' && c != '{') {
            t.atom_start = out->len; /* where the next atom begins */
            t.atom_counted = false;
        }
        switch (c) {
        case '\\':
            t.i++;
            if (escape(&t) < 0)
                return -1;
            break;
        case '.':
            buf_puts(out, t.dotall ? "." : "[^\n]");
            t.can_repeat = true;
            t.i++;
            break;
        case '^':
            buf_putc(out, '^');
            t.can_repeat = false;
            t.i++;
            break;
        case '$':
            buf_puts(out, "\n?$"); /* re's $ also matches before a final newline */
            t.can_repeat = false;
            t.i++;
            break;
        case '|':
            buf_putc(out, '|');
            t.can_repeat = false;
            t.i++;
            break;
        case '(':
            if (t.i + 1 < t.n && p[t.i + 1] == '?') {
                size_t start = t.i;
                r = extension(&t, start == 0);
                if (r < 0)
                    return -1;
                if (r > 0) {
                    for (size_t k = start + 2; k < (size_t)r - 1; k++) {
                        if (p[k] == 'i')
                            fl->icase = true;
                        else if (p[k] == 's')
                            t.dotall = true;
                    }
                    t.i = (size_t)r;
                }
            } else {
                t.i++;
                if (open_group(&t) < 0)
                    return -1;
            }
            break;
        case ')':
            if (t.depth == 0)
                return -1;
            t.depth--;
            buf_putc(out, ')');
            t.atom_start = t.group_start[t.depth];
            t.atom_counted = t.group_counted[t.depth];
            if (t.atom_counted && t.depth > 0)
                t.group_counted[t.depth - 1] = true;
            t.can_repeat = true;
            t.i++;
            break;
        case '*':
        case '+':
        case '?':
            if (!t.can_repeat)
                return -1; /* nothing to repeat, multiple repeat */
            buf_putc(out, c);
            t.i++;
            if (after_quantifier(&t) < 0)
                return -1;
            break;
        case '{':
            r = braces(&t);
            if (r < 0)
                return -1;
            if (r > 0) {
                if (after_quantifier(&t) < 0)
                    return -1;
            } else {
                t.atom_start = out->len;
                t.atom_counted = false;
                buf_puts(out, "[{]");
                t.can_repeat = true;
                t.i++;
            }
            break;
        case '}':
            buf_puts(out, "[}]");
            t.can_repeat = true;
            t.i++;
            break;
        case '[':
            t.i++;
            if (bracket(&t) < 0)
                return -1;
            break;
        default:
            buf_putc(out, c);
            t.can_repeat = true;
            t.i++;
        }
    }
    if (t.depth != 0)
        return -1;
    return buf_ok(out) ? 0 : -1; /* an empty pattern stays empty: it matches everywhere */
}
