/* The SQLite driver: one connection per thread, WAL, a busy timeout, and a cache of
 * prepared statements keyed by the address of their SQL text. */
#include <pthread.h>
#include <sqlite3.h>
#include <time.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"
#include "db.h"
#include "db_sqlite.h"
#include "../base/banned.h"

struct db_stmt {
    struct db_stmt_hdr hdr; /* must be first: db_stmt_db() reads it */
    sqlite3_stmt *st;
    const char *sql;
    bool cached;
};

enum { CACHE_SLOTS = 256 }; /* power of two; more distinct statements than we have */

struct sqlite_db {
    struct db base; /* must be first */
    sqlite3 *conn;
    struct db_stmt *cache[CACHE_SLOTS];
};

static struct sqlite_db *sdb(struct db *db)
{
    return (struct sqlite_db *)db;
}

static void log_sqlite(sqlite3 *conn, const char *what, const char *sql)
{
    log_error("sqlite %s failed: %s (%d) in: %.200s", what, sqlite3_errmsg(conn),
              sqlite3_extended_errcode(conn), sql ? sql : "");
}

static size_t slot_of(const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 24) & (CACHE_SLOTS - 1);
}

static struct db_stmt *sq_prepare(struct db *db, const char *sql, bool cache)
{
    struct sqlite_db *s = sdb(db);
    size_t slot = 0;
    if (cache) {
        slot = slot_of(sql);
        for (size_t i = 0; i < CACHE_SLOTS; i++) {
            struct db_stmt *c = s->cache[(slot + i) & (CACHE_SLOTS - 1)];
            if (!c)
                break;
            if (c->sql == sql)
                return c;
        }
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(s->conn, sql, -1, cache ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL) !=
        SQLITE_OK) {
        log_sqlite(s->conn, "prepare", sql);
        return NULL;
    }
    struct db_stmt *r = calloc(1, sizeof *r);
    if (!r) {
        sqlite3_finalize(st);
        return NULL;
    }
    r->hdr.db = db;
    r->st = st;
    r->sql = sql;
    r->cached = false;
    if (cache) {
        for (size_t i = 0; i < CACHE_SLOTS; i++) {
            size_t k = (slot + i) & (CACHE_SLOTS - 1);
            if (!s->cache[k]) {
                s->cache[k] = r;
                r->cached = true;
                break;
            }
        }
    }
    return r;
}

static void sq_bind_null(struct db_stmt *st, int i)
{
    sqlite3_bind_null(st->st, i);
}
static void sq_bind_int(struct db_stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(st->st, i, v);
}
static void sq_bind_real(struct db_stmt *st, int i, double v)
{
    sqlite3_bind_double(st->st, i, v);
}
static void sq_bind_text(struct db_stmt *st, int i, const char *p, size_t n)
{
    sqlite3_bind_text64(st->st, i, p ? p : "", n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static enum db_rc sq_step(struct db_stmt *st)
{
    int rc = sqlite3_step(st->st);
    switch (rc & 0xff) { /* extended result codes are on */
    case SQLITE_ROW:
        return DB_ROW;
    case SQLITE_DONE:
        return DB_DONE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        log_warn("sqlite busy: %s", sqlite3_sql(st->st));
        return DB_BUSY;
    case SQLITE_CONSTRAINT: {
        int ext = sqlite3_extended_errcode(st->hdr.db ? sdb(st->hdr.db)->conn : NULL);
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return DB_CONSTRAINT;
        log_sqlite(sdb(st->hdr.db)->conn, "step", sqlite3_sql(st->st));
        return DB_ERROR;
    }
    default:
        log_sqlite(sdb(st->hdr.db)->conn, "step", sqlite3_sql(st->st));
        return DB_ERROR;
    }
}

static bool sq_col_null(struct db_stmt *st, int c)
{
    return sqlite3_column_type(st->st, c) == SQLITE_NULL;
}
static int64_t sq_col_int(struct db_stmt *st, int c)
{
    return sqlite3_column_int64(st->st, c);
}
static double sq_col_real(struct db_stmt *st, int c)
{
    return sqlite3_column_double(st->st, c);
}
static const char *sq_col_text(struct db_stmt *st, int c, size_t *n)
{
    const unsigned char *p = sqlite3_column_text(st->st, c);
    if (n)
        *n = p ? (size_t)sqlite3_column_bytes(st->st, c) : 0;
    return (const char *)p;
}

static void sq_done(struct db_stmt *st)
{
    if (!st)
        return;
    if (st->cached) {
        sqlite3_reset(st->st);
        sqlite3_clear_bindings(st->st);
    } else {
        sqlite3_finalize(st->st);
        free(st);
    }
}

static int sq_exec(struct db *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(sdb(db)->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
        log_error("sqlite exec failed: %s in: %.200s", msg ? msg : "?", sql);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int64_t sq_changes(struct db *db)
{
    return sqlite3_changes64(sdb(db)->conn);
}

static void sq_close(struct db *db)
{
    struct sqlite_db *s = sdb(db);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (s->cache[i]) {
            sqlite3_finalize(s->cache[i]->st);
            free(s->cache[i]);
        }
    }
    sqlite3_close_v2(s->conn);
    free(s);
}

const struct db_driver db_sqlite_driver = {
    .name = "sqlite",
    .kind = DB_SQLITE,
    .prepare = sq_prepare,
    .bind_null = sq_bind_null,
    .bind_int = sq_bind_int,
    .bind_real = sq_bind_real,
    .bind_text = sq_bind_text,
    .step = sq_step,
    .col_null = sq_col_null,
    .col_int = sq_col_int,
    .col_real = sq_col_real,
    .col_text = sq_col_text,
    .done = sq_done,
    .exec = sq_exec,
    .changes = sq_changes,
    .close = sq_close,
};

struct db *db_sqlite_open(const char *path, struct err *e)
{
    sqlite3 *conn = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &conn, flags, NULL);
    if (rc != SQLITE_OK) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot open SQLite database '%s': %s", path,
                conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
        sqlite3_close_v2(conn);
        return NULL;
    }
    sqlite3_busy_timeout(conn, 10000);
    sqlite3_extended_result_codes(conn, 1);
    struct sqlite_db *s = calloc(1, sizeof *s);
    if (!s) {
        sqlite3_close_v2(conn);
        err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    s->base.drv = &db_sqlite_driver;
    s->conn = conn;
    /* WAL lets readers run beside the writer; synchronous=FULL keeps an acknowledged
     * commit through a power loss (NORMAL would only survive a process crash). MLflow's
     * LIKE is case-sensitive, as PostgreSQL's is. */
    const char *setup = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                        " PRAGMA case_sensitive_like=ON; PRAGMA temp_store=MEMORY;"
                        " PRAGMA cache_size=-16000; PRAGMA mmap_size=268435456;";
    char *msg = NULL;
    if (sqlite3_exec(conn, setup, NULL, NULL, &msg) != SQLITE_OK) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot set up SQLite database '%s': %s", path,
                msg ? msg : sqlite3_errmsg(conn));
        sqlite3_free(msg);
        sq_close(&s->base);
        return NULL;
    }
    return &s->base;
}

