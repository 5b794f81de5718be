/* Unit tests for the PostgreSQL driver's pure parts: the placeholder and dialect rewrite,
 * URI recognition and password redaction (no server needed). */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/pg.h"
#include "t.h"

static void check_rewrite(const char *in, const char *want, int want_n)
{
    int n = -1;
    char *got = db_pg_rewrite(in, &n);
    T_STREQ(got, want);
    T_CHECK(n == want_n);
    free(got);
}

static void test_placeholders(void)
{
    check_rewrite("SELECT 1", "SELECT 1", 0);
    check_rewrite("SELECT a FROM t WHERE b = ? AND c IN (?, ?)",
                  "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)", 3);
    char big[4096] = "VALUES (?";
    char want[8192] = "VALUES ($1";
    for (int i = 2; i <= 120; i++) {
        size_t bl = strlen(big), wl = strlen(want);
        snprintf(big + bl, sizeof big - bl, ", ?");
        snprintf(want + wl, sizeof want - wl, ", $%d", i);
    }
    strncat(big, ")", sizeof big - strlen(big) - 1);
    strncat(want, ")", sizeof want - strlen(want) - 1);
    check_rewrite(big, want, 120);
}

static void test_literals_pass_through(void)
{
    check_rewrite("SELECT '?', \"we?rd\", 'it''s ?' FROM t WHERE x = ?",
                  "SELECT '?', \"we?rd\", 'it''s ?' FROM t WHERE x = $1", 1);
    check_rewrite("SELECT 1 -- why? because\nWHERE a = ?", "SELECT 1 -- why? because\nWHERE a = $1",
                  1);
    check_rewrite("SELECT 'unterminated ?", "SELECT 'unterminated ?", 0);
}

static void test_json_each(void)
{
    check_rewrite("SELECT x FROM t WHERE id IN (SELECT value FROM json_each(?)) AND y = ?",
                  "SELECT x FROM t WHERE id IN (SELECT value FROM "
                  "json_array_elements_text($1::json)) AND y = $2",
                  2);
    check_rewrite("SELECT my_json_each(?)", "SELECT my_json_each($1)", 1);
}

static void test_numbered_and_hints(void)
{
    check_rewrite("SELECT (SELECT a FROM t WHERE x = ?1 AND y = ?2), (SELECT b FROM t WHERE "
                  "x = ?1)",
                  "SELECT (SELECT a FROM t WHERE x = $1 AND y = $2), (SELECT b FROM t WHERE "
                  "x = $1)",
                  2);
    check_rewrite("SELECT v FROM metrics INDEXED BY index_metrics_run_uuid_key_step WHERE k = ?",
                  "SELECT v FROM metrics WHERE k = $1", 1);
    check_rewrite("SELECT 'INDEXED BY x' FROM t", "SELECT 'INDEXED BY x' FROM t", 0);
    check_rewrite("SELECT reindexed BY FROM t", "SELECT reindexed BY FROM t", 0);
    check_rewrite("INSERT INTO t (a) SELECT * FROM unnest(?::text[])",
                  "INSERT INTO t (a) SELECT * FROM unnest($1::text[])", 1);
}

static void test_uris(void)
{
    T_CHECK(db_pg_is_uri("postgresql://u:p@h:5432/db"));
    T_CHECK(db_pg_is_uri("postgres://h/db"));
    T_CHECK(db_pg_is_uri("postgresql+psycopg2://u@h/db?sslmode=require"));
    T_CHECK(!db_pg_is_uri("sqlite:///x.db"));
    T_CHECK(!db_pg_is_uri("postgresql:/x"));
    T_CHECK(!db_pg_is_uri("postgresqlx://h/db"));
    char *r = db_uri_redacted("postgresql+psycopg2://user:s3cr:et@host:5432/db?x=1");
    T_STREQ(r, "postgresql+psycopg2://user:***@host:5432/db?x=1");
    free(r);
    r = db_uri_redacted("postgresql://user@host/db");
    T_STREQ(r, "postgresql://user@host/db");
    free(r);
    r = db_uri_redacted("postgresql://host/db?user=a@b:c");
    T_STREQ(r, "postgresql://host/db?user=a@b:c");
    free(r);
    r = db_uri_redacted("sqlite:///a:b@c.db");
    T_STREQ(r, "sqlite:///a:b@c.db");
    free(r);
}

int main(void)
{
    T_RUN(test_placeholders);
    T_RUN(test_literals_pass_through);
    T_RUN(test_json_each);
    T_RUN(test_numbered_and_hints);
    T_RUN(test_uris);
    T_DONE();
}
