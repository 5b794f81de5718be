/* The PostgreSQL driver over libpq: one connection per worker thread (the pool is sized by
 * --workers), kept statements prepared on the server under a name, text parameters and
 * text results, and reconnection after the server restarts. Entity SQL is rewritten for
 * PostgreSQL once, when a statement is prepared (db/pg_rewrite.c).
 *
 * Failure model. A statement that fails because the connection is gone (the server
 * restarted, the network dropped) returns DB_BUSY, which requests turn into 503
 * TEMPORARILY_UNAVAILABLE, and the connection is re-established by the next statement
 * (PQreset; server-side prepared statements are prepared again lazily). A transaction whose
 * connection was lost is "doomed": every statement but ROLLBACK fails with DB_BUSY until the
 * caller rolls back, so nothing after the loss can run in autocommit on the new connection.
 * Starting a transaction and reads outside one are retried once on a fresh connection, since
 * nothing can have happened on the server; writes are not. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/util.h"
#include "db.h"
#include "pq_load.h"
#include "pg.h"

/* Every session gets these limits: a runaway query cannot hold a worker (and its locks)
 * forever, nor can a transaction left open by a bug. */
#define PG_STATEMENT_TIMEOUT_MS 30000
#define PG_IDLE_IN_TXN_TIMEOUT_MS 60000
#define PG_CONNECT_TIMEOUT_S "10"

enum stmt_kind { SK_OTHER, SK_SELECT, SK_BEGIN, SK_COMMIT, SK_ROLLBACK };

struct param {
    char *p;    /* malloc'd, NUL-terminated; owned */
    size_t cap; /* bytes allocated at p */
    bool null;
};

struct db_stmt {
    struct db_stmt_hdr hdr; /* must be first: db_stmt_db() reads it */
    char *pgsql;            /* rewritten with $n placeholders; owned */
    enum stmt_kind kind;
    int nparams;
    struct param *params;   /* nparams entries; owned */
    const char **values;    /* scratch for PQexecPrepared; owned */
    bool named;             /* prepared on the server under name (kept statements) */
    unsigned prepared_gen;  /* connection generation it was prepared on; 0 = never */
    char name[16];          /* server-side statement name when cached */
    PGresult *res;          /* the current result, until done() */
    int row, nrows;
};

struct pg_db {
    struct db base; /* must be first */
    PGconn *conn;
    unsigned gen;     /* bumped at every (re)connection; prepared_gen compares with it */
    unsigned next_id; /* statement names */
    int64_t changes;
    bool txn_open;    /* BEGIN succeeded and no COMMIT/ROLLBACK since */
    bool doomed;      /* the connection was lost inside that transaction */
};

_Static_assert(offsetof(struct db_stmt, hdr) == 0, "db_stmt_hdr first");
_Static_assert(offsetof(struct pg_db, base) == 0, "struct db first");

static struct pg_db *pdb(struct db *db)
{
    return (struct pg_db *)db;
}

/* libpq's messages end in a newline; the log wants one line. */
static void log_pg(const char *what, const char *msg, const char *sql)
{
    size_t n = msg ? strlen(msg) : 0;
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    log_error("postgresql %s failed: %.*s in: %.200s", what, (int)n, msg ? msg : "",
              sql ? sql : "");
}

static bool starts_word(const char *s, const char *word)
{
    size_t n = strlen(word);
    return strncasecmp(s, word, n) == 0 && !isalnum((unsigned char)s[n]) && s[n] != '_';
}

static enum stmt_kind classify(const char *sql)
{
    while (isspace((unsigned char)*sql) || *sql == '(')
        sql++;
    if (starts_word(sql, "SELECT"))
        return SK_SELECT;
    if (starts_word(sql, "BEGIN"))
        return SK_BEGIN;
    if (starts_word(sql, "COMMIT"))
        return SK_COMMIT;
    if (starts_word(sql, "ROLLBACK"))
        return SK_ROLLBACK;
    return SK_OTHER;
}

/* ---- statements ---------------------------------------------------------------------- */

