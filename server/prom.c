/* Prometheus metrics (see prom.h).
 *
 * Request series live in a fixed open-addressing table keyed by (route, method, status):
 * route patterns are the route tables' literals, so a pointer compare finds them. A series
 * is claimed once under a mutex and published with its `ready` flag; after that every
 * request only adds to its atomic counters, with no lock. A table that fills up (it holds
 * far more than the routes times the statuses they answer) sends the rest to one
 * overflow series rather than grow. */
#include "prom.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../base/util.h"
#include "../db/writer.h"
#include "../hooks/hooks.h"
#include "../store/counts.h"
#include "conns.h"

enum { SLOTS = 1024 };

/* Upper bounds in seconds: prometheus_flask_exporter's (MLflow's series use only those)
 * with finer steps below 5 ms, where mltrack's requests are. */
static const double le_s[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                              0.025,  0.05,    0.075,  0.1,   0.25,   0.5,   0.75,
                              1.0,    2.5,     5.0,    7.5,   10.0};
enum { NB = sizeof le_s / sizeof *le_s };
/* Which of le_s are prometheus_flask_exporter's default buckets. */
static const bool flask_le[NB] = {[5] = true,  [6] = true,  [7] = true,  [8] = true,
                                  [9] = true,  [10] = true, [11] = true, [12] = true,
                                  [13] = true, [14] = true, [15] = true, [16] = true,
                                  [17] = true, [18] = true};

struct series {
    atomic_bool ready;
    const char *route; /* pattern, or NULL: no route matched / overflow */
    enum http_method method;
    int status;
    atomic_uint_fast64_t count, sum_ns;
    atomic_uint_fast64_t bucket[NB + 1]; /* per bucket, not cumulative; [NB] is +Inf */
};

static struct series slots[SLOTS];
static struct series overflow = {.ready = true, .method = HTTP_OTHER};
static pthread_mutex_t claim_mu = PTHREAD_MUTEX_INITIALIZER;
static bool enabled;
static atomic_uint_fast64_t bytes_in, bytes_out, art_down, art_up;

/* The store's gauges, refreshed at most every GAUGE_TTL_NS: counting runs scans a table. */
#define GAUGE_TTL_NS (10 * 1000000000LL)
static pthread_mutex_t gauge_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store_counts gauges;
static int64_t gauges_at;
static bool gauges_ok;

void prom_enable(void)
{
    enabled = true;
}

bool prom_enabled(void)
{
    return enabled;
}

static bool same(const struct series *s, const char *route, enum http_method m, int status)
{
    return s->route == route && s->method == m && s->status == status;
}

static struct series *find(const char *route, enum http_method m, int status)
{
    uint64_t h = ((uint64_t)(uintptr_t)route * 0x9E3779B97F4A7C15ULL) ^
                 ((uint64_t)m << 16) ^ (uint64_t)(unsigned)status;
    h ^= h >> 29;
    for (size_t i = 0; i < SLOTS; i++) {
        struct series *s = &slots[(h + i) % SLOTS];
        if (atomic_load_explicit(&s->ready, memory_order_acquire)) {
            if (same(s, route, m, status))
                return s;
            continue;
        }
        /* Empty: claim it unless another thread has just done so. */
        pthread_mutex_lock(&claim_mu);
        if (!atomic_load_explicit(&s->ready, memory_order_relaxed)) {
            s->route = route;
            s->method = m;
            s->status = status;
            atomic_store_explicit(&s->ready, true, memory_order_release);
            pthread_mutex_unlock(&claim_mu);
            return s;
        }
        pthread_mutex_unlock(&claim_mu);
        if (same(s, route, m, status))
            return s;
    }
    return &overflow;
}

