/* The statement builder of the search SQL (inside query/ only): SQL text appended to a
 * caller's buffer, every value a bound parameter collected in placeholder order, and the
 * pieces all searches share. */
#ifndef MLT_QUERY_SQL_H
#define MLT_QUERY_SQL_H

#include <stdbool.h>

#include "search_sql.h"
#include "usage_match.h"

struct sb {
    struct arena *a;
    const struct db_dialect *d;
    struct buf *b;
    struct sql_val *v;
    size_t n;
    bool too_many;
    bool where; /* a WHERE has been written */
};

void sb_init(struct sb *sb, struct arena *a, const struct db_dialect *d, struct buf *b);
void sb_puts(struct sb *sb, const char *s);
/* Writes a placeholder and returns its value slot (zeroed), to be filled by the caller. */
struct sql_val *sb_bind(struct sb *sb);
void sb_text(struct sb *sb, struct str s);
void sb_int(struct sb *sb, int64_t i);
void sb_real(struct sb *sb, double d);
/* " WHERE " before the first condition, " AND " before the others. */
void sb_cond(struct sb *sb);
/* "(?, ?, ...)" of the ids. */
void sb_int_list(struct sb *sb, const int64_t *ids, size_t n);
/* `col <op> value` for one clause in the dialect's spelling (IS [NOT] NULL included). */
void sb_cmp(struct sb *sb, const char *col, const struct filter_clause *fc);
/* col IN ('active') / ('deleted') / ('active', 'deleted') for a view. */
void sb_lifecycle(struct sb *sb, const char *col, enum search_view view);
/* ORDER BY items: " ORDER BY " before the first (*first), ", " before the others. */
void sb_order_item(struct sb *sb, bool *first, const char *expr, bool desc);
/* "CASE WHEN col IS NULL THEN 1 ELSE 0 END, col [DESC]": nulls last in either direction. */
void sb_order_nulls_last(struct sb *sb, bool *first, const char *col, bool desc);
/* LIMIT ? OFFSET ? for the page, when it limits anything. */
void sb_page(struct sb *sb, const struct search_page *pg);
/* Hands out the binds; INVALID_PARAMETER_VALUE when the query grew too large. */
int sb_finish(struct sb *sb, struct sql_val **binds, size_t *nbinds, struct err *e);

/* The analytics columns of a reserved metadata key (usage_match.h), on trace_info: match's
 * values ("1 = 0" when m is NULL or not canonical), and any of them set. */
void sb_usage_match(struct sb *sb, enum usage_kind u, const struct usage_match *m);
void sb_usage_present(struct sb *sb, enum usage_kind u);

bool filter_has(const struct filter *f);
bool order_has(const struct order_by *o);

#endif
