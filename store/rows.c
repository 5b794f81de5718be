/* Stepping statements and reading rows for the entity modules, with database results
 * mapped to MLflow errors in one place. */
#include <stdint.h>
#include <string.h>

#include "internal.h"

int store_err(struct sctx *c)
{
    return err_set(c->e, ERR_INTERNAL_ERROR, "internal database error");
}

int store_err_step(struct sctx *c, enum db_rc rc)
{
    if (rc == DB_BUSY)
        return err_set(c->e, ERR_TEMPORARILY_UNAVAILABLE,
                       "the database is busy; try again later");
    /* MLflow answers SQLAlchemy's OperationalError "database or disk is full" with 503,
     * which clients retry. */
    if (rc == DB_FULL)
        return err_set(c->e, ERR_TEMPORARILY_UNAVAILABLE,
                       "The database or disk is full: nothing was written. Free space on "
                       "the database's disk and try again.");
    /* PostgreSQL's own message names the problem; MLflow answers it with BAD_REQUEST. */
    if (rc == DB_BAD_REGEX)
        return err_set(c->e, ERR_BAD_REQUEST,
                       "invalid regular expression in an RLIKE filter (PostgreSQL refused it)");
    if (rc == DB_INVALID) /* MLflow answers a DataError from SQLAlchemy with BAD_REQUEST */
        return err_set(c->e, ERR_BAD_REQUEST,
                       "a value is too long or out of range for its database column");
    return store_err(c);
}

int store_exec(struct sctx *c, struct db_stmt *st)
{
    enum db_rc rc = db_step(st);
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

int store_exec_unique(struct sctx *c, struct db_stmt *st)
{
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc == DB_CONSTRAINT)
        return 1;
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

int store_lookup(struct sctx *c, struct db_stmt *st)
{
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW)
        return 1;
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

int store_lookup_int(struct sctx *c, const char *sql, const char *key, int64_t *out)
{
    struct db_stmt *st = db_prepare(c->db, sql);
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, key);
    int found = store_lookup(c, st);
    if (found > 0) {
        *out = db_col_int(st, 0);
        db_done(st);
    }
    return found;
}

const char *store_col(struct sctx *c, struct db_stmt *st, int col)
{
    size_t n;
    const char *p = db_col_text(st, col, &n);
    return p ? arena_strndup(c->a, p, n) : NULL;
}

int store_read_kvs(struct sctx *c, struct db_stmt *st, struct kv **out, size_t *n)
{
    size_t len = 0;
    struct kv *v = NULL;
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        v = arena_grow(c->a, v, len, sizeof *v);
        v[len].key = store_col(c, st, 0);
        v[len].value = store_col(c, st, 1);
        len++;
    }
    int r = rc == DB_DONE ? 0 : store_err_step(c, rc);
    db_done(st);
    if (r != 0)
        return r;
    *out = v;
    *n = len;
    return 0;
}

struct db_stmt *store_search_stmt(struct sctx *c, struct buf *sql, const struct sql_val *binds,
                                  size_t nb)
{
    if (!buf_ok(sql)) {
        err_set(c->e, ERR_INVALID_PARAMETER_VALUE, "the search query is too large");
        return NULL;
    }
    struct db_stmt *st = db_prepare_once(c->db, sql->ptr);
    if (!st) {
        store_err(c);
        return NULL;
    }
    for (size_t i = 0; i < nb; i++)
        db_bind_val(st, (int)i + 1, &binds[i]);
    return st;
}

int store_run_search(struct sctx *c, struct buf *sql, const struct sql_val *binds, size_t nb,
                     int ncols, const char ***cells, size_t *nrows)
{
    *cells = NULL;
    *nrows = 0;
    struct db_stmt *st = store_search_stmt(c, sql, binds, nb);
    if (!st)
        return -1;
    const char **v = NULL;
    size_t len = 0; /* cells, not rows */
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        for (int k = 0; k < ncols; k++) {
            v = arena_grow(c->a, v, len, sizeof *v);
            v[len++] = store_col(c, st, k);
        }
    }
    db_done(st);
    if (rc != DB_DONE)
        return store_err_step(c, rc);
    *cells = v;
    *nrows = len / (size_t)ncols;
    return 0;
}

const char *store_ids_json(struct arena *a, const char *const *ids, size_t n)
{
    struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        buf_puts(&b, i ? ",\"" : "\"");
        for (const char *p = ids[i]; *p; p++) {
            if ((unsigned char)*p < 0x20) {
                buf_printf(&b, "\\u%04x", (unsigned)(unsigned char)*p);
            } else {
                if (*p == '"' || *p == '\\')
                    buf_putc(&b, '\\');
                buf_putc(&b, *p);
            }
        }
        buf_putc(&b, '"');
    }
    buf_putc(&b, ']');
    const char *s = arena_strndup(a, b.ptr, b.len);
    buf_release(&b);
    return s;
}
