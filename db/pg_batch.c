/* Row batches on PostgreSQL: every column of the batch goes as one array literal, and one
 * `INSERT ... SELECT * FROM unnest(...)` writes all rows -- one round trip instead of one
 * per row. Built on the generic interface; the statement is kept under the spec's address. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "../base/buf.h"
#include "pg.h"

enum { BATCH_MAX_BYTES = 64 << 20 }; /* per column; a log-batch is far below */

/* Each column is bound as one array of its type. */
static const char *array_param(enum sql_type t)
{
    switch (t) {
    case SQL_INT:
        return "?::bigint[]";
    case SQL_REAL:
        return "?::double precision[]";
    case SQL_BOOL:
        return "?::boolean[]";
    default:
        return "?::text[]";
    }
}

/* Appends one element to an array literal being built ("{" already there). */
static void put_elem(struct buf *b, const struct sql_val *v)
{
    if (b->len > 1)
        buf_putc(b, ',');
    switch (v->type) {
    case SQL_INT:
        buf_printf(b, "%" PRId64, v->i);
        break;
    case SQL_BOOL:
        buf_putc(b, v->i ? 't' : 'f');
        break;
    case SQL_REAL:
        if (isnan(v->d))
            buf_puts(b, "NaN");
        else if (isinf(v->d))
            buf_puts(b, v->d > 0 ? "Infinity" : "-Infinity");
        else
            buf_printf(b, "%.17g", v->d);
        break;
    case SQL_TEXT:
        buf_putc(b, '"');
        for (size_t i = 0; i < v->n; i++) {
            if (v->s[i] == '"' || v->s[i] == '\\')
                buf_putc(b, '\\');
            buf_putc(b, v->s[i]);
        }
        buf_putc(b, '"');
        break;
    default:
        buf_puts(b, "NULL");
    }
}

enum db_rc db_pg_batch(struct db *db, const struct db_batch_sql *spec, size_t n, db_row_fn row,
                       void *ctx)
{
    struct buf col[DB_BATCH_MAX_COLS];
    for (int k = 0; k < spec->ncols; k++) {
        buf_init(&col[k], BATCH_MAX_BYTES);
        buf_putc(&col[k], '{');
    }
    struct sql_val vals[DB_BATCH_MAX_COLS];
    for (size_t i = 0; i < n; i++) {
        row(ctx, i, vals);
        for (int k = 0; k < spec->ncols; k++)
            put_elem(&col[k], &vals[k]);
    }
    enum db_rc rc = DB_DONE;
    for (int k = 0; k < spec->ncols; k++) {
        buf_putc(&col[k], '}');
        if (!buf_ok(&col[k]))
            rc = DB_INVALID;
    }
    struct db_stmt *st =
        rc == DB_DONE ? db_batch_stmt(db, spec, spec, "SELECT * FROM unnest", array_param, 1)
                      : NULL;
    if (st) {
        for (int k = 0; k < spec->ncols; k++)
            db_bind_text(st, k + 1, col[k].ptr, col[k].len);
        rc = db_step(st);
        db_done(st);
    } else if (rc == DB_DONE) {
        rc = DB_ERROR;
    }
    for (int k = 0; k < spec->ncols; k++)
        buf_release(&col[k]);
    return rc;
}
