/* Trace metrics (trace_metrics_query in traces.h): query/'s aggregate SQL run, and its rows
 * read as MLflow's convert_results_to_metric_data_points reads them. */
#include "../base/buf.h"
#include "internal.h"
#include "traces.h"

int trace_metrics_query(struct sctx *c, const struct tm_query *q, struct trace_metric_point **out,
                        size_t *n)
{
    *out = NULL;
    *n = 0;
    struct buf sql;
    buf_init(&sql, 1 << 20);
    struct sql_val *v;
    size_t nv;
    struct db_stmt *st = NULL;
    if (tm_sql(c->a, db_dialect(c->db), q, &sql, &v, &nv, c->e) == 0)
        st = store_search_stmt(c, &sql, v, nv);
    buf_release(&sql);
    if (!st)
        return -1;
    int first_dim = q->interval_s ? 1 : 0;
    enum db_rc r;
    while ((r = db_step(st)) == DB_ROW) {
        struct trace_metric_point p = {0};
        bool skip = false;
        if (q->interval_s) {
            skip |= db_col_null(st, 0);
            p.bucket_ms = db_col_real(st, 0);
        }
        p.dims = arena_calloc(c->a, q->ndims + 1, sizeof *p.dims);
        for (size_t i = 0; i < q->ndims && !skip; i++)
            skip |= !(p.dims[i] = store_col(c, st, first_dim + (int)i));
        p.value = arena_calloc(c->a, q->naggs + 1, sizeof *p.value);
        p.has = arena_calloc(c->a, q->naggs + 1, sizeof *p.has);
        bool any = false;
        for (size_t i = 0; i < q->naggs; i++) {
            int col = first_dim + (int)q->ndims + (int)i;
            if ((p.has[i] = !db_col_null(st, col))) {
                p.value[i] = db_col_real(st, col);
                any = true;
            }
        }
        if (skip || !any) /* a NULL dimension, or no value at all: no data point */
            continue;
        *out = arena_grow(c->a, *out, *n, sizeof **out);
        (*out)[(*n)++] = p;
    }
    db_done(st);
    return r == DB_DONE ? 0 : store_err_step(c, r);
}
