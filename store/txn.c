/* Transactions and column helpers shared by entity modules. */
#include "txn.h"

#include <stdint.h>
#include <string.h>

#include "../base/util.h"
#include "../base/banned.h"

int err_db(struct sctx *c)
{
    return err_set(c->e, ERR_INTERNAL_ERROR, "internal database error");
}

int err_step(struct sctx *c, enum db_rc rc)
{
    if (rc == DB_BUSY)
        return err_set(c->e, ERR_TEMPORARILY_UNAVAILABLE,
                       "the database is busy; try again later");
    if (rc == DB_INVALID) /* MLflow answers a DataError from SQLAlchemy with BAD_REQUEST */
        return err_set(c->e, ERR_BAD_REQUEST,
                       "a value is too long or out of range for its database column");
    return err_db(c);
}

/* Swaps in the shared writer connection for the length of a write transaction. */
static void use_writer(struct sctx *c)
{
    struct db *w = store_writer_acquire();
    if (w) {
        c->reader = c->db;
        c->db = w;
    }
}

static void drop_writer(struct sctx *c)
{
    if (c->reader) {
        store_writer_release(c->db);
        c->db = c->reader;
        c->reader = NULL;
    }
}

int txn_begin(struct sctx *c)
{
    use_writer(c);
    int rc = db_begin(c->db, true);
    if (rc == 0)
        return 0;
    drop_writer(c);
    return err_step(c, rc == -2 ? DB_BUSY : DB_ERROR);
}

int txn_begin_read(struct sctx *c)
{
    int rc = db_begin(c->db, false);
    if (rc == 0)
        return 0;
    return err_step(c, rc == -2 ? DB_BUSY : DB_ERROR);
}

int txn_commit(struct sctx *c)
{
    int rc = db_commit(c->db);
    if (rc != 0)
        db_rollback(c->db);
    drop_writer(c);
    return rc == 0 ? 0 : err_step(c, rc == -2 ? DB_BUSY : DB_ERROR);
}

int txn_fail(struct sctx *c, int rc)
{
    db_rollback(c->db);
    drop_writer(c);
    return rc;
}

const char *ids_json(struct arena *a, const char *const *ids, size_t n)
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

int search_collect(struct sctx *c, struct buf *sql, const struct sql_val *binds, size_t nb,
                   int ncols, const char ***cells, size_t *nrows)
{
    *cells = NULL;
    *nrows = 0;
    if (!buf_ok(sql))
        return err_set(c->e, ERR_INVALID_PARAMETER_VALUE, "the search query is too large");
    struct db_stmt *st = db_prepare_once(c->db, sql->ptr);
    if (!st)
        return err_db(c);
    for (size_t i = 0; i < nb; i++)
        db_bind_val(st, (int)i + 1, &binds[i]);
    const char **v = NULL;
    size_t len = 0; /* cells, not rows */
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        for (int k = 0; k < ncols; k++) {
            v = arena_grow(c->a, v, len, sizeof *v);
            v[len++] = col_dup(c, st, k);
        }
    }
    db_done(st);
    if (rc != DB_DONE)
        return err_step(c, rc);
    *cells = v;
    *nrows = len / (size_t)ncols;
    return 0;
}

int txn_end_read(struct sctx *c, int rc)
{
    if (db_commit(c->db) != 0)
        db_rollback(c->db);
    return rc;
}

const char *col_dup(struct sctx *c, struct db_stmt *st, int col)
{
    size_t n;
    const char *p = db_col_text(st, col, &n);
    return p ? arena_strndup(c->a, p, n) : NULL;
}

int read_kvs(struct sctx *c, struct db_stmt *st, struct kv **out, size_t *n)
{
    size_t len = 0;
    struct kv *v = NULL;
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        v = arena_grow(c->a, v, len, sizeof *v);
        v[len].key = col_dup(c, st, 0);
        v[len].value = col_dup(c, st, 1);
        len++;
    }
    if (rc != DB_DONE)
        return err_step(c, rc);
    *out = v;
    *n = len;
    return 0;
}

const char *uri_join(struct arena *a, const char *root, const char *seg)
{
    size_t rn = strlen(root);
    bool slash = rn > 0 && root[rn - 1] == '/';
    return arena_printf(a, "%s%s%s", root, slash ? "" : "/", seg);
}
