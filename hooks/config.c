/* The webhook settings: MLflow's environment variables, read once (see hooks.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/util.h"
#include "fernet.h"
#include "hooks.h"

static struct hooks_config cfg;
static char schemes_buf[256];

/* An integer variable (Python's int(): surrounding spaces allowed). */
static int env_int(const char *name, int64_t dflt, int64_t *out, struct err *e)
{
    const char *v = getenv(name);
    *out = dflt;
    if (!v)
        return 0;
    while (*v == ' ')
        v++;
    size_t n = strlen(v);
    while (n && v[n - 1] == ' ')
        n--;
    if (!parse_i64(v, n, out) || *out < 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "%s must be a non-negative integer",
                       name);
    return 0;
}

int hooks_init(struct err *e)
{
    memset(&cfg, 0, sizeof cfg);
    /* _split_strip: comma-separated, each stripped, empty ones dropped. */
    const char *s = getenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES");
    if (!s)
        s = "https";
    size_t n = strlen(s);
    if (n >= sizeof schemes_buf)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "MLFLOW_WEBHOOK_ALLOWED_SCHEMES is too long");
    memcpy(schemes_buf, s, n + 1);
    for (char *p = schemes_buf; p && *p && cfg.nschemes < 8;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        size_t l = strlen(p);
        while (l && (p[l - 1] == ' ' || p[l - 1] == '\t'))
            p[--l] = '\0';
        if (l)
            cfg.schemes[cfg.nschemes++] = p;
        p = comma ? comma + 1 : NULL;
    }
    const char *priv = getenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS");
    /* _BooleanEnvironmentVariable: "true" or "1", any case. */
    cfg.allow_private_ips = priv && (strcasecmp(priv, "true") == 0 || strcmp(priv, "1") == 0);
    if (env_int("MLFLOW_WEBHOOK_REQUEST_TIMEOUT", 30, &cfg.timeout_s, e) != 0 ||
        env_int("MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES", 3, &cfg.max_retries, e) != 0 ||
        env_int("MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS", 10, &cfg.workers, e) != 0)
        return -1;
    /* libcurl reads a timeout of 0 as none at all, and the claims' lease needs a bound. */
    if (cfg.timeout_s < 1)
        cfg.timeout_s = 1;
    if (cfg.timeout_s > 3600)
        cfg.timeout_s = 3600;
    /* Each sender holds a database connection; a few suffice for webhook traffic. */
    if (cfg.workers > 4)
        cfg.workers = 4;
    if (cfg.workers < 1)
        cfg.workers = 1;
    bool keyed;
    if (hooks_fernet_init(e, &keyed) != 0)
        return -1;
    if (!keyed)
        log_warn("webhooks: MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY is not set; webhook secrets "
                 "stored now cannot be read after a restart (as in MLflow)");
    return 0;
}

const struct hooks_config *hooks_config(void)
{
    return &cfg;
}