static void stmt_free(struct db_stmt *st)
{
    if (!st)
        return;
    PQclear(st->res);
    for (int i = 0; i < st->nparams; i++)
        free(st->params[i].p);
    free(st->params);
    free(st->values);
    free(st->pgsql);
    free(st);
}

/* Prepares locally only: the server sees the statement at its first step, so that a
 * statement can be handed out while the connection is down (its step then says DB_BUSY).
 * A kept statement is prepared on the server under a name, once per connection. */
static struct db_stmt *pg_prepare(struct db *db, const char *sql, bool cached)
{
    struct pg_db *p = pdb(db);
    struct db_stmt *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->kind = classify(sql);
    r->pgsql = db_pg_rewrite(sql, &r->nparams);
    if (!r->pgsql) {
        stmt_free(r);
        log_error("postgresql prepare: out of memory");
        return NULL;
    }
    if (r->nparams > 0) {
        r->params = calloc((size_t)r->nparams, sizeof *r->params);
        r->values = calloc((size_t)r->nparams, sizeof *r->values);
        if (!r->params || !r->values) {
            stmt_free(r);
            return NULL;
        }
        for (int i = 0; i < r->nparams; i++)
            r->params[i].null = true;
    }
    if (cached) {
        r->named = true;
        snprintf(r->name, sizeof r->name, "mlt%u", ++p->next_id);
    }
    return r;
}

/* The slot for parameter i (1-based), or NULL when i is out of range (a caller bug,
 * logged; the statement then runs with that parameter NULL). */
static struct param *param_at(struct db_stmt *st, int i)
{
    if (i < 1 || i > st->nparams) {
        log_error("postgresql bind: parameter %d out of range (%d) in: %.200s", i,
                  st->nparams, st->pgsql);
        return NULL;
    }
    return &st->params[i - 1];
}

static void set_param(struct db_stmt *st, int i, const char *s, size_t n)
{
    struct param *pa = param_at(st, i);
    if (!pa)
        return;
    if (pa->cap < n + 1) {
        size_t cap = n + 1 < 32 ? 32 : n + 1;
        char *np = realloc(pa->p, cap);
        if (!np) {
            log_error("postgresql bind: out of memory");
            pa->null = true;
            return;
        }
        pa->p = np;
        pa->cap = cap;
    }
    if (n)
        memcpy(pa->p, s, n);
    pa->p[n] = '\0';
    pa->null = false;
}

static void pg_bind_null(struct db_stmt *st, int i)
{
    struct param *pa = param_at(st, i);
    if (pa)
        pa->null = true;
}

/* Integers go as decimal text with the type left to the server, so the same 0/1 binds to
 * an INTEGER column and to MLflow's BOOLEAN ones (is_nan) alike. */
static void pg_bind_int(struct db_stmt *st, int i, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);
    set_param(st, i, tmp, (size_t)n);
}

static void pg_bind_real(struct db_stmt *st, int i, double v)
{
    char tmp[32];
    int n;
    if (isnan(v))
        n = snprintf(tmp, sizeof tmp, "NaN");
    else if (isinf(v))
        n = snprintf(tmp, sizeof tmp, "%s", v > 0 ? "Infinity" : "-Infinity");
    else
        n = snprintf(tmp, sizeof tmp, "%.17g", v);
    set_param(st, i, tmp, (size_t)n);
}

static void pg_bind_text(struct db_stmt *st, int i, const char *s, size_t n)
{
    set_param(st, i, s ? s : "", s ? n : 0);
}

/* ---- errors and the connection --------------------------------------------------------- */

static bool conn_lost(PGconn *conn, const char *state)
{
    if (PQstatus(conn) != CONNECTION_OK)
        return true;
    /* Class 08: connection exception; 57P01-57P03: the server is shutting down or
     * starting up. */
    return state && (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
                     strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0);
}

/* Errors a retry can cure: serialization failure, deadlock, lock timeout, statement
 * timeout, too many connections. */
static bool transient(const char *state)
{
    return state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
                     strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0 ||
                     strcmp(state, "53300") == 0);
}

