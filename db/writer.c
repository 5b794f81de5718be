/* The single writer connection with group commit (see writer.h).
 *
 * One mutex guards the bookkeeping; the connection itself is owned by whoever set `busy`,
 * and every statement runs outside the mutex. A batch ends (commits) when the request that
 * finishes finds nobody queued for the connection, or when it holds MAX_MEMBERS requests or
 * has been open MAX_AGE_NS, so that a steady stream of writers cannot keep the first one
 * waiting without bound.
 *
 * Where the driver leaves the log's sync out of COMMIT (writer_sync: SQLite), the
 * committing request hands the connection on as soon as COMMIT returns and then makes the
 * batch durable: batches are numbered as they commit, and a sync covers every batch
 * committed before it began. One sync runs at a time; whoever needs a later batch durable
 * waits for it and starts the next, which then covers all the batches committed meanwhile.
 * The next batch's statements run while the disk syncs this one. */
#include "writer.h"

#include <pthread.h>

#include "../base/util.h"

enum { MAX_MEMBERS = 64 };
#define MAX_AGE_NS (4 * 1000 * 1000LL)

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* the connection became free, or a batch ended */
    struct db *db;
    bool busy;               /* someone is using the connection (work or commit) */
    bool open;               /* a batch transaction is open */
    int waiting;             /* requests waiting for the connection */
    int want;                /* callers of db_writer_between waiting for their turn */
    int members;             /* requests whose kept work is in the open batch */
    struct db_ticket *list;  /* their tickets */
    int64_t opened_ns;       /* when the batch was opened */
    int64_t taken_ns;        /* when the connection was last taken */
    uint64_t batches, requests; /* committed so far */
    uint64_t busy_ns, commit_ns; /* the connection held, and in COMMIT, so far */
    uint64_t committed;      /* batches numbered as COMMIT returned */
    uint64_t synced;         /* batches [1, synced] are durable */
    bool syncing;            /* a sync is running */
    uint64_t syncs, sync_ns; /* syncs done, and the time they took */
    uint64_t turns;          /* db_writer_between turns, and their time */
    uint64_t turn_ns;
    uint64_t wait_ns;        /* requests waiting for the connection, summed */
    uint64_t durable_ns;     /* requests, their work done, waiting for their batch's
                                COMMIT and sync, summed */
} w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int run(const char *sql)
{
    struct db_stmt *st = db_prepare(w.db, sql);
    if (!st)
        return DB_ERROR;
    enum db_rc rc = db_step(st);
    db_done(st);
    return rc == DB_DONE || rc == DB_ROW ? 0 : (int)rc;
}

int db_writer_adopt(struct db *db)
{
    if (!db_dialect(db)->single_writer)
        return 0;
    if (db->drv->writer_start && db->drv->writer_start(db) != 0)
        return -1;
    w.db = db;
    return 1;
}

/* Gives up the connection (mutex held). */
static void hand_on(void)
{
    w.busy_ns += (uint64_t)(mono_ns() - w.taken_ns);
    w.busy = false;
    pthread_cond_broadcast(&w.cv);
}

struct db *db_writer_begin(struct db_ticket *t, int *rc)
{
    *rc = 0;
    if (!w.db)
        return NULL;
    int64_t asked = mono_ns();
    pthread_mutex_lock(&w.mu);
    w.waiting++;
    /* A turn between batches goes first, but an open batch still takes members: one of
     * them has to commit it. */
    while (w.busy || (w.want && !w.open))
        pthread_cond_wait(&w.cv, &w.mu);
    w.waiting--;
    w.busy = true;
    w.taken_ns = mono_ns();
    w.wait_ns += (uint64_t)(w.taken_ns - asked);
    bool need_open = !w.open;
    pthread_mutex_unlock(&w.mu);
    if (need_open) {
        int r = run(db_dialect(w.db)->begin_write);
        pthread_mutex_lock(&w.mu);
        if (r != 0) {
            hand_on();
            pthread_mutex_unlock(&w.mu);
            *rc = r;
            return NULL;
        }
        w.open = true;
        w.opened_ns = mono_ns();
        pthread_mutex_unlock(&w.mu);
    }
    *t = (struct db_ticket){.rc = DB_DONE};
    int r = run("SAVEPOINT mlt_request");
    if (r != 0) {
        /* Nothing of ours to undo; the batch goes on (or ends) as after a failed request. */
        db_writer_end(t, false);
        *rc = r;
        return NULL;
    }
    t->savepoint = true;
    return w.db;
}

