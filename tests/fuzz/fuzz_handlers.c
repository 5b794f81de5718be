/* libFuzzer target for the handlers behind every route (api/), as tests/unit/test_handlers.c
 * runs them without sockets: an input is a request, "METHOD /target?query" on its first
 * line and the body after it, against an in-memory SQLite database and a scratch artifact
 * folder. "@RUN@", "@EXP@" and "@MODEL@" stand for a run, an experiment and a registered
 * model (with version 1) made at start, so that requests reach past the lookups. Whatever
 * the request, the answer is never a 5xx (permanent errors are 4xx; nothing here can fail
 * for want of a resource), and a JSON body is valid JSON in valid UTF-8.
 *   ./fuzz_handlers tests/fuzz/corpus/handlers
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/request.h"
#include "base/utf8.h"
#include "base/util.h"
#include "server/urlparse.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char artifact_dir[] = "/tmp/mltrack-fuzz-handlers-XXXXXX";
static char run_id[64], exp_id[32];
static const char model_name[] = "fuzz-model";
static bool ready;

static enum http_method method_of(const char *m, size_t n)
{
    static const struct {
        const char *name;
        enum http_method m;
    } tab[] = {{"GET", HTTP_GET},       {"POST", HTTP_POST},     {"PUT", HTTP_PUT},
               {"PATCH", HTTP_PATCH},   {"DELETE", HTTP_DELETE}, {"HEAD", HTTP_HEAD}};
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
        if (strlen(tab[i].name) == n && memcmp(m, tab[i].name, n) == 0)
            return tab[i].m;
    return HTTP_OTHER;
}

/* Runs one request; the status, with the JSON body in *json when asked for. */
static int run(struct arena *a, enum http_method m, const char *target, const char *body,
               size_t blen, json_t **json)
{
    struct resp out = {0};
    buf_init(&out.body, (size_t)64 << 20);
    struct req r = {.arena = a, .method = m};
    int status = 0;
    if (url_parse_target(a, target, &r.path, &r.query, &r.nquery) != URL_OK)
        goto done;
    struct route_info ri = api_match(&r);
    if (!ri.route || blen > ri.body_max)
        goto done;
    if (ri.stream_in) {
        void *st = api_stream_begin(ri.route, &r, &out);
        if (st && api_stream_write(st, body, blen, &out) == 0)
            api_stream_end(st, &out);
        else if (st)
            api_stream_abort(st);
    } else {
        if (m != HTTP_GET) {
            r.content_type = "application/json";
            r.body = blen ? body : NULL;
            r.body_len = blen;
        }
        api_handle(ri.route, &r, &out);
    }
    status = out.status ? out.status : 200;
    if (out.pieces.next) {
        /* A body made piece by piece (a long history): taken as the glue takes it, then
         * checked as one body below. -1 would be a cut connection: nothing here fails. */
        struct buf b;
        buf_init(&b, (size_t)256 << 20);
        int more;
        do
            more = out.pieces.next(out.pieces.ctx, &b, 64 * 1024);
        while (more > 0);
        out.pieces.free(out.pieces.ctx);
        if (more < 0)
            abort();
        buf_release(&out.body);
        out.body = b;
    }
    if (out.stream.read) {
        char chunk[4096];
        uint64_t pos = 0;
        long got;
        while ((got = out.stream.read(out.stream.ctx, pos, chunk, sizeof chunk)) > 0)
            pos += (uint64_t)got;
        if (out.stream.free)
            out.stream.free(out.stream.ctx);
    } else if (out.body.len && out.content_type &&
               strncmp(out.content_type, "application/json", 16) == 0) {
        if (!utf8_valid(out.body.ptr, out.body.len))
            abort();
        json_t *j = json_loadb(out.body.ptr, out.body.len, JSON_ALLOW_NUL, NULL);
        if (!j)
            abort();
        /* An error is MLflow's shape: {"error_code": "...", "message": "..."}. */
        if ((out.status >= 400) &&
            (!json_is_string(json_object_get(j, "error_code")) ||
             !json_is_string(json_object_get(j, "message"))))
            abort();
        if (json)
            *json = j;
        else
            json_decref(j);
    }
    if (status >= 500) {
        fprintf(stderr, "%d for %s: %.*s\n", status, target, (int)out.body.len,
                out.body.ptr ? out.body.ptr : "");
        abort();
    }
done:
    buf_release(&out.body);
    return status;
}

