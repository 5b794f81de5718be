/* The delivery threads: they take due rows of the outbox (store/webhooks.h), POST them
 * (hooks_post), and delete them when delivered or given up, or put them back with
 * urllib3's backoff (the Retry of webhooks/delivery.py: 429 and 5xx from 500 to 504, and
 * connection errors and timeouts, at most MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES times; no
 * wait before the first retry, then 2, 4, ... seconds up to 60, plus up to a second of
 * jitter; Retry-After obeyed for 413, 429 and 503). A row is sent at least once: a process
 * killed after the receiver answered and before the row's DELETE sends it again after a
 * restart, under the same X-MLflow-Delivery-Id. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "../base/util.h"
#include "../store/webhooks.h"
#include "../artifacts/curl_load.h"
#include "fernet.h"
#include "hooks.h"

enum { POLL_MS = 1000, MAX_THREADS = 4, BACKOFF_MAX_S = 60 };

static pthread_t threads[MAX_THREADS];
static int nthreads;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static bool stopping;
static bool cv_ready; /* cv is initialised (hooks_start); until then kicks are no-ops */
static int kicks;

void hooks_kick(void)
{
    pthread_mutex_lock(&mu);
    if (cv_ready) {
        kicks++;
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
}

/* Sleeps up to ms, or until kicked or stopped. */
static void nap(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&mu);
    while (!stopping && kicks == 0)
        if (pthread_cond_timedwait(&cv, &mu, &ts) != 0)
            break;
    if (kicks > 0)
        kicks--;
    pthread_mutex_unlock(&mu);
}

static bool is_stopping(void)
{
    pthread_mutex_lock(&mu);
    bool s = stopping;
    pthread_mutex_unlock(&mu);
    return s;
}

static bool retry_status(long s)
{
    return s == 429 || (s >= 500 && s <= 504);
}

/* Milliseconds before retry number `failures` (1 for the first). */
static int64_t backoff_ms(int64_t failures, const struct hooks_result *r)
{
    if (r->sent && r->retry_after_s > 0 &&
        (r->status == 413 || r->status == 429 || r->status == 503))
        return r->retry_after_s * 1000;
    int64_t s = 0;
    if (failures > 1)
        s = failures - 1 >= 6 ? BACKOFF_MAX_S : (int64_t)1 << (failures - 1);
    if (s > BACKOFF_MAX_S)
        s = BACKOFF_MAX_S;
    uint16_t jitter;
    random_bytes(&jitter, sizeof jitter);
    return s * 1000 + (int64_t)(jitter % 1000);
}

/* A store call on the thread's connection, held only for the call. */
static struct sctx *open_db(struct sctx *c, struct arena *a, struct err *e)
{
    memset(c, 0, sizeof *c);
    err_clear(e);
    c->a = a;
    c->e = e;
    c->db = store_thread_db(e);
    return c->db ? c : NULL;
}

/* For /metrics: what the senders did since start (hooks_stats). */
static _Atomic uint64_t n_attempts, n_delivered, n_failed, n_dropped;

struct hooks_stats hooks_stats(void)
{
    return (struct hooks_stats){n_attempts, n_delivered, n_failed, n_dropped};
}

static void finish(struct arena *a, const struct whq_item *it, bool retry, int64_t next)
{
    struct sctx c;
    struct err e;
    if (!open_db(&c, a, &e)) {
        log_error("webhooks: delivery %lld: %s", (long long)it->id, e.msg);
        return; /* the lease runs out and the row is taken again */
    }
    int rc = retry ? whq_retry(&c, it->id, it->attempts + 1, next) : whq_delete(&c, it->id);
    store_thread_done();
    if (rc != 0)
        log_error("webhooks: delivery %lld: %s", (long long)it->id, e.msg);
}

