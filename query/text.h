/* Small string helpers of the search language, shared by its scanner, validators and
 * order_by parser (inside query/ only). */
#ifndef MLT_QUERY_TEXT_H
#define MLT_QUERY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/arena.h"
#include "../base/util.h"
#include "../base/utf8.h"

#define SNIP_MAX 300 /* longest piece of user text quoted in one message */

/* How much of s a message quotes: at most SNIP_MAX bytes, never half a character. */
static inline int snip_len(struct str s)
{
    return (int)utf8_cut(s.p, s.n, SNIP_MAX);
}

static inline struct str str_sub(struct str s, size_t from, size_t to)
{
    return (struct str){s.p + from, to - from};
}

static inline struct str arena_str(struct arena *a, const char *p, size_t n)
{
    return (struct str){arena_strndup(a, p, n), n};
}

static inline bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* sqlparse's name characters: \w plus $ and #; any non-ASCII byte counts as a letter. */
static inline bool is_wordc(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c == '#' || c >= 0x80;
}

static inline bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline bool is_quoted_by(struct str s, char q)
{
    return s.n >= 2 && s.p[0] == q && s.p[s.n - 1] == q;
}

/* MLflow's _trim_backticks. */
static inline struct str trim_backticks(struct str s)
{
    return is_quoted_by(s, '`') ? str_sub(s, 1, s.n - 1) : s;
}

/* MLflow's _strip_quotes without the "expect quoted" check. */
static inline struct str strip_quotes(struct str s)
{
    return is_quoted_by(s, '\'') || is_quoted_by(s, '"') ? str_sub(s, 1, s.n - 1) : s;
}

#endif
