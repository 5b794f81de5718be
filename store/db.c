/* Driver-independent parts of the database interface. */
#include "db.h"
#include "db_pg.h"
#include "db_sqlite.h"

#include <stdlib.h>
#include <string.h>

void db_bind_str(struct db_stmt *st, int i, const char *s)
{
    if (s)
        db_bind_text(st, i, s, strlen(s));
    else
        db_bind_null(st, i);
}

void db_bind_limit(struct db_stmt *st, int i, int64_t n)
{
    if (n < 0 && db_stmt_db(st)->drv->kind == DB_POSTGRES)
        db_bind_null(st, i);
    else
        db_bind_int(st, i, n < 0 ? -1 : n);
}

void db_bind_val(struct db_stmt *st, int i, const struct sql_val *v)
{
    switch (v->type) {
    case SQL_NULL:
        db_bind_null(st, i);
        break;
    case SQL_INT:
        db_bind_int(st, i, v->i);
        break;
    case SQL_REAL:
        db_bind_real(st, i, v->d);
        break;
    case SQL_TEXT:
        db_bind_text(st, i, v->s, v->n);
        break;
    }
}

static int run_simple(struct db *db, const char *sql)
{
    struct db_stmt *st = db_prepare(db, sql);
    if (!st)
        return -1;
    enum db_rc rc = db_step(st);
    db_done(st);
    return rc == DB_DONE || rc == DB_ROW ? 0 : (rc == DB_BUSY ? -2 : -1);
}

int db_begin(struct db *db, bool write)
{
    if (db->drv->kind == DB_SQLITE)
        return run_simple(db, write ? "BEGIN IMMEDIATE" : "BEGIN");
    return run_simple(db, "BEGIN");
}

int db_commit(struct db *db)
{
    return run_simple(db, "COMMIT");
}

void db_rollback(struct db *db)
{
    run_simple(db, "ROLLBACK");
}

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
