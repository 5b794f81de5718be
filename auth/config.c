/* Reading the basic-auth configuration (see config.h). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"

const char auth_default_ini[] = "[mlflow]\n"
                                "default_permission = READ\n"
                                "database_uri = sqlite:///basic_auth.db\n"
                                "admin_username = admin\n";

void auth_config_release(struct auth_config *cfg)
{
    free(cfg->database_uri);
    free(cfg->admin_username);
    free(cfg->admin_password);
    free(cfg->source);
    memset(cfg, 0, sizeof *cfg);
}

/* A copy of v, or NULL for NULL or "" (config.py's `or None`). */
static char *dup_or_null(const char *v)
{
    return v && *v ? strdup(v) : NULL;
}

int auth_config_parse(struct auth_config *cfg, const char *text, size_t len,
                      const char *source, auth_getenv_fn env, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->source = strdup(source);
    struct ini ini;
    char perr[256];
    if (ini_parse(&ini, text, len, perr, sizeof perr) != 0) {
        snprintf(err, errlen, "cannot read the auth configuration %s: %s", source, perr);
        ini_release(&ini);
        return -1;
    }
    int rc = -1;
    const char *dp = ini_get(&ini, "mlflow", "default_permission");
    const char *uri = ini_get(&ini, "mlflow", "database_uri");
    if (!dp || !uri) {
        snprintf(err, errlen, "the auth configuration %s has no %s in its [mlflow] section",
                 source, !dp ? "default_permission" : "database_uri");
        goto out;
    }
    int p = perm_parse(dp);
    if (p < 0) {
        snprintf(err, errlen,
                 "the auth configuration %s sets default_permission = '%s'; valid permissions "
                 "are READ, USE, EDIT, MANAGE, NO_PERMISSIONS, DENY",
                 source, dp);
        goto out;
    }
    /* A custom authorization_function is Python that mltrack cannot run: refuse rather than
     * run with another login than the operator configured. */
    const char *fn = ini_get(&ini, "mlflow", "authorization_function");
    if (fn && strcmp(fn, "mlflow.server.auth:authenticate_request_basic_auth") != 0) {
        snprintf(err, errlen,
                 "the auth configuration %s names authorization_function = %s; mltrack "
                 "authenticates with MLflow's default (HTTP Basic, plus its API tokens and "
                 "--auth-proxy-header) and cannot run a Python function",
                 source, fn);
        goto out;
    }
    cfg->default_permission = (enum perm)p;
    cfg->database_uri = strdup(uri);
    const char *u = env ? env("MLFLOW_AUTH_ADMIN_USERNAME") : NULL;
    const char *pw = env ? env("MLFLOW_AUTH_ADMIN_PASSWORD") : NULL;
    cfg->admin_username = dup_or_null(u ? u : ini_get(&ini, "mlflow", "admin_username"));
    cfg->admin_password = dup_or_null(pw ? pw : ini_get(&ini, "mlflow", "admin_password"));
    if (!cfg->database_uri || !cfg->source) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = 0;
out:
    ini_release(&ini);
    return rc;
}

int auth_config_load(struct auth_config *cfg, auth_getenv_fn env, char *err, size_t errlen)
{
    const char *path = env ? env("MLFLOW_AUTH_CONFIG_PATH") : NULL;
    if (!path || !*path)
        return auth_config_parse(cfg, auth_default_ini, strlen(auth_default_ini),
                                 "(built-in basic_auth.ini)", env, err, errlen);
    memset(cfg, 0, sizeof *cfg);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open the auth configuration %s (MLFLOW_AUTH_CONFIG_PATH): %s",
                 path, strerror(errno));
        return -1;
    }
    char *text = malloc(INI_MAX_BYTES + 1);
    size_t n = text ? fread(text, 1, INI_MAX_BYTES + 1, f) : 0;
    bool bad = !text || ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        snprintf(err, errlen, "cannot read the auth configuration %s", path);
        return -1;
    }
    int rc = auth_config_parse(cfg, text, n, path, env, err, errlen);
    free(text);
    return rc;
}
