/* The store's own ceiling, below HTTP and JSON: log-batch of 500 metrics (10 keys) and
 * create-run straight through the store API on a SQLite file, from 1 and from 4 threads,
 * with the durability the server has (WAL, synchronous=FULL, group commit). What the
 * server cannot exceed on this machine, whatever its HTTP side does. Not a test.
 *   ninja -C build tests/bench/store_bench && build/tests/bench/store_bench [batches] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/store.h"
#include "store/tracking.h"

enum { POINTS = 500, KEYS = 10 };

static int batches = 400;

struct job {
    int tno, nthreads;
    int64_t ns;
    int failed;
};

static const struct run_create new_run = {.experiment_id = 0, .user_id = "bench",
                                          .start_time = 1, .has_start_time = true};

/* A thread's store context, on its own connection. */
static bool thread_ctx(struct sctx *c, struct arena *a, struct err *e)
{
    arena_init(a);
    *c = (struct sctx){.a = a, .e = e};
    c->db = store_thread_db(e);
    return c->db != NULL;
}

static void *log_batches(void *arg)
{
    struct job *j = arg;
    struct arena a;
    struct err e;
    struct sctx c;
    struct run r;
    if (!thread_ctx(&c, &a, &e) || run_create(&c, &new_run, &r) != 0) {
        j->failed++;
        return NULL;
    }
    const char *rid = arena_strdup(&a, r.info.run_id);
    static const char *const keys[KEYS] = {"k0", "k1", "k2", "k3", "k4",
                                          "k5", "k6", "k7", "k8", "k9"};
    struct metric *m = calloc(POINTS, sizeof *m);
    int64_t t0 = mono_ns();
    for (int b = j->tno; b < batches; b += j->nthreads) {
        for (int i = 0; i < POINTS; i++)
            m[i] = (struct metric){.key = keys[i % KEYS], .value = 1.0 / (i + 1),
                                   .timestamp = 1700000000000 + (int64_t)b * POINTS + i,
                                   .step = (int64_t)b * (POINTS / KEYS) + i / KEYS};
        if (run_log_batch(&c, rid, m, POINTS, NULL, 0, NULL, 0) != 0)
            j->failed++;
    }
    j->ns = mono_ns() - t0;
    free(m);
    arena_release(&a);
    return NULL;
}

static void *create_runs(void *arg)
{
    struct job *j = arg;
    struct arena a;
    struct err e;
    struct sctx c;
    bool ok = thread_ctx(&c, &a, &e);
    int64_t t0 = mono_ns();
    for (int i = j->tno; i < batches * 5; i += j->nthreads) {
        struct run r;
        arena_reset(&a);
        if (!ok || run_create(&c, &new_run, &r) != 0)
            j->failed++;
    }
    j->ns = mono_ns() - t0;
    arena_release(&a);
    return NULL;
}

static double run_threads(void *(*fn)(void *), int n)
{
    pthread_t th[16];
    struct job jobs[16];
    int64_t t0 = mono_ns();
    for (int i = 0; i < n; i++) {
        jobs[i] = (struct job){.tno = i, .nthreads = n};
        pthread_create(&th[i], NULL, fn, &jobs[i]);
    }
    int failed = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        failed += jobs[i].failed;
    }
    if (failed)
        fprintf(stderr, "%d operations failed\n", failed);
    return (double)(mono_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        batches = (int)strtol(argv[1], NULL, 10);
    char dir[] = "/tmp/mltrack-store-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 2;
    char uri[256];
    snprintf(uri, sizeof uri, "sqlite:///%s/b.db", dir);
    struct store_config sc = {.backend_uri = uri, .default_artifact_root = "mlflow-artifacts:/"};
    struct err e;
    if (store_global_init(&sc, &e) != 0) {
        fprintf(stderr, "%s\n", e.msg);
        return 2;
    }
    log_min_level = LOG_WARN;
    printf("%-28s %8s %14s\n", "workload", "threads", "per second");
    for (int n = 1; n <= 4; n *= 4) {
        double s = run_threads(log_batches, n);
        printf("%-28s %8d %14.0f points (%.0f batches)\n", "log-batch 500 metrics", n,
               batches * (double)POINTS / s, batches / s);
    }
    for (int n = 1; n <= 4; n *= 4) {
        double s = run_threads(create_runs, n);
        printf("%-28s %8d %14.0f runs\n", "create-run", n, batches * 5 / s);
    }
    store_global_shutdown();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
