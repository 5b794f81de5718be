/* Handlers without sockets (as h2o's unit tests do): each test builds a struct req, routes it
 * with api_match and runs it with api_handle (or the streamed-body calls) against an
 * in-memory SQLite database and a scratch artifact folder, then checks status and body.
 *
 * In a build with -Dfault_injection=true the fault walks fail the Nth database step or the
 * Nth artifact backend call of a request, for every N until the request no longer reaches
 * an Nth, and check what a failure must leave: MLflow's error with its status, nothing of
 * the failed request in the database or the store, and a server that serves the next
 * request (no transaction or writer lock left behind). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/request.h"
#include "artifacts/art.h"
#include "db/db.h"
#include "server/urlparse.h"
#include "store/store.h"
#include "t.h"

static char artifact_dir[] = "/tmp/mltrack-handlers-XXXXXX";

/* One request and its answer. */
struct call {
    struct arena a;
    struct resp out;
    int status;
    json_t *json; /* the body, when it is JSON */
    char *raw;    /* a streamed body, read to the end */
    size_t raw_len;
    int pieces;   /* pieces a body made piece by piece came in */
};

static void call_release(struct call *k)
{
    json_decref(k->json);
    free(k->raw);
    buf_release(&k->out.body);
    arena_release(&k->a);
}

static enum http_method method_of(const char *m)
{
    static const struct {
        const char *name;
        enum http_method m;
    } tab[] = {{"GET", HTTP_GET}, {"POST", HTTP_POST}, {"PUT", HTTP_PUT},
               {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE}};
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
        if (strcmp(m, tab[i].name) == 0)
            return tab[i].m;
    return HTTP_OTHER;
}

/* Runs "METHOD /target?query" with body (JSON for POST/PATCH; the raw bytes of a streamed
 * upload for PUT). Returns the status. */
static int run(struct call *k, const char *method, const char *target, const char *body)
{
    memset(k, 0, sizeof *k);
    arena_init(&k->a);
    buf_init(&k->out.body, (size_t)64 << 20);
    struct req r = {.arena = &k->a, .method = method_of(method)};
    if (url_parse_target(&k->a, target, &r.path, &r.query, &r.nquery) != URL_OK)
        return k->status = -1;
    struct route_info ri = api_match(&r);
    if (!ri.route)
        return k->status = 404;
    size_t n = body ? strlen(body) : 0;
    if (ri.stream_in) {
        void *st = api_stream_begin(ri.route, &r, &k->out);
        if (st && api_stream_write(st, body ? body : "", n, &k->out) == 0)
            api_stream_end(st, &k->out);
    } else {
        if (body) {
            r.content_type = "application/json";
            r.body = body;
            r.body_len = n;
        }
        api_handle(ri.route, &r, &k->out);
    }
    k->status = k->out.status ? k->out.status : 200;
    if (k->out.stream.read) {
        struct buf b;
        buf_init(&b, (size_t)64 << 20);
        char chunk[4096];
        long got;
        uint64_t pos = 0;
        while ((got = k->out.stream.read(k->out.stream.ctx, pos, chunk, sizeof chunk)) > 0) {
            buf_append(&b, chunk, (size_t)got);
            pos += (uint64_t)got;
        }
        if (got < 0)
            k->status = -2; /* the glue would cut the connection */
        if (k->out.stream.free)
            k->out.stream.free(k->out.stream.ctx);
        k->raw = buf_detach(&b, &k->raw_len);
    } else if (k->out.pieces.next) {
        /* Taken piece by piece, as the glue does; the body kept, and parsed when JSON. */
        struct buf b;
        buf_init(&b, (size_t)256 << 20);
        int more;
        k->pieces = 0;
        do {
            more = k->out.pieces.next(k->out.pieces.ctx, &b, 64 * 1024);
            k->pieces++;
        } while (more > 0);
        if (more < 0)
            k->status = -2;
        k->out.pieces.free(k->out.pieces.ctx);
        k->json = json_loadb(b.ptr, b.len, 0, NULL);
        k->raw = buf_detach(&b, &k->raw_len);
    } else if (k->out.body.len) {
        k->json = json_loadb(k->out.body.ptr, k->out.body.len, 0, NULL);
    }
    return k->status;
}