static int session_setup(PGconn *conn)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SET statement_timeout = %d; SET idle_in_transaction_session_timeout = %d",
             PG_STATEMENT_TIMEOUT_MS, PG_IDLE_IN_TXN_TIMEOUT_MS);
    PGresult *r = PQexec(conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (ok != 0)
        log_pg("session set-up", PQerrorMessage(conn), sql);
    PQclear(r);
    return ok;
}

/* Makes sure the connection is up, reconnecting when it was lost; false when the server
 * cannot be reached (logged). Prepared statements are prepared again on demand. */
static bool ensure_conn(struct pg_db *p)
{
    if (PQstatus(p->conn) == CONNECTION_OK)
        return true;
    PQreset(p->conn);
    p->gen++;
    if (PQstatus(p->conn) != CONNECTION_OK || session_setup(p->conn) != 0) {
        log_pg("reconnect", PQerrorMessage(p->conn), NULL);
        /* Leave it bad (PQreset may have half-succeeded) so the next call tries again. */
        if (PQstatus(p->conn) == CONNECTION_OK)
            PQreset(p->conn);
        return false;
    }
    log_info("postgresql: reconnected");
    return true;
}

/* Runs st on the server once. Sets *lost when the connection went away. */
static PGresult *run_once(struct pg_db *p, struct db_stmt *st, bool *lost)
{
    *lost = false;
    for (int i = 0; i < st->nparams; i++)
        st->values[i] = st->params[i].null ? NULL : st->params[i].p;
    PGresult *r = NULL;
    if (st->named && st->prepared_gen != p->gen) {
        r = PQprepare(p->conn, st->name, st->pgsql, 0, NULL);
        if (PQresultStatus(r) == PGRES_COMMAND_OK) {
            PQclear(r);
            r = NULL;
            st->prepared_gen = p->gen;
        }
    }
    if (!r && st->named)
        r = PQexecPrepared(p->conn, st->name, st->nparams, st->values, NULL, NULL, 0);
    else if (!r)
        r = PQexecParams(p->conn, st->pgsql, st->nparams, NULL, st->values, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        *lost = conn_lost(p->conn, state);
        /* A statement prepared on this connection may have been dropped by a
         * DISCARD or a schema change; prepare it again next time. */
        if (state && strcmp(state, "26000") == 0)
            st->prepared_gen = 0;
    }
    return r;
}

