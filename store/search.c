/* Runs the search SQL built by search_sql.c and loads the matching entities. */
#include <string.h>

#include "search_sql.h"
#include "tracking.h"
#include "txn.h"
#include "../base/banned.h"

/* Prepares sql with binds; NULL with c->e set on failure. */
static struct db_stmt *prepare_search(struct sctx *c, struct buf *sql,
                                      const struct sql_val *binds, size_t nbinds)
{
    if (!buf_ok(sql)) {
        err_set(c->e, ERR_INVALID_PARAMETER_VALUE, "the search query is too large");
        return NULL;
    }
    struct db_stmt *st = db_prepare_once(c->db, sql->ptr);
    if (!st) {
        err_db(c);
        return NULL;
    }
    for (size_t i = 0; i < nbinds; i++)
        db_bind_val(st, (int)i + 1, &binds[i]);
    return st;
}

int exp_search(struct sctx *c, const struct search_experiments_q *q, struct experiment **out,
               size_t *n)
{
    struct buf sql;
    buf_init(&sql, 1 << 20);
    struct sql_val *binds;
    size_t nb;
    *n = 0;
    if (search_experiments_sql(c->a, c->db->drv->kind, q, &sql, &binds, &nb, c->e) != 0) {
        buf_release(&sql);
        return -1;
    }
    if (txn_begin_read(c) != 0) {
        buf_release(&sql);
        return -1;
    }
    struct db_stmt *st = prepare_search(c, &sql, binds, nb);
    buf_release(&sql);
    if (!st)
        return txn_end_read(c, -1);
    size_t cap = 64, len = 0;
    int64_t *ids = arena_calloc(c->a, cap, sizeof *ids);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (len == cap) {
            int64_t *ni = arena_calloc(c->a, cap * 2, sizeof *ids);
            memcpy(ni, ids, len * sizeof *ids);
            ids = ni;
            cap *= 2;
        }
        ids[len++] = db_col_int(st, 0);
    }
    db_done(st);
    if (rc != DB_DONE)
        return txn_end_read(c, err_step(c, rc));
    *out = arena_calloc(c->a, len ? len : 1, sizeof **out);
    int r = exp_load_many(c, ids, len, *out);
    if (r == 0)
        *n = len;
    return txn_end_read(c, r);
}

int run_search(struct sctx *c, const struct search_runs_q *q, struct run **out, size_t *n)
{
    struct buf sql;
    buf_init(&sql, 1 << 20);
    struct sql_val *binds;
    size_t nb;
    *n = 0;
    if (search_runs_sql(c->a, c->db->drv->kind, q, &sql, &binds, &nb, c->e) != 0) {
        buf_release(&sql);
        return -1;
    }
    if (txn_begin_read(c) != 0) {
        buf_release(&sql);
        return -1;
    }
    struct db_stmt *st = prepare_search(c, &sql, binds, nb);
    buf_release(&sql);
    if (!st)
        return txn_end_read(c, -1);
    size_t cap = 256, len = 0;
    const char **ids = arena_calloc(c->a, cap, sizeof *ids);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (len == cap) {
            const char **ni = arena_calloc(c->a, cap * 2, sizeof *ids);
            memcpy(ni, ids, len * sizeof *ids);
            ids = ni;
            cap *= 2;
        }
        ids[len++] = col_dup(c, st, 0);
    }
    db_done(st);
    if (rc != DB_DONE)
        return txn_end_read(c, err_step(c, rc));
    *out = arena_calloc(c->a, len ? len : 1, sizeof **out);
    int r = run_load_many_in_txn(c, ids, len, *out, n);
    return txn_end_read(c, r);
}