static const char *jstr(json_t *j, const char *path)
{
    /* "a.b.c" through nested objects */
    char key[128];
    const char *p = path;
    while (j && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        j = json_object_get(j, key);
        p = dot ? dot + 1 : p + n;
    }
    return j && json_is_string(j) ? json_string_value(j) : NULL;
}

static char *create_run(void)
{
    struct call k;
    run(&k, "POST", "/api/2.0/mlflow/runs/create", "{\"experiment_id\": \"0\"}");
    const char *id = jstr(k.json, "run.info.run_id");
    char *out = id ? strdup(id) : NULL;
    call_release(&k);
    return out;
}

/* ---- plain requests ---- */

static void test_roundtrip(void)
{
    struct call k;
    T_CHECK(run(&k, "POST", "/api/2.0/mlflow/experiments/create", "{\"name\": \"h1\"}") == 200);
    const char *eid = jstr(k.json, "experiment_id");
    T_CHECK(eid != NULL);
    char body[256];
    snprintf(body, sizeof body, "{\"experiment_id\": \"%s\", \"run_name\": \"r1\"}",
             eid ? eid : "?");
    call_release(&k);
    T_CHECK(run(&k, "POST", "/api/2.0/mlflow/runs/create", body) == 200);
    char *rid = strdup(jstr(k.json, "run.info.run_id") ? jstr(k.json, "run.info.run_id") : "");
    T_STREQ(jstr(k.json, "run.info.run_name"), "r1");
    call_release(&k);
    snprintf(body, sizeof body,
             "{\"run_id\": \"%s\", \"metrics\": [{\"key\": \"m\", \"value\": 0.5, "
             "\"timestamp\": 1, \"step\": 2}], \"params\": [{\"key\": \"p\", \"value\": \"v\"}]}",
             rid);
    T_CHECK(run(&k, "POST", "/api/2.0/mlflow/runs/log-batch", body) == 200);
    T_CHECK(k.json && json_object_size(k.json) == 0);
    call_release(&k);
    char target[256];
    snprintf(target, sizeof target, "/api/2.0/mlflow/runs/get?run_id=%s", rid);
    T_CHECK(run(&k, "GET", target, NULL) == 200);
    json_t *data = json_object_get(json_object_get(k.json, "run"), "data");
    json_t *m = json_array_get(json_object_get(data, "metrics"), 0);
    T_CHECK(m && json_real_value(json_object_get(m, "value")) == 0.5);
    T_STREQ(jstr(json_array_get(json_object_get(data, "params"), 0), "value"), "v");
    call_release(&k);
    free(rid);
}

static void test_errors(void)
{
    struct call k;
    T_CHECK(run(&k, "GET", "/api/2.0/mlflow/runs/get?run_id=nope", NULL) == 404);
    T_STREQ(jstr(k.json, "error_code"), "RESOURCE_DOES_NOT_EXIST");
    T_STREQ(jstr(k.json, "message"), "Run with id=nope not found");
    call_release(&k);
    T_CHECK(run(&k, "POST", "/api/2.0/mlflow/runs/create", "{\"experiment_id\": ") == 400);
    T_STREQ(jstr(k.json, "error_code"), "INVALID_PARAMETER_VALUE");
    call_release(&k);
    T_CHECK(run(&k, "POST", "/api/2.0/mlflow/experiments/create", "{}") == 400);
    T_CHECK(jstr(k.json, "message") &&
            strstr(jstr(k.json, "message"), "Missing value for required parameter 'name'"));
    call_release(&k);
    T_CHECK(run(&k, "GET", "/api/2.0/mlflow/no-such-route", NULL) == 404);
    call_release(&k);
}

