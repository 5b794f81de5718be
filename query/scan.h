/* The scanner of the search language (inside query/ only): a cursor over the filter text,
 * identifiers and keywords, and raw clauses `identifier comparator value` as MLflow's
 * sqlparse-based parser splits them. */
#ifndef MLT_QUERY_SCAN_H
#define MLT_QUERY_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "filter.h"
#include "text.h"

struct cur {
    const char *s;
    size_t n;
    size_t i;
};

static inline void skip_ws(struct cur *c)
{
    while (c->i < c->n && is_ws((unsigned char)c->s[c->i]))
        c->i++;
}

/* identifier := part ( '.' part )*, part := word | "quoted" | `quoted`. Returns the end
 * of the span at s[i], or 0 when s[i] does not start one. */
size_t scan_ident(const char *s, size_t n, size_t i);
/* A keyword at s[i] (case-insensitive), not followed by a word character. */
bool at_keyword(const char *s, size_t n, size_t i, const char *kw);

enum raw_vkind {
    RV_NONE,  /* IS [NOT] NULL */
    RV_SSTR,  /* 'single' */
    RV_DSTR,  /* "double" (sqlparse: an Identifier, accepted as a string value) */
    RV_IDENT, /* a bare word, `backticked`, or dotted name: an Identifier, not a string */
    RV_INT,
    RV_FLOAT,
    RV_LIST, /* ( ... ) */
};

/* One clause as written; every str points into the filter text. */
struct raw_clause {
    struct str text;    /* the whole clause as written */
    struct str ident;   /* left-hand side as written */
    struct str op_text; /* the comparator as written */
    bool op_known;      /* false for sqlparse comparators MLflow rejects later: == <> */
    enum filter_op op;
    enum raw_vkind vk;
    struct str vtext; /* the value token as written, quotes and parens included */
};

/* Scans one clause at c (c at a non-space). On failure sets *bad to the text that could
 * not be read as a clause. */
bool scan_clause(struct cur *c, struct raw_clause *rc, struct str *bad);

/* The comparator for messages: as MLflow shows it after upper(), or for unknown ones the
 * text upper-cased. From the arena. */
const char *op_text_upper(struct arena *a, const struct raw_clause *rc);

#endif
