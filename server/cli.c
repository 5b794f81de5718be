/* `mltrack server` argument parsing: a declarative option table (the flags of
 * `mlflow server` that mean something here), one pass over argv, then environment
 * variables for what argv left unset, then defaults and MLflow's cross-checks. */
#include "cli.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../auth/proxy.h"
#include "../base/buf.h"
#include "../base/url.h"

const char cli_usage_top[] =
    "Usage: mltrack [--version] [--help] <command> [options]\n"
    "\n"
    "An MLflow-compatible tracking server written in C.\n"
    "\n"
    "Commands:\n"
    "  server   Run the tracking server (see 'mltrack server --help').\n"
    "  db       Check or back up a store (see 'mltrack db --help').\n"
    "  gc       Permanently delete deleted runs, experiments and logged models, with\n"
    "           their artifacts (see 'mltrack gc --help').\n"
    "\n"
    "Options:\n"
    "  --version  Print the version and exit.\n"
    "  --help     Show this message and exit.\n";

const char cli_usage_server[] =
    "Usage: mltrack server [options]\n"
    "\n"
    "Run the tracking server. Options and environment variables follow 'mlflow server';\n"
    "each option also accepts the --option=value form.\n"
    "\n"
    "Storage:\n"
    "  --backend-store-uri URI      Metadata store (default: sqlite:///mlflow.db).\n"
    "                               [env MLFLOW_BACKEND_STORE_URI]\n"
    "  --registry-store-uri URI     Model registry store; must equal the backend store.\n"
    "                               [env MLFLOW_REGISTRY_STORE_URI]\n"
    "  --default-artifact-root URI  Artifact root for new experiments (default:\n"
    "                               mlflow-artifacts:/ when serving artifacts, else\n"
    "                               ./mlruns). [env MLFLOW_DEFAULT_ARTIFACT_ROOT]\n"
    "  --serve-artifacts / --no-serve-artifacts\n"
    "                               Proxy artifact uploads, downloads and listings\n"
    "                               (default: on). [env MLFLOW_SERVE_ARTIFACTS]\n"
    "  --artifacts-destination URI  Where proxied artifacts live (default:\n"
    "                               ./mlartifacts). [env MLFLOW_ARTIFACTS_DESTINATION]\n"
    "  --artifacts-only             Serve only the artifact proxy.\n"
    "                               [env MLFLOW_ARTIFACTS_ONLY]\n"
    "Network:\n"
    "  -h, --host HOST              Interface to bind (default: 127.0.0.1; '0.0.0.0' or\n"
    "                               '::' for all). [env MLFLOW_HOST]\n"
    "  -p, --port PORT              Port to listen on (default: 5000; 0 picks a free\n"
    "                               one). [env MLFLOW_PORT]\n"
    "  -w, --workers N              Workers (default: 4), each 4 request threads (at\n"
    "                               most 256). [env MLFLOW_WORKERS]\n"
    "  --static-prefix PREFIX       Prefix for UI and ajax-api paths, e.g. /mlflow.\n"
    "                               [env MLFLOW_STATIC_PREFIX]\n"
    "  --max-connections N          Connections held at most (default: 10000, or what\n"
    "                               the open-file limit allows); an eighth of them (at\n"
    "                               least 32) per client address. Near the cap, new\n"
    "                               connections close the oldest idle ones.\n"
    "                               [env MLTRACK_MAX_CONNECTIONS]\n"
    "Security:\n"
    "  --allowed-hosts LIST         Comma-separated allowed Host headers; wildcards as in\n"
    "                               'mlflow.example.com,192.168.*'; '*' allows all\n"
    "                               (default: localhost and private addresses).\n"
    "                               [env MLFLOW_SERVER_ALLOWED_HOSTS]\n"
    "  --cors-allowed-origins LIST  Comma-separated CORS origins; '*' allows all\n"
    "                               (default: http://localhost, 127.0.0.1, [::1] on any\n"
    "                               port). [env MLFLOW_SERVER_CORS_ALLOWED_ORIGINS]\n"
    "  --x-frame-options VALUE      SAMEORIGIN (default), DENY or NONE.\n"
    "                               [env MLFLOW_SERVER_X_FRAME_OPTIONS]\n"
    "  --disable-security-middleware\n"
    "                               DANGEROUS: no Host check, CORS or security headers.\n"
    "                               [env MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE]\n"
    "Access control:\n"
    "  --app-name basic-auth        MLflow's basic-auth app: HTTP Basic logins and per-\n"
    "                               resource permissions, configured by the ini that\n"
    "                               MLFLOW_AUTH_CONFIG_PATH names (see README).\n"
    "  --auth-proxy-header NAME     With basic-auth: single sign-on behind a proxy that\n"
    "                               names the user in header NAME (X-Forwarded-User).\n"
    "                               [env MLTRACK_AUTH_PROXY_HEADER]\n"
    "  --auth-trusted-proxies LIST  Addresses and CIDR blocks the header is accepted\n"
    "                               from; from anywhere else it is ignored.\n"
    "                               [env MLTRACK_AUTH_TRUSTED_PROXIES]\n"
    "Other:\n"
    "  --expose-prometheus DIR      Serve Prometheus metrics at GET /metrics (DIR is\n"
    "                               MLflow's metrics directory; mltrack keeps its\n"
    "                               metrics in memory and leaves it alone).\n"
    "                               [env MLFLOW_EXPOSE_PROMETHEUS]\n"
    "  --access-log PATH            One line per request to PATH ('-': standard\n"
    "                               error), credentials in query strings redacted.\n"
    "                               [env MLTRACK_ACCESS_LOG]\n"
    "  --access-log-format FORMAT   common (default: the common log format and the\n"
    "                               latency) or json. [env MLTRACK_ACCESS_LOG_FORMAT]\n"
    "  --log-level LEVEL            debug, info (default), warning or error.\n"
    "                               [env MLTRACK_LOG_LEVEL]\n"
    "  --help                       Show this message and exit.\n";

