/* Unit tests for the group-commit writer (db/writer.c) on a real SQLite file: threads write
 * at once, some requests fail on purpose; every acknowledged write must be visible to
 * another connection the moment it is acknowledged, and durable: a log sync must have begun
 * after the commit that held it and returned before the acknowledgement. No failed request
 * may leave anything, and concurrent requests must share commits and syncs. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "db/sqlite.h"
#include "db/writer.h"
#include "t.h"

enum { THREADS = 8, PER_THREAD = 200 };

static char dir[] = "/tmp/mltrack-writer-XXXXXX";
static char uri[256];
static int lost; /* acknowledged writes another connection could not see at once */
static int leaked; /* failed requests whose row was there */
static int unsynced; /* acknowledged writes no sync had covered */

/* The writer's COMMITs as SQLite carries them out, and the count of them when the latest
 * completed log sync began: a commit numbered at most that is durable. */
static uint64_t commits, synced_commits;
static int (*real_sync)(struct db *db);

static int count_commit(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&commits, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static int counting_sync(struct db *db)
{
    uint64_t began = __atomic_load_n(&commits, __ATOMIC_SEQ_CST);
    int rc = real_sync(db);
    uint64_t cur = __atomic_load_n(&synced_commits, __ATOMIC_SEQ_CST);
    while (rc == 0 && began > cur &&
           !__atomic_compare_exchange_n(&synced_commits, &cur, began, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
        ;
    return rc;
}

static int64_t count_where(struct db *db, int64_t id)
{
    struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM t WHERE id = ?");
    db_bind_int(st, 1, id);
    int64_t n = db_step(st) == DB_ROW ? db_col_int(st, 0) : -1;
    db_done(st);
    return n;
}

static void *writer_thread(void *arg)
{
    int tno = (int)(intptr_t)arg;
    struct err e;
    struct db *reader = db_open(uri, &e);
    if (!reader)
        return NULL;
    for (int i = 0; i < PER_THREAD; i++) {
        int64_t id = (int64_t)tno * PER_THREAD + i;
        bool fail = i % 7 == 3; /* a request that fails after writing */
        struct db_ticket t;
        int rc;
        struct db *w = db_writer_begin(&t, &rc);
        if (!w) {
            __atomic_add_fetch(&lost, 1, __ATOMIC_RELAXED);
            continue;
        }
        struct db_stmt *st = db_prepare(w, "INSERT INTO t (id, v) VALUES (?, ?)");
        db_bind_int(st, 1, id);
        db_bind_int(st, 2, tno);
        enum db_rc r = db_step(st);
        db_done(st);
        /* The commit holding this work comes after every commit counted now. */
        uint64_t before = __atomic_load_n(&commits, __ATOMIC_SEQ_CST);
        rc = db_writer_end(&t, r == DB_DONE && !fail);
        if (!fail && rc == 0 && __atomic_load_n(&synced_commits, __ATOMIC_SEQ_CST) <= before)
            __atomic_add_fetch(&unsynced, 1, __ATOMIC_RELAXED);
        if (fail) {
            if (count_where(reader, id) != 0)
                __atomic_add_fetch(&leaked, 1, __ATOMIC_RELAXED);
        } else if (rc != 0 || count_where(reader, id) != 1) {
            __atomic_add_fetch(&lost, 1, __ATOMIC_RELAXED);
        }
    }
    db_close(reader);
    return NULL;
}

static void test_concurrent_batches(void)
{
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, writer_thread, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    T_CHECK(lost == 0);
    T_CHECK(leaked == 0);
    T_CHECK(unsynced == 0);
    struct err e;
    struct db *db = db_open(uri, &e);
    struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM t");
    int64_t rows = db_step(st) == DB_ROW ? db_col_int(st, 0) : -1;
    db_done(st);
    db_close(db);
    int failing = 0;
    for (int i = 0; i < PER_THREAD; i++)
        failing += i % 7 == 3;
    T_CHECK(rows == (int64_t)THREADS * (PER_THREAD - failing) + 1); /* + the lone one */
    struct db_writer_stats s = db_writer_stats();
    printf("  %llu requests in %llu commits\n", (unsigned long long)s.requests,
           (unsigned long long)s.batches);
    T_CHECK(s.requests == (uint64_t)rows);
    T_CHECK(s.batches < s.requests); /* commits were shared */
    T_CHECK(s.syncs > 0 && s.syncs <= s.batches); /* and so were syncs */
}

/* A lone request commits at once: its write is visible when it is acknowledged. */
static void test_lone_request(void)
{
    struct err e;
    struct db *reader = db_open(uri, &e);
    struct db_ticket t;
    int rc;
    struct db *w = db_writer_begin(&t, &rc);
    T_CHECK(w != NULL);
    struct db_stmt *st = db_prepare(w, "INSERT INTO t (id, v) VALUES (?, 0)");
    db_bind_int(st, 1, 999999);
    T_CHECK(db_step(st) == DB_DONE);
    db_done(st);
    T_CHECK(count_where(reader, 999999) == 0); /* not yet committed */
    uint64_t before = __atomic_load_n(&commits, __ATOMIC_SEQ_CST);
    T_CHECK(db_writer_end(&t, true) == 0);
    T_CHECK(count_where(reader, 999999) == 1);
    T_CHECK(__atomic_load_n(&synced_commits, __ATOMIC_SEQ_CST) > before);
    db_close(reader);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 2;
    snprintf(uri, sizeof uri, "sqlite:///%s/w.db", dir);
    struct err e;
    struct db *db = db_open(uri, &e);
    if (!db || db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)") != 0 ||
        db_writer_adopt(db) != 1) {
        fprintf(stderr, "setup: %s\n", e.msg);
        return 2;
    }
    /* Watch the writer's commits and syncs. */
    sqlite3_commit_hook(db_sqlite_handle(db, NULL, NULL), count_commit, NULL);
    static struct db_driver watched;
    watched = *db->drv;
    real_sync = watched.writer_sync;
    watched.writer_sync = counting_sync;
    db->drv = &watched;
    T_RUN(test_lone_request);
    T_RUN(test_concurrent_batches);
    db_writer_close();
    t_rmtree(dir);
    T_DONE();
}
