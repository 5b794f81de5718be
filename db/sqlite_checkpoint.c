/* The SQLite writer's background checkpointer. Auto-checkpointing would make whichever
 * request crosses the threshold copy the WAL into the database and fsync it. Instead the
 * writer's WAL hook wakes a thread that runs PASSIVE checkpoints on its own connection,
 * off the request path.
 *
 * Under steady writes a PASSIVE checkpoint never catches up with the log: the next
 * transaction starts before the last commit is copied, so the log never starts over and
 * grows without end. Past CKPT_RESTART frames the checkpointer copies all but the last few
 * frames passively, then takes a turn of the group-commit writer between two batches
 * (db_writer_between) for a RESTART: the rest is copied, and the next transaction writes
 * the log from its start again, over blocks the file already has (writing into a grown or
 * truncated file allocates every block anew, which costs the writer about half as much
 * again per frame). Requests wait for that turn on the writer's own queue, not in
 * SQLite's busy handler, whose sleeps are whole milliseconds. When writes pause, the log
 * is emptied (TRUNCATE, in a turn too): readers look every page up in a non-empty WAL. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/util.h"
#include "sqlite.h"
#include "writer.h"

enum {
    CKPT_FRAMES = 2048,   /* ~8 MB of WAL before the checkpointer wakes */
    CKPT_RESTART = 8192,  /* ~32 MB: the log starts over */
    CKPT_LEFT = 256,      /* frames a PASSIVE pass may leave for the turn to copy */
    CKPT_PASSES = 8,      /* PASSIVE passes at most before that turn */
    CKPT_READERS_MS = 20, /* how long the turn waits for readers of old frames */
    CKPT_BUSY_MS = 1000,  /* otherwise (the last TRUNCATE at shutdown) */
};
/* The WAL file is cut back to about this when the log starts over (after a reader held it
 * past CKPT_RESTART), so that a burst does not keep its size. */
#define CKPT_SIZE_LIMIT (2LL * CKPT_RESTART * 4120)
/* A reader of old frames makes a RESTART give up (SQLITE_BUSY) after its wait. The next try
 * waits until the log has grown past this, so that a long read does not cost the writer a
 * turn at every commit. Only the checkpointer's thread uses it. */
static int ckpt_retry_at;

static pthread_mutex_t ckpt_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ckpt_cv = PTHREAD_COND_INITIALIZER;
static bool ckpt_pending, ckpt_stop, ckpt_running;
static bool ckpt_dirty;        /* commits since the WAL was last emptied */
static int64_t ckpt_last_commit; /* mono_ns() of the last commit */

/* Once writes pause this long, the WAL is emptied. */
enum { CKPT_IDLE_MS = 500 };
static pthread_t ckpt_thread;
static char *ckpt_path;
static int ckpt_flags; /* the writer's open flags, URI or not */

static int wal_hook(void *arg, sqlite3 *conn, const char *dbname, int frames)
{
    (void)arg;
    (void)conn;
    (void)dbname;
    pthread_mutex_lock(&ckpt_mu);
    ckpt_dirty = true;
    ckpt_last_commit = mono_ns();
    if (frames >= CKPT_FRAMES) {
        ckpt_pending = true;
        pthread_cond_signal(&ckpt_cv);
    }
    pthread_mutex_unlock(&ckpt_mu);
    return SQLITE_OK;
}

struct turn {
    sqlite3 *conn;
    int mode;
};

