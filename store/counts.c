/* Entity counts (see counts.h): a few aggregate queries in one read transaction. */
#include "counts.h"

#include <string.h>

#include "internal.h"

/* SELECT lifecycle_stage, count(*) ... into by_stage[active, deleted]. */
static int count_by_stage(struct sctx *c, const char *sql, int64_t by_stage[2])
{
    struct db_stmt *st = db_prepare(c->db, sql);
    if (!st)
        return store_err(c);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        size_t n;
        const char *stage = db_col_text(st, 0, &n);
        by_stage[stage && strcmp(stage, "deleted") == 0] += db_col_int(st, 1);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

static int count_all(struct sctx *c, const char *sql, int64_t *out)
{
    struct db_stmt *st = db_prepare(c->db, sql);
    if (!st)
        return store_err(c);
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW)
        *out = db_col_int(st, 0);
    db_done(st);
    return rc == DB_ROW ? 0 : store_err_step(c, rc);
}

int store_count_entities(struct sctx *c, struct store_counts *out)
{
    memset(out, 0, sizeof *out);
    if (txn_begin_read(c) != 0)
        return -1;
    int rc = count_by_stage(c, "SELECT lifecycle_stage, count(*) FROM experiments GROUP BY 1",
                            out->experiments);
    if (rc == 0)
        rc = count_by_stage(c, "SELECT lifecycle_stage, count(*) FROM runs GROUP BY 1",
                            out->runs);
    if (rc == 0)
        rc = count_all(c, "SELECT count(*) FROM registered_models", &out->registered_models);
    if (rc == 0)
        rc = count_all(c,
                       "SELECT count(*) FROM model_versions "
                       "WHERE current_stage <> 'Deleted_Internal'",
                       &out->model_versions);
    if (rc == 0)
        rc = count_all(c, "SELECT count(*) FROM logged_models", &out->logged_models);
    return txn_end_read(c, rc);
}
