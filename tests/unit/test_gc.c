/* `mltrack gc` below the command line: MLflow's --older-than format (api/gc.c), and the
 * store's permanent deletion (store/gc.c) on a SQLite file: every referring row goes, a
 * run restored meanwhile is left alone, the location is queued with the deletion, and a
 * failure at any database step of a deletion leaves every row in place and nothing queued
 * (with -Dfault_injection=true). */
#include <stdlib.h>
#include <unistd.h>

#include "api/gc.h"
#include "base/arena.h"
#include "db/db.h"
#include "store/gc.h"
#include "store/store.h"
#include "t.h"

static void test_older_than(void)
{
    static const struct {
        const char *s;
        int64_t ms; /* -1: refused */
    } cases[] = {
        {"1d2h3m4s", ((24 + 2) * 60 + 3) * 60000LL + 4000},
        {"8h", 8 * 3600000LL},
        {"2m4s", 124000},
        {"1.5d", 36 * 3600000LL},
        {".5s", 500},
        {"1.s", 1000},
        {"", 0},
        {"1d1d", -1},
        {"1h2d", -1},
        {"5", -1},
        {"1.2.3d", -1},
        {".d", -1},
        {"d", -1},
        {"1w", -1},
        {" 1d", -1},
        {"1d ", -1},
        {"-1d", -1},
        {"99999999999999999d", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct err e;
        err_clear(&e);
        int64_t ms = -7;
        int rc = gc_parse_older_than(cases[i].s, &ms, &e);
        if (cases[i].ms < 0) {
            T_CHECK(rc == -1 && e.code == ERR_INVALID_PARAMETER_VALUE);
            T_CHECK(strstr(e.msg, "Could not parse any time information from") != NULL);
        } else {
            T_CHECK(rc == 0 && ms == cases[i].ms);
        }
        if (t_cur_failed) {
            fprintf(stderr, "    case '%s'\n", cases[i].s);
            return;
        }
    }
}

static char dir[] = "/tmp/mltrack-gc-XXXXXX";
static char uri[300];

/* A deleted run r1 in experiment 1 with a row in every table that refers to a run. */
static const char seed[] =
    "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
    "creation_time, last_update_time) VALUES (1, 'e', '/nowhere', 'active', 0, 0);"
    "INSERT INTO runs (run_uuid, name, source_type, status, lifecycle_stage, artifact_uri, "
    "experiment_id, deleted_time) VALUES ('r1', 'n', 'UNKNOWN', 'FINISHED', 'deleted', "
    "'/nowhere/r1/artifacts', 1, 5);"
    "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES "
    "('m', 1, 1, 'r1', 0, 0), ('m', 2, 2, 'r1', 1, 0);"
    "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES "
    "('m', 2, 2, 1, 0, 'r1');"
    "INSERT INTO params (key, value, run_uuid) VALUES ('p', 'v', 'r1');"
    "INSERT INTO tags (key, value, run_uuid) VALUES ('t', 'v', 'r1');"
    "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, "
    "dataset_source) VALUES ('d1', 1, 'ds', 'dg', 'local', '{}');"
    "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, "
    "destination_id) VALUES ('i1', 'DATASET', 'd1', 'RUN', 'r1'), "
    "('i2', 'RUN_OUTPUT', 'r1', 'MODEL_OUTPUT', 'm-1');"
    "INSERT INTO input_tags (input_uuid, name, value) VALUES ('i1', 'mlflow.data.context', "
    "'train');"
    "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, "
    "creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage) VALUES "
    "('m-1', 1, 'm', '/nowhere/m', 0, 0, 1, 'active');"
    "INSERT INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, "
    "metric_step, metric_value, experiment_id, run_id) VALUES ('m-1', 'acc', 0, 0, 1, 1, "
    "'r1');";

static const char *const referring[] = {
    "SELECT count(*) FROM runs WHERE run_uuid = 'r1'",
    "SELECT count(*) FROM metrics WHERE run_uuid = 'r1'",
    "SELECT count(*) FROM latest_metrics WHERE run_uuid = 'r1'",
    "SELECT count(*) FROM params WHERE run_uuid = 'r1'",
    "SELECT count(*) FROM tags WHERE run_uuid = 'r1'",
    "SELECT count(*) FROM inputs WHERE 'r1' IN (source_id, destination_id)",
    "SELECT count(*) FROM input_tags",
    "SELECT count(*) FROM logged_model_metrics WHERE run_id = 'r1'",
};
enum { NREF = sizeof referring / sizeof *referring };

static int64_t scalar(struct db *db, const char *sql)
{
    struct db_stmt *st = db_prepare_once(db, sql);
    int64_t v = -1;
    if (st && db_step(st) == DB_ROW)
        v = db_col_int(st, 0);
    if (st)
        db_done(st);
    return v;
}

/* How many of the referring tables still have r1's rows. */
static int remaining(struct db *db)
{
    int n = 0;
    for (size_t i = 0; i < NREF; i++)
        n += scalar(db, referring[i]) > 0;
    return n;
}

static struct db *seeded(void)
{
    struct err e;
    struct db *db = gc_db_open(uri, &e);
    if (!db) {
        fprintf(stderr, "  gc_db_open: %s\n", e.msg);
        return NULL;
    }
    db_exec(db, "DELETE FROM mltrack_gc_pending; DELETE FROM logged_model_metrics; DELETE FROM logged_models; "
                "DELETE FROM input_tags; DELETE FROM inputs; DELETE FROM datasets; "
                "DELETE FROM tags; DELETE FROM params; DELETE FROM latest_metrics; "
                "DELETE FROM metrics; DELETE FROM runs; DELETE FROM experiments "
                "WHERE experiment_id = 1");
    if (db_exec(db, seed) != 0) {
        fprintf(stderr, "  seeding failed\n");
        db_close(db);
        return NULL;
    }
    return db;
}

static void test_delete_run(void)
{
    struct db *db = seeded();
    T_CHECK(db != NULL);
    if (!db)
        return;
    T_CHECK(remaining(db) == NREF);
    struct arena a;
    arena_init(&a);
    struct err e;
    err_clear(&e);
    struct sctx c = {.db = db, .a = &a, .e = &e};
    struct gc_item it;
    T_CHECK(gc_lookup(&c, GC_RUN, "r1", &it) == 1 && it.deleted && it.has_time &&
            it.time == 5);
    T_CHECK(gc_lookup(&c, GC_RUN, "nope", &it) == 0);
    T_CHECK(gc_lookup(&c, GC_EXPERIMENT, "x1", &it) == -1 &&
            e.code == ERR_INVALID_PARAMETER_VALUE);
    struct gc_item *items;
    size_t n;
    T_CHECK(gc_list(&c, GC_RUN, NULL, &items, &n) == 0 && n == 1);
    T_CHECK(gc_list(&c, GC_LOGGED_MODEL, "1", &items, &n) == 0 && n == 1 && !items[0].deleted);

    /* Restored since it was listed: left alone. */
    db_exec(db, "UPDATE runs SET lifecycle_stage = 'active' WHERE run_uuid = 'r1'");
    const char *loc;
    bool restored;
    T_CHECK(gc_delete(&c, GC_RUN, "r1", false, &loc, &restored) == 0 && restored);
    T_CHECK(remaining(db) == NREF);
    db_exec(db, "UPDATE runs SET lifecycle_stage = 'deleted' WHERE run_uuid = 'r1'");

    T_CHECK(gc_delete(&c, GC_RUN, "r1", false, &loc, &restored) == 1 && !restored);
    T_STREQ(loc, "/nowhere/r1/artifacts");
    T_CHECK(remaining(db) == 0);
    /* Its location is queued with the deletion until the files are gone. */
    struct gc_pending *p;
    T_CHECK(gc_pending_list(&c, &p, &n) == 0 && n == 1);
    T_CHECK(n == 1 && strcmp(p[0].location, loc) == 0 && strcmp(p[0].entity, "run") == 0 &&
            strcmp(p[0].entity_id, "r1") == 0);
    T_CHECK(gc_pending_done(&c, loc) == 0);
    T_CHECK(gc_pending_list(&c, &p, &n) == 0 && n == 0);
    T_CHECK(scalar(db, "SELECT count(*) FROM logged_models") == 1);
    /* Again: gone already, nothing to do. */
    T_CHECK(gc_delete(&c, GC_RUN, "r1", false, &loc, &restored) == 0 && !restored);

    /* An experiment with a logged model left is not deleted under it. */
    db_exec(db, "UPDATE experiments SET lifecycle_stage = 'deleted' WHERE experiment_id = 1");
    T_CHECK(gc_delete(&c, GC_EXPERIMENT, "1", false, &loc, &restored) == -1 &&
            e.code == ERR_INVALID_STATE);
    err_clear(&e);
    T_CHECK(gc_delete(&c, GC_LOGGED_MODEL, "m-1", true, &loc, &restored) == 1);
    T_CHECK(gc_delete(&c, GC_EXPERIMENT, "1", false, &loc, &restored) == 1);
    T_CHECK(scalar(db, "SELECT count(*) FROM experiments WHERE experiment_id = 1") == 0);
    T_CHECK(scalar(db, "SELECT count(*) FROM datasets") == 0);
    arena_release(&a);
    db_close(db);
}

/* A failing step at every point of a run's deletion: an error, every row still there;
 * past the last step the deletion is whole. */
static void test_delete_fault_walk(void)
{
    if (!db_fault_enabled()) {
        printf("  (gc fault walk skipped: built without -Dfault_injection=true)\n");
        return;
    }
    int walked = 0;
    for (long nth = 1;; nth++) {
        struct db *db = seeded();
        T_CHECK(db != NULL);
        if (!db)
            return;
        struct arena a;
        arena_init(&a);
        struct err e;
        err_clear(&e);
        struct sctx c = {.db = db, .a = &a, .e = &e};
        const char *loc;
        bool restored;
        db_fault_arm(nth, DB_ERROR);
        int rc = gc_delete(&c, GC_RUN, "r1", false, &loc, &restored);
        bool fired = db_fault_fired();
        db_fault_arm(0, DB_DONE);
        if (fired) {
            walked++;
            T_CHECK(rc == -1 && e.code != ERR_OK);
            /* The metric history goes in pieces of its own ahead of the run (SQLite), so it
             * may be gone; the run and everything else stay, and a second try finishes. */
            int left = remaining(db);
            T_CHECK(left == NREF || (left == NREF - 1 &&
                                     scalar(db, "SELECT count(*) FROM metrics") == 0));
            T_CHECK(scalar(db, "SELECT count(*) FROM mltrack_gc_pending") == 0);
            err_clear(&e);
            T_CHECK(gc_delete(&c, GC_RUN, "r1", false, &loc, &restored) == 1);
            T_CHECK(remaining(db) == 0);
        } else {
            T_CHECK(rc == 1 && remaining(db) == 0);
            T_CHECK(scalar(db, "SELECT count(*) FROM mltrack_gc_pending") == 1);
        }
        arena_release(&a);
        db_close(db);
        if (!fired || t_cur_failed)
            break;
    }
    printf("  gc fault walk: %d failing steps checked\n", walked);
    T_CHECK(walked >= 8);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(uri, sizeof uri, "sqlite:///%s/gc.db", dir);
    /* MLflow's schema, made by the store's set-up; then the store lets go of the file. */
    struct store_config sc = {.backend_uri = uri, .default_artifact_root = "/nowhere"};
    struct err e;
    err_clear(&e);
    if (store_global_init(&sc, &e) != 0) {
        fprintf(stderr, "store: %s\n", e.msg);
        return 2;
    }
    store_global_shutdown();
    T_RUN(test_older_than);
    T_RUN(test_delete_run);
    T_RUN(test_delete_fault_walk);
    t_rmtree(dir);
    T_DONE();
}
