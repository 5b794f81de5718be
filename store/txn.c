/* Transactions of the entity modules. Writes on a single-writer dialect (SQLite) run on the
 * process's writer connection inside its group-commit batch (db/writer.h): txn_commit
 * returns once the batch is durable. Reads, and every transaction elsewhere, run on the
 * thread's own connection. */
#include "internal.h"

#include "../db/writer.h"

int txn_begin(struct sctx *c)
{
    int rc;
    struct db *w = db_writer_begin(&c->ticket, &rc);
    if (w) {
        c->reader = c->db;
        c->db = w;
        return 0;
    }
    if (rc == 0)
        rc = db_begin(c->db, true);
    return rc == 0 ? 0 : store_err_step(c, rc);
}

/* Back on the thread's own connection after the writer's. */
static void leave_writer(struct sctx *c)
{
    c->db = c->reader;
    c->reader = NULL;
}

int txn_begin_read(struct sctx *c)
{
    int rc = db_begin(c->db, false);
    return rc == 0 ? 0 : store_err_step(c, rc);
}

int txn_commit(struct sctx *c)
{
    int rc;
    if (c->reader) {
        /* Returns once the batch holding this work is durable. */
        rc = db_writer_end(&c->ticket, true);
        leave_writer(c);
    } else {
        rc = db_commit(c->db);
        if (rc != 0)
            db_rollback(c->db);
    }
    return rc == 0 ? 0 : store_err_step(c, rc);
}

int txn_fail(struct sctx *c, int rc)
{
    if (c->reader) {
        db_writer_end(&c->ticket, false);
        leave_writer(c);
    } else {
        db_rollback(c->db);
    }
    return rc;
}

int txn_end_read(struct sctx *c, int rc)
{
    if (db_commit(c->db) != 0)
        db_rollback(c->db);
    return rc;
}
