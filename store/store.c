/* Process-wide store set-up: schema creation or check, the Default experiment, and one
 * database connection per thread (never shared), closed when its thread exits.
 *
 * On PostgreSQL the per-thread connections are the pool: one per HTTP worker thread, so
 * --workers sizes it, and a request never waits for a connection. Set-up runs under a
 * transaction-scoped advisory lock, so several processes starting at once on an empty
 * database create the schema exactly once. */
#include "store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/url.h"
#include "../base/util.h"
#include "../db/writer.h"
#include "internal.h"
#include "schema_revisions.h"

extern const char store_schema_sqlite[];
extern const size_t store_schema_sqlite_len;
/* mltrack's own tables (store/schema/mltrack_sqlite.sql), all CREATE ... IF NOT EXISTS. */
extern const char store_schema_mltrack_sqlite[];
/* The same two for PostgreSQL (store/schema/postgresql.sql, mltrack_postgresql.sql). */
extern const char store_schema_postgresql[];
extern const char store_schema_mltrack_postgresql[];

/* MLflow's schema and our own tables, per dialect. */
static const struct schema {
    const struct db_dialect *dialect;
    const char *mlflow, *mltrack;
} schemas[] = {
    {&db_dialect_sqlite, store_schema_sqlite, store_schema_mltrack_sqlite},
    {&db_dialect_postgresql, store_schema_postgresql, store_schema_mltrack_postgresql},
};

static const struct schema *schema_of(const struct db *db)
{
    for (size_t i = 0; i < sizeof schemas / sizeof *schemas; i++)
        if (schemas[i].dialect == db_dialect(db))
            return &schemas[i];
    return NULL;
}


int store_ensure_own_tables(struct db *db)
{
    const struct schema *sch = schema_of(db);
    const char *lock = db_dialect(db)->setup_lock_sql;
    if (!sch || db_begin(db, true) != 0)
        return -1;
    if ((lock && db_exec(db, lock) != 0) || db_exec(db, sch->mltrack) != 0 ||
        db_commit(db) != 0) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

static struct store_config cfg;
static char *cfg_uri, *cfg_root;
static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* A thread's connection. Its mutex is held from the first store_thread_db of a request to
 * store_thread_done, so that store_release_idle_memory, on another thread, touches only
 * connections nobody is using (SQLite's are opened without their own mutex). */
struct thread_conn {
    struct db *db;
    pthread_mutex_t mu;
    bool held; /* by its own thread, which alone reads and writes this flag */
    struct thread_conn *prev, *next;
};
static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;
static struct thread_conn *conns; /* every thread's */

static void conn_destroy(void *p)
{
    struct thread_conn *tc = p;
    pthread_mutex_lock(&conns_mu);
    if (tc->prev)
        tc->prev->next = tc->next;
    else
        conns = tc->next;
    if (tc->next)
        tc->next->prev = tc->prev;
    pthread_mutex_unlock(&conns_mu);
    if (tc->held)
        pthread_mutex_unlock(&tc->mu);
    pthread_mutex_destroy(&tc->mu);
    db_close(tc->db);
    free(tc);
}

static void key_init(void)
{
    pthread_key_create(&conn_key, conn_destroy);
}

const struct store_config *store_config(void)
{
    return &cfg;
}

struct db *store_thread_db(struct err *e)
{
    pthread_once(&key_once, key_init);
    struct thread_conn *tc = pthread_getspecific(conn_key);
    if (!tc) {
        struct err tmp;
        struct db *db = db_open(cfg.backend_uri, &tmp);
        if (!db) {
            log_error("%s", tmp.msg);
            err_set(e, ERR_TEMPORARILY_UNAVAILABLE, "the database cannot be opened right now");
            return NULL;
        }
        tc = calloc(1, sizeof *tc);
        if (!tc) {
            db_close(db);
            err_set(e, ERR_INTERNAL_ERROR, "out of memory");
            return NULL;
        }
        tc->db = db;
        pthread_mutex_init(&tc->mu, NULL);
        pthread_mutex_lock(&conns_mu);
        tc->next = conns;
        if (conns)
            conns->prev = tc;
        conns = tc;
        pthread_mutex_unlock(&conns_mu);
        pthread_setspecific(conn_key, tc);
    }
    if (!tc->held) {
        pthread_mutex_lock(&tc->mu);
        tc->held = true;
    }
    return tc->db;
}

void store_thread_done(void)
{
    pthread_once(&key_once, key_init);
    struct thread_conn *tc = pthread_getspecific(conn_key);
    if (tc && tc->held) {
        tc->held = false;
        pthread_mutex_unlock(&tc->mu);
    }
}

void store_thread_release_memory(void)
{
    pthread_once(&key_once, key_init);
    struct thread_conn *tc = pthread_getspecific(conn_key);
    if (tc)
        db_release_memory(tc->db);
}

void store_release_idle_memory(void)
{
    pthread_mutex_lock(&conns_mu);
    for (struct thread_conn *tc = conns; tc; tc = tc->next)
        if (pthread_mutex_trylock(&tc->mu) == 0) {
            db_release_memory(tc->db);
            pthread_mutex_unlock(&tc->mu);
        }
    pthread_mutex_unlock(&conns_mu);
}

const char *store_alembic_revision(struct db *db, char *buf, size_t cap)
{
    struct db_stmt *st = db_prepare_once(db, db_dialect(db)->table_exists_sql);
    if (!st)
        return NULL;
    db_bind_str(st, 1, "alembic_version");
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc == DB_DONE)
        return "";
    if (rc != DB_ROW)
        return NULL;
    st = db_prepare_once(db, "SELECT version_num FROM alembic_version");
    if (!st)
        return NULL;
    buf[0] = '\0';
    if (db_step(st) == DB_ROW) {
        size_t n;
        const char *v = db_col_text(st, 0, &n);
        if (v && n < cap) {
            memcpy(buf, v, n);
            buf[n] = '\0';
        }
    }
    db_done(st);
    return buf;
}

static bool db_is_empty(struct db *db)
{
    struct db_stmt *st = db_prepare_once(db, db_dialect(db)->count_tables_sql);
    if (!st)
        return false;
    bool empty = db_step(st) == DB_ROW && db_col_int(st, 0) == 0;
    db_done(st);
    return empty;
}

static int ensure_default_experiment(struct db *db, struct err *e)
{
    struct db_stmt *st = db_prepare_once(db, "SELECT 1 FROM experiments WHERE experiment_id = 0");
    if (!st)
        return err_set(e, ERR_INTERNAL_ERROR, "cannot read the experiments table");
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc == DB_ROW)
        return 0;
    struct arena a;
    arena_init(&a);
    const char *loc = uri_join(&a, cfg.default_artifact_root, "0");
    int64_t now = now_ms();
    st = db_prepare_once(db, "INSERT INTO experiments (experiment_id, name, artifact_location, "
                             "lifecycle_stage, creation_time, last_update_time, workspace) "
                             "VALUES (0, 'Default', ?, 'active', ?, ?, 'default') "
                             "ON CONFLICT DO NOTHING");
    if (st) {
        db_bind_str(st, 1, loc);
        db_bind_int(st, 2, now);
        db_bind_int(st, 3, now);
        rc = db_step(st);
        db_done(st);
    }
    arena_release(&a);
    if (!st || (rc != DB_DONE && rc != DB_CONSTRAINT))
        return err_set(e, ERR_INTERNAL_ERROR, "cannot create the Default experiment");
    return 0;
}

