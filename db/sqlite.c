/* The SQLite driver: one connection per thread, WAL with synchronous=FULL, a busy timeout,
 * and statements prepared persistent when the connection keeps them. Row batches run one
 * prepared INSERT per row: in-process, a statement costs about a microsecond. */
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/util.h"
#include "db.h"
#include "sqlite.h"
#include "sqlite_recent.h"

const struct db_dialect db_dialect_sqlite = {
    .name = "sqlite",
    .begin_write = "BEGIN IMMEDIATE",
    .no_limit_is_null = false,
    .like_as_glob = true,
    .has_ilike = false,
    .regexp_op = " REGEXP ",
    .single_writer = true,
    .count_tables_sql = "SELECT count(*) FROM sqlite_master",
    .table_exists_sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
    .setup_lock_sql = NULL,
    .integrity_check_sql = "PRAGMA integrity_check",
    /* A read transaction's snapshot written out page by page: writers go on meanwhile. */
    .backup_into_sql = "VACUUM INTO ?",
    .enforce_fk_sql = "PRAGMA foreign_keys = ON",
    .row_id = "rowid",
    .percentile_cont = false,
    .index_off = "+",
};

struct db_stmt {
    struct db_stmt_hdr hdr; /* must be first: db_stmt_db() reads it */
    sqlite3_stmt *st;
    bool one_off; /* goes to the connection's recent statements when done */
    size_t text_len; /* a one-off's SQL text: its length and hash (sq_recent) */
    uint64_t text_hash;
};

struct sqlite_db {
    struct db base; /* must be first */
    sqlite3 *conn;
    char *path;     /* for the checkpointer's own connection */
    int flags;      /* sqlite3_open_v2 flags it was opened with */
    struct sq_recent recent;
};

/* The generic code reads the header through the statement, the driver reads its own
 * connection through struct db. */
_Static_assert(offsetof(struct db_stmt, hdr) == 0, "db_stmt_hdr first");
_Static_assert(offsetof(struct sqlite_db, base) == 0, "struct db first");

static struct sqlite_db *sdb(struct db *db)
{
    return (struct sqlite_db *)db;
}

static void log_sqlite(sqlite3 *conn, const char *what, const char *sql)
{
    log_error("sqlite %s failed: %s (%d) in: %.200s", what, sqlite3_errmsg(conn),
              sqlite3_extended_errcode(conn), sql ? sql : "");
}

static struct db_stmt *sq_prepare(struct db *db, const char *sql, bool cached)
{
    struct sqlite_db *s = sdb(db);
    size_t len = strlen(sql);
    uint64_t hash = 0;
    sqlite3_stmt *st = cached ? NULL : sq_recent_take(&s->recent, sql, len, &hash);
    if (!st && sqlite3_prepare_v3(s->conn, sql, -1, cached ? SQLITE_PREPARE_PERSISTENT : 0, &st,
                                  NULL) != SQLITE_OK) {
        log_sqlite(s->conn, "prepare", sql);
        return NULL;
    }
    struct db_stmt *r = calloc(1, sizeof *r);
    if (!r) {
        sqlite3_finalize(st);
        return NULL;
    }
    r->st = st;
    r->one_off = !cached;
    r->text_len = len;
    r->text_hash = hash;
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
    sqlite3 *conn = sdb(st->hdr.db)->conn;
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
    case SQLITE_FULL:
        log_sqlite(conn, "step", sqlite3_sql(st->st));
        return DB_FULL;
    case SQLITE_CONSTRAINT: {
        int ext = sqlite3_extended_errcode(conn);
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return DB_CONSTRAINT;
        log_sqlite(conn, "step", sqlite3_sql(st->st));
        return DB_ERROR;
    }
    default:
        log_sqlite(conn, "step", sqlite3_sql(st->st));
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

static void sq_reset(struct db_stmt *st)
{
    sqlite3_reset(st->st);
    sqlite3_clear_bindings(st->st);
}

static void sq_finalize(struct db_stmt *st)
{
    if (st->one_off && st->st)
        sq_recent_put(&sdb(st->hdr.db)->recent, st->st, st->text_len, st->text_hash);
    else
        sqlite3_finalize(st->st);
    free(st);
}

static const char *batch_param(enum sql_type t)
{
    (void)t;
    return "?";
}

/* Rows go up to 2^BATCH_LOG2 to an INSERT (one statement's set-up, savepoint and halt
 * for many rows): the largest power of two that fits, so any count takes at most
 * BATCH_LOG2 + log2(n / 2^BATCH_LOG2) statements. The statement for 2^k rows is kept under
 * the spec's address plus k, addresses inside the spec that no other statement uses. */
enum { BATCH_LOG2 = 5 };

static enum db_rc sq_batch(struct db *db, const struct db_batch_sql *spec, size_t n,
                           db_row_fn row, void *ctx)
{
    _Static_assert(BATCH_LOG2 < sizeof(struct db_batch_sql), "keys stay inside the spec");
    struct sql_val vals[DB_BATCH_MAX_COLS];
    enum db_rc rc = DB_DONE;
    size_t i = 0;
    while (i < n && rc == DB_DONE) {
        int lg = BATCH_LOG2;
        while (lg > 0 && n - i < (size_t)1 << lg)
            lg--;
        int rows = 1 << lg;
        struct db_stmt *st = db_batch_stmt(db, (const char *)spec + lg, spec, "VALUES ",
                                           batch_param, rows);
        if (!st)
            return DB_ERROR;
        for (int r = 0; r < rows; r++, i++) {
            memset(vals, 0, sizeof vals);
            row(ctx, i, vals);
            for (int k = 0; k < spec->ncols; k++) {
                int idx = r * spec->ncols + k + 1;
                /* Text is the row's own until the batch returns (db_row_fn), so SQLite
                 * reads it in place rather than copying it (a span's content is ~1 KB). */
                if (vals[k].type == SQL_TEXT)
                    sqlite3_bind_text64(st->st, idx, vals[k].s ? vals[k].s : "", vals[k].n,
                                        SQLITE_STATIC, SQLITE_UTF8);
                else
                    db_bind_val(st, idx, &vals[k]);
            }
        }
        rc = db_step(st);
        db_done(st);
    }
    return rc;
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
    sq_recent_clear(&s->recent);
    sqlite3_close_v2(s->conn);
    free(s->path);
    free(s);
}

/* Frees the pages no statement holds (all of them between transactions; the next read
 * takes them again from the OS's file cache) and the recent statements. */
static void sq_release_memory(struct db *db)
{
    sq_recent_clear(&sdb(db)->recent);
    sqlite3_db_release_memory(sdb(db)->conn);
}

static int sq_writer_start(struct db *db)
{
    return db_sqlite_walsync_start(db) == 0 && db_sqlite_checkpointer_start(db) == 0 ? 0 : -1;
}

static void sq_writer_stop(struct db *db)
{
    db_sqlite_checkpointer_stop(db);
    db_sqlite_walsync_stop();
}

const struct db_driver db_sqlite_driver = {
    .name = "sqlite",
    .dialect = &db_dialect_sqlite,
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
    .reset = sq_reset,
    .finalize = sq_finalize,
    .batch = sq_batch,
    .exec = sq_exec,
    .changes = sq_changes,
    .close = sq_close,
    .writer_start = sq_writer_start,
    .writer_stop = sq_writer_stop,
    .writer_sync = db_sqlite_walsync,
    .release_memory = sq_release_memory,
};

/* SQLAlchemy's spelling of a SQLite URI filename, "file:name?mode=memory&uri=true": with
 * uri=true the name is a URI (SQLITE_OPEN_URI), and uri=true itself is dropped. A copy
 * (caller frees) and *uri; NULL when out of memory. */
static char *uri_filename(const char *path, bool *uri)
{
    *uri = false;
    const char *q = strchr(path, '?');
    if (strncmp(path, "file:", 5) != 0 || !q)
        return strdup(path);
    struct buf b;
    buf_init(&b, strlen(path) + 1);
    buf_append(&b, path, (size_t)(q - path));
    char sep = '?';
    for (const char *p = q + 1;;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 8 && memcmp(p, "uri=true", 8) == 0) {
            *uri = true;
        } else if (n) {
            buf_putc(&b, sep);
            buf_append(&b, p, n);
            sep = '&';
        }
        if (!end)
            break;
        p = end + 1;
    }
    if (!*uri) {
        buf_release(&b);
        return strdup(path);
    }
    return buf_ok(&b) ? buf_detach(&b, NULL) : NULL;
}