/* A history past the one-body limit comes in pieces and reads as the same JSON. */
static void test_long_history_in_pieces(void)
{
    char *rid = create_run();
    enum { N = 40000, PER = 1000 };
    struct buf body;
    buf_init(&body, 1 << 24);
    for (int b = 0; b < N / PER; b++) {
        buf_clear(&body);
        buf_printf(&body, "{\"run_id\": \"%s\", \"metrics\": [", rid);
        for (int i = b * PER; i < (b + 1) * PER; i++)
            buf_printf(&body, "%s{\"key\": \"loss\", \"value\": %d.5, \"timestamp\": %d, "
                              "\"step\": %d}",
                       i > b * PER ? ", " : "", i, 1000 + i, i);
        buf_puts(&body, "]}");
        struct call k;
        T_CHECK(run(&k, "POST", "/api/2.0/mlflow/runs/log-batch", body.ptr) == 200);
        call_release(&k);
    }
    buf_release(&body);
    char target[256];
    snprintf(target, sizeof target, "/api/2.0/mlflow/metrics/get-history?run_id=%s&metric_key=loss",
             rid);
    struct call k;
    T_CHECK(run(&k, "GET", target, NULL) == 200);
    T_CHECK(k.pieces > 10);
    json_t *ms = json_object_get(k.json, "metrics");
    T_CHECK(json_array_size(ms) == N);
    bool ordered = true;
    for (size_t i = 0; i < json_array_size(ms); i++) {
        json_t *m = json_array_get(ms, i);
        ordered &= json_integer_value(json_object_get(m, "step")) == (json_int_t)i &&
                   json_real_value(json_object_get(m, "value")) == (double)i + 0.5;
    }
    T_CHECK(ordered);
    T_CHECK(json_object_get(k.json, "next_page_token") == NULL);
    call_release(&k);
    /* A page of it: the token comes in the last piece. */
    snprintf(target, sizeof target,
             "/api/2.0/mlflow/metrics/get-history?run_id=%s&metric_key=loss&max_results=30000",
             rid);
    T_CHECK(run(&k, "GET", target, NULL) == 200);
    T_CHECK(json_array_size(json_object_get(k.json, "metrics")) == 30000);
    T_CHECK(jstr(k.json, "next_page_token") != NULL);
    call_release(&k);
    free(rid);
}

/* ---- the runs CSV export (ours) ---- */

/* Lines of a CSV body (CRLF-terminated). */
static size_t csv_lines(const char *p, size_t n)
{
    size_t lines = 0;
    for (size_t i = 0; i + 1 < n; i++)
        lines += p[i] == '\r' && p[i + 1] == '\n';
    return lines;
}

static char export_target[256];
enum { EXPORT_RUNS = 1203 };

/* An experiment of EXPORT_RUNS runs, each with a param; export_target exports it. */
static void make_export_experiment(void)
{
    struct call k;
    T_CHECK(run(&k, "POST", "/api/2.0/mlflow/experiments/create", "{\"name\": \"csv\"}") == 200);
    char eid[32];
    snprintf(eid, sizeof eid, "%s", jstr(k.json, "experiment_id") ? jstr(k.json, "experiment_id") : "?");
    call_release(&k);
    for (int i = 0; i < EXPORT_RUNS; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"experiment_id\": \"%s\", \"run_name\": \"r%04d\", \"start_time\": %d}",
                 eid, i, 1000 + i);
        run(&k, "POST", "/api/2.0/mlflow/runs/create", body);
        const char *rid = jstr(k.json, "run.info.run_id");
        snprintf(body, sizeof body,
                 "{\"run_id\": \"%s\", \"params\": [{\"key\": \"p\", \"value\": \"%d\"}]}",
                 rid ? rid : "?", i);
        call_release(&k);
        T_CHECK(run(&k, "POST", "/api/2.0/mlflow/runs/log-batch", body) == 200);
        call_release(&k);
    }
    snprintf(export_target, sizeof export_target,
             "/api/2.0/mltrack/runs/export-csv?experiment_ids=%s&columns=attributes.run_name"
             "&columns=params.p",
             eid);
}

/* Every run comes, newest first, one page of 500 a piece (the header and the first page
 * made in the handler); a bad column is MLflow's error before anything is sent. */
