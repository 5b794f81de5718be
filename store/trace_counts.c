/* Trace counts for MLflow's trace filter correlation (see trace_correlation_counts in
 * traces.h), over the trace search's own SQL for each filter, so that a filter selects here
 * exactly the traces traces/search returns for it. */
#include <string.h>

#include "../base/buf.h"
#include "../query/search_sql.h"
#include "internal.h"
#include "traces.h"

/* "(<the search's SQL for f, every match>)" appended to sql, its values to *v. */
static int ids_of(struct sctx *c, const int64_t *exps, size_t nexp, const struct filter *f,
                  struct buf *sql, struct sql_val **v, size_t *nv)
{
    struct search_traces_q q = {exps, nexp, f, NULL, {-1, 0}, NULL};
    struct sql_val *more;
    size_t nmore;
    buf_putc(sql, '(');
    if (search_traces_sql(c->a, db_dialect(c->db), &q, sql, &more, &nmore, c->e) != 0)
        return -1;
    buf_putc(sql, ')');
    struct sql_val *all = arena_calloc(c->a, *nv + nmore + 1, sizeof *all);
    if (*nv)
        memcpy(all, *v, *nv * sizeof *all);
    if (nmore)
        memcpy(all + *nv, more, nmore * sizeof *all);
    *v = all;
    *nv += nmore;
    return 0;
}

int trace_correlation_counts(struct sctx *c, const int64_t *experiment_ids, size_t nexp,
                             const struct filter *universe, const struct filter *f1,
                             const struct filter *f2, struct trace_correlation_counts *out)
{
    memset(out, 0, sizeof *out);
    /* MLflow's one statement: the universe, each filter's traces joined to it once. f1 and
     * f2 hold the universe's clauses, so their traces are within it. */
    struct buf sql;
    buf_init(&sql, 1 << 20);
    struct sql_val *v = NULL;
    size_t nv = 0;
    buf_puts(&sql, "SELECT count(*), count(a.request_id), count(b.request_id), count(CASE WHEN "
                   "a.request_id IS NOT NULL AND b.request_id IS NOT NULL THEN 1 END) FROM ");
    int rc = ids_of(c, experiment_ids, nexp, universe, &sql, &v, &nv);
    if (rc == 0) {
        buf_puts(&sql, " u LEFT JOIN ");
        rc = ids_of(c, experiment_ids, nexp, f1, &sql, &v, &nv);
    }
    if (rc == 0) {
        buf_puts(&sql, " a ON a.request_id = u.request_id LEFT JOIN ");
        rc = ids_of(c, experiment_ids, nexp, f2, &sql, &v, &nv);
    }
    buf_puts(&sql, " b ON b.request_id = u.request_id");
    struct db_stmt *st = rc == 0 ? store_search_stmt(c, &sql, v, nv) : NULL;
    buf_release(&sql);
    if (!st)
        return -1;
    enum db_rc r = db_step(st);
    if (r == DB_ROW) {
        out->total = db_col_int(st, 0);
        out->n1 = db_col_int(st, 1);
        out->n2 = db_col_int(st, 2);
        out->joint = db_col_int(st, 3);
    }
    db_done(st);
    return r == DB_ROW ? 0 : store_err_step(c, r);
}
