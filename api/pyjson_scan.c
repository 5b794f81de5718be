/* json.loads' grammar, checked in place (see pyjson_scan.h). Containers are walked with an
 * explicit stack rather than recursion, so depth costs 1 byte, not a stack frame. */
#include "pyjson_scan.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../base/json_plain.h"
#include "../base/url.h"
#include "../base/utf8.h"

size_t pyjson_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Past the string token at s[i] == '"', or 0 when it is not one. */
static size_t string_end(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        i = json_plain_skip(s, n, i); /* plain ASCII text 8 bytes at a time */
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c == '"')
            return i + 1;
        if (c < 0x20)
            return 0;
        if (c >= 0x80) { /* loads reads str: the bytes must have decoded as UTF-8 */
            uint32_t cp;
            int k = utf8_next(s + i, n - i, &cp);
            if (k < 0)
                return 0;
            i += (size_t)k - 1;
            continue;
        }
        if (c != '\\')
            continue;
        if (++i >= n)
            return 0;
        switch (s[i]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            break;
        case 'u':
            if (n - i < 5)
                return 0;
            for (int k = 1; k <= 4; k++)
                if (hex_digit(s[i + k]) < 0)
                    return 0;
            i += 4;
            break;
        default:
            return 0;
        }
    }
    return 0;
}

static bool literal(const char *s, size_t n, size_t i, const char *lit, size_t *end)
{
    size_t k = strlen(lit);
    if (n - i < k || memcmp(s + i, lit, k) != 0)
        return false;
    *end = i + k;
    return true;
}

/* A scalar at s[i]: its kind and end. */
static enum pyjson_kind scalar(const char *s, size_t n, size_t i, size_t *end)
{
    switch (s[i]) {
    case '"':
        *end = string_end(s, n, i);
        return *end ? PYJSON_STRING : PYJSON_BAD;
    case 'n':
        return literal(s, n, i, "null", end) ? PYJSON_NULL : PYJSON_BAD;
    case 't':
        return literal(s, n, i, "true", end) ? PYJSON_BOOL : PYJSON_BAD;
    case 'f':
        return literal(s, n, i, "false", end) ? PYJSON_BOOL : PYJSON_BAD;
    case 'N':
        return literal(s, n, i, "NaN", end) ? PYJSON_NONFINITE : PYJSON_BAD;
    case 'I':
        return literal(s, n, i, "Infinity", end) ? PYJSON_NONFINITE : PYJSON_BAD;
    default:
        break;
    }
    /* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? : a fraction or exponent without
     * digits is not part of the number, and what follows it then fails as extra data. */
    size_t j = i;
    if (s[j] == '-') {
        j++;
        if (j < n && s[j] == 'I')
            return literal(s, n, j, "Infinity", end) ? PYJSON_NONFINITE : PYJSON_BAD;
    }
    if (j >= n || !is_digit(s[j]))
        return PYJSON_BAD;
    if (s[j] == '0')
        j++;
    else
        while (j < n && is_digit(s[j]))
            j++;
    enum pyjson_kind k = PYJSON_INT;
    if (j + 1 < n && s[j] == '.' && is_digit(s[j + 1])) {
        for (j += 2; j < n && is_digit(s[j]); j++)
            ;
        k = PYJSON_REAL;
    }
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        size_t e = j + 1;
        if (e < n && (s[e] == '+' || s[e] == '-'))
            e++;
        if (e < n && is_digit(s[e])) {
            for (j = e; j < n && is_digit(s[j]); j++)
                ;
            k = PYJSON_REAL;
        }
    }
    *end = j;
    return k;
}