static void fixture(const char *target, const char *body, const char *field, char *out,
                    size_t cap)
{
    struct arena a;
    arena_init(&a);
    json_t *j = NULL;
    run(&a, HTTP_POST, target, body, strlen(body), &j);
    const char *v = NULL;
    for (json_t *x = j; x && field;) {
        const char *dot = strchr(field, '.');
        char key[32];
        snprintf(key, sizeof key, "%.*s", dot ? (int)(dot - field) : (int)strlen(field), field);
        x = json_object_get(x, key);
        field = dot ? dot + 1 : NULL;
        if (!field && json_is_string(x))
            v = json_string_value(x);
    }
    if (out)
        snprintf(out, cap, "%s", v ? v : "");
    json_decref(j);
    arena_release(&a);
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", artifact_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", artifact_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(artifact_dir))
        abort();
    atexit(cleanup);
    static struct store_config sc = {
        .backend_uri = "sqlite:///file:fuzz_handlers?mode=memory&cache=shared&uri=true",
        .default_artifact_root = "mlflow-artifacts:/",
    };
    struct err e;
    err_clear(&e);
    if (store_global_init(&sc, &e) != 0)
        abort();
    static struct api_config ac = {.static_prefix = "", .serve_artifacts = true,
                                   .version = "fuzz",
                                   .default_artifact_root = "mlflow-artifacts:/"};
    ac.artifacts_destination = artifact_dir;
    if (api_init(&ac, &e) != 0)
        abort();
    log_min_level = (enum log_level)(LOG_ERROR + 1); /* thousands of bad requests: quiet */
    fixture("/api/2.0/mlflow/experiments/create", "{\"name\": \"fuzz\"}", "experiment_id",
            exp_id, sizeof exp_id);
    char body[256];
    snprintf(body, sizeof body, "{\"experiment_id\": \"%s\"}", exp_id);
    fixture("/api/2.0/mlflow/runs/create", body, "run.info.run_id", run_id, sizeof run_id);
    snprintf(body, sizeof body, "{\"name\": \"%s\"}", model_name);
    fixture("/api/2.0/mlflow/registered-models/create", body, NULL, NULL, 0);
    snprintf(body, sizeof body,
             "{\"name\": \"%s\", \"source\": \"runs:/%s/model\", \"run_id\": \"%s\"}",
             model_name, run_id, run_id);
    fixture("/api/2.0/mlflow/model-versions/create", body, NULL, NULL, 0);
    ready = *run_id && *exp_id;
    if (!ready)
        abort();
    return 0;
}

/* Copies s[0..n) with the placeholders replaced, NUL-terminated, from the arena. */
static char *expand(struct arena *a, const char *s, size_t n, size_t *len)
{
    static const struct {
        const char *ph;
        const char *v;
    } subst[] = {{"@RUN@", run_id}, {"@EXP@", exp_id}, {"@MODEL@", model_name}};
    struct buf b;
    buf_init(&b, (size_t)64 << 20);
    for (size_t i = 0; i < n;) {
        bool hit = false;
        for (size_t k = 0; k < sizeof subst / sizeof *subst && !hit; k++) {
            size_t pn = strlen(subst[k].ph);
            if (n - i >= pn && memcmp(s + i, subst[k].ph, pn) == 0) {
                buf_puts(&b, subst[k].v);
                i += pn;
                hit = true;
            }
        }
        if (!hit)
            buf_putc(&b, s[i++]);
    }
    char *out = arena_strndup(a, b.ptr ? b.ptr : "", b.len);
    *len = b.len;
    buf_release(&b);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        LLVMFuzzerInitialize(NULL, NULL);
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    const char *sp = memchr(s, ' ', nl ? (size_t)(nl - s) : size);
    if (!sp)
        return 0;
    enum http_method m = method_of(s, (size_t)(sp - s));
    if (m == HTTP_OTHER)
        return 0;
    struct arena a;
    arena_init(&a);
    size_t tlen, blen = 0;
    const char *tstart = sp + 1;
    size_t traw = (nl ? (size_t)(nl - tstart) : size - (size_t)(tstart - s));
    char *target = expand(&a, tstart, traw, &tlen);
    char *body = nl ? expand(&a, nl + 1, size - (size_t)(nl + 1 - s), &blen) : NULL;
    if (strlen(target) == tlen) {
        int st = run(&a, m == HTTP_HEAD ? HTTP_GET : m, target, body ? body : "", blen, NULL);
        if (getenv("FUZZ_HANDLERS_TRACE")) /* to see what seeds reach */
            fprintf(stderr, "%d %s\n", st, target);
    }
    arena_release(&a);
    return 0;
}
