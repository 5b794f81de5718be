/* The database interface that entity code is written against once (SQLite's VFS, redis'
 * ConnectionType): prepare, bind, step, column, transactions, and row batches. SQLite and
 * PostgreSQL implement it; their headers never leave their driver file.
 *
 * SQL is written once, with `?` placeholders (or `?N` to reuse parameter N) in the common
 * subset of both dialects. What the drivers rewrite at prepare time and what the query
 * builders look up in the dialect table (db/dialect.h) covers every difference, so entity
 * code never asks which database it runs on. A struct db is one connection and belongs to
 * one thread; never share it. */
#ifndef MLT_DB_H
#define MLT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "dialect.h"
#include "stmt_cache.h"

struct db;
struct db_stmt;

/* Results of db_step(). Errors other than constraint violations are logged by the driver. */
enum db_rc {
    DB_DONE = 0,
    DB_ROW = 1,
    DB_ERROR = -1,
    DB_CONSTRAINT = -2, /* a UNIQUE / PRIMARY KEY violation */
    DB_BUSY = -3,       /* the database stayed locked past the busy timeout, or (PostgreSQL)
                           the connection was lost, a deadlock or a statement timeout */
    DB_INVALID = -4,    /* a value does not fit its column (PostgreSQL's data exceptions:
                           too long for VARCHAR(n), out of range for INTEGER); SQLite stores
                           such values as they are */
    DB_FULL = -5,       /* the database's disk is full (SQLITE_FULL, PostgreSQL's 53100
                           disk_full); the statement did nothing, and the transaction is
                           rolled back by the caller */
    DB_BAD_REGEX = -6,  /* PostgreSQL refused a regular expression (2201B: an RLIKE
                           filter's pattern); SQLite's regexp() matches nothing instead */
};

/* A value to bind, for SQL built at run time (search) and for row batches. Text is
 * borrowed. SQL_BOOL binds i (0 or 1) as the dialect's boolean; SQL_NO_LIMIT is the value
 * of a `LIMIT ?` that limits nothing. */
enum sql_type { SQL_NULL, SQL_INT, SQL_REAL, SQL_TEXT, SQL_BOOL, SQL_NO_LIMIT };
struct sql_val {
    enum sql_type type;
    int64_t i;
    double d;
    const char *s;
    size_t n;
};

/* A statement run over many rows: `head VALUES (?, ...) tail` once per row where a
 * statement costs nothing (SQLite, in-process), or `head SELECT * FROM unnest(arrays) tail`
 * once for all rows where each statement is a network round trip (PostgreSQL). head names
 * the columns ("INSERT INTO t (a, b)"); tail is an ON CONFLICT clause or "". Instances are
 * static: the driver caches the statement under the spec's address. */
enum { DB_BATCH_MAX_COLS = 16 };
struct db_batch_sql {
    const char *head;
    const char *tail;
    int ncols;
    enum sql_type types[DB_BATCH_MAX_COLS]; /* SQL_TEXT, SQL_INT, SQL_REAL or SQL_BOOL */
};
/* Fills vals[0..ncols) for row i; text is borrowed until the batch returns. */
typedef void (*db_row_fn)(void *ctx, size_t i, struct sql_val *vals);

/* Every driver statement starts with this header, which the generic code reads. */
struct db_stmt_hdr {
    struct db *db;
    const void *key; /* the cache key (the SQL text's or a batch spec's address) */
    bool cached;
};

struct db_driver {
    const char *name;
    const struct db_dialect *dialect;
    /* Prepares sql (NULL on error, logged). With cached, the statement is kept by the
     * connection's cache and reused; the driver may prepare it on the server once. */
    struct db_stmt *(*prepare)(struct db *db, const char *sql, bool cached);
    void (*bind_null)(struct db_stmt *st, int idx);
    void (*bind_int)(struct db_stmt *st, int idx, int64_t v);
    void (*bind_real)(struct db_stmt *st, int idx, double v);
    void (*bind_text)(struct db_stmt *st, int idx, const char *s, size_t n);
    enum db_rc (*step)(struct db_stmt *st);
    bool (*col_null)(struct db_stmt *st, int col);
    int64_t (*col_int)(struct db_stmt *st, int col);
    double (*col_real)(struct db_stmt *st, int col);
    /* Borrowed until the next step/reset; NULL for SQL NULL. *n gets the length. */
    const char *(*col_text)(struct db_stmt *st, int col, size_t *n);
    void (*reset)(struct db_stmt *st);    /* ready for reuse, bindings cleared */
    void (*finalize)(struct db_stmt *st); /* frees it */
    /* Runs spec over rows [0, n) in the caller's transaction. */
    enum db_rc (*batch)(struct db *db, const struct db_batch_sql *spec, size_t n,
                        db_row_fn row, void *ctx);
    int (*exec)(struct db *db, const char *sql); /* a script of statements; 0 or -1 */
    int64_t (*changes)(struct db *db);
    void (*close)(struct db *db); /* after the cache has been emptied */
    /* Single-writer dialects: what the writer connection needs besides (SQLite: the
     * checkpointer, and a COMMIT that leaves the log's sync to writer_sync). NULL
     * otherwise. */
    int (*writer_start)(struct db *db);
    void (*writer_stop)(struct db *db);
    /* Makes every commit the writer has returned from durable; called from any thread,
     * while the connection may be in use by another. 0, or -1 (durability is lost). */
    int (*writer_sync)(struct db *db);
    /* Frees what the connection caches between transactions (SQLite: its page cache);
     * NULL when it caches nothing worth giving back. Not inside a transaction. */
    void (*release_memory)(struct db *db);
};