static int checkpoint(sqlite3 *conn, int mode, int *log_frames, int *done)
{
    int rc = sqlite3_wal_checkpoint_v2(conn, NULL, mode, log_frames, done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        log_warn("checkpoint failed: %s", sqlite3_errmsg(conn));
    return rc;
}

/* A RESTART or TRUNCATE in the writer's turn: no writer to wait for, readers briefly. */
static int in_turn(void *arg)
{
    const struct turn *t = arg;
    sqlite3_busy_timeout(t->conn, CKPT_READERS_MS);
    int rc = checkpoint(t->conn, t->mode, NULL, NULL);
    sqlite3_busy_timeout(t->conn, CKPT_BUSY_MS);
    return rc;
}

static int blocking(sqlite3 *conn, int mode)
{
    struct turn t = {conn, mode};
    return db_writer_between(in_turn, &t);
}

/* PASSIVE passes until little is left to copy; past CKPT_RESTART frames, the rest in a
 * turn, after which the log starts over. */
static int catch_up(sqlite3 *conn)
{
    int log_frames = 0, done = 0, rc = SQLITE_OK;
    for (int pass = 0, before = -1; pass < CKPT_PASSES && done != before; pass++) {
        before = done;
        rc = checkpoint(conn, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done);
        if (rc != SQLITE_OK || log_frames - done <= CKPT_LEFT)
            break;
    }
    if (rc == SQLITE_OK && log_frames >= CKPT_RESTART && log_frames >= ckpt_retry_at) {
        rc = blocking(conn, SQLITE_CHECKPOINT_RESTART);
        ckpt_retry_at = rc == SQLITE_BUSY ? log_frames + CKPT_FRAMES : 0;
    }
    return rc;
}

static void *ckpt_main(void *arg)
{
    (void)arg;
    sqlite3 *conn = NULL;
    if (sqlite3_open_v2(ckpt_path, &conn, (ckpt_flags & ~SQLITE_OPEN_CREATE), NULL) != SQLITE_OK) {
        log_error("checkpointer: cannot open %s: %s", ckpt_path,
                  conn ? sqlite3_errmsg(conn) : "?");
        sqlite3_close_v2(conn);
        return NULL;
    }
    sqlite3_busy_timeout(conn, CKPT_BUSY_MS);
    /* A connection checkpoints only once it has opened the WAL; this does that. */
    if (sqlite3_exec(conn, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
        log_warn("checkpointer: %s", sqlite3_errmsg(conn));
    pthread_mutex_lock(&ckpt_mu);
    while (!ckpt_stop) {
        bool idle = false;
        while (!ckpt_pending && !ckpt_stop) {
            /* Sleep until woken, or until the writes have paused long enough. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += CKPT_IDLE_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&ckpt_cv, &ckpt_mu, &ts);
            if (ckpt_dirty && mono_ns() - ckpt_last_commit >= CKPT_IDLE_MS * 1000000LL) {
                idle = true;
                break;
            }
        }
        if (ckpt_stop)
            break;
        ckpt_pending = false;
        if (idle)
            ckpt_dirty = false;
        pthread_mutex_unlock(&ckpt_mu);
        int rc = idle ? blocking(conn, SQLITE_CHECKPOINT_TRUNCATE) : catch_up(conn);
        pthread_mutex_lock(&ckpt_mu);
        if (idle && rc != SQLITE_OK)
            ckpt_dirty = true; /* readers held it up: try again at the next pause */
    }
    pthread_mutex_unlock(&ckpt_mu);
    /* Leave a small WAL behind on a clean shutdown. */
    sqlite3_wal_checkpoint_v2(conn, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_close_v2(conn);
    return NULL;
}

int db_sqlite_checkpointer_start(struct db *db)
{
    const char *path;
    sqlite3 *conn = db_sqlite_handle(db, &path, &ckpt_flags);
    /* The writer keeps the index pages that inserts walk in a larger cache (16 MB): nobody
     * else writes, so they stay valid from one commit to the next. */
    char setup[160];
    snprintf(setup, sizeof setup,
             "PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-16000; "
             "PRAGMA journal_size_limit=%lld",
             CKPT_SIZE_LIMIT);
    if (!conn || sqlite3_exec(conn, setup, NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    sqlite3_wal_hook(conn, wal_hook, NULL);
    free(ckpt_path);
    ckpt_path = strdup(path);
    if (!ckpt_path)
        return -1;
    ckpt_stop = false;
    if (pthread_create(&ckpt_thread, NULL, ckpt_main, NULL) != 0)
        return -1;
    ckpt_running = true;
    return 0;
}

void db_sqlite_checkpointer_stop(struct db *db)
{
    (void)db;
    if (!ckpt_running)
        return;
    pthread_mutex_lock(&ckpt_mu);
    ckpt_stop = true;
    pthread_cond_signal(&ckpt_cv);
    pthread_mutex_unlock(&ckpt_mu);
    pthread_join(ckpt_thread, NULL);
    ckpt_running = false;
}