enum opt_kind { OPT_STR, OPT_PORT, OPT_WORKERS, OPT_CONNS, OPT_TRUE, OPT_FALSE, OPT_LOGLEVEL };

enum opt_id {
    O_BACKEND, O_REGISTRY, O_ARTROOT, O_SERVE, O_NO_SERVE, O_ARTONLY, O_ARTDEST, O_HOST,
    O_PORT, O_WORKERS, O_PREFIX, O_HOSTS, O_ORIGINS, O_NOSEC, O_XFO, O_LOGLEVEL, O_MAXCONNS,
    O_PROM, O_ACCESS, O_ACCESS_FMT, O_APPNAME, O_PROXYHDR, O_PROXIES, O__COUNT
};

struct opt {
    const char *name;  /* long name without "--" */
    char shortname;    /* 0 when none */
    enum opt_kind kind;
    const char *env;   /* NULL when none */
    int target;        /* the option whose value this sets (--no-serve-artifacts sets
                          --serve-artifacts) */
};

static const struct opt opts[O__COUNT] = {
    [O_BACKEND] = {"backend-store-uri", 0, OPT_STR, "MLFLOW_BACKEND_STORE_URI", O_BACKEND},
    [O_REGISTRY] = {"registry-store-uri", 0, OPT_STR, "MLFLOW_REGISTRY_STORE_URI", O_REGISTRY},
    [O_ARTROOT] = {"default-artifact-root", 0, OPT_STR, "MLFLOW_DEFAULT_ARTIFACT_ROOT",
                   O_ARTROOT},
    [O_SERVE] = {"serve-artifacts", 0, OPT_TRUE, "MLFLOW_SERVE_ARTIFACTS", O_SERVE},
    [O_NO_SERVE] = {"no-serve-artifacts", 0, OPT_FALSE, NULL, O_SERVE},
    [O_ARTONLY] = {"artifacts-only", 0, OPT_TRUE, "MLFLOW_ARTIFACTS_ONLY", O_ARTONLY},
    [O_ARTDEST] = {"artifacts-destination", 0, OPT_STR, "MLFLOW_ARTIFACTS_DESTINATION",
                   O_ARTDEST},
    [O_HOST] = {"host", 'h', OPT_STR, "MLFLOW_HOST", O_HOST},
    [O_PORT] = {"port", 'p', OPT_PORT, "MLFLOW_PORT", O_PORT},
    [O_WORKERS] = {"workers", 'w', OPT_WORKERS, "MLFLOW_WORKERS", O_WORKERS},
    [O_PREFIX] = {"static-prefix", 0, OPT_STR, "MLFLOW_STATIC_PREFIX", O_PREFIX},
    [O_HOSTS] = {"allowed-hosts", 0, OPT_STR, "MLFLOW_SERVER_ALLOWED_HOSTS", O_HOSTS},
    [O_ORIGINS] = {"cors-allowed-origins", 0, OPT_STR, "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS",
                   O_ORIGINS},
    [O_NOSEC] = {"disable-security-middleware", 0, OPT_TRUE,
                 "MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE", O_NOSEC},
    [O_XFO] = {"x-frame-options", 0, OPT_STR, "MLFLOW_SERVER_X_FRAME_OPTIONS", O_XFO},
    [O_LOGLEVEL] = {"log-level", 0, OPT_LOGLEVEL, "MLTRACK_LOG_LEVEL", O_LOGLEVEL},
    [O_MAXCONNS] = {"max-connections", 0, OPT_CONNS, "MLTRACK_MAX_CONNECTIONS", O_MAXCONNS},
    [O_PROM] = {"expose-prometheus", 0, OPT_STR, "MLFLOW_EXPOSE_PROMETHEUS", O_PROM},
    [O_ACCESS] = {"access-log", 0, OPT_STR, "MLTRACK_ACCESS_LOG", O_ACCESS},
    [O_ACCESS_FMT] = {"access-log-format", 0, OPT_STR, "MLTRACK_ACCESS_LOG_FORMAT",
                      O_ACCESS_FMT},
    [O_APPNAME] = {"app-name", 0, OPT_STR, NULL, O_APPNAME},
    [O_PROXYHDR] = {"auth-proxy-header", 0, OPT_STR, "MLTRACK_AUTH_PROXY_HEADER", O_PROXYHDR},
    [O_PROXIES] = {"auth-trusted-proxies", 0, OPT_STR, "MLTRACK_AUTH_TRUSTED_PROXIES",
                   O_PROXIES},
};