static void test_export_csv(void)
{
    make_export_experiment();
    struct call k;
    T_CHECK(run(&k, "GET", export_target, NULL) == 200);
    T_CHECK(k.pieces == 3);
    T_CHECK(k.raw && csv_lines(k.raw, k.raw_len) == EXPORT_RUNS + 1);
    T_CHECK(k.raw && strncmp(k.raw, "run_name,params.p\r\nr1202,1202\r\nr1201,1201\r\n", 42) == 0);
    T_CHECK(k.raw && k.raw_len > 10 && memcmp(k.raw + k.raw_len - 10, "\nr0000,0\r\n", 10) == 0);
    call_release(&k);
    char bad[320];
    snprintf(bad, sizeof bad, "%s&columns=nope", export_target);
    T_CHECK(run(&k, "GET", bad, NULL) == 400);
    T_STREQ(jstr(k.json, "error_code"), "INVALID_PARAMETER_VALUE");
    call_release(&k);
}

/* A database step of the export fails, at steps from the first to past the last: before
 * the first byte that is MLflow's error; later the connection is cut (status -2 here). A
 * file that ends short but looks complete never comes, and the next export is whole. */
static void test_export_csv_fault_walk(void)
{
    if (!db_fault_enabled()) {
        printf("  (export fault walk skipped: built without -Dfault_injection=true)\n");
        return;
    }
    int before = 0, during = 0;
    /* Every step at first, then farther apart: a page of 500 runs is hundreds of steps. */
    for (long nth = 1;; nth += nth < 40 ? 1 : nth / 8) {
        struct call k;
        db_fault_arm(nth, DB_ERROR);
        int st = run(&k, "GET", export_target, NULL);
        bool fired = db_fault_fired();
        db_fault_arm(0, DB_DONE);
        if (!fired) {
            T_CHECK(st == 200 && k.raw && csv_lines(k.raw, k.raw_len) == EXPORT_RUNS + 1);
            call_release(&k);
            break;
        }
        if (st == -2) {
            during++;
            T_CHECK(k.raw_len == 0 || csv_lines(k.raw, k.raw_len) < EXPORT_RUNS + 1);
        } else {
            before++;
            T_CHECK(st == 500);
            T_STREQ(jstr(k.json, "error_code"), "INTERNAL_ERROR");
        }
        call_release(&k);
        T_CHECK(run(&k, "GET", export_target, NULL) == 200);
        T_CHECK(k.raw && csv_lines(k.raw, k.raw_len) == EXPORT_RUNS + 1);
        call_release(&k);
    }
    printf("  export fault walk: %d failures before the first byte, %d during\n", before,
           during);
    T_CHECK(before >= 3 && during >= 2);
}

/* ---- fault walks ---- */

/* The params a run has, as "k=v;..." (caller frees). */
static char *params_of(const char *rid)
{
    struct call k;
    char target[256];
    snprintf(target, sizeof target, "/api/2.0/mlflow/runs/get?run_id=%s", rid);
    run(&k, "GET", target, NULL);
    json_t *ps = json_object_get(json_object_get(json_object_get(k.json, "run"), "data"),
                                 "params");
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "");
    size_t i;
    json_t *p;
    json_array_foreach(ps, i, p)
        buf_printf(&b, "%s=%s;", jstr(p, "key"), jstr(p, "value"));
    call_release(&k);
    return buf_detach(&b, NULL);
}

/* Each step of a log-batch fails once, with each kind of database failure: the request
 * answers MLflow's error for it and leaves nothing behind; a retry then succeeds. */
