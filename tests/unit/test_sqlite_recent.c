/* db/sqlite_recent.c: a SQLite connection's recent one-off statements, kept by text. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/hash.h"
#include "db/sqlite_recent.h"
#include "t.h"

static sqlite3 *conn;

static sqlite3_stmt *prep(const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(conn, sql, -1, 0, &st, NULL) != SQLITE_OK)
        fprintf(stderr, "  prepare: %s\n", sqlite3_errmsg(conn));
    return st;
}

/* The cache as the driver uses it: a statement is taken by its text, and goes back with
 * the length and hash of its text. */
static sqlite3_stmt *take(struct sq_recent *r, const char *sql, size_t len)
{
    uint64_t h;
    return sq_recent_take(r, sql, len, &h);
}

static void put(struct sq_recent *r, sqlite3_stmt *st)
{
    const char *sql = sqlite3_sql(st);
    sq_recent_put(r, st, strlen(sql), hash_bytes(sql, strlen(sql)));
}

/* The first column of the first row st gives with ?1 bound to v. */
static long long first_with(sqlite3_stmt *st, long long v)
{
    sqlite3_bind_int64(st, 1, v);
    long long out = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    return out;
}

static void test_taken_back_by_text(void)
{
    struct sq_recent r = {0};
    const char *q = "SELECT ?1 * 2";
    sqlite3_stmt *st = prep(q);
    T_CHECK(first_with(st, 21) == 42); /* left mid-run: put resets it */
    put(&r, st);
    T_CHECK(take(&r, "SELECT ?1 * 3", strlen("SELECT ?1 * 3")) == NULL);
    T_CHECK(take(&r, q, strlen(q) - 1) == NULL); /* a prefix is another text */
    sqlite3_stmt *again = take(&r, q, strlen(q));
    T_CHECK(again == st);
    T_CHECK(sqlite3_bind_parameter_count(again) == 1 && first_with(again, 5) == 10);
    /* Taken out: a second user of the same text prepares its own. */
    T_CHECK(take(&r, q, strlen(q)) == NULL);
    put(&r, again);
    sq_recent_clear(&r);
    T_CHECK(take(&r, q, strlen(q)) == NULL);
}

static void test_bindings_cleared(void)
{
    struct sq_recent r = {0};
    const char *q = "SELECT coalesce(?1, -7)";
    sqlite3_stmt *st = prep(q);
    T_CHECK(first_with(st, 3) == 3);
    put(&r, st);
    st = take(&r, q, strlen(q));
    T_CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == -7);
    sqlite3_finalize(st);
}

static void test_least_recent_goes(void)
{
    struct sq_recent r = {0};
    char q[SQ_RECENT_SLOTS + 1][32];
    for (int i = 0; i <= SQ_RECENT_SLOTS; i++) {
        snprintf(q[i], sizeof q[i], "SELECT %d + ?1", i);
        if (i == SQ_RECENT_SLOTS) { /* the first is used again: the second is the oldest */
            sqlite3_stmt *st = take(&r, q[0], strlen(q[0]));
            T_CHECK(st != NULL);
            put(&r, st);
        }
        put(&r, prep(q[i]));
    }
    T_CHECK(take(&r, q[1], strlen(q[1])) == NULL);
    for (int i = 0; i <= SQ_RECENT_SLOTS; i++) {
        if (i == 1)
            continue;
        sqlite3_stmt *st = take(&r, q[i], strlen(q[i]));
        T_CHECK(st && first_with(st, 100) == 100 + i);
        sqlite3_finalize(st);
    }
}

static void test_not_kept(void)
{
    struct sq_recent r = {0};
    /* The same text twice: one is kept, the other finalized (ASan would see a leak). */
    const char *q = "SELECT 1";
    put(&r, prep(q));
    put(&r, prep(q));
    sqlite3_stmt *st = take(&r, q, strlen(q));
    T_CHECK(st != NULL && take(&r, q, strlen(q)) == NULL);
    sqlite3_finalize(st);
    /* Too long a text is not kept. */
    static char big[SQ_RECENT_MAX_SQL + 64];
    size_t n = (size_t)snprintf(big, sizeof big, "SELECT 1 /* ");
    memset(big + n, 'x', sizeof big - n - 8);
    memcpy(big + sizeof big - 8, " */", 4);
    put(&r, prep(big));
    T_CHECK(take(&r, big, strlen(big)) == NULL);
    sq_recent_clear(&r);
}

int main(void)
{
    if (sqlite3_open(":memory:", &conn) != SQLITE_OK)
        return 1;
    T_RUN(test_taken_back_by_text);
    T_RUN(test_bindings_cleared);
    T_RUN(test_least_recent_goes);
    T_RUN(test_not_kept);
    sqlite3_close(conn);
    T_DONE();
}
