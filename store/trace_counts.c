/* Trace counts for MLflow's trace filter correlation (see trace_correlation_counts in
 * traces.h): each count is a count(*) over the trace search's own SQL for a filter, so a
 * filter selects here exactly the traces traces/search returns for it. */
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

/* The single count(*) the statement in sql answers. */
static int count_of(struct sctx *c, struct buf *sql, const struct sql_val *v, size_t nv,
                    int64_t *out)
{
    struct db_stmt *st = store_search_stmt(c, sql, v, nv);
    if (!st)
        return -1;
    enum db_rc rc = db_step(st);
    *out = rc == DB_ROW ? db_col_int(st, 0) : 0;
    db_done(st);
    return rc == DB_ROW ? 0 : store_err_step(c, rc);
}

/* count(*) of the traces a selects, or with b of those both select. */
static int count_matching(struct sctx *c, const int64_t *exps, size_t nexp,
                          const struct filter *a, const struct filter *b, int64_t *out)
{
    struct buf sql;
    buf_init(&sql, 1 << 20);
    struct sql_val *v = NULL;
    size_t nv = 0;
    buf_puts(&sql, "SELECT count(*) FROM ");
    int rc = ids_of(c, exps, nexp, a, &sql, &v, &nv);
    buf_puts(&sql, " a");
    if (rc == 0 && b) {
        buf_puts(&sql, " WHERE a.request_id IN (SELECT b.request_id FROM ");
        rc = ids_of(c, exps, nexp, b, &sql, &v, &nv);
        buf_puts(&sql, " b)");
    }
    if (rc == 0)
        rc = count_of(c, &sql, v, nv, out);
    buf_release(&sql);
    return rc;
}

int trace_correlation_counts(struct sctx *c, const int64_t *experiment_ids, size_t nexp,
                             const struct filter *universe, const struct filter *f1,
                             const struct filter *f2, struct trace_correlation_counts *out)
{
    memset(out, 0, sizeof *out);
    if (txn_begin_read(c) != 0)
        return -1;
    int rc = count_matching(c, experiment_ids, nexp, universe, NULL, &out->total);
    if (rc == 0)
        rc = count_matching(c, experiment_ids, nexp, f1, NULL, &out->n1);
    if (rc == 0)
        rc = count_matching(c, experiment_ids, nexp, f2, NULL, &out->n2);
    if (rc == 0)
        rc = count_matching(c, experiment_ids, nexp, f1, f2, &out->joint);
    return txn_end_read(c, rc);
}
