/* Unit tests for the group-commit writer (db/writer.c) on a real SQLite file: threads write
 * at once, some requests fail on purpose; every acknowledged write must be visible to
 * another connection the moment it is acknowledged, no failed request may leave anything,
 * and concurrent requests must share commits. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "db/writer.h"
#include "t.h"

enum { THREADS = 8, PER_THREAD = 200 };

static char dir[] = "/tmp/mltrack-writer-XXXXXX";
static char uri[256];
static int lost; /* acknowledged writes another connection could not see at once */
static int leaked; /* failed requests whose row was there */

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
        rc = db_writer_end(&t, r == DB_DONE && !fail);
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
    T_CHECK(db_writer_end(&t, true) == 0);
    T_CHECK(count_where(reader, 999999) == 1);
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
    T_RUN(test_lone_request);
    T_RUN(test_concurrent_batches);
    db_writer_close();
    t_rmtree(dir);
    T_DONE();
}