enum pyjson_kind pyjson_value(const char *s, size_t n, size_t i, size_t *end)
{
    char open[PYJSON_MAX_DEPTH]; /* '{' or '[' for each container we are in */
    int depth = 0;
    enum pyjson_kind top = PYJSON_BAD;
    for (;;) {
        /* A value at s[i]. */
        if (i >= n)
            return PYJSON_BAD;
        char c = s[i];
        if (c == '{' || c == '[') {
            if (depth == PYJSON_MAX_DEPTH)
                return PYJSON_BAD;
            if (depth == 0)
                top = c == '{' ? PYJSON_OBJECT : PYJSON_ARRAY;
            open[depth++] = c;
            i = pyjson_ws(s, n, i + 1);
            if (i < n && s[i] == (c == '{' ? '}' : ']')) {
                depth--;
                i++;
            } else if (c == '[') {
                continue;
            } else {
                goto key;
            }
        } else {
            enum pyjson_kind k = scalar(s, n, i, &i);
            if (k == PYJSON_BAD)
                return PYJSON_BAD;
            if (depth == 0)
                top = k;
        }
        /* After a value: the container goes on, or closes (perhaps several at once). */
        for (;;) {
            if (depth == 0) {
                *end = i;
                return top;
            }
            i = pyjson_ws(s, n, i);
            if (i >= n)
                return PYJSON_BAD;
            char close = open[depth - 1] == '{' ? '}' : ']';
            if (s[i] == close) {
                depth--;
                i++;
                continue;
            }
            if (s[i] != ',')
                return PYJSON_BAD;
            i = pyjson_ws(s, n, i + 1);
            if (open[depth - 1] == '[')
                goto next_value;
            goto key;
        }
    key:
        /* An object member's key and colon. */
        if (i >= n || s[i] != '"' || !(i = string_end(s, n, i)))
            return PYJSON_BAD;
        i = pyjson_ws(s, n, i);
        if (i >= n || s[i] != ':')
            return PYJSON_BAD;
        i = pyjson_ws(s, n, i + 1);
    next_value:;
    }
}

/* Past the checked string token at s[i] == '"': the first quote not escaped. */
static size_t string_skip(const char *s, size_t n, size_t i)
{
    for (size_t j = i + 1;;) {
        const char *q = memchr(s + j, '"', n - j);
        if (!q)
            return n;
        size_t k = (size_t)(q - s), bs = 0;
        while (k - bs > i + 1 && s[k - bs - 1] == '\\')
            bs++;
        if (bs % 2 == 0)
            return k + 1;
        j = k + 1;
    }
}

enum pyjson_kind pyjson_skip(const char *s, size_t n, size_t i, size_t *end)
{
    char c = s[i];
    if (c == '"') {
        *end = string_skip(s, n, i);
        return PYJSON_STRING;
    }
    if (c == '{' || c == '[') {
        size_t depth = 0;
        for (size_t j = i; j < n; j++) {
            char d = s[j];
            if (d == '"') {
                j = string_skip(s, n, j) - 1;
            } else if (d == '{' || d == '[') {
                depth++;
            } else if ((d == '}' || d == ']') && --depth == 0) {
                *end = j + 1;
                break;
            }
        }
        return c == '{' ? PYJSON_OBJECT : PYJSON_ARRAY;
    }
    return scalar(s, n, i, end); /* short: checking costs nothing more */
}

enum pyjson_kind pyjson_whole(const char *s, size_t n, size_t *start, size_t *end)
{
    *start = pyjson_ws(s, n, 0);
    enum pyjson_kind k = pyjson_value(s, n, *start, end);
    return k != PYJSON_BAD && pyjson_ws(s, n, *end) == n ? k : PYJSON_BAD;
}

enum pyjson_kind pyjson_kind(const char *s, size_t n)
{
    size_t start, end;
    return pyjson_whole(s, n, &start, &end);
}

static uint32_t hex4(const char *p)
{
    return (uint32_t)(hex_digit(p[0]) << 12 | hex_digit(p[1]) << 8 | hex_digit(p[2]) << 4 |
                      hex_digit(p[3]));
}

int pyjson_unescape(struct buf *b, const char *s, size_t n)
{
    /* s[0] and s[n-1] are the quotes; the escapes are known to be well formed. */
    size_t i = 1, last = n - 1, run = i;
    while (i < last) {
        if (s[i] != '\\') {
            i++;
            continue;
        }
        buf_append(b, s + run, i - run);
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case 'b': buf_putc(b, '\b'); break;
        case 'f': buf_putc(b, '\f'); break;
        case 'n': buf_putc(b, '\n'); break;
        case 'r': buf_putc(b, '\r'); break;
        case 't': buf_putc(b, '\t'); break;
        case 'u': {
            uint32_t cp = hex4(s + i);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (i + 6 > last || s[i] != '\\' || s[i + 1] != 'u')
                    return -1;
                uint32_t lo = hex4(s + i + 2);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            char u[4];
            buf_append(b, u, utf8_put(u, cp));
            break;
        }
        default: /* " \ / */
            buf_putc(b, e);
        }
        run = i;
    }
    buf_append(b, s + run, last - run);
    return 0;
}