static void test_db_fault_walk(void)
{
    if (!db_fault_enabled()) {
        printf("  (db fault walk skipped: built without -Dfault_injection=true)\n");
        return;
    }
    static const struct {
        enum db_rc rc;
        int status;
        const char *code;
    } kinds[] = {
        {DB_BUSY, 503, "TEMPORARILY_UNAVAILABLE"}, /* locked, or a lost connection */
        {DB_ERROR, 500, "INTERNAL_ERROR"},
        {DB_INVALID, 400, "BAD_REQUEST"},
        {DB_FULL, 503, "TEMPORARILY_UNAVAILABLE"}, /* the database's disk is full */
    };
    int walked = 0;
    for (size_t kk = 0; kk < sizeof kinds / sizeof *kinds; kk++) {
        for (long nth = 1; nth < 200; nth++) {
            char *rid = create_run();
            T_CHECK(rid != NULL);
            if (!rid)
                return;
            char body[512];
            snprintf(body, sizeof body,
                     "{\"run_id\": \"%s\", \"metrics\": [{\"key\": \"a\", \"value\": 1, "
                     "\"timestamp\": 1, \"step\": 0}, {\"key\": \"b\", \"value\": 2, "
                     "\"timestamp\": 1, \"step\": 0}], \"params\": [{\"key\": \"p\", "
                     "\"value\": \"1\"}, {\"key\": \"q\", \"value\": \"2\"}], \"tags\": "
                     "[{\"key\": \"t\", \"value\": \"x\"}]}",
                     rid);
            struct call k;
            db_fault_arm(nth, kinds[kk].rc);
            int st = run(&k, "POST", "/api/2.0/mlflow/runs/log-batch", body);
            bool fired = db_fault_fired();
            db_fault_arm(0, DB_DONE);
            char *ps = params_of(rid);
            if (fired) {
                walked++;
                T_CHECK(st == kinds[kk].status);
                T_STREQ(jstr(k.json, "error_code"), kinds[kk].code);
                T_STREQ(ps, ""); /* all or nothing */
            } else {
                T_CHECK(st == 200);
                T_STREQ(ps, "p=1;q=2;");
            }
            free(ps);
            call_release(&k);
            /* The server is whole again: the same batch goes through. */
            T_CHECK(run(&k, "POST", "/api/2.0/mlflow/runs/log-batch", body) == 200);
            call_release(&k);
            free(rid);
            if (!fired)
                break;
        }
    }
    printf("  db fault walk: %d failing steps checked\n", walked);
    T_CHECK(walked >= 6);
}

/* The assessments a start-trace carries, as "name=value_json;..." of the stored trace
 * (caller frees), or NULL when the trace is not there. */
static char *trace_assessments(const char *tid)
{
    struct call k;
    char target[256];
    snprintf(target, sizeof target, "/api/3.0/mlflow/traces/%s", tid);
    if (run(&k, "GET", target, NULL) != 200) {
        call_release(&k);
        return NULL;
    }
    json_t *as = json_object_get(json_object_get(json_object_get(k.json, "trace"), "trace_info"),
                                 "assessments");
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "");
    size_t i;
    json_t *a;
    json_array_foreach(as, i, a)
        buf_printf(&b, "%s;", jstr(a, "assessment_name"));
    call_release(&k);
    return buf_detach(&b, NULL);
}

/* Each step of a start-trace whose trace info carries assessments fails once: the trace
 * and its assessments are written together or not at all, and a retry succeeds. */
static void test_start_trace_fault_walk(void)
{
    if (!db_fault_enabled()) {
        printf("  (start-trace fault walk skipped: built without -Dfault_injection=true)\n");
        return;
    }
    int walked = 0;
    for (long nth = 1; nth < 200; nth++) {
        char tid[64], body[1024];
        snprintf(tid, sizeof tid, "tr-%032ld", nth);
        snprintf(body, sizeof body,
                 "{\"trace\": {\"trace_info\": {\"trace_id\": \"%s\", \"trace_location\": "
                 "{\"type\": \"MLFLOW_EXPERIMENT\", \"mlflow_experiment\": "
                 "{\"experiment_id\": \"0\"}}, \"request_time\": \"2024-01-01T00:00:00Z\", "
                 "\"state\": \"OK\", \"assessments\": [{\"assessment_id\": \"a-q%ld\", "
                 "\"assessment_name\": \"q\", \"source\": {\"source_type\": \"HUMAN\"}, "
                 "\"feedback\": {\"value\": 0.5}}, {\"assessment_id\": \"a-e%ld\", "
                 "\"assessment_name\": \"e\", \"expectation\": {\"value\": \"x\"}}]}}}",
                 tid, nth, nth);
        struct call k;
        db_fault_arm(nth, DB_ERROR);
        int st = run(&k, "POST", "/api/3.0/mlflow/traces", body);
        bool fired = db_fault_fired();
        db_fault_arm(0, DB_DONE);
        call_release(&k);
        char *got = trace_assessments(tid);
        if (fired) {
            walked++;
            T_CHECK(st == 500);
            T_CHECK(got == NULL); /* no trace, so no assessments either */
        } else {
            T_CHECK(st == 200);
            T_CHECK(got && (strcmp(got, "q;e;") == 0 || strcmp(got, "e;q;") == 0));
        }
        free(got);
        T_CHECK(run(&k, "POST", "/api/3.0/mlflow/traces", body) == 200);
        call_release(&k);
        got = trace_assessments(tid);
        /* Again: the same two ids, replaced (in created order, then by id). */
        T_CHECK(got && (strcmp(got, "q;e;") == 0 || strcmp(got, "e;q;") == 0));
        free(got);
        if (!fired)
            break;
    }
    printf("  start-trace fault walk: %d failing steps checked\n", walked);
    T_CHECK(walked >= 6);
}

