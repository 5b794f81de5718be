/* The statement builder behind the search SQL (query/sql_*.c): SQL text plus its bound
 * values in placeholder order, and the pieces every search shares (comparisons in the
 * dialect's spelling, lifecycle restrictions, ordering, paging). */
#include "sql.h"

#include <string.h>


void sb_init(struct sb *sb, struct arena *a, const struct db_dialect *d, struct buf *b)
{
    memset(sb, 0, sizeof *sb);
    sb->a = a;
    sb->d = d;
    sb->b = b;
}

void sb_puts(struct sb *sb, const char *s)
{
    buf_puts(sb->b, s);
}

struct sql_val *sb_bind(struct sb *sb)
{
    if (sb->n >= SEARCH_MAX_BINDS) {
        sb->too_many = true;
        sb->n = 0; /* keep writing into slot 0; the result is discarded */
    }
    sb->v = arena_grow(sb->a, sb->v, sb->n, sizeof *sb->v);
    buf_putc(sb->b, '?');
    struct sql_val *v = &sb->v[sb->n++];
    memset(v, 0, sizeof *v);
    return v;
}

void sb_text(struct sb *sb, struct str s)
{
    struct sql_val *v = sb_bind(sb);
    v->type = SQL_TEXT;
    v->s = s.p ? s.p : "";
    v->n = s.n;
}

void sb_int(struct sb *sb, int64_t i)
{
    struct sql_val *v = sb_bind(sb);
    v->type = SQL_INT;
    v->i = i;
}

void sb_real(struct sb *sb, double d)
{
    struct sql_val *v = sb_bind(sb);
    v->type = SQL_REAL;
    v->d = d;
}

/* " WHERE " before the first condition, " AND " before the others. */
void sb_cond(struct sb *sb)
{
    sb_puts(sb, sb->where ? " AND " : " WHERE ");
    sb->where = true;
}

void sb_int_list(struct sb *sb, const int64_t *ids, size_t n)
{
    sb_puts(sb, "(");
    for (size_t j = 0; j < n; j++) {
        if (j)
            sb_puts(sb, ", ");
        sb_int(sb, ids[j]);
    }
    sb_puts(sb, ")");
}

void sb_page(struct sb *sb, const struct search_page *pg)
{
    if (pg->limit < 0 && pg->offset <= 0)
        return;
    sb_puts(sb, " LIMIT ");
    if (pg->limit >= 0)
        sb_int(sb, pg->limit);
    else
        sb_bind(sb)->type = SQL_NO_LIMIT; /* OFFSET needs a LIMIT before it in SQLite */
    sb_puts(sb, " OFFSET ");
    sb_int(sb, pg->offset > 0 ? pg->offset : 0);
}

int sb_finish(struct sb *sb, struct sql_val **binds, size_t *nbinds, struct err *e)
{
    if (sb->too_many)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Search filter is too large: more than %d values", SEARCH_MAX_BINDS);
    if (!buf_ok(sb->b))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Search query is too large");
    *binds = sb->v;
    *nbinds = sb->n;
    return 0;
}

struct str search_like_to_glob(struct arena *a, struct str like)
{
    char *out = arena_alloc(a, like.n * 3 + 1);
    size_t k = 0;
    for (size_t j = 0; j < like.n; j++) {
        char ch = like.p[j];
        switch (ch) {
        case '%':
            out[k++] = '*';
            break;
        case '_':
            out[k++] = '?';
            break;
        case '*':
        case '?':
        case '[':
            out[k++] = '[';
            out[k++] = ch;
            out[k++] = ']';
            break;
        default:
            out[k++] = ch;
        }
    }
    out[k] = '\0';
    return (struct str){out, k};
}

/* The clause's scalar value as a bind. */
static void sb_value(struct sb *sb, const struct filter_clause *fc)
{
    switch (fc->vtype) {
    case FILTER_V_INT:
        sb_int(sb, fc->i);
        break;
    case FILTER_V_REAL:
        sb_real(sb, fc->d);
        break;
    default:
        sb_text(sb, fc->s);
        break;
    }
}

