/* The PostgreSQL driver's rewrite of entity SQL (see dialect.h for what it covers): one
 * pass over the text at prepare time, with string literals, quoted identifiers and
 * comments passed through untouched. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "pg.h"

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* The keyword kw at p, as a whole word (case-insensitive). */
static bool at_word(const char *sql, const char *p, const char *kw)
{
    size_t n = strlen(kw);
    return strncasecmp(p, kw, n) == 0 && !word_char(p[n]) && (p == sql || !word_char(p[-1]));
}

/* At p, "INDEXED BY <name>" (SQLite's planner hint): its length with the space before the
 * next token, or 0. */
static size_t indexed_by_len(const char *sql, const char *p)
{
    if (!at_word(sql, p, "INDEXED"))
        return 0;
    const char *q = p + 7;
    while (isspace((unsigned char)*q))
        q++;
    if (!at_word(sql, q, "BY"))
        return 0;
    q += 2;
    while (isspace((unsigned char)*q))
        q++;
    const char *name = q;
    while (word_char(*q))
        q++;
    if (q == name)
        return 0;
    while (isspace((unsigned char)*q))
        q++;
    return (size_t)(q - p);
}

char *db_pg_rewrite(const char *sql, int *nparams)
{
    static const char json_each[] = "json_each(?)";
    struct buf b;
    buf_init(&b, (size_t)1 << 24);
    int n = 0;
    const char *p = sql;
    size_t skip;
    while (*p) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            const char *e = p + 1;
            while (*e && !(*e == q && e[1] != q))
                e += *e == q ? 2 : 1;
            if (*e)
                e++;
            buf_append(&b, p, (size_t)(e - p));
            p = e;
        } else if (p[0] == '-' && p[1] == '-') {
            const char *e = strchr(p, '\n');
            e = e ? e : p + strlen(p);
            buf_append(&b, p, (size_t)(e - p));
            p = e;
        } else if (*p == '?' && isdigit((unsigned char)p[1])) {
            /* ?N names parameter N again: $N; the count is the highest N. */
            char *end;
            long k = strtol(p + 1, &end, 10);
            if (k > 0 && k < 65536) {
                buf_printf(&b, "$%ld", k);
                if (k > n)
                    n = (int)k;
            } else {
                buf_append(&b, p, (size_t)(end - p));
            }
            p = end;
        } else if (*p == '?') {
            buf_printf(&b, "$%d", ++n);
            p++;
        } else if (strncmp(p, json_each, sizeof json_each - 1) == 0 &&
                   (p == sql || !word_char(p[-1]))) {
            buf_printf(&b, "json_array_elements_text($%d::json)", ++n);
            p += sizeof json_each - 1;
        } else if ((skip = indexed_by_len(sql, p)) != 0) {
            p += skip;
        } else {
            buf_putc(&b, *p++);
        }
    }
    if (!buf_ok(&b) || !b.ptr) {
        buf_release(&b);
        return n == 0 && !*sql ? strdup("") : NULL;
    }
    *nparams = n;
    return buf_detach(&b, NULL);
}
