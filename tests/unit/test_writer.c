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
#include <sys/stat.h>
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
static int overlapped; /* requests that held the writer during a turn between batches */
static int in_turn;    /* a db_writer_between turn is running */
static sqlite3 *writer_conn;
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

/* The writer for one request; NULL (counted lost) when it cannot be had. */
static struct db *take_writer(struct db_ticket *t)
{
    int rc;
    struct db *w = db_writer_begin(t, &rc);
    if (!w)
        __atomic_add_fetch(&lost, 1, __ATOMIC_RELAXED);
    return w;
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
        struct db *w = take_writer(&t);
        if (!w)
            continue;
        int rc;
        if (__atomic_load_n(&in_turn, __ATOMIC_SEQ_CST))
            __atomic_add_fetch(&overlapped, 1, __ATOMIC_RELAXED);
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

/* A turn between batches: no transaction open on the writer, no request inside. */
static int turn(void *arg)
{
    int *turns = arg;
    __atomic_store_n(&in_turn, 1, __ATOMIC_SEQ_CST);
    if (!sqlite3_get_autocommit(writer_conn))
        __atomic_add_fetch(&overlapped, 1, __ATOMIC_RELAXED);
    usleep(200);
    __atomic_store_n(&in_turn, 0, __ATOMIC_SEQ_CST);
    return ++*turns;
}

static void test_concurrent_batches(void)
{
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, writer_thread, (void *)(intptr_t)i);
    int turns = 0;
    for (int i = 0; i < 50; i++) {
        T_CHECK(db_writer_between(turn, &turns) == i + 1);
        usleep(1000);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    T_CHECK(overlapped == 0);
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
    /* Eight threads queued for one connection, and every request waited for its sync. */
    T_CHECK(s.wait_ns > 0 && s.durable_ns >= s.sync_ns);
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

/* Under steady writes the log starts over (the checkpointer's RESTART in a turn between
 * batches) instead of growing until a TRUNCATE: about 100 MB of log (what the WAL grows to
 * with no restarts) go through a WAL that stays near 32 MB. */
enum { BIG_THREADS = 4, BIG_ROWS = 9000, PINNED_ROWS = 1000 };
static off_t wal_max;
static int big_rows = BIG_ROWS; /* rows each big_writer writes */

static void *big_writer(void *arg)
{
    int tno = (int)(intptr_t)arg;
    char wal[300];
    snprintf(wal, sizeof wal, "%s/w.db-wal", dir);
    for (int i = 0; i < big_rows; i++) {
        struct db_ticket t;
        struct db *w = take_writer(&t);
        if (!w)
            continue;
        struct db_stmt *st = db_prepare(w, "INSERT INTO big (id, b) VALUES (?, zeroblob(4000))");
        db_bind_int(st, 1, (int64_t)tno * BIG_ROWS + i);
        enum db_rc r = db_step(st);
        db_done(st);
        if (db_writer_end(&t, r == DB_DONE) != 0 || r != DB_DONE)
            __atomic_add_fetch(&lost, 1, __ATOMIC_RELAXED);
        struct stat sb;
        if (stat(wal, &sb) == 0) {
            off_t cur = __atomic_load_n(&wal_max, __ATOMIC_RELAXED);
            while (sb.st_size > cur && !__atomic_compare_exchange_n(&wal_max, &cur, sb.st_size,
                                                                    false, __ATOMIC_RELAXED,
                                                                    __ATOMIC_RELAXED))
                ;
        }
    }
    return NULL;
}

static void test_log_starts_over(void)
{
    lost = 0;
    pthread_t th[BIG_THREADS];
    for (int i = 0; i < BIG_THREADS; i++)
        pthread_create(&th[i], NULL, big_writer, (void *)(intptr_t)i);
    for (int i = 0; i < BIG_THREADS; i++)
        pthread_join(th[i], NULL);
    T_CHECK(lost == 0);
    printf("  largest WAL %.1f MB\n", (double)wal_max / (1 << 20));
    T_CHECK(db_writer_stats().turns > 0);
    T_CHECK(wal_max > 0 && wal_max < (off_t)48 << 20);
    struct err e;
    struct db *db = db_open(uri, &e);
    struct db_stmt *st = db_prepare(db, "SELECT count(*) FROM big");
    T_CHECK(db_step(st) == DB_ROW && db_col_int(st, 0) == (int64_t)BIG_THREADS * BIG_ROWS);
    db_done(st);
    db_close(db);
}

/* A reader that keeps an old snapshot stops the log from starting over, and a RESTART's
 * turn then gives up after its short wait for readers. It is not tried again at every
 * commit (each try holds the writer for that wait): only once the log has grown further. */
static void test_log_pinned_by_reader(void)
{
    lost = 0;
    struct err e;
    struct db *reader = db_open(uri, &e);
    sqlite3 *rc = db_sqlite_handle(reader, NULL, NULL);
    T_CHECK(sqlite3_exec(rc, "BEGIN; SELECT count(*) FROM big", NULL, NULL, NULL) == SQLITE_OK);
    uint64_t turns0 = db_writer_stats().turns, commits0 = db_writer_stats().batches;
    big_rows = PINNED_ROWS;
    pthread_t th[BIG_THREADS];
    for (int i = 0; i < BIG_THREADS; i++)
        pthread_create(&th[i], NULL, big_writer, (void *)(intptr_t)(BIG_THREADS + i));
    for (int i = 0; i < BIG_THREADS; i++)
        pthread_join(th[i], NULL);
    struct db_writer_stats s = db_writer_stats();
    T_CHECK(lost == 0);
    /* The pinned log only grew: its frames bound the tries, one per 2,048 frames of growth
     * at most (and one at the start). */
    char wal[300];
    snprintf(wal, sizeof wal, "%s/w.db-wal", dir);
    struct stat sb;
    T_CHECK(stat(wal, &sb) == 0);
    uint64_t frames = (uint64_t)sb.st_size / (4096 + 24);
    printf("  %llu turns in %llu commits, %llu frames, with the log pinned\n",
           (unsigned long long)(s.turns - turns0), (unsigned long long)(s.batches - commits0),
           (unsigned long long)frames);
    T_CHECK(s.turns - turns0 <= frames / 2048 + 2);
    T_CHECK(s.batches - commits0 > 100 && frames > 8192 + 4 * 2048);
    sqlite3_exec(rc, "COMMIT", NULL, NULL, NULL);
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
        db_exec(db, "CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB)") != 0 ||
        db_writer_adopt(db) != 1) {
        fprintf(stderr, "setup: %s\n", e.msg);
        return 2;
    }
    /* Watch the writer's commits and syncs. */
    writer_conn = db_sqlite_handle(db, NULL, NULL);
    sqlite3_commit_hook(writer_conn, count_commit, NULL);
    static struct db_driver watched;
    watched = *db->drv;
    real_sync = watched.writer_sync;
    watched.writer_sync = counting_sync;
    db->drv = &watched;
    T_RUN(test_lone_request);
    T_RUN(test_concurrent_batches);
    T_RUN(test_log_starts_over);
    T_RUN(test_log_pinned_by_reader);
    db_writer_close();
    t_rmtree(dir);
    T_DONE();
}
