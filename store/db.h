/* The small database driver interface that entity code is written against once (SQLite's
 * VFS, redis' ConnectionType): prepare, bind, step, column, transactions. SQLite and
 * PostgreSQL implement it; their headers never leave their driver file.
 *
 * SQL is written with `?` placeholders and the common subset of both dialects; what
 * differs (placeholders, ILIKE, upserts) is answered by db_dialect(). A struct db is one
 * connection and belongs to one thread; never share it. */
#ifndef MLT_DB_H
#define MLT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

struct db;
struct db_stmt;

enum db_kind { DB_SQLITE, DB_POSTGRES };

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
};

/* A value to bind, for SQL built at run time (search). Text is borrowed. */
enum sql_type { SQL_NULL, SQL_INT, SQL_REAL, SQL_TEXT };
struct sql_val {
    enum sql_type type;
    int64_t i;
    double d;
    const char *s;
    size_t n;
};

struct db_driver {
    const char *name;
    enum db_kind kind;
    struct db_stmt *(*prepare)(struct db *db, const char *sql, bool cache);
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
    /* Resets a cached statement for reuse (and clears bindings); finalizes an uncached one. */
    void (*done)(struct db_stmt *st);
    int (*exec)(struct db *db, const char *sql); /* a script of statements; 0 or -1 */
    int64_t (*changes)(struct db *db);
    void (*close)(struct db *db);
};

struct db {
    const struct db_driver *drv;
};

/* Opens a connection for the calling thread. uri is "sqlite:///path" or a PostgreSQL URI
 * (postgresql://user:pass@host:port/db, also postgresql+psycopg2://...; see db_pg.h).
 * Returns NULL with e set (a clear, one-line message) on failure. */
struct db *db_open(const char *uri, struct err *e);

/* Prepares sql. With cache, sql must be a string that outlives the connection (a literal):
 * the statement is kept and reused by pointer. Returns NULL on error (logged). */
static inline struct db_stmt *db_prepare(struct db *db, const char *sql)
{
    return db->drv->prepare(db, sql, true);
}
static inline struct db_stmt *db_prepare_once(struct db *db, const char *sql)
{
    return db->drv->prepare(db, sql, false);
}
/* Parameters are 1-based, as in SQLite. */
struct db_stmt_hdr {
    struct db *db;
};
static inline struct db *db_stmt_db(struct db_stmt *st)
{
    return ((struct db_stmt_hdr *)st)->db;
}
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
/* Binds a LIMIT: n, or no limit at all when n < 0 (-1 on SQLite, NULL on PostgreSQL, which
 * refuses a negative LIMIT). */
void db_bind_limit(struct db_stmt *st, int i, int64_t n);
void db_bind_val(struct db_stmt *st, int i, const struct sql_val *v);
static inline enum db_rc db_step(struct db_stmt *st)
{
    return db_stmt_db(st)->drv->step(st);
}
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
static inline void db_done(struct db_stmt *st)
{
    db_stmt_db(st)->drv->done(st);
}
static inline int db_exec(struct db *db, const char *sql)
{
    return db->drv->exec(db, sql);
}
static inline int64_t db_changes(struct db *db)
{
    return db->drv->changes(db);
}
static inline void db_close(struct db *db)
{
    if (db)
        db->drv->close(db);
}

/* Transactions. A write transaction takes the write lock at once (SQLite BEGIN IMMEDIATE)
 * so that read-then-write logic inside it cannot deadlock. */
int db_begin(struct db *db, bool write);
int db_commit(struct db *db);
void db_rollback(struct db *db);

extern const struct db_driver db_sqlite_driver;
extern const struct db_driver db_pg_driver;

#endif