/* ---- the writer connection and its background checkpointer ----
 * Auto-checkpointing would make whichever request crosses the threshold copy the WAL
 * into the database and fsync it. Instead the writer's WAL hook wakes a thread that runs
 * PASSIVE checkpoints on its own connection, off the request path. */

enum {
    CKPT_FRAMES = 2048,     /* ~8 MB of WAL before the checkpointer wakes */
    CKPT_TRUNCATE = 16384,  /* ~64 MB: under steady writes the WAL never drains by itself */
};
static int ckpt_frames_seen;

static pthread_mutex_t ckpt_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ckpt_cv = PTHREAD_COND_INITIALIZER;
static bool ckpt_pending, ckpt_stop, ckpt_running;
static bool ckpt_dirty;        /* commits since the WAL was last emptied */
static int64_t ckpt_last_commit; /* mono_ns() of the last commit */

/* Once writes pause this long, the WAL is emptied (TRUNCATE): readers look every page up
 * in a non-empty WAL and read it with pread, while the database file is mmap'd. */
enum { CKPT_IDLE_MS = 500 };
static pthread_t ckpt_thread;
static char *ckpt_path;

static int wal_hook(void *arg, sqlite3 *conn, const char *dbname, int frames)
{
    (void)arg;
    (void)conn;
    (void)dbname;
    pthread_mutex_lock(&ckpt_mu);
    ckpt_dirty = true;
    ckpt_last_commit = mono_ns();
    ckpt_frames_seen = frames;
    if (frames >= CKPT_FRAMES) {
        ckpt_pending = true;
        pthread_cond_signal(&ckpt_cv);
    }
    pthread_mutex_unlock(&ckpt_mu);
    return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
    (void)arg;
    sqlite3 *conn = NULL;
    if (sqlite3_open_v2(ckpt_path, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        log_error("checkpointer: cannot open %s: %s", ckpt_path,
                  conn ? sqlite3_errmsg(conn) : "?");
        sqlite3_close_v2(conn);
        return NULL;
    }
    sqlite3_busy_timeout(conn, 1000);
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
        /* A PASSIVE checkpoint never blocks the writer, but while writes keep coming the
         * log is never fully copied when the next transaction starts, so it never wraps
         * around and grows without end. Past CKPT_TRUNCATE frames, take the write lock
         * between two transactions (busy-waiting up to the timeout) and truncate it; and
         * when the writes have paused, empty the log for the readers' sake. */
        int mode = idle || ckpt_frames_seen >= CKPT_TRUNCATE ? SQLITE_CHECKPOINT_TRUNCATE
                                                             : SQLITE_CHECKPOINT_PASSIVE;
        pthread_mutex_unlock(&ckpt_mu);
        int log_frames = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(conn, NULL, mode, &log_frames, &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_warn("checkpoint failed: %s", sqlite3_errmsg(conn));
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

int db_sqlite_make_writer(struct db *db, const char *path)
{
    struct sqlite_db *s = sdb(db);
    if (sqlite3_exec(s->conn, "PRAGMA wal_autocheckpoint=0", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    sqlite3_wal_hook(s->conn, wal_hook, NULL);
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

void db_sqlite_stop_checkpointer(void)
{
    if (!ckpt_running)
        return;
    pthread_mutex_lock(&ckpt_mu);
    ckpt_stop = true;
    pthread_cond_signal(&ckpt_cv);
    pthread_mutex_unlock(&ckpt_mu);
    pthread_join(ckpt_thread, NULL);
    ckpt_running = false;
}