/* Returns once batch `seq` is durable: 0, or DB_ERROR when a sync failed (mutex held). */
static int make_durable(uint64_t seq)
{
    while (w.synced < seq) {
        if (w.syncing) {
            pthread_cond_wait(&w.cv, &w.mu);
            continue;
        }
        w.syncing = true;
        uint64_t upto = w.committed;
        pthread_mutex_unlock(&w.mu);
        int64_t t0 = mono_ns();
        int rc = w.db->drv->writer_sync(w.db);
        int64_t took = mono_ns() - t0;
        pthread_mutex_lock(&w.mu);
        w.syncing = false;
        w.syncs++;
        w.sync_ns += (uint64_t)took;
        pthread_cond_broadcast(&w.cv);
        if (rc != 0)
            return DB_ERROR;
        if (upto > w.synced)
            w.synced = upto;
    }
    return 0;
}

int db_writer_end(struct db_ticket *t, bool ok)
{
    int own = 0;
    if (ok && (own = run("RELEASE SAVEPOINT mlt_request")) != 0)
        ok = false;
    if (!ok && t->savepoint) {
        /* ROLLBACK TO keeps the savepoint open; RELEASE closes it. */
        run("ROLLBACK TO SAVEPOINT mlt_request");
        run("RELEASE SAVEPOINT mlt_request");
    }
    t->savepoint = false;
    pthread_mutex_lock(&w.mu);
    if (ok) {
        t->next = w.list;
        w.list = t;
        w.members++;
    }
    bool commit = w.waiting == 0 || w.want || w.members >= MAX_MEMBERS ||
                  mono_ns() - w.opened_ns >= MAX_AGE_NS;
    if (!commit) {
        hand_on();
        int64_t done_at = mono_ns();
        while (ok && !t->done)
            pthread_cond_wait(&w.cv, &w.mu);
        if (ok)
            w.durable_ns += (uint64_t)(mono_ns() - done_at);
        int rc = ok ? (int)t->rc : own;
        pthread_mutex_unlock(&w.mu);
        return rc == DB_DONE ? 0 : rc;
    }
    /* Commit for the whole batch; the connection stays ours until it is done. */
    struct db_ticket *members = w.list;
    int n = w.members;
    w.list = NULL;
    w.members = 0;
    pthread_mutex_unlock(&w.mu);
    int64_t t0 = mono_ns();
    int rc = n > 0 ? run("COMMIT") : run("ROLLBACK");
    int64_t took = mono_ns() - t0;
    if (rc != 0 && n > 0) {
        log_error("group commit of %d requests failed", n);
        run("ROLLBACK");
    }
    pthread_mutex_lock(&w.mu);
    uint64_t seq = rc == 0 && n > 0 ? ++w.committed : 0;
    if (seq) {
        w.batches++;
        w.requests += (uint64_t)n;
    }
    w.commit_ns += (uint64_t)took;
    w.open = false;
    hand_on();
    if (seq && w.db->drv->writer_sync)
        rc = make_durable(seq);
    if (seq)
        w.durable_ns += (uint64_t)(mono_ns() - t0);
    for (struct db_ticket *m = members; m; m = m->next) {
        m->rc = rc == 0 ? DB_DONE : (enum db_rc)rc;
        m->done = true;
    }
    pthread_cond_broadcast(&w.cv);
    pthread_mutex_unlock(&w.mu);
    if (!ok)
        return own;
    return rc;
}

struct db_writer_stats db_writer_stats(void)
{
    pthread_mutex_lock(&w.mu);
    struct db_writer_stats s = {w.batches, w.requests, w.busy_ns, w.commit_ns, w.syncs,
                                w.sync_ns, w.turns,    w.turn_ns,  w.wait_ns,   w.durable_ns,
                                w.waiting};
    pthread_mutex_unlock(&w.mu);
    return s;
}

void db_writer_release_memory(void)
{
    pthread_mutex_lock(&w.mu);
    bool take = w.db && !w.busy && !w.open;
    if (take) {
        w.busy = true;
        w.taken_ns = mono_ns();
    }
    pthread_mutex_unlock(&w.mu);
    if (!take)
        return;
    db_release_memory(w.db);
    pthread_mutex_lock(&w.mu);
    hand_on();
    pthread_mutex_unlock(&w.mu);
}

int db_writer_between(int (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&w.mu);
    w.want++;
    while (w.busy || w.open)
        pthread_cond_wait(&w.cv, &w.mu);
    w.want--;
    w.busy = true;
    w.taken_ns = mono_ns();
    pthread_mutex_unlock(&w.mu);
    int rc = fn(arg);
    pthread_mutex_lock(&w.mu);
    w.turns++;
    w.turn_ns += (uint64_t)(mono_ns() - w.taken_ns);
    hand_on();
    pthread_mutex_unlock(&w.mu);
    return rc;
}

void db_writer_close(void)
{
    pthread_mutex_lock(&w.mu);
    while (w.busy)
        pthread_cond_wait(&w.cv, &w.mu);
    struct db *db = w.db;
    w.db = NULL;
    pthread_mutex_unlock(&w.mu);
    if (!db)
        return;
    /* The checkpointer's last TRUNCATE runs once the writer has nothing in flight. */
    if (db->drv->writer_stop)
        db->drv->writer_stop(db);
    db_close(db);
}
