/* Trace metrics below the API: SQLite's percentile() (db/sqlite_percentile.c), the metrics
 * filter and the rules (query/trace_metrics.c), and the SQL (query/sql_trace_metrics.c) run
 * on an in-memory database with the tables it reads. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "db/dialect.h"
#include "db/sqlite.h"
#include "query/trace_metrics.h"
#include "t.h"

static sqlite3 *conn;

/* The one value `sql` gives, as text ("NULL" for NULL). */
static const char *scalar(const char *sql)
{
    static char out[64];
    sqlite3_stmt *st;
    snprintf(out, sizeof out, "error");
    if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "  %s: %s\n", sql, sqlite3_errmsg(conn));
        return out;
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, sizeof out, "%s",
                 sqlite3_column_type(st, 0) == SQLITE_NULL ? "NULL"
                                                           : (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static void test_percentile(void)
{
    T_CHECK(sqlite3_exec(conn, "CREATE TABLE v (x REAL, g INTEGER); INSERT INTO v VALUES "
                               "(4, 1), (1, 1), (3, 1), (2, 1), (NULL, 1), (7, 2)",
                         NULL, NULL, NULL) == SQLITE_OK);
    /* numpy's linear method over 1, 2, 3, 4: index p/100 * 3 */
    T_STREQ(scalar("SELECT percentile(x, 50) FROM v WHERE g = 1"), "2.5");
    T_STREQ(scalar("SELECT percentile(x, 0) FROM v WHERE g = 1"), "1.0");
    T_STREQ(scalar("SELECT percentile(x, 100) FROM v WHERE g = 1"), "4.0");
    T_STREQ(scalar("SELECT percentile(x, 90) FROM v WHERE g = 1"), "3.7");
    T_STREQ(scalar("SELECT percentile(x, 50) FROM v WHERE g = 2"), "7.0");
    T_STREQ(scalar("SELECT percentile(x, 50) FROM v WHERE g = 3"), "NULL");
    T_STREQ(scalar("SELECT percentile(x, NULL) FROM v"), "NULL");
    /* The first row that gives a p decides it. */
    T_STREQ(scalar("SELECT percentile(x, CASE WHEN x = 4 THEN 100 ELSE 0 END) FROM v "
                   "WHERE g = 1"),
            "4.0");
    sqlite3_exec(conn, "DROP TABLE v", NULL, NULL, NULL);
}

static void test_labels(void)
{
    struct arena a;
    arena_init(&a);
    struct tm_agg g[] = {{TM_COUNT, 0}, {TM_PERCENTILE, 50}, {TM_PERCENTILE, 99.9},
                         {TM_PERCENTILE, 0}, {TM_PERCENTILE, 0.00001}, {TM_AVG, 0}};
    T_STREQ(tm_agg_label(&a, &g[0]), "COUNT");
    T_STREQ(tm_agg_label(&a, &g[1]), "P50.0");
    T_STREQ(tm_agg_label(&a, &g[2]), "P99.9");
    T_STREQ(tm_agg_label(&a, &g[3]), "P0.0");
    T_STREQ(tm_agg_label(&a, &g[4]), "P1e-05");
    T_STREQ(tm_agg_label(&a, &g[5]), "AVG");
    arena_release(&a);
}

static void test_rules(void)
{
    struct err e;
    T_CHECK(tm_metric_find(TM_SPANS, "latency", &e) == 1);
    T_CHECK(tm_metric_find(TM_ASSESSMENTS, "latency", &e) < 0);
    T_STREQ(e.msg, "metric_name must be one of ['assessment_count', 'assessment_value'], got "
                   "'latency'");
    /* A name with a quote is written as Python's repr writes it. */
    T_CHECK(tm_metric_find(TM_TRACES, "it's", &e) < 0);
    T_CHECK(strstr(e.msg, "got \"it's\"") != NULL);
    struct tm_agg sum = {TM_SUM, 0};
    int ix[3];
    const char *dims[] = {"span_model_provider", "span_model_name", "span_model_name"};
    T_CHECK(tm_check(TM_SPANS, 2, &sum, 1, dims, 3, ix, &e) == 0);
    T_CHECK(ix[0] == 4 && ix[1] == 3 && ix[2] == 3);
    const char *bad[] = {"span_name"};
    T_CHECK(tm_check(TM_SPANS, 2, &sum, 1, bad, 1, ix, &e) < 0);
    T_STREQ(e.msg, "Found invalid dimension(s): ['span_name']. Supported dimensions: "
                   "['span_model_name', 'span_model_provider']");
}

static struct tm_filter parse_ok(struct arena *a, const char *s)
{
    struct tm_filter f;
    struct err e;
    if (tm_filter_parse(a, s, strlen(s), &f, &e) != 0) {
        fprintf(stderr, "  %s: %s\n", s, e.msg);
        t_cur_failed = 1;
    }
    return f;
}

static bool key_is(const struct tm_filter *f, const char *k, const char *v)
{
    /* memcmp only where there are bytes: an absent key has no pointer */
    return f->key.n == strlen(k) && (!f->key.n || memcmp(f->key.p, k, f->key.n) == 0) &&
           f->value.n == strlen(v) && (!f->value.n || memcmp(f->value.p, v, f->value.n) == 0);
}

static void test_filters(void)
{
    struct arena a;
    arena_init(&a);
    struct tm_filter f = parse_ok(&a, "  trace.tag.`my key` = 'a b'  ");
    T_CHECK(f.what == TMF_TRACE_TAG && key_is(&f, "my key", "a b"));
    f = parse_ok(&a, "`trace`.metadata.mlflow.sourceRun = \"r1\"");
    T_CHECK(f.what == TMF_TRACE_METADATA && key_is(&f, "mlflow.sourceRun", "r1"));
    T_CHECK(f.usage == USAGE_NONE);
    f = parse_ok(&a, "trace.metadata.mlflow.trace.cost = '{}'");
    T_CHECK(f.usage == USAGE_COST);
    f = parse_ok(&a, "span.type = 'LLM'");
    T_CHECK(f.what == TMF_SPAN_TYPE && key_is(&f, "", "LLM"));
    f = parse_ok(&a, "assessment.type='feedback'");
    T_CHECK(f.what == TMF_ASSESSMENT_TYPE && key_is(&f, "", "feedback"));
    struct err e;
    static const char *const refused[][2] = {
        {"trace.status = 'a' or trace.status = 'b'", "Invalid clause(s) in filter string: or"},
        {"trace.status IS NULL", "Invalid clause(s) in filter string: trace.status, IS, NULL"},
        {"span.kind = 'x'", "Invalid entity 'kind' specified for view type 'span'. Valid "
                            "entities are ['name', 'status', 'type']"},
        {"trace.status LIKE 'x'", "Invalid comparator: 'LIKE', only '=' operator is supported"},
        {"   ", "Invalid filter: '   '. Expected one filter clause."},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        T_CHECK(tm_filter_parse(&a, refused[i][0], strlen(refused[i][0]), &f, &e) < 0);
        T_STREQ(e.msg, refused[i][1]);
    }
    T_CHECK(tm_filter_parse(&a, "trace.status = '\0'", 18, &f, &e) < 0);
    arena_release(&a);
}

/* tm_sql for q on SQLite, run; the rows as "a|b;c|d;". */
static const char *run(const struct tm_query *q)
{
    static char out[2048];
    struct arena a;
    arena_init(&a);
    struct buf sql;
    buf_init(&sql, 1 << 16);
    struct sql_val *v;
    size_t n;
    struct err e;
    snprintf(out, sizeof out, "error");
    sqlite3_stmt *st = NULL;
    if (tm_sql(&a, &db_dialect_sqlite, q, &sql, &v, &n, &e) != 0)
        snprintf(out, sizeof out, "refused: %s", e.msg);
    else if (sqlite3_prepare_v2(conn, sql.ptr, -1, &st, NULL) != SQLITE_OK)
        fprintf(stderr, "  %s: %s\n", sql.ptr, sqlite3_errmsg(conn));
    for (size_t i = 0; st && i < n; i++) {
        if (v[i].type == SQL_TEXT)
            sqlite3_bind_text(st, (int)i + 1, v[i].s, (int)v[i].n, SQLITE_STATIC);
        else if (v[i].type == SQL_REAL)
            sqlite3_bind_double(st, (int)i + 1, v[i].d);
        else if (v[i].type == SQL_NO_LIMIT)
            sqlite3_bind_int64(st, (int)i + 1, -1);
        else
            sqlite3_bind_int64(st, (int)i + 1, v[i].i);
    }
    if (st) {
        size_t k = 0;
        out[0] = '\0';
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const unsigned char *t = sqlite3_column_text(st, c);
                k += (size_t)snprintf(out + k, sizeof out - k, "%s%s", c ? "|" : "",
                                      t ? (const char *)t : "NULL");
            }
            k += (size_t)snprintf(out + k, sizeof out - k, ";");
        }
        sqlite3_finalize(st);
    }
    buf_release(&sql);
    arena_release(&a);
    return out;
}

