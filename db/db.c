/* Driver-independent parts of the database interface: opening by URI, the statement cache
 * in front of the drivers' prepare, value binding through the dialect, transactions, and
 * the fault-injection point at db_step(). */
#include "db.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/buf.h"
#include "pg.h"
#include "sqlite.h"

struct db *db_open(const char *uri, struct err *e)
{
    static const char pfx[] = "sqlite:///";
    if (strncmp(uri, pfx, sizeof pfx - 1) == 0) {
        const char *path = uri + sizeof pfx - 1;
        if (!*path)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "sqlite URI '%s' has no path", uri),
                   NULL;
        return db_sqlite_open(path, e);
    }
    if (db_pg_is_uri(uri))
        return db_pg_open(uri, e);
    char *shown = db_uri_redacted(uri);
    err_set(e, ERR_INVALID_PARAMETER_VALUE,
            "unsupported backend store URI '%s' (expected sqlite:///path or "
            "postgresql://user:password@host:port/database)",
            shown ? shown : "?");
    free(shown);
    return NULL;
}

struct db *db_open_existing(const char *uri, struct err *e)
{
    static const char pfx[] = "sqlite:///";
    const char *path = uri + sizeof pfx - 1;
    if (strncmp(uri, pfx, sizeof pfx - 1) == 0 && strncmp(path, "file:", 5) != 0 &&
        access(path, F_OK) != 0)
        return err_set(e, ERR_RESOURCE_DOES_NOT_EXIST, "no SQLite database at '%s'", path),
               NULL;
    return db_open(uri, e);
}

void db_close(struct db *db)
{
    if (!db)
        return;
    stmt_cache_clear(&db->cache, db->drv->finalize);
    db->drv->close(db);
}

void db_release_memory(struct db *db)
{
    if (db && db->drv->release_memory)
        db->drv->release_memory(db);
}

/* ---- statements ---- */

struct db_stmt *db_kept(struct db *db, const void *key)
{
    return stmt_cache_get(&db->cache, key);
}

struct db_stmt *db_prepare_as(struct db *db, const void *key, const char *sql)
{
    bool keep = stmt_cache_has_room(&db->cache, key);
    struct db_stmt *st = db->drv->prepare(db, sql, keep);
    if (!st)
        return NULL;
    struct db_stmt_hdr *h = (struct db_stmt_hdr *)st;
    h->db = db;
    h->key = key;
    h->cached = keep && stmt_cache_put(&db->cache, st);
    return st;
}

struct db_stmt *db_prepare(struct db *db, const char *sql)
{
    struct db_stmt *st = db_kept(db, sql);
    return st ? st : db_prepare_as(db, sql, sql);
}

struct db_stmt *db_prepare_once(struct db *db, const char *sql)
{
    struct db_stmt *st = db->drv->prepare(db, sql, false);
    if (st) {
        struct db_stmt_hdr *h = (struct db_stmt_hdr *)st;
        h->db = db;
        h->key = sql;
        h->cached = false;
    }
    return st;
}

void db_done(struct db_stmt *st)
{
    if (!st)
        return;
    const struct db_stmt_hdr *h = (const struct db_stmt_hdr *)st;
    if (h->cached)
        h->db->drv->reset(st);
    else
        h->db->drv->finalize(st);
}

void db_bind_str(struct db_stmt *st, int i, const char *s)
{
    if (s)
        db_bind_text(st, i, s, strlen(s));
    else
        db_bind_null(st, i);
}

void db_bind_limit(struct db_stmt *st, int i, int64_t n)
{
    if (n >= 0)
        db_bind_int(st, i, n);
    else if (db_dialect(db_stmt_db(st))->no_limit_is_null)
        db_bind_null(st, i);
    else
        db_bind_int(st, i, -1);
}

void db_bind_val(struct db_stmt *st, int i, const struct sql_val *v)
{
    switch (v->type) {
    case SQL_NULL:
        db_bind_null(st, i);
        break;
    case SQL_INT:
    case SQL_BOOL: /* both drivers take 0/1 for their boolean */
        db_bind_int(st, i, v->i);
        break;
    case SQL_REAL:
        db_bind_real(st, i, v->d);
        break;
    case SQL_TEXT:
        db_bind_text(st, i, v->s, v->n);
        break;
    case SQL_NO_LIMIT:
        db_bind_limit(st, i, -1);
        break;
    }
}

