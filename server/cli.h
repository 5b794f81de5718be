/* The command line of `mltrack server`, mirroring `mlflow server` (mlflow/cli/__init__.py):
 * the same flags, defaults and environment variables, parsed into a plain config. Pure
 * apart from reading the working directory: testable without starting anything. */
#ifndef MLT_SERVER_CLI_H
#define MLT_SERVER_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/util.h"

struct server_config {
    /* Strings are borrowed from argv or the environment unless noted. */
    const char *backend_store_uri;      /* default sqlite:///mlflow.db */
    const char *registry_store_uri;     /* defaults to the backend URI */
    const char *default_artifact_root;  /* as the user gave it, or NULL */
    char *artifact_root;                /* resolved (MLflow's rules); malloc'd, owned */
    const char *artifacts_destination;  /* default ./mlartifacts */
    bool serve_artifacts;               /* default true */
    bool artifacts_only;
    const char *host;                   /* default 127.0.0.1 */
    int port;                           /* default 5000; 0 picks a free port */
    int workers;                        /* default 4 */
    const char *static_prefix;          /* "" or "/prefix" */
    const char *allowed_hosts;          /* comma list or NULL */
    const char *cors_allowed_origins;   /* comma list or NULL */
    bool disable_security_middleware;
    const char *x_frame_options;        /* default SAMEORIGIN */
    enum log_level log_level;           /* default INFO */
    unsigned max_connections;           /* 0: the default (conns_defaults) */
    const char *expose_prometheus;      /* MLflow's metrics directory: GET /metrics is on */
    const char *access_log;             /* path or "-", NULL: off */
    bool access_log_json;               /* --access-log-format json */
    bool backend_defaulted;             /* backend URI came from the default */
    const char *app_name;               /* "basic-auth" or NULL (no access control) */
    const char *auth_proxy_header;      /* trusted-proxy SSO header, or NULL */
    const char *auth_trusted_proxies;   /* where it is accepted from (checked), or NULL */
};

enum cli_result {
    CLI_RUN = 0,      /* run the server with the config */
    CLI_HELP_TOP,     /* print cli_usage_top and exit 0 */
    CLI_HELP_SERVER,  /* print cli_usage_server and exit 0 */
    CLI_VERSION,      /* print the version line and exit 0 */
    CLI_USAGE_ERROR,  /* print err to stderr and exit 2 */
};

/* Looks up an environment variable; NULL when unset. getenv in production. */
typedef const char *(*cli_getenv_fn)(const char *name);

/* Parses argv (argv[0] is the program). Flags accept "--flag value" and "--flag=value";
 * explicit flags win over environment variables, which win over defaults. On
 * CLI_USAGE_ERROR a one-line message (without the program name) is written to err.
 * cfg->artifact_root is set only on CLI_RUN; release cfg with cli_config_release. */
enum cli_result cli_parse(int argc, char **argv, cli_getenv_fn env, struct server_config *cfg,
                          char *err, size_t errlen);
void cli_config_release(struct server_config *cfg);

/* MLflow's resolve_default_artifact_root plus resolve_uri_if_local: the given root, else
 * "mlflow-artifacts:/" when serving artifacts, else ./mlruns; a relative plain path is
 * made absolute against cwd. Returns a malloc'd string (caller frees). */
char *cli_resolve_artifact_root(const char *given, bool serve_artifacts, const char *cwd);

extern const char cli_usage_top[];
extern const char cli_usage_server[];

#endif