struct db {
    const struct db_driver *drv;
    struct stmt_cache cache;
};

/* Opens a connection for the calling thread. uri is "sqlite:///path" or a PostgreSQL URI
 * (postgresql://user:pass@host:port/db, also postgresql+psycopg2://...; see pg.h).
 * Returns NULL with e set (a clear, one-line message) on failure. */
struct db *db_open(const char *uri, struct err *e);
/* The same, for a database that must exist already: a SQLite file is not created. */
struct db *db_open_existing(const char *uri, struct err *e);
void db_close(struct db *db);
/* Gives back the connection's caches (see db_driver.release_memory); db may be NULL. */
void db_release_memory(struct db *db);

static inline const struct db_dialect *db_dialect(const struct db *db)
{
    return db->drv->dialect;
}

/* Prepares sql and keeps it: sql must be a string that outlives the connection (a
 * literal), for the statement is found again by its address. Returns NULL on error
 * (logged). db_prepare_once prepares a statement that db_done frees (SQL built at run
 * time). */
struct db_stmt *db_prepare(struct db *db, const char *sql);
struct db_stmt *db_prepare_once(struct db *db, const char *sql);
/* For statements whose text is built at run time but whose identity is static (a batch
 * spec): db_kept finds the one kept under key; db_prepare_as prepares sql (transient) and
 * keeps it under key when there is room. */
struct db_stmt *db_kept(struct db *db, const void *key);
struct db_stmt *db_prepare_as(struct db *db, const void *key, const char *sql);
/* Resets a kept statement for reuse (and clears its bindings); frees a one-off one. */
void db_done(struct db_stmt *st);

static inline struct db *db_stmt_db(struct db_stmt *st)
{
    return ((struct db_stmt_hdr *)st)->db;
}
/* Parameters are 1-based, as in SQLite. */
static inline void db_bind_null(struct db_stmt *st, int i)
{
    db_stmt_db(st)->drv->bind_null(st, i);
}
static inline void db_bind_int(struct db_stmt *st, int i, int64_t v)
{
    db_stmt_db(st)->drv->bind_int(st, i, v);
}
static inline void db_bind_real(struct db_stmt *st, int i, double v)
{
    db_stmt_db(st)->drv->bind_real(st, i, v);
}
static inline void db_bind_text(struct db_stmt *st, int i, const char *s, size_t n)
{
    db_stmt_db(st)->drv->bind_text(st, i, s, n);
}
/* Binds a C string, or NULL as SQL NULL. */
void db_bind_str(struct db_stmt *st, int i, const char *s);
/* Binds a LIMIT: n, or no limit at all when n < 0. */
void db_bind_limit(struct db_stmt *st, int i, int64_t n);
void db_bind_val(struct db_stmt *st, int i, const struct sql_val *v);

/* Steps st. In a build with fault injection (meson -Dfault_injection=true), the call that
 * db_fault_arm() chose fails instead, as SQLite's own tests fail its OS layer. */
enum db_rc db_step(struct db_stmt *st);

static inline bool db_col_null(struct db_stmt *st, int c)
{
    return db_stmt_db(st)->drv->col_null(st, c);
}
static inline int64_t db_col_int(struct db_stmt *st, int c)
{
    return db_stmt_db(st)->drv->col_int(st, c);
}
static inline double db_col_real(struct db_stmt *st, int c)
{
    return db_stmt_db(st)->drv->col_real(st, c);
}
static inline const char *db_col_text(struct db_stmt *st, int c, size_t *n)
{
    return db_stmt_db(st)->drv->col_text(st, c, n);
}
static inline int db_exec(struct db *db, const char *sql)
{
    return db->drv->exec(db, sql);
}
static inline int64_t db_changes(struct db *db)
{
    return db->drv->changes(db);
}

/* For the drivers' batches: a statement of spec for `rows` rows at a time, kept under key
 * (an address inside spec, one per shape) and built on first use as
 * "<head> <open>(<param(type 1)>, ...), (...), ... <tail>" with `rows` groups. */
struct db_stmt *db_batch_stmt(struct db *db, const void *key, const struct db_batch_sql *spec,
                              const char *open, const char *(*param)(enum sql_type), int rows);

/* Runs a row batch (see struct db_batch_sql); DB_DONE or an error. */
enum db_rc db_batch(struct db *db, const struct db_batch_sql *spec, size_t n, db_row_fn row,
                    void *ctx);

/* Transactions: 0, or a db_rc error. A write transaction takes the write lock at once
 * where the dialect needs that (SQLite's BEGIN IMMEDIATE), so that read-then-write logic
 * inside it cannot deadlock. */
int db_begin(struct db *db, bool write);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* A copy of uri with the password replaced by "***", for messages; from malloc, caller
 * frees (NULL when out of memory). URIs without a password are copied unchanged. */
char *db_uri_redacted(const char *uri);

/* Fault injection (test builds): the nth db_step() from now (1 = the next) returns rc
 * instead of running; 0 disarms. db_fault_fired() tells whether it has happened. Without
 * -Dfault_injection both do nothing and db_fault_enabled() is false. */
bool db_fault_enabled(void);
void db_fault_arm(long nth, enum db_rc rc);
bool db_fault_fired(void);

extern const struct db_driver db_sqlite_driver;
extern const struct db_driver db_pg_driver;

#endif