static void deliver(struct arena *a, const struct whq_item *it)
{
    const struct hooks_config *cfg = hooks_config();
    if (!it->url) {
        log_info("webhooks: %s.%s for webhook %s dropped: the webhook was deleted or disabled",
                 it->entity, it->action, it->webhook_id);
        n_dropped++;
        finish(a, it, false, 0);
        return;
    }
    const char *secret = NULL;
    if (it->secret && !(secret = hooks_fernet_decrypt(a, it->secret))) {
        log_error("webhooks: %s.%s for webhook %s dropped: its secret does not decrypt under "
                  "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY",
                  it->entity, it->action, it->webhook_id);
        n_dropped++;
        finish(a, it, false, 0);
        return;
    }
    struct err e = {0};
    if (hooks_check_url(a, it->url, &e) != 0) {
        log_error("webhooks: %s.%s for webhook %s dropped: %s", it->entity, it->action,
                  it->webhook_id, e.msg);
        n_dropped++;
        finish(a, it, false, 0);
        return;
    }
    struct hooks_result r;
    n_attempts++;
    hooks_post(a, it->url, secret, it->delivery_id, it->entity, it->action, it->data, &r);
    bool failed = r.sent ? retry_status(r.status) : r.retryable;
    if (!failed) {
        if (!r.sent)
            log_error("webhooks: %s.%s to %s failed: %s", it->entity, it->action, it->url,
                      r.error);
        if (r.sent && r.status < 400)
            n_delivered++;
        else
            n_failed++;
        finish(a, it, false, 0);
        return;
    }
    int64_t failures = it->attempts + 1;
    if (failures > cfg->max_retries) {
        log_error("webhooks: %s.%s to %s failed after %lld retries: %s", it->entity,
                  it->action, it->url, (long long)cfg->max_retries,
                  r.sent ? arena_printf(a, "HTTP %ld", r.status) : r.error);
        n_failed++;
        finish(a, it, false, 0);
        return;
    }
    finish(a, it, true, now_ms() + backoff_ms(failures, &r));
}

static void *sender(void *arg)
{
    (void)arg;
    struct arena a;
    arena_init(&a);
    /* A claim outlives the longest attempt, so that only a dead sender's rows are
     * taken over. */
    int64_t lease = hooks_config()->timeout_s * 1000 + 10000;
    while (!is_stopping()) {
        arena_reset(&a);
        struct sctx c;
        struct err e;
        if (!open_db(&c, &a, &e)) {
            log_error("webhooks: %s", e.msg);
            nap(POLL_MS);
            continue;
        }
        int64_t now = now_ms(), when = 0, wait = POLL_MS;
        bool any = false, got = false;
        struct whq_item it;
        if (whq_next_due(&c, now, &when, &any) == 0 && any) {
            if (when <= now) {
                if (whq_claim(&c, now, lease, &it, &got) != 0)
                    log_error("webhooks: claim: %s", e.msg);
            } else if (when - now < wait) {
                wait = when - now;
            }
        }
        store_thread_done();
        if (got) {
            deliver(&a, &it);
            continue;
        }
        nap(wait);
    }
    arena_release(&a);
    store_thread_release_memory();
    return NULL;
}

int hooks_start(struct err *e)
{
    if (curl_load(e) != 0)
        return -1;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return err_set(e, ERR_INTERNAL_ERROR, "cannot initialise libcurl");
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_lock(&mu);
    if (!cv_ready)
        pthread_cond_init(&cv, &ca);
    cv_ready = true;
    stopping = false;
    pthread_mutex_unlock(&mu);
    pthread_condattr_destroy(&ca);
    int64_t n = hooks_config()->workers;
    for (nthreads = 0; nthreads < n && nthreads < MAX_THREADS; nthreads++)
        if (pthread_create(&threads[nthreads], NULL, sender, NULL) != 0) {
            hooks_stop();
            return err_set(e, ERR_INTERNAL_ERROR, "cannot start the webhook delivery threads");
        }
    return 0;
}

void hooks_stop(void)
{
    pthread_mutex_lock(&mu);
    stopping = true;
    if (cv_ready)
        pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    nthreads = 0;
}

bool hooks_stopping(void)
{
    return is_stopping();
}