static void test_sql(void)
{
    T_CHECK(sqlite3_exec(
                conn,
                "CREATE TABLE trace_info (request_id TEXT, experiment_id INT, timestamp_ms INT, "
                "execution_time_ms INT, status TEXT, trace_name TEXT, session_id TEXT, "
                "input_tokens INT, output_tokens INT, total_tokens INT, "
                "cache_read_input_tokens INT, cache_creation_input_tokens INT, "
                "cache_creation_input_tokens_above_1hr INT);"
                "CREATE TABLE trace_tags (request_id TEXT, key TEXT, value TEXT);"
                "INSERT INTO trace_info VALUES ('t1', 1, 3600000, 10, 'OK', 'a', 's', 5, 1, "
                "6, NULL, NULL, NULL), ('t2', 1, 3600001, 30, 'ERROR', 'a', NULL, NULL, NULL, NULL, "
                "NULL, NULL, NULL), ('t3', 1, 7200000, 20, 'OK', NULL, 's', 7, 1, 8, NULL, NULL, "
                "NULL), ('t4', 2, 0, 1, 'OK', 'a', NULL, NULL, NULL, NULL, NULL, NULL, NULL);"
                "INSERT INTO trace_tags VALUES ('t1', 'team', 'x'), ('t3', 'team', 'x')",
                NULL, NULL, NULL) == SQLITE_OK);
    static const int64_t exp1[] = {1};
    struct tm_agg count = {TM_COUNT, 0};
    struct tm_agg lat[] = {{TM_AVG, 0}, {TM_PERCENTILE, 50}};
    int dim_name = 0;
    struct tm_query q = {exp1, 1, TM_TRACES, 0, &count, 1, NULL, 0, NULL, 0, 0, false, false,
                         0, 0, -1};
    T_STREQ(run(&q), "3;");
    q.dims = &dim_name; /* a trace without a name is no group */
    q.ndims = 1;
    T_STREQ(run(&q), "a|2;");
    q.ndims = 0;
    q.interval_s = 3600; /* floor(ts / 3600000.0) * 3600000 */
    T_STREQ(run(&q), "3600000.0|2;7200000.0|1;");
    q.interval_s = 0;
    q.metric = 1; /* session_count: distinct, the traces without one left out */
    T_STREQ(run(&q), "1;");
    q.metric = 2;
    q.aggs = lat;
    q.naggs = 2;
    T_STREQ(run(&q), "20.0|20.0;");
    q.has_start = q.has_end = true; /* inclusive at both ends */
    q.start_ms = 3600001;
    q.end_ms = 7200000;
    T_STREQ(run(&q), "25.0|25.0;");
    q.has_start = q.has_end = false;
    struct tm_filter f = {.what = TMF_TRACE_TAG, .key = {"team", 4}, .value = {"x", 1}};
    q.filters = &f;
    q.nfilters = 1;
    T_STREQ(run(&q), "15.0|15.0;");
    f = (struct tm_filter){.what = TMF_SPAN_NAME, .value = {"x", 1}};
    T_STREQ(run(&q), "refused: Filtering by span is only supported for SPANS view type, got "
                     "TRACES");
    f = (struct tm_filter){.what = TMF_TRACE_METADATA, .key = {"mlflow.trace.tokenUsage", 23},
                           .usage = USAGE_TOKENS, .match.canonical = true};
    f.match.given[0] = f.match.given[1] = f.match.given[2] = true;
    f.match.col[0] = (struct sql_val){.type = SQL_INT, .i = 7};
    f.match.col[1] = (struct sql_val){.type = SQL_INT, .i = 1};
    f.match.col[2] = (struct sql_val){.type = SQL_INT, .i = 8};
    T_STREQ(run(&q), "20.0|20.0;");
    f.match.canonical = false; /* no row: the aggregates' one row of NULLs, which is no data point */
    T_STREQ(run(&q), "NULL|NULL;");
    q.nfilters = 0;
    q.nexp = 0; /* no experiment: one count of nothing */
    q.metric = 0;
    q.aggs = &count;
    q.naggs = 1;
    T_STREQ(run(&q), "0;");
}