enum { MAX_WORKERS = 256, MAX_CONNS = 1000000 };

/* The numeric options: their range and how an error names it. */
static const struct {
    enum opt_kind kind;
    int64_t lo, hi;
    const char *what;
} num_kinds[] = {
    {OPT_PORT, 0, 65535, "a port number (0-65535)"},
    {OPT_WORKERS, 1, MAX_WORKERS, "a worker count (1-256)"},
    {OPT_CONNS, 1, MAX_CONNS, "a connection count (1-1000000)"},
};

/* Parsed values by option id; set[] says which were given. */
struct parsed {
    bool set[O__COUNT];
    const char *str[O__COUNT];
    bool flag[O__COUNT];
    int64_t num[O__COUNT];
};

static enum cli_result usage_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum cli_result usage_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return CLI_USAGE_ERROR;
}

/* click's boolean words. */
static int parse_bool(const char *s)
{
    static const char *const yes[] = {"1", "true", "t", "yes", "y", "on"};
    static const char *const no[] = {"0", "false", "f", "no", "n", "off"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (strcasecmp(s, yes[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (strcasecmp(s, no[i]) == 0)
            return 0;
    return -1;
}

static int parse_log_level(const char *s, enum log_level *out)
{
    if (strcasecmp(s, "debug") == 0)
        *out = LOG_DEBUG;
    else if (strcasecmp(s, "info") == 0)
        *out = LOG_INFO;
    else if (strcasecmp(s, "warning") == 0 || strcasecmp(s, "warn") == 0)
        *out = LOG_WARN;
    else if (strcasecmp(s, "error") == 0)
        *out = LOG_ERROR;
    else
        return -1;
    return 0;
}

/* Stores the value of option o (from argv, or from the environment when env_name is
 * set). Returns CLI_RUN or CLI_USAGE_ERROR. */
static enum cli_result set_value(struct parsed *pv, const struct opt *o, const char *val,
                                 const char *env_name, char *err, size_t errlen)
{
    char where[128];
    if (env_name)
        snprintf(where, sizeof where, "--%s (env var %s)", o->name, env_name);
    else
        snprintf(where, sizeof where, "--%s", o->name);
    int t = o->target;
    switch (o->kind) {
    case OPT_STR:
        pv->str[t] = val;
        break;
    case OPT_PORT:
    case OPT_WORKERS:
    case OPT_CONNS: {
        size_t k = 0;
        while (num_kinds[k].kind != o->kind)
            k++;
        int64_t v;
        if (!parse_i64(val, strlen(val), &v) || v < num_kinds[k].lo || v > num_kinds[k].hi)
            return usage_err(err, errlen, "invalid value for %s: '%s' is not %s", where, val,
                             num_kinds[k].what);
        pv->num[t] = v;
        break;
    }
    case OPT_TRUE:
    case OPT_FALSE:
        if (env_name) {
            int b = parse_bool(val);
            if (b < 0)
                return usage_err(err, errlen, "invalid value for %s: '%s' is not a boolean",
                                 where, val);
            pv->flag[t] = b == 1;
        } else {
            pv->flag[t] = o->kind == OPT_TRUE;
        }
        break;
    case OPT_LOGLEVEL: {
        enum log_level lv;
        if (parse_log_level(val, &lv) < 0)
            return usage_err(err, errlen,
                             "invalid value for %s: '%s' (use debug, info, warning, error)",
                             where, val);
        pv->num[t] = lv;
        break;
    }
    }
    pv->set[t] = true;
    return CLI_RUN;
}

static const struct opt *find_long(const char *name, size_t n)
{
    for (int i = 0; i < O__COUNT; i++)
        if (strlen(opts[i].name) == n && strncmp(opts[i].name, name, n) == 0)
            return &opts[i];
    return NULL;
}

static const struct opt *find_short(char c)
{
    for (int i = 0; i < O__COUNT; i++)
        if (opts[i].shortname == c)
            return &opts[i];
    return NULL;
}

static bool has_scheme(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        return false;
    for (const char *p = s + 1; *p; p++) {
        if (*p == ':')
            return true;
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
            return false;
    }
    return false;
}

char *cli_resolve_artifact_root(const char *given, bool serve_artifacts, const char *cwd)
{
    const char *root = given && *given ? given : serve_artifacts ? "mlflow-artifacts:/"
                                                                 : "./mlruns";
    struct buf b;
    buf_init(&b, 1 << 20);
    if (has_scheme(root) || root[0] == '/' || !cwd) {
        buf_puts(&b, root);
    } else {
        buf_puts(&b, cwd);
        buf_join_path(&b, root);
    }
    if (!buf_ok(&b)) {
        buf_release(&b);
        return NULL;
    }
    char *out = buf_detach(&b, NULL);
    if (!out) { /* empty result cannot happen, but never return NULL for success */
        out = malloc(1);
        if (out)
            out[0] = '\0';
    }
    return out;
}

enum cli_result cli_parse(int argc, char **argv, cli_getenv_fn env, struct server_config *cfg,
                          char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    if (errlen)
        err[0] = '\0';
    if (argc < 2)
        return usage_err(err, errlen, "missing command (try 'mltrack --help')");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0)
        return CLI_HELP_TOP;
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0)
        return CLI_VERSION;
    if (strcmp(cmd, "server") != 0)
        return usage_err(err, errlen, "no such command '%s' (try 'mltrack --help')", cmd);

    struct parsed pv;
    memset(&pv, 0, sizeof pv);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const struct opt *o = NULL;
        const char *val = NULL;
        if (strcmp(a, "--help") == 0)
            return CLI_HELP_SERVER;
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t n = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(name, n);
            if (!o)
                return usage_err(err, errlen, "no such option: --%.*s", (int)n, name);
            if (eq)
                val = eq + 1;
            if ((o->kind == OPT_TRUE || o->kind == OPT_FALSE) && eq)
                return usage_err(err, errlen, "option --%s does not take a value", o->name);
        } else if (a[0] == '-' && a[1] && a[1] != '-') {
            o = find_short(a[1]);
            if (!o)
                return usage_err(err, errlen, "no such option: -%c", a[1]);
            if (a[2])
                val = a + 2; /* -p5000 */
        } else {
            return usage_err(err, errlen, "unexpected argument '%s'", a);
        }
        if (o->kind != OPT_TRUE && o->kind != OPT_FALSE && !val) {
            if (i + 1 >= argc)
                return usage_err(err, errlen, "option --%s requires a value", o->name);
            val = argv[++i];
        }
        enum cli_result r = set_value(&pv, o, val, NULL, err, errlen);
        if (r != CLI_RUN)
            return r;
    }
    /* Environment variables fill what the command line left unset; click treats an
     * empty variable as unset. */
    for (int i = 0; i < O__COUNT; i++) {
        const struct opt *o = &opts[i];
        if (!o->env || pv.set[o->target] || !env)
            continue;
        const char *v = env(o->env);
        if (!v || !*v)
            continue;
        enum cli_result r = set_value(&pv, o, v, o->env, err, errlen);
        if (r != CLI_RUN)
            return r;
    }

    cfg->backend_defaulted = !pv.set[O_BACKEND] || !*pv.str[O_BACKEND];
    cfg->backend_store_uri = cfg->backend_defaulted ? "sqlite:///mlflow.db" : pv.str[O_BACKEND];
    cfg->registry_store_uri = pv.set[O_REGISTRY] && *pv.str[O_REGISTRY] ? pv.str[O_REGISTRY]
                                                                        : cfg->backend_store_uri;
    cfg->default_artifact_root = pv.set[O_ARTROOT] ? pv.str[O_ARTROOT] : NULL;
    cfg->serve_artifacts = pv.set[O_SERVE] ? pv.flag[O_SERVE] : true;
    cfg->artifacts_only = pv.set[O_ARTONLY] && pv.flag[O_ARTONLY];
    cfg->artifacts_destination = pv.set[O_ARTDEST] && *pv.str[O_ARTDEST] ? pv.str[O_ARTDEST]
                                                                         : "./mlartifacts";
    cfg->host = pv.set[O_HOST] && *pv.str[O_HOST] ? pv.str[O_HOST] : "127.0.0.1";
    cfg->port = pv.set[O_PORT] ? (int)pv.num[O_PORT] : 5000;
    cfg->workers = pv.set[O_WORKERS] ? (int)pv.num[O_WORKERS] : 4;
    cfg->static_prefix = pv.set[O_PREFIX] ? pv.str[O_PREFIX] : "";
    cfg->allowed_hosts = pv.set[O_HOSTS] && *pv.str[O_HOSTS] ? pv.str[O_HOSTS] : NULL;
    cfg->cors_allowed_origins = pv.set[O_ORIGINS] && *pv.str[O_ORIGINS] ? pv.str[O_ORIGINS]
                                                                       : NULL;
    cfg->disable_security_middleware = pv.set[O_NOSEC] && pv.flag[O_NOSEC];
    cfg->x_frame_options = pv.set[O_XFO] && *pv.str[O_XFO] ? pv.str[O_XFO] : "SAMEORIGIN";
    cfg->log_level = pv.set[O_LOGLEVEL] ? (enum log_level)pv.num[O_LOGLEVEL] : LOG_INFO;
    cfg->max_connections = pv.set[O_MAXCONNS] ? (unsigned)pv.num[O_MAXCONNS] : 0;
    cfg->expose_prometheus = pv.set[O_PROM] && *pv.str[O_PROM] ? pv.str[O_PROM] : NULL;
    cfg->access_log = pv.set[O_ACCESS] && *pv.str[O_ACCESS] ? pv.str[O_ACCESS] : NULL;
    cfg->access_log_json = false;
    if (pv.set[O_ACCESS_FMT]) {
        if (strcmp(pv.str[O_ACCESS_FMT], "json") == 0)
            cfg->access_log_json = true;
        else if (strcmp(pv.str[O_ACCESS_FMT], "common") != 0)
            return usage_err(err, errlen, "--access-log-format must be 'common' or 'json'.");
    }

    cfg->app_name = pv.set[O_APPNAME] ? pv.str[O_APPNAME] : NULL;
    if (cfg->app_name && strcmp(cfg->app_name, "basic-auth") != 0)
        return usage_err(err, errlen,
                         "Invalid value for '--app-name': '%s' is not 'basic-auth'.",
                         cfg->app_name);

    cfg->auth_proxy_header = pv.set[O_PROXYHDR] && *pv.str[O_PROXYHDR] ? pv.str[O_PROXYHDR]
                                                                         : NULL;
    cfg->auth_trusted_proxies = pv.set[O_PROXIES] && *pv.str[O_PROXIES] ? pv.str[O_PROXIES]
                                                                        : NULL;
    if ((cfg->auth_proxy_header || cfg->auth_trusted_proxies) && !cfg->app_name)
        return usage_err(err, errlen, "--auth-proxy-header and --auth-trusted-proxies need "
                                      "--app-name basic-auth");
    if (!cfg->auth_proxy_header != !cfg->auth_trusted_proxies)
        return usage_err(err, errlen, "--auth-proxy-header and --auth-trusted-proxies go "
                                      "together: name the header and the proxies it may come "
                                      "from");
    if (cfg->auth_trusted_proxies) {
        char why[160];
        if (!proxy_list_valid(cfg->auth_trusted_proxies, why, sizeof why))
            return usage_err(err, errlen, "invalid value for --auth-trusted-proxies: %s", why);
    }

    const char *sp = cfg->static_prefix;
    if (*sp) {
        if (sp[0] != '/')
            return usage_err(err, errlen, "--static-prefix must begin with a '/'.");
        if (sp[strlen(sp) - 1] == '/')
            return usage_err(err, errlen, "--static-prefix should not end with a '/'.");
        if (strpbrk(sp, "{}"))
            return usage_err(err, errlen, "--static-prefix must not contain '{' or '}'.");
    }
    if (strcmp(cfg->registry_store_uri, cfg->backend_store_uri) != 0)
        return usage_err(err, errlen,
                         "--registry-store-uri must equal --backend-store-uri ('%s'): a "
                         "separate registry store is not supported",
                         cfg->backend_store_uri);
    if (cfg->artifacts_only && !cfg->backend_defaulted &&
        strcmp(cfg->backend_store_uri, "sqlite:///mlflow.db") != 0 &&
        strcmp(cfg->backend_store_uri, "./mlruns") != 0)
        return usage_err(err, errlen,
                         "You are starting a tracking server in `--artifacts-only` mode and "
                         "have provided a value for `--backend_store_uri`: '%s'. A tracking "
                         "server in `--artifacts-only` mode cannot have a value set for "
                         "`--backend_store_uri` to properly proxy access to the artifact "
                         "storage location.",
                         cfg->backend_store_uri);
    const char *xfo = cfg->x_frame_options;
    if (strcasecmp(xfo, "SAMEORIGIN") != 0 && strcasecmp(xfo, "DENY") != 0 &&
        strcasecmp(xfo, "NONE") != 0)
        return usage_err(err, errlen,
                         "invalid value for --x-frame-options: '%s' (use SAMEORIGIN, DENY or "
                         "NONE)",
                         xfo);

    char *cwd = getcwd(NULL, 0);
    cfg->artifact_root = cli_resolve_artifact_root(cfg->default_artifact_root,
                                                   cfg->serve_artifacts, cwd);
    free(cwd);
    if (!cfg->artifact_root)
        return usage_err(err, errlen, "--default-artifact-root is too long");
    return CLI_RUN;
}

void cli_config_release(struct server_config *cfg)
{
    free(cfg->artifact_root);
    cfg->artifact_root = NULL;
}
