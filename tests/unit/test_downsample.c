/* Unit tests for the metric downsampler (store/metrics_downsample.c) on a real SQLite
 * database: M4 keeps the first, lowest, highest and last point of each bucket in x order;
 * ranges, NaN points, the timestamp axis, the preview, and steps at the ends of int64. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/metrics_downsample.h"
#include "store/store.h"
#include "tests/unit/t.h"

static struct arena A;
static struct err E;
static struct sctx C;

static void exec(const char *sql)
{
    if (db_exec(C.db, sql) != 0) {
        fprintf(stderr, "setup failed: %s\n", sql);
        exit(2);
    }
}

static int ds(const char *run, const char *key, enum ds_axis axis, bool has_range, int64_t lo,
              int64_t hi, int buckets, bool preview, struct ds_result *r)
{
    struct ds_query q = {.run_id = run, .key = key, .axis = axis, .has_min = has_range,
                         .has_max = has_range, .min = lo, .max = hi, .buckets = buckets,
                         .preview = preview};
    return metric_downsample(&C, &q, r);
}

static bool in_x_order(const struct ds_result *r, bool steps)
{
    for (size_t i = 1; i < r->n; i++)
        if ((steps ? r->pts[i].step < r->pts[i - 1].step
                   : r->pts[i].timestamp < r->pts[i - 1].timestamp))
            return false;
    return true;
}

static void test_missing(void)
{
    struct ds_result r;
    T_CHECK(ds("nope", "loss", DS_STEP, false, 0, 0, 10, false, &r) == -1);
    T_CHECK(E.code == ERR_RESOURCE_DOES_NOT_EXIST);
    T_CHECK(ds("r1", "no_such_key", DS_STEP, false, 0, 0, 10, false, &r) == 0);
    T_CHECK(r.n == 0 && r.in_range == 0 && !r.sampled);
}

static void test_small_series_whole(void)
{
    struct ds_result r;
    T_CHECK(ds("r1", "small", DS_STEP, false, 0, 0, 1000, false, &r) == 0);
    T_CHECK(r.n == 10 && r.in_range == 10 && !r.sampled);
    T_CHECK(r.min == 0 && r.max == 9);
    T_CHECK(in_x_order(&r, true));
    T_CHECK(r.pts[3].step == 3 && r.pts[3].value == 30.0 && r.pts[3].timestamp == 1003);
}

static void test_m4_keeps_extremes(void)
{
    struct ds_result r;
    T_CHECK(ds("r1", "big", DS_STEP, false, 0, 0, 10, false, &r) == 0);
    T_CHECK(r.in_range == 10000 && r.sampled);
    T_CHECK(r.n <= 40 && r.n >= 20);
    T_CHECK(in_x_order(&r, true));
    T_CHECK(r.pts[0].step == 0 && r.pts[r.n - 1].step == 9999);
    bool spike = false, dip = false;
    for (size_t i = 0; i < r.n; i++) {
        spike |= r.pts[i].step == 4321 && r.pts[i].value == 1000.0;
        dip |= r.pts[i].step == 777 && r.pts[i].value == -1000.0;
    }
    T_CHECK(spike && dip);
}

static void test_range(void)
{
    struct ds_result r;
    T_CHECK(ds("r1", "big", DS_STEP, true, 4300, 4340, 1000, false, &r) == 0);
    T_CHECK(r.in_range == 41 && r.n == 41 && !r.sampled);
    T_CHECK(r.pts[0].step == 4300 && r.pts[40].step == 4340);
    T_CHECK(ds("r1", "big", DS_STEP, true, 20000, 30000, 10, false, &r) == 0);
    T_CHECK(r.n == 0 && r.in_range == 0);
}

static void test_nan(void)
{
    struct ds_result r;
    T_CHECK(ds("r1", "withnan", DS_STEP, false, 0, 0, 100, false, &r) == 0);
    T_CHECK(r.in_range == 4 && r.nan_points == 2 && r.n == 2);
    for (size_t i = 0; i < r.n; i++)
        T_CHECK(!isnan(r.pts[i].value));
}

static void test_timestamp_axis(void)
{
    /* "rev": steps 0..9 logged with falling timestamps. */
    struct ds_result r;
    T_CHECK(ds("r1", "rev", DS_TIMESTAMP, false, 0, 0, 1000, false, &r) == 0);
    T_CHECK(r.n == 10 && r.min == 100 && r.max == 109);
    T_CHECK(in_x_order(&r, false));
    T_CHECK(r.pts[0].step == 9 && r.pts[9].step == 0);
    T_CHECK(ds("r1", "rev", DS_TIMESTAMP, true, 100, 101, 1000, false, &r) == 0);
    T_CHECK(r.n == 2 && r.in_range == 2);
}