/* User text only ever travels as binds, in both dialects. */
static void test_no_user_text(void)
{
    struct arena a;
    arena_init(&a);
    static const int64_t ids[] = {1};
    struct tm_agg p = {TM_PERCENTILE, 50};
    int dim = 0;
    struct tm_filter f[] = {
        {.what = TMF_TRACE_TAG, .key = {"k'--", 4}, .value = {"v'--", 4}},
        {.what = TMF_TRACE_METADATA, .key = {"mlflow.sourceRun", 16}, .value = {"r'--", 4}},
    };
    for (int d = 0; d < 2; d++) {
        const struct db_dialect *k = d ? &db_dialect_postgresql : &db_dialect_sqlite;
        struct tm_query q = {ids, 1, TM_ASSESSMENTS, 1, &p, 1, &dim, 1, f, 2, 60, true, true,
                             0, 10, 5};
        struct buf sql;
        buf_init(&sql, 1 << 16);
        struct sql_val *v;
        size_t n;
        struct err e;
        T_CHECK(tm_sql(&a, k, &q, &sql, &v, &n, &e) == 0);
        T_CHECK(strstr(sql.ptr, "'--") == NULL);
        T_CHECK(strstr(sql.ptr, d ? "percentile_cont(" : "percentile(") != NULL);
        T_CHECK(strstr(sql.ptr, "GROUP BY 1, 2 ORDER BY 1, 2") != NULL);
        buf_release(&sql);
    }
    arena_release(&a);
}

int main(void)
{
    if (sqlite3_open(":memory:", &conn) != SQLITE_OK || db_sqlite_percentile_register(conn) != 0)
        return 1;
    T_RUN(test_percentile);
    T_RUN(test_labels);
    T_RUN(test_rules);
    T_RUN(test_filters);
    T_RUN(test_sql);
    T_RUN(test_no_user_text);
    sqlite3_close(conn);
    T_DONE();
}