/* All of SQLite's memory in the process (every connection's page cache, statements and
 * schemas) is held near this: past it, caches reuse their pages instead of growing, so
 * sixteen threads each reading a long history do not hold sixteen full caches at once. */
#define SQLITE_HEAP_SOFT_LIMIT (24LL << 20)

static void sqlite_process_init(void)
{
    sqlite3_soft_heap_limit64(SQLITE_HEAP_SOFT_LIMIT);
}

struct db *db_sqlite_open(const char *path_in, struct err *e)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_process_init);
    sqlite3 *conn = NULL;
    bool uri;
    char *path = uri_filename(path_in, &uri);
    if (!path) {
        err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                (uri ? SQLITE_OPEN_URI : 0);
    int rc = sqlite3_open_v2(path, &conn, flags, NULL);
    if (rc != SQLITE_OK) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot open SQLite database '%s': %s", path,
                conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
        sqlite3_close_v2(conn);
        free(path);
        return NULL;
    }
    sqlite3_busy_timeout(conn, 10000);
    sqlite3_extended_result_codes(conn, 1);
    if (db_sqlite_regexp_register(conn) < 0 || db_sqlite_percentile_register(conn) < 0) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot define functions on SQLite database '%s'", path);
        sqlite3_close_v2(conn);
        free(path);
        return NULL;
    }
    struct sqlite_db *s = calloc(1, sizeof *s);
    if (!s) {
        free(path);
        sqlite3_close_v2(conn);
        err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    s->base.drv = &db_sqlite_driver;
    s->conn = conn;
    s->path = path;
    s->flags = flags;
    /* WAL lets readers run beside the writer; synchronous=FULL keeps an acknowledged
     * commit through a power loss (NORMAL would only survive a process crash). MLflow's
     * LIKE is case-sensitive, as PostgreSQL's is. A reader's page cache is small (2 MB):
     * every commit by the writer invalidates it anyway, and the OS caches the file. No
     * mmap: its pages count in the process's memory however large the database grows. */
    const char *setup = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                        " PRAGMA case_sensitive_like=ON; PRAGMA temp_store=MEMORY;"
                        " PRAGMA cache_size=-2000; PRAGMA mmap_size=0;";
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

struct sqlite3 *db_sqlite_handle(struct db *db, const char **path, int *flags)
{
    if (db->drv != &db_sqlite_driver)
        return NULL;
    if (path)
        *path = sdb(db)->path;
    if (flags)
        *flags = sdb(db)->flags;
    return sdb(db)->conn;
}