static enum db_rc pg_step(struct db_stmt *st)
{
    if (st->res) {
        if (++st->row < st->nrows)
            return DB_ROW;
        return DB_DONE;
    }
    struct pg_db *p = pdb(st->hdr.db);
    if (st->kind == SK_ROLLBACK) {
        bool doomed = p->doomed;
        p->txn_open = false;
        p->doomed = false;
        /* The server rolled the transaction back when the connection went. */
        if (doomed || PQstatus(p->conn) != CONNECTION_OK)
            return DB_DONE;
    } else if (p->doomed) {
        return DB_BUSY;
    }
    /* Outside a transaction a lost connection is re-established here; inside one the
     * statement fails below and dooms the transaction. */
    if (!p->txn_open && !ensure_conn(p))
        return DB_BUSY;
    bool lost;
    PGresult *r = run_once(p, st, &lost);
    if (lost && !p->txn_open && (st->kind == SK_BEGIN || st->kind == SK_SELECT)) {
        /* Nothing ran: an idle connection died under us. Once more, reconnected. */
        PQclear(r);
        if (!ensure_conn(p))
            return DB_BUSY;
        r = run_once(p, st, &lost);
    }
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
        if (st->kind == SK_BEGIN)
            p->txn_open = true;
        else if (st->kind == SK_COMMIT || st->kind == SK_ROLLBACK)
            p->txn_open = false;
        const char *ct = PQcmdTuples(r);
        p->changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
        st->res = r;
        st->row = 0;
        st->nrows = s == PGRES_TUPLES_OK ? PQntuples(r) : 0;
        return st->nrows > 0 ? DB_ROW : DB_DONE;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    enum db_rc rc;
    if (lost) {
        log_warn("postgresql: connection lost (%s): %.200s", state ? state : "-",
                 PQerrorMessage(p->conn));
        /* Inside a transaction (a lost COMMIT included: its outcome is unknown) the
         * caller must roll back before this connection is used again. */
        if (p->txn_open)
            p->doomed = true;
        rc = DB_BUSY;
    } else if (state && strcmp(state, "23505") == 0) {
        rc = DB_CONSTRAINT;
    } else if (state && strcmp(state, "53100") == 0) {
        log_pg("step", r ? PQresultErrorMessage(r) : PQerrorMessage(p->conn), st->pgsql);
        rc = DB_FULL;
    } else if (state && strcmp(state, "2201B") == 0) {
        log_warn("postgresql: invalid regular expression: %.200s", st->pgsql);
        rc = DB_BAD_REGEX;
    } else if (state && strncmp(state, "22", 2) == 0) {
        log_warn("postgresql: invalid value (%s): %.200s", state, st->pgsql);
        rc = DB_INVALID;
    } else if (transient(state)) {
        log_warn("postgresql busy (%s): %.200s", state, st->pgsql);
        rc = DB_BUSY;
    } else {
        log_pg("step", r ? PQresultErrorMessage(r) : PQerrorMessage(p->conn), st->pgsql);
        rc = DB_ERROR;
    }
    if (st->kind == SK_COMMIT && !lost)
        p->txn_open = false; /* a failed COMMIT ends the transaction on the server */
    PQclear(r);
    return rc;
}

/* ---- columns ------------------------------------------------------------------------- */

static bool has_row(struct db_stmt *st, int c)
{
    return st->res && st->row < st->nrows && c >= 0 && c < PQnfields(st->res);
}

static bool pg_col_null(struct db_stmt *st, int c)
{
    return !has_row(st, c) || PQgetisnull(st->res, st->row, c);
}

/* Booleans come as "t"/"f" (MLflow's is_nan is BOOLEAN on PostgreSQL). */
static int64_t pg_col_int(struct db_stmt *st, int c)
{
    if (pg_col_null(st, c))
        return 0;
    const char *v = PQgetvalue(st->res, st->row, c);
    if (v[0] == 't')
        return 1;
    if (v[0] == 'f')
        return 0;
    return strtoll(v, NULL, 10);
}

static double pg_col_real(struct db_stmt *st, int c)
{
    if (pg_col_null(st, c))
        return 0;
    /* strtod reads PostgreSQL's "NaN", "Infinity" and "-Infinity" too. */
    return strtod(PQgetvalue(st->res, st->row, c), NULL);
}

static const char *pg_col_text(struct db_stmt *st, int c, size_t *n)
{
    if (pg_col_null(st, c)) {
        if (n)
            *n = 0;
        return NULL;
    }
    if (n)
        *n = (size_t)PQgetlength(st->res, st->row, c);
    return PQgetvalue(st->res, st->row, c);
}

static void pg_reset(struct db_stmt *st)
{
    PQclear(st->res);
    st->res = NULL;
    st->row = st->nrows = 0;
    for (int i = 0; i < st->nparams; i++)
        st->params[i].null = true;
}

static void pg_finalize(struct db_stmt *st)
{
    stmt_free(st);
}

static int pg_exec(struct db *db, const char *sql)
{
    struct pg_db *p = pdb(db);
    if (p->doomed || (!p->txn_open && !ensure_conn(p)))
        return -1;
    PGresult *r = PQexec(p->conn, sql);
    ExecStatusType s = PQresultStatus(r);
    int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
    if (rc != 0) {
        log_pg("exec", PQresultErrorMessage(r), sql);
        if (p->txn_open && PQstatus(p->conn) != CONNECTION_OK)
            p->doomed = true;
    }
    PQclear(r);
    return rc;
}

static int64_t pg_changes(struct db *db)
{
    return pdb(db)->changes;
}