/* ---- fault injection ---- */

#ifdef MLT_FAULT_INJECTION
static atomic_long fault_countdown; /* > 0: steps until the fault */
static _Atomic enum db_rc fault_rc;
static atomic_bool fault_fired;

bool db_fault_enabled(void)
{
    return true;
}

void db_fault_arm(long nth, enum db_rc rc)
{
    atomic_store(&fault_rc, rc);
    atomic_store(&fault_fired, false);
    atomic_store(&fault_countdown, nth > 0 ? nth : 0);
}

bool db_fault_fired(void)
{
    return atomic_load(&fault_fired);
}

/* True when this step is the one to fail. */
static bool fault_now(enum db_rc *rc)
{
    if (atomic_load_explicit(&fault_countdown, memory_order_relaxed) <= 0)
        return false;
    if (atomic_fetch_sub(&fault_countdown, 1) != 1)
        return false;
    atomic_store(&fault_fired, true);
    *rc = atomic_load(&fault_rc);
    return true;
}
#else
bool db_fault_enabled(void)
{
    return false;
}

void db_fault_arm(long nth, enum db_rc rc)
{
    (void)nth;
    (void)rc;
}

bool db_fault_fired(void)
{
    return false;
}

static bool fault_now(enum db_rc *rc)
{
    (void)rc;
    return false;
}
#endif

enum db_rc db_step(struct db_stmt *st)
{
    enum db_rc rc;
    if (fault_now(&rc))
        return rc;
    return db_stmt_db(st)->drv->step(st);
}

struct db_stmt *db_batch_stmt(struct db *db, const void *key, const struct db_batch_sql *spec,
                              const char *open, const char *(*param)(enum sql_type), int rows)
{
    struct db_stmt *st = db_kept(db, key);
    if (st)
        return st;
    struct buf sql;
    buf_init(&sql, 1 << 20);
    buf_printf(&sql, "%s %s", spec->head, open);
    for (int r = 0; r < rows; r++) {
        buf_puts(&sql, r ? ", (" : "(");
        for (int k = 0; k < spec->ncols; k++)
            buf_printf(&sql, "%s%s", k ? ", " : "", param(spec->types[k]));
        buf_putc(&sql, ')');
    }
    buf_printf(&sql, " %s", spec->tail);
    st = buf_ok(&sql) ? db_prepare_as(db, key, sql.ptr) : NULL;
    buf_release(&sql);
    return st;
}

enum db_rc db_batch(struct db *db, const struct db_batch_sql *spec, size_t n, db_row_fn row,
                    void *ctx)
{
    /* Faults are injected at the db_step() calls the drivers make for a batch. */
    return n == 0 ? DB_DONE : db->drv->batch(db, spec, n, row, ctx);
}

/* ---- transactions ---- */

static int run_simple(struct db *db, const char *sql)
{
    struct db_stmt *st = db_prepare(db, sql);
    if (!st)
        return DB_ERROR;
    enum db_rc rc = db_step(st);
    db_done(st);
    return rc == DB_DONE || rc == DB_ROW ? 0 : (int)rc;
}

int db_begin(struct db *db, bool write)
{
    return run_simple(db, write ? db_dialect(db)->begin_write : "BEGIN");
}

int db_commit(struct db *db)
{
    return run_simple(db, "COMMIT");
}

void db_rollback(struct db *db)
{
    run_simple(db, "ROLLBACK");
}

char *db_uri_redacted(const char *uri)
{
    /* scheme://user:password@host... -> scheme://user:***@host... */
    const char *auth = strstr(uri, "://");
    const char *at = auth ? strchr(auth + 3, '@') : NULL;
    const char *slash = auth ? strchr(auth + 3, '/') : NULL;
    const char *colon = at ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
    if (!colon || (slash && slash < at))
        return strdup(uri);
    size_t head = (size_t)(colon + 1 - uri), tail = strlen(at);
    char *out = malloc(head + 3 + tail + 1);
    if (!out)
        return NULL;
    memcpy(out, uri, head);
    memcpy(out + head, "***", 3);
    memcpy(out + head + 3, at, tail + 1);
    return out;
}