void prom_request(const char *route, enum http_method m, int status, int64_t ns)
{
    if (!enabled)
        return;
    struct series *s = find(route, m, status);
    uint64_t d = ns > 0 ? (uint64_t)ns : 0;
    size_t b = 0;
    while (b < NB && (double)d > le_s[b] * 1e9)
        b++;
    atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->sum_ns, d, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

void prom_bytes(uint64_t in, uint64_t out)
{
    if (!enabled)
        return;
    if (in)
        atomic_fetch_add_explicit(&bytes_in, in, memory_order_relaxed);
    if (out)
        atomic_fetch_add_explicit(&bytes_out, out, memory_order_relaxed);
}

void prom_artifact_bytes(uint64_t down, uint64_t up)
{
    if (!enabled)
        return;
    if (down)
        atomic_fetch_add_explicit(&art_down, down, memory_order_relaxed);
    if (up)
        atomic_fetch_add_explicit(&art_up, up, memory_order_relaxed);
}

/* ---- the exposition ---- */

static const char *method_name(enum http_method m)
{
    static const char *const names[] = {[HTTP_GET] = "GET",       [HTTP_HEAD] = "HEAD",
                                        [HTTP_POST] = "POST",     [HTTP_PUT] = "PUT",
                                        [HTTP_PATCH] = "PATCH",   [HTTP_DELETE] = "DELETE",
                                        [HTTP_OPTIONS] = "OPTIONS", [HTTP_OTHER] = "other"};
    return (unsigned)m < sizeof names / sizeof *names && names[m] ? names[m] : "other";
}

/* A label value: route patterns are plain ASCII without quotes or backslashes, but the
 * format's escapes are applied anyway. */
static void put_label(struct buf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            buf_putc(out, '\\');
        if (*v == '\n') {
            buf_puts(out, "\\n");
            continue;
        }
        buf_putc(out, *v);
    }
}

static void head(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A snapshot of one series' counters. */
struct snap {
    const struct series *s;
    uint64_t count, sum_ns, bucket[NB + 1];
};

static void take(const struct series *s, struct snap *o)
{
    o->s = s;
    for (size_t b = 0; b <= NB; b++)
        o->bucket[b] = atomic_load_explicit(&s->bucket[b], memory_order_relaxed);
    o->sum_ns = atomic_load_explicit(&s->sum_ns, memory_order_relaxed);
    o->count = 0;
    for (size_t b = 0; b <= NB; b++)
        o->count += o->bucket[b]; /* consistent with the buckets, whatever raced */
}

static void put_route_labels(struct buf *out, const struct series *s)
{
    buf_puts(out, "method=\"");
    buf_puts(out, method_name(s->method));
    buf_puts(out, "\",route=\"");
    put_label(out, s->route ? s->route : s == &overflow ? "(other)" : "(none)");
    buf_printf(out, "\",status=\"%d\"", s->status);
}

static void put_histogram(struct buf *out, const char *name, const struct snap *sn,
                          void (*labels)(struct buf *, const void *), const void *lctx,
                          const bool *only)
{
    uint64_t cum = 0;
    for (size_t b = 0; b < NB; b++) {
        cum += sn->bucket[b];
        if (only && !only[b])
            continue;
        buf_printf(out, "%s_bucket{", name);
        labels(out, lctx);
        buf_printf(out, ",le=\"%g\"} %" PRIu64 "\n", le_s[b], cum);
    }
    buf_printf(out, "%s_bucket{", name);
    labels(out, lctx);
    buf_printf(out, ",le=\"+Inf\"} %" PRIu64 "\n", sn->count);
    buf_printf(out, "%s_sum{", name);
    labels(out, lctx);
    buf_printf(out, "} %.9f\n", (double)sn->sum_ns / 1e9);
    buf_printf(out, "%s_count{", name);
    labels(out, lctx);
    buf_printf(out, "} %" PRIu64 "\n", sn->count);
}

static void route_labels(struct buf *out, const void *s)
{
    put_route_labels(out, s);
}

/* MLflow's series aggregate over routes: (method, status), /health and /version left out
 * as prometheus_flask_exporter is told to. */
struct agg {
    enum http_method method;
    int status;
    struct snap sn;
};

static void flask_labels(struct buf *out, const void *p)
{
    const struct agg *g = p;
    buf_printf(out, "method=\"%s\",mlflow_version=\"%s\",status=\"%d\"", method_name(g->method),
               MLFLOW_COMPAT_VERSION, g->status);
}

static bool flask_excluded(const char *route)
{
    return route && (strcmp(route, "/health") == 0 || strcmp(route, "/version") == 0);
}

static void render_requests(struct buf *out, struct arena *a)
{
    struct snap *sn = arena_calloc(a, SLOTS + 1, sizeof *sn);
    size_t n = 0;
    for (size_t i = 0; i < SLOTS; i++)
        if (atomic_load_explicit(&slots[i].ready, memory_order_acquire))
            take(&slots[i], &sn[n++]);
    take(&overflow, &sn[n]);
    if (sn[n].count)
        n++;

    head(out, "mltrack_http_requests_total", "counter", "Requests answered, by route.");
    for (size_t i = 0; i < n; i++) {
        buf_puts(out, "mltrack_http_requests_total{");
        put_route_labels(out, sn[i].s);
        buf_printf(out, "} %" PRIu64 "\n", sn[i].count);
    }
    head(out, "mltrack_http_request_duration_seconds", "histogram",
         "Time from the request head to the last byte of the answer, by route.");
    for (size_t i = 0; i < n; i++)
        put_histogram(out, "mltrack_http_request_duration_seconds", &sn[i], route_labels,
                      sn[i].s, NULL);

    struct agg *g = arena_calloc(a, n + 1, sizeof *g);
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        if (flask_excluded(sn[i].s->route))
            continue;
        size_t k = 0;
        while (k < ng && (g[k].method != sn[i].s->method || g[k].status != sn[i].s->status))
            k++;
        if (k == ng) {
            g[ng].method = sn[i].s->method;
            g[ng].status = sn[i].s->status;
            ng++;
        }
        g[k].sn.count += sn[i].count;
        g[k].sn.sum_ns += sn[i].sum_ns;
        for (size_t b = 0; b <= NB; b++)
            g[k].sn.bucket[b] += sn[i].bucket[b];
    }
    head(out, "mlflow_http_request_total", "counter",
         "Total number of HTTP requests (MLflow's series).");
    for (size_t k = 0; k < ng; k++)
        buf_printf(out, "mlflow_http_request_total{method=\"%s\",status=\"%d\"} %" PRIu64 "\n",
                   method_name(g[k].method), g[k].status, g[k].sn.count);
    head(out, "mlflow_http_request_duration_seconds", "histogram",
         "Flask HTTP request duration in seconds (MLflow's series).");
    for (size_t k = 0; k < ng; k++)
        put_histogram(out, "mlflow_http_request_duration_seconds", &g[k].sn, flask_labels, &g[k],
                      flask_le);
}

