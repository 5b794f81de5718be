/* Runs the search SQL built by search_sql.c and loads the matching entities. */
#include <string.h>

#include "../query/search_sql.h"
#include "tracking.h"
#include "internal.h"

int exp_search(struct sctx *c, const struct search_experiments_q *q, struct experiment **out,
               size_t *n)
{
    struct buf sql;
    buf_init(&sql, 1 << 20);
    struct sql_val *binds;
    size_t nb, len;
    const char **cells;
    *n = 0;
    int rc = search_experiments_sql(c->a, db_dialect(c->db), q, &sql, &binds, &nb, c->e);
    if (rc == 0 && (rc = txn_begin_read(c)) == 0) {
        rc = store_run_search(c, &sql, binds, nb, 1, &cells, &len);
        int64_t *ids = arena_calloc(c->a, len ? len : 1, sizeof *ids);
        for (size_t i = 0; rc == 0 && i < len; i++)
            rc = exp_parse_id(c, cells[i], &ids[i]);
        *out = arena_calloc(c->a, len ? len : 1, sizeof **out);
        if (rc == 0)
            rc = exp_load_many(c, ids, len, *out);
        if (rc == 0)
            *n = len;
        rc = txn_end_read(c, rc);
    }
    buf_release(&sql);
    return rc;
}

int run_search(struct sctx *c, const struct search_runs_q *q, struct run **out, size_t *n)
{
    struct buf sql;
    buf_init(&sql, 1 << 20);
    struct sql_val *binds;
    size_t nb, len;
    const char **ids;
    *n = 0;
    int rc = search_runs_sql(c->a, db_dialect(c->db), q, &sql, &binds, &nb, c->e);
    if (rc == 0 && (rc = txn_begin_read(c)) == 0) {
        rc = store_run_search(c, &sql, binds, nb, 1, &ids, &len);
        *out = arena_calloc(c->a, len ? len : 1, sizeof **out);
        if (rc == 0)
            rc = run_load_many_in_txn(c, ids, len, *out, n);
        rc = txn_end_read(c, rc);
    }
    buf_release(&sql);
    return rc;
}