static void pg_close(struct db *db)
{
    struct pg_db *p = pdb(db);
    PQfinish(p->conn);
    free(p);
}

const struct db_dialect db_dialect_postgresql = {
    .name = "postgresql",
    .begin_write = "BEGIN",
    .no_limit_is_null = true,
    .like_as_glob = false,
    .has_ilike = true,
    .regexp_op = " ~ ",
    .single_writer = false,
    .count_tables_sql =
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    .table_exists_sql = "SELECT 1 FROM information_schema.tables WHERE "
                        "table_schema = current_schema() AND table_name = ?",
    /* "mltrack\0" as a big-endian int64: a transaction-scoped advisory lock. */
    .setup_lock_sql = "SELECT pg_advisory_xact_lock(7236837417213338624)",
    .percentile_cont = true,
    .index_off = "",
};

const struct db_driver db_pg_driver = {
    .name = "postgresql",
    .dialect = &db_dialect_postgresql,
    .prepare = pg_prepare,
    .bind_null = pg_bind_null,
    .bind_int = pg_bind_int,
    .bind_real = pg_bind_real,
    .bind_text = pg_bind_text,
    .step = pg_step,
    .col_null = pg_col_null,
    .col_int = pg_col_int,
    .col_real = pg_col_real,
    .col_text = pg_col_text,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .batch = db_pg_batch,
    .exec = pg_exec,
    .changes = pg_changes,
    .close = pg_close,
};

/* ---- opening --------------------------------------------------------------------------- */

static const char *const schemes[] = {"postgresql", "postgres"};

/* Length of the scheme with its "+driver" part ("postgresql+psycopg2"), before "://";
 * 0 when uri is not PostgreSQL's. *base gets the length of the bare scheme. */
static size_t scheme_len(const char *uri, size_t *base)
{
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
        size_t n = strlen(schemes[i]);
        if (strncmp(uri, schemes[i], n) != 0)
            continue;
        size_t e = n;
        if (uri[e] == '+')
            while (isalnum((unsigned char)uri[e]) || uri[e] == '+' || uri[e] == '_')
                e++;
        if (strncmp(uri + e, "://", 3) == 0) {
            *base = n;
            return e;
        }
    }
    return 0;
}

bool db_pg_is_uri(const char *uri)
{
    size_t base;
    return scheme_len(uri, &base) > 0;
}

struct db *db_pg_open(const char *uri, struct err *e)
{
    size_t base = 0, sl = scheme_len(uri, &base);
    if (!sl) {
        err_set(e, ERR_INVALID_PARAMETER_VALUE, "not a PostgreSQL URI");
        return NULL;
    }
    if (pq_load(e) != 0)
        return NULL;
    /* libpq wants postgresql://...; drop SQLAlchemy's "+driver". */
    size_t rest = strlen(uri + sl);
    char *libpq_uri = malloc(base + rest + 1);
    if (!libpq_uri) {
        err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    memcpy(libpq_uri, uri, base);
    memcpy(libpq_uri + base, uri + sl, rest + 1);
    /* Keywords before dbname are defaults that the URI's own parameters override. */
    const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
    const char *vals[] = {PG_CONNECT_TIMEOUT_S, "mltrack", libpq_uri, NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    free(libpq_uri);
    char *shown = db_uri_redacted(uri);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        const char *m = conn ? PQerrorMessage(conn) : "out of memory";
        size_t n = strlen(m);
        while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
            n--;
        err_set(e, ERR_INTERNAL_ERROR, "cannot connect to PostgreSQL '%s': %.*s",
                shown ? shown : "?", (int)n, m);
        free(shown);
        PQfinish(conn);
        return NULL;
    }
    free(shown);
    if (session_setup(conn) != 0) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot set up the PostgreSQL session");
        PQfinish(conn);
        return NULL;
    }
    struct pg_db *p = calloc(1, sizeof *p);
    if (!p) {
        PQfinish(conn);
        err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    p->base.drv = &db_pg_driver;
    p->conn = conn;
    p->gen = 1;
    return &p->base;
}