static void gauge(struct buf *out, const char *name, const char *help, const char *labels,
                  double v)
{
    head(out, name, "gauge", help);
    buf_printf(out, "%s%s %.17g\n", name, labels, v);
}

static void counter(struct buf *out, const char *name, const char *help, double v)
{
    head(out, name, "counter", help);
    buf_printf(out, "%s %.17g\n", name, v);
}

static void render_store(struct buf *out, struct arena *a)
{
    pthread_mutex_lock(&gauge_mu);
    int64_t now = mono_ns();
    if (!gauges_at || now - gauges_at >= GAUGE_TTL_NS) {
        struct err e;
        err_clear(&e);
        struct sctx c = {.a = a, .e = &e};
        c.db = c.reader = store_thread_db(&e);
        gauges_ok = c.db && store_count_entities(&c, &gauges) == 0;
        if (!gauges_ok)
            log_warn("metrics: the store's counts are unavailable: %s", e.msg);
        gauges_at = now;
    }
    struct store_counts g = gauges;
    bool ok = gauges_ok;
    pthread_mutex_unlock(&gauge_mu);
    if (!ok)
        return;
    head(out, "mltrack_experiments", "gauge", "Experiments in the store, by lifecycle stage.");
    buf_printf(out, "mltrack_experiments{lifecycle_stage=\"active\"} %" PRId64 "\n",
               g.experiments[0]);
    buf_printf(out, "mltrack_experiments{lifecycle_stage=\"deleted\"} %" PRId64 "\n",
               g.experiments[1]);
    head(out, "mltrack_runs", "gauge", "Runs in the store, by lifecycle stage.");
    buf_printf(out, "mltrack_runs{lifecycle_stage=\"active\"} %" PRId64 "\n", g.runs[0]);
    buf_printf(out, "mltrack_runs{lifecycle_stage=\"deleted\"} %" PRId64 "\n", g.runs[1]);
    gauge(out, "mltrack_registered_models", "Registered models.", "",
          (double)g.registered_models);
    gauge(out, "mltrack_model_versions", "Model versions.", "", (double)g.model_versions);
    gauge(out, "mltrack_logged_models", "Logged models.", "", (double)g.logged_models);
}

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE);
}

