/* Transactions of the entity modules. Writes on a single-writer dialect (SQLite) borrow the
 * process's writer connection for the length of the transaction (db/writer.h); reads and
 * every transaction elsewhere run on the thread's own connection. */
#include "internal.h"

#include "../db/writer.h"

/* Swaps in the shared writer connection for the length of a write transaction. */
static void use_writer(struct sctx *c)
{
    struct db *w = db_writer_acquire();
    if (w) {
        c->reader = c->db;
        c->db = w;
    }
}

static void drop_writer(struct sctx *c)
{
    if (c->reader) {
        db_writer_release(c->db);
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
    return store_err_step(c, rc);
}

int txn_begin_read(struct sctx *c)
{
    int rc = db_begin(c->db, false);
    return rc == 0 ? 0 : store_err_step(c, rc);
}

int txn_commit(struct sctx *c)
{
    int rc = db_commit(c->db);
    if (rc != 0)
        db_rollback(c->db);
    drop_writer(c);
    return rc == 0 ? 0 : store_err_step(c, rc);
}

int txn_fail(struct sctx *c, int rc)
{
    db_rollback(c->db);
    drop_writer(c);
    return rc;
}

int txn_end_read(struct sctx *c, int rc)
{
    if (db_commit(c->db) != 0)
        db_rollback(c->db);
    return rc;
}