static void test_preview(void)
{
    struct ds_result r;
    T_CHECK(ds("r1", "big", DS_STEP, false, 0, 0, 100, true, &r) == 0);
    T_CHECK(r.in_range == -1 && r.sampled && r.n == 100);
    T_CHECK(in_x_order(&r, true));
    T_CHECK(r.pts[0].step == 0 && r.pts[1].step == 100);
    /* A wide range: all ten points fall in the first bucket, so one is taken; the seek
     * for the second bucket finds nothing and the preview stops. */
    T_CHECK(ds("r1", "small", DS_STEP, true, 0, 1000000, 1000, true, &r) == 0);
    T_CHECK(r.n == 1 && r.pts[0].step == 0);
    T_CHECK(ds("r1", "small", DS_STEP, true, 0, 9, 5, true, &r) == 0);
    T_CHECK(r.n == 5 && r.pts[1].step == 2 && r.pts[4].step == 8);
    T_CHECK(ds("r1", "withnan", DS_STEP, false, 0, 0, 10, true, &r) == 0);
    T_CHECK(r.n == 2);
}

static void test_int64_ends(void)
{
    struct ds_result r;
    T_CHECK(ds("r1", "ends", DS_STEP, false, 0, 0, 3, false, &r) == 0);
    T_CHECK(r.n == 3 && r.min == INT64_MIN + 1 && r.max == INT64_MAX);
    T_CHECK(r.pts[0].step == INT64_MIN + 1 && r.pts[1].step == 0 && r.pts[2].step == INT64_MAX);
    T_CHECK(ds("r1", "ends", DS_STEP, true, INT64_MIN, INT64_MAX, 10000, false, &r) == 0);
    T_CHECK(r.n == 3);
    T_CHECK(ds("r1", "ends", DS_STEP, true, INT64_MIN, INT64_MAX, 1, false, &r) == 0);
    T_CHECK(r.n == 2 && r.sampled); /* one bucket: first = lowest, last = highest */
    T_CHECK(ds("r1", "ends", DS_STEP, true, INT64_MIN, INT64_MAX, 1, true, &r) == 0);
    T_CHECK(r.n == 1 && r.pts[0].step == INT64_MIN + 1);
    T_CHECK(ds("r1", "ends", DS_STEP, true, INT64_MIN, INT64_MAX, 10000, true, &r) == 0);
    T_CHECK(r.n == 3);
}

int main(void)
{
    char dir[] = "/tmp/mltrack-ds-XXXXXX";
    if (!mkdtemp(dir))
        return 2;
    char uri[128];
    snprintf(uri, sizeof uri, "sqlite:///%s/t.db", dir);
    struct store_config cfg = {.backend_uri = uri, .default_artifact_root = dir};
    if (store_global_init(&cfg, &E) != 0) {
        fprintf(stderr, "store: %s\n", E.msg);
        return 2;
    }
    arena_init(&A);
    C.a = &A;
    C.e = &E;
    C.db = store_thread_db(&E);
    if (!C.db)
        return 2;
    exec("INSERT INTO runs (run_uuid, name, source_type, status, start_time, lifecycle_stage, "
         "artifact_uri, experiment_id) VALUES ('r1', 'r', 'UNKNOWN', 'RUNNING', 0, 'active', "
         "'x', 0)");
    exec("WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 9) "
         "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
         "SELECT 'small', i * 10.0, 1000 + i, 'r1', i, 0 FROM c");
    exec("WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 9999) "
         "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
         "SELECT 'big', CASE i WHEN 4321 THEN 1000.0 WHEN 777 THEN -1000.0 ELSE (i % 7) END, "
         "5000 + i, 'r1', i, 0 FROM c");
    exec("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES "
         "('withnan', 1.0, 1, 'r1', 0, 0), ('withnan', 0.0, 2, 'r1', 1, 1), "
         "('withnan', 0.0, 3, 'r1', 2, 1), ('withnan', 2.0, 4, 'r1', 3, 0)");
    exec("WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 9) "
         "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
         "SELECT 'rev', i, 109 - i, 'r1', i, 0 FROM c");
    exec("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES "
         "('ends', 1.0, 1, 'r1', -9223372036854775807, 0), ('ends', 2.0, 2, 'r1', 0, 0), "
         "('ends', 3.0, 3, 'r1', 9223372036854775807, 0)");

    T_RUN(test_missing);
    T_RUN(test_small_series_whole);
    T_RUN(test_m4_keeps_extremes);
    T_RUN(test_range);
    T_RUN(test_nan);
    T_RUN(test_timestamp_axis);
    T_RUN(test_preview);
    T_RUN(test_int64_ends);

    arena_release(&A);
    store_global_shutdown();
    char path[160];
    const char *files[] = {"t.db", "t.db-wal", "t.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    T_DONE();
}
