/* Registry webhooks below the API: MLflow's delivery rules (webhooks/delivery.py,
 * webhooks/ssrf.py) in C. The settings are MLflow's environment variables, read once by
 * hooks_init; the delivery threads send what the registry's writes queued in the outbox
 * (store/webhooks.h), after commit, off the request path. */
#ifndef MLT_HOOKS_H
#define MLT_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/err.h"

struct hooks_config {
    const char *schemes[8];  /* MLFLOW_WEBHOOK_ALLOWED_SCHEMES (default: https) */
    int nschemes;
    bool allow_private_ips;  /* MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS */
    int64_t timeout_s;       /* MLFLOW_WEBHOOK_REQUEST_TIMEOUT (30) */
    int64_t max_retries;     /* MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES (3) */
    int64_t workers;         /* MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS (10), capped at 4 */
};

/* Reads the environment once (before threads start); the key of
 * MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY included (hooks/fernet.h). -1 with e set when a
 * setting is malformed. */
int hooks_init(struct err *e);
const struct hooks_config *hooks_config(void);

/* Starts the delivery threads (server start-up); hooks_stop joins them. */
int hooks_start(struct err *e);
void hooks_stop(void);
/* Wakes a delivery thread: a request just committed queued deliveries. */
void hooks_kick(void);
/* What the delivery threads did since start, for /metrics: POSTs made, deliveries answered
 * below 400, deliveries given up (refused by the receiver or out of retries), and events
 * dropped unsent (webhook gone or disabled, secret unreadable, URL refused). */
struct hooks_stats {
    uint64_t attempts, delivered, failed, dropped;
};
struct hooks_stats hooks_stats(void);

/* True once hooks_stop has begun: a POST under way gives up. */
bool hooks_stopping(void);

/* MLflow's _validate_webhook_url: scheme allowed, a hostname, and (unless private IPs are
 * allowed) every address it resolves to public; INVALID_PARAMETER_VALUE with MLflow's
 * messages. */
int hooks_check_url(struct arena *a, const char *url, struct err *e);

/* The example payload (webhooks/types.py) of entity.action as JSON; NULL when unknown. */
const char *hooks_example_payload(const char *entity, const char *action);

/* One POST of the envelope {entity, action, timestamp, data} to url, signed with secret
 * (may be NULL) under delivery_id; no retries. */
struct hooks_result {
    bool sent;          /* a response came back */
    long status;        /* its HTTP status */
    const char *body;   /* its body (at most 64 KiB of it), from the arena */
    const char *error;  /* when !sent: why, from the arena */
    bool retryable;     /* a connection error or timeout (SSRF refusals are not) */
    int64_t retry_after_s; /* the response's Retry-After, 0 when none */
};
int hooks_post(struct arena *a, const char *url, const char *secret, const char *delivery_id,
               const char *entity, const char *action, const char *data,
               struct hooks_result *out);

#endif