/* Each artifact backend call of an upload and a download fails once: the error is the
 * store's, the upload leaves nothing at its path, and the download is cut, never served
 * short as if complete. */
static void test_artifact_fault_walk(void)
{
    if (!db_fault_enabled()) {
        printf("  (artifact fault walk skipped: built without -Dfault_injection=true)\n");
        return;
    }
    const char *target = "/api/2.0/mlflow-artifacts/artifacts/walk/f.txt";
    const char *data = "hello, artifacts";
    int walked = 0;
    for (long nth = 1; nth < 50; nth++) {
        struct call k;
        art_fault_arm(nth, ERR_TEMPORARILY_UNAVAILABLE);
        int st = run(&k, "PUT", target, data);
        bool fired = art_fault_fired();
        art_fault_arm(0, ERR_OK);
        call_release(&k);
        int got = run(&k, "GET", target, NULL);
        if (fired) {
            walked++;
            T_CHECK(st == 503);
            T_CHECK(got == 404); /* nothing half-written became visible */
        } else {
            T_CHECK(st == 200 && got == 200 && k.raw && k.raw_len == strlen(data) &&
                    memcmp(k.raw, data, k.raw_len) == 0);
        }
        call_release(&k);
        if (!fired)
            break;
    }
    for (long nth = 1; nth < 50; nth++) {
        struct call k;
        art_fault_arm(nth, ERR_TEMPORARILY_UNAVAILABLE);
        int st = run(&k, "GET", target, NULL);
        bool fired = art_fault_fired();
        art_fault_arm(0, ERR_OK);
        if (fired) {
            walked++;
            T_CHECK(st == 503 || st == -2);
            T_CHECK(st != 200);
        } else {
            T_CHECK(st == 200 && k.raw_len == strlen(data));
        }
        call_release(&k);
        if (!fired)
            break;
    }
    printf("  artifact fault walk: %d failing calls checked\n", walked);
    T_CHECK(walked >= 4);
}

int main(void)
{
    if (!mkdtemp(artifact_dir)) {
        perror("mkdtemp");
        return 2;
    }
    struct store_config sc = {
        .backend_uri = "sqlite:///file:handlers?mode=memory&cache=shared&uri=true",
        .default_artifact_root = "mlflow-artifacts:/",
    };
    struct err e;
    err_clear(&e);
    if (store_global_init(&sc, &e) != 0) {
        fprintf(stderr, "store: %s\n", e.msg);
        return 2;
    }
    static struct api_config ac = {.static_prefix = "", .serve_artifacts = true,
                                   .version = "test"};
    ac.default_artifact_root = "mlflow-artifacts:/";
    ac.artifacts_destination = artifact_dir;
    if (api_init(&ac, &e) != 0) {
        fprintf(stderr, "api: %s\n", e.msg);
        return 2;
    }
    T_RUN(test_roundtrip);
    T_RUN(test_errors);
    T_RUN(test_long_history_in_pieces);
    T_RUN(test_export_csv);
    T_RUN(test_export_csv_fault_walk);
    T_RUN(test_db_fault_walk);
    T_RUN(test_start_trace_fault_walk);
    T_RUN(test_artifact_fault_walk);
    api_shutdown();
    store_global_shutdown();
    t_rmtree(artifact_dir);
    T_DONE();
}