int store_global_init(const struct store_config *c, struct err *e)
{
    free(cfg_uri);
    free(cfg_root);
    cfg_uri = strdup(c->backend_uri);
    cfg_root = strdup(c->default_artifact_root ? c->default_artifact_root : "mlflow-artifacts:/");
    if (!cfg_uri || !cfg_root)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    cfg.backend_uri = cfg_uri;
    cfg.default_artifact_root = cfg_root;

    struct db *db = db_open(cfg.backend_uri, e);
    if (!db)
        return -1;
    int ret = -1;
    const struct schema *sch = schema_of(db);
    /* For messages: no password in the log. */
    char *shown = db_uri_redacted(cfg.backend_uri);
    const char *uri = shown ? shown : "?";
    /* Serialize schema set-up against other processes starting on the same database. */
    const char *lock = db_dialect(db)->setup_lock_sql;
    if (db_begin(db, true) != 0 || (lock && db_exec(db, lock) != 0)) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot lock the database '%s'", uri);
        goto rollback;
    }
    char rev[64];
    const char *r = store_alembic_revision(db, rev, sizeof rev);
    if (!r) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot read the database '%s'", uri);
        goto rollback;
    }
    if (!*r) {
        if (!db_is_empty(db)) {
            err_set(e, ERR_INVALID_STATE,
                    "the database '%s' has tables but no alembic_version: not an MLflow database",
                    uri);
            goto rollback;
        }
        if (!sch || db_exec(db, sch->mlflow) != 0) {
            err_set(e, ERR_INTERNAL_ERROR, "cannot create the schema in '%s'", uri);
            goto rollback;
        }
        log_info("created MLflow schema (alembic %s) in %s", ALEMBIC_HEAD, uri);
    } else if (strcmp(r, ALEMBIC_HEAD) != 0) {
        /* A database MLflow upgraded past our head is used as it is when that leaves our
         * tables alone; anything else (older, unknown, changed) is refused. */
        const char *newer = NULL;
        if (schema_accept_revision(db, r, uri, &newer, e) != 0)
            goto rollback;
        log_info("the database %s is at MLflow schema revision %s (MLflow %s), newer than "
                 "mltrack's %s: the tables mltrack uses are unchanged, so it is used as it is",
                 uri, r, newer, ALEMBIC_HEAD);
    }
    if (ensure_default_experiment(db, e) != 0)
        goto rollback;
    /* Our own mltrack_* tables (the registry audit log), on new and existing databases. */
    if (!sch || db_exec(db, sch->mltrack) != 0) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot create mltrack's tables in '%s'", uri);
        goto rollback;
    }
    if (db_commit(db) != 0) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot commit schema set-up in '%s'", uri);
        goto rollback;
    }
    int w = db_writer_adopt(db);
    if (w < 0) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot start the writer for '%s'", uri);
        goto out;
    }
    free(shown);
    if (w == 0)
        db_close(db);
    return 0;
rollback:
    db_rollback(db);
out:
    free(shown);
    db_close(db);
    return ret;
}

void store_global_shutdown(void)
{
    /* Connections belong to their threads and close in conn_destroy when the HTTP worker
     * threads exit; the main thread's, if it opened one, closes here. */
    pthread_once(&key_once, key_init);
    struct thread_conn *tc = pthread_getspecific(conn_key);
    if (tc) {
        pthread_setspecific(conn_key, NULL);
        conn_destroy(tc);
    }
    db_writer_close();
}
