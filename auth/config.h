/* The basic-auth app's configuration, read as MLflow 3.17 reads it (mlflow/server/auth/
 * config.py): the ini named by MLFLOW_AUTH_CONFIG_PATH, section [mlflow], or MLflow's
 * packaged basic_auth.ini when the variable is unset (default_permission = READ,
 * database_uri = sqlite:///basic_auth.db, admin_username = admin, no admin password).
 * MLFLOW_AUTH_ADMIN_USERNAME / MLFLOW_AUTH_ADMIN_PASSWORD win over the file when set, even
 * when empty; empty values mean "none". */
#ifndef MLT_AUTH_CONFIG_H
#define MLT_AUTH_CONFIG_H

#include <stddef.h>

#include "perm.h"

struct auth_config {
    enum perm default_permission;
    char *database_uri;   /* malloc'd */
    char *admin_username; /* malloc'd; NULL when none */
    char *admin_password; /* malloc'd; NULL when none */
    char *source;         /* the file read, or "(built-in basic_auth.ini)"; malloc'd */
    /* Trusted-proxy SSO (ours; from the command line, borrowed): the header naming the
     * user, and the addresses it is accepted from. NULL: off. */
    const char *proxy_header;
    const char *trusted_proxies;
};

typedef const char *(*auth_getenv_fn)(const char *name);

/* Fills cfg. -1 with a one-line message in err when the file named by
 * MLFLOW_AUTH_CONFIG_PATH cannot be read or parsed, lacks [mlflow] default_permission or
 * database_uri, or names a permission MLflow does not know (MLflow itself would fail on
 * the first request instead). Release with auth_config_release either way. */
int auth_config_load(struct auth_config *cfg, auth_getenv_fn env, char *err, size_t errlen);
/* The same from ini text (for tests and the fuzzer); source names it in messages. */
int auth_config_parse(struct auth_config *cfg, const char *text, size_t len,
                      const char *source, auth_getenv_fn env, char *err, size_t errlen);
void auth_config_release(struct auth_config *cfg);

/* MLflow's packaged basic_auth.ini, the settings that matter. */
extern const char auth_default_ini[];

#endif