/* `col <op> value` for one clause (not IS NULL, which the callers handle). */
void sb_cmp(struct sb *sb, const char *col, const struct filter_clause *fc)
{
    static const char *const sym[] = {" = ", " != ", " < ", " <= ", " > ", " >= "};
    _Static_assert(sizeof sym / sizeof *sym == FILTER_GE + 1, "a symbol per comparison");
    switch (fc->op) {
    case FILTER_EQ:
    case FILTER_NE:
    case FILTER_LT:
    case FILTER_LE:
    case FILTER_GT:
    case FILTER_GE:
        sb_puts(sb, col);
        sb_puts(sb, sym[fc->op]);
        sb_value(sb, fc);
        break;
    case FILTER_LIKE:
        sb_puts(sb, col);
        if (sb->d->like_as_glob) {
            sb_puts(sb, " GLOB ");
            sb_text(sb, search_like_to_glob(sb->a, fc->s));
        } else {
            sb_puts(sb, " LIKE ");
            sb_text(sb, fc->s);
        }
        break;
    case FILTER_ILIKE:
        if (sb->d->has_ilike) {
            sb_puts(sb, col);
            sb_puts(sb, " ILIKE ");
            sb_text(sb, fc->s);
        } else {
            sb_puts(sb, "lower(");
            sb_puts(sb, col);
            sb_puts(sb, ") LIKE lower(");
            sb_text(sb, fc->s);
            sb_puts(sb, ")");
        }
        break;
    case FILTER_RLIKE:
        sb_puts(sb, col);
        sb_puts(sb, sb->d->regexp_op);
        sb_text(sb, fc->s);
        break;
    case FILTER_IN:
    case FILTER_NOT_IN:
        sb_puts(sb, col);
        sb_puts(sb, fc->op == FILTER_IN ? " IN (" : " NOT IN (");
        for (size_t j = 0; j < fc->nlist; j++) {
            if (j)
                sb_puts(sb, ", ");
            if (fc->vtype == FILTER_V_INTLIST)
                sb_int(sb, fc->ilist[j]);
            else
                sb_text(sb, fc->list[j]);
        }
        sb_puts(sb, ")");
        break;
    case FILTER_IS_NULL:
    case FILTER_IS_NOT_NULL:
        sb_puts(sb, col);
        sb_puts(sb, fc->op == FILTER_IS_NULL ? " IS NULL" : " IS NOT NULL");
        break;
    }
}

void sb_lifecycle(struct sb *sb, const char *col, enum search_view view)
{
    sb_cond(sb);
    sb_puts(sb, col);
    if (view == SEARCH_VIEW_DELETED_ONLY)
        sb_puts(sb, " IN ('deleted')");
    else if (view == SEARCH_VIEW_ALL)
        sb_puts(sb, " IN ('active', 'deleted')");
    else
        sb_puts(sb, " IN ('active')");
}

void sb_order_item(struct sb *sb, bool *first, const char *expr, bool desc)
{
    sb_puts(sb, *first ? " ORDER BY " : ", ");
    *first = false;
    sb_puts(sb, expr);
    if (desc)
        sb_puts(sb, " DESC");
}

/* "CASE WHEN col IS NULL THEN 1 ELSE 0 END, col [DESC]": nulls last in either direction. */
void sb_order_nulls_last(struct sb *sb, bool *first, const char *col, bool desc)
{
    sb_puts(sb, *first ? " ORDER BY " : ", ");
    *first = false;
    sb_puts(sb, "CASE WHEN ");
    sb_puts(sb, col);
    sb_puts(sb, " IS NULL THEN 1 ELSE 0 END, ");
    sb_puts(sb, col);
    if (desc)
        sb_puts(sb, " DESC");
}

bool filter_has(const struct filter *f)
{
    return f && f->n > 0;
}

bool order_has(const struct order_by *o)
{
    return o && o->n > 0;
}