void prom_render(struct buf *out, struct arena *a)
{
    head(out, "mltrack_build_info", "gauge", "The server's version and MLflow API version.");
    buf_printf(out, "mltrack_build_info{version=\"%s\",mlflow_version=\"%s\"} 1\n",
               MLTRACK_VERSION, MLFLOW_COMPAT_VERSION);
    render_requests(out, a);
    counter(out, "mltrack_http_request_body_bytes_total", "Request body bytes received.",
            (double)atomic_load(&bytes_in));
    counter(out, "mltrack_http_response_body_bytes_total",
            "Response body bytes sent (after compression).", (double)atomic_load(&bytes_out));
    counter(out, "mltrack_artifact_download_bytes_total", "Artifact bytes streamed to clients.",
            (double)atomic_load(&art_down));
    counter(out, "mltrack_artifact_upload_bytes_total", "Artifact bytes received from clients.",
            (double)atomic_load(&art_up));

    struct conns_stats cs = conns_stats();
    gauge(out, "mltrack_http_connections", "Open client connections.", "", cs.open);
    gauge(out, "mltrack_http_connections_idle", "Open client connections between requests.", "",
          cs.idle);
    head(out, "mltrack_http_connections_closed_total", "counter",
         "Connections the server closed or refused, by reason.");
    buf_printf(out,
               "mltrack_http_connections_closed_total{reason=\"evicted\"} %" PRIu64 "\n"
               "mltrack_http_connections_closed_total{reason=\"head_timeout\"} %" PRIu64 "\n"
               "mltrack_http_connections_closed_total{reason=\"per_address_cap\"} %" PRIu64 "\n"
               "mltrack_http_connections_closed_total{reason=\"framing_error\"} %" PRIu64 "\n",
               cs.evicted, cs.timed_out, cs.refused, cs.rejected);

    struct db_writer_stats ws = db_writer_stats();
    counter(out, "mltrack_db_writer_commits_total", "Group commits of the SQLite writer.",
            (double)ws.batches);
    counter(out, "mltrack_db_writer_requests_total",
            "Write requests whose work those commits held.", (double)ws.requests);
    counter(out, "mltrack_db_writer_busy_seconds_total",
            "Time the writer connection was held (by write requests and the turns below).",
            (double)ws.busy_ns / 1e9);
    counter(out, "mltrack_db_writer_commit_seconds_total",
            "Time spent in COMMIT (writing the log; its fsync is counted apart).",
            (double)ws.commit_ns / 1e9);
    counter(out, "mltrack_db_writer_syncs_total",
            "Log syncs (fsync) that made commits durable, each covering every commit before it.",
            (double)ws.syncs);
    counter(out, "mltrack_db_writer_sync_seconds_total", "Time spent in those syncs.",
            (double)ws.sync_ns / 1e9);
    counter(out, "mltrack_db_writer_turns_total",
            "Turns between two commits given to the checkpointer's blocking checkpoints.",
            (double)ws.turns);
    counter(out, "mltrack_db_writer_turn_seconds_total",
            "Time those turns held the writer (write requests waited meanwhile).",
            (double)ws.turn_ns / 1e9);
    counter(out, "mltrack_db_writer_wait_seconds_total",
            "Time write requests waited for the writer connection, summed over requests.",
            (double)ws.wait_ns / 1e9);
    counter(out, "mltrack_db_writer_durable_wait_seconds_total",
            "Time write requests, their work done, waited for their group's COMMIT and log "
            "sync, summed over requests.",
            (double)ws.durable_ns / 1e9);
    gauge(out, "mltrack_db_writer_queue", "Write requests waiting for the writer now.", "",
          ws.waiting);

    struct hooks_stats hs = hooks_stats();
    counter(out, "mltrack_webhook_attempts_total", "Webhook POSTs made (retries included).",
            (double)hs.attempts);
    head(out, "mltrack_webhook_deliveries_total", "counter",
         "Webhook deliveries finished, by outcome.");
    buf_printf(out,
               "mltrack_webhook_deliveries_total{outcome=\"delivered\"} %" PRIu64 "\n"
               "mltrack_webhook_deliveries_total{outcome=\"failed\"} %" PRIu64 "\n"
               "mltrack_webhook_deliveries_total{outcome=\"dropped\"} %" PRIu64 "\n",
               hs.delivered, hs.failed, hs.dropped);

    render_store(out, a);
    gauge(out, "process_resident_memory_bytes", "Resident memory size in bytes.", "",
          (double)rss_bytes());
}
