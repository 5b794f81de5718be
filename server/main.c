/* mltrack's entry point: parse the command line, open the listening socket and the store,
 * start the HTTP daemon, then wait in the main thread for SIGINT/SIGTERM (sigwait, so no
 * signal handler runs at all) and shut down in order: stop accepting, let requests in
 * flight finish, stop the daemon, close the store. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../api/request.h"
#include "../auth/authdb.h"
#include "../auth/config.h"
#include "../ui/ui.h"
#include "../base/buf.h"
#include "../base/err.h"
#include "../base/util.h"
#include "../store/store.h"
#include "../hooks/hooks.h"
#include "cli.h"
#include "access_log.h"
#include "admin.h"
#include "gc.h"
#include "mem.h"
#include "prom.h"
#include "http.h"
#include "net.h"
#include "security.h"

#ifndef MLTRACK_VERSION
#define MLTRACK_VERSION "0.0.0"
#endif
#ifndef MLFLOW_COMPAT_VERSION
#define MLFLOW_COMPAT_VERSION "3.0.0"
#endif

/* How long shutdown waits for requests in flight before stopping anyway. */
enum { DRAIN_TIMEOUT_MS = 30 * 1000, IDLE_TIMEOUT_S = 60, LISTEN_BACKLOG = 1024 };
/* Request threads per --workers, and at most (see http_start's caller below). */
enum { THREADS_PER_WORKER = 4, MAX_THREADS = 256 };

static const char *env_get(const char *name)
{
    return getenv(name);
}

/* The local directory behind an artifact destination, or NULL when it is not local
 * (s3://, ...). Returns a pointer into dest. */
static const char *local_path(const char *dest)
{
    if (strncmp(dest, "file://", 7) == 0)
        return dest + 7;
    if (strncmp(dest, "file:", 5) == 0)
        return dest + 5;
    if (strstr(dest, "://") || strncmp(dest, "mlflow-artifacts:", 17) == 0)
        return NULL;
    return dest;
}

/* Whether dir exists as a writable directory, or could be created under its nearest
 * existing ancestor (MLflow creates the destination lazily, so we create nothing).
 * Returns 0, or -1 with a message in err. */
static int check_writable(const char *what, const char *dir, char *err, size_t errlen)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    buf_puts(&b, dir);
    if (!buf_ok(&b) || b.len == 0) {
        buf_release(&b);
        snprintf(err, errlen, "%s '%s' is not a usable path", what, dir);
        return -1;
    }
    for (;;) {
        struct stat st;
        if (stat(b.ptr, &st) == 0) {
            int rc = 0;
            if (!S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "%s '%s' is not writable: '%s' is not a directory", what,
                         dir, b.ptr);
                rc = -1;
            } else if (access(b.ptr, W_OK | X_OK) != 0) {
                snprintf(err, errlen, "%s '%s' is not writable: %s", what, dir,
                         strerror(errno));
                rc = -1;
            }
            buf_release(&b);
            return rc;
        }
        if (errno != ENOENT) {
            snprintf(err, errlen, "%s '%s' is not usable: %s", what, dir, strerror(errno));
            buf_release(&b);
            return -1;
        }
        /* Step to the parent. */
        char *slash = strrchr(b.ptr, '/');
        if (!slash) {
            buf_clear(&b);
            buf_puts(&b, ".");
        } else if (slash == b.ptr) {
            b.ptr[1] = '\0';
            b.len = 1;
        } else {
            *slash = '\0';
            b.len = (size_t)(slash - b.ptr);
        }
    }
}

/* After the first signal: a second one ends the process at once, for when a request
 * never finishes. */
static void *second_signal(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;
    if (sigwait(set, &sig) == 0) {
        log_warn("second %s: exiting without waiting", sig == SIGINT ? "SIGINT" : "SIGTERM");
        _exit(1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct server_config cfg;
    if (argc > 1 && strcmp(argv[1], "db") == 0)
        return admin_db_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "gc") == 0)
        return gc_main(argc - 1, argv + 1);
    char msg[1024];
    switch (cli_parse(argc, argv, env_get, &cfg, msg, sizeof msg)) {
    case CLI_HELP_TOP:
        fputs(cli_usage_top, stdout);
        return 0;
    case CLI_HELP_SERVER:
        fputs(cli_usage_server, stdout);
        return 0;
    case CLI_VERSION:
        printf("mltrack %s (MLflow API %s)\n", MLTRACK_VERSION, MLFLOW_COMPAT_VERSION);
        return 0;
    case CLI_USAGE_ERROR:
        fprintf(stderr, "mltrack: %s\n", msg);
        return 2;
    case CLI_RUN:
        break;
    }
    log_min_level = cfg.log_level;
    mem_init();
    if (cfg.expose_prometheus)
        prom_enable();
    if (cfg.access_log &&
        access_log_open(cfg.access_log, cfg.access_log_json ? ACCESS_JSON : ACCESS_COMMON, msg,
                        sizeof msg) != 0) {
        fprintf(stderr, "mltrack: %s\n", msg);
        return 2;
    }

    /* Block the signals before any thread exists so every thread inherits the mask and
     * only sigwait below sees them. */
    static sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    int fd_limit = net_raise_fd_limit();

    int rc = 1;
    int fd = -1;
    bool store_up = false, api_up = false, hooks_up = false;
    static struct auth_config authcfg;
    bool auth_on = cfg.app_name != NULL;
    struct sec_config sec;
    sec_config_init(&sec, cfg.allowed_hosts, cfg.cors_allowed_origins, cfg.x_frame_options,
                    cfg.static_prefix, cfg.disable_security_middleware);

    const char *dest = local_path(cfg.artifacts_destination);
    if (cfg.serve_artifacts && dest &&
        check_writable("artifacts destination", dest, msg, sizeof msg) < 0)
        goto fail;

    int port = cfg.port;
    char addr[128] = "";
    fd = net_listen(cfg.host, cfg.port, LISTEN_BACKLOG, &port, addr, sizeof addr, msg,
                    sizeof msg);
    if (fd < 0)
        goto fail;

    if (cfg.backend_defaulted)
        log_info("Backend store URI not provided. Using %s", cfg.backend_store_uri);
    if (!cfg.artifacts_only) {
        struct store_config sc = {.backend_uri = cfg.backend_store_uri,
                                  .default_artifact_root = cfg.artifact_root};
        struct err e;
        err_clear(&e);
        if (store_global_init(&sc, &e) < 0) {
            snprintf(msg, sizeof msg, "%s", e.msg[0] ? e.msg : "cannot open the backend store");
            goto fail;
        }
        store_up = true;
        /* The webhook settings (MLflow's environment variables) before any request. */
        if (hooks_init(&e) < 0) {
            snprintf(msg, sizeof msg, "%s", e.msg);
            goto fail;
        }
    }

    if (auth_on) {
        if (auth_config_load(&authcfg, env_get, msg, sizeof msg) < 0)
            goto fail;
        authcfg.proxy_header = cfg.auth_proxy_header;
        authcfg.trusted_proxies = cfg.auth_trusted_proxies;
        struct err e;
        err_clear(&e);
        if (authdb_init(&authcfg, &e) < 0) {
            snprintf(msg, sizeof msg, "%s", e.msg);
            goto fail;
        }
        log_info("basic-auth on: users and permissions in %s (config %s, default_permission "
                 "%s)",
                 authcfg.database_uri, authcfg.source, perm_name(authcfg.default_permission));
        if (authcfg.proxy_header)
            log_info("basic-auth: the user named in %s is trusted from %s", authcfg.proxy_header,
                     authcfg.trusted_proxies);
    }

    static struct api_config ac;
    ac.static_prefix = cfg.static_prefix;
    ac.default_artifact_root = cfg.artifact_root;
    ac.artifacts_destination = cfg.artifacts_destination;
    ac.serve_artifacts = cfg.serve_artifacts;
    ac.artifacts_only = cfg.artifacts_only;
    ac.version = MLFLOW_COMPAT_VERSION;
    ac.ui_routes = ui_routes;
    ac.ui_routes_n = ui_routes_n;
    ac.auth = auth_on ? &authcfg : NULL;
    struct err ae;
    err_clear(&ae);
    if (api_init(&ac, &ae) < 0) {
        snprintf(msg, sizeof msg, "%s", ae.msg);
        goto fail;
    }
    api_up = true;

    /* MLflow's --workers counts processes that each serve many requests at once; ours are
     * threads that each serve one, and a write waits in its thread for the group commit, so
     * the pool is a few threads per worker: --workers 4 (the default) lets 16 writes share
     * a commit. */
    int threads = cfg.workers * THREADS_PER_WORKER;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    struct http_options ho = {.listen_fd = fd, .workers = threads,
                              .timeout_s = IDLE_TIMEOUT_S, .max_conns = cfg.max_connections,
                              .fd_limit = fd_limit, .sec = &sec};
    if (http_start(&ho, msg, sizeof msg) < 0)
        goto fail;
    mem_sweeper_start(http_inflight);
    if (store_up) {
        /* Deliveries queued before a crash or by another process go out from here on. A
         * missing libcurl leaves them queued, not the server down. */
        struct err he;
        err_clear(&he);
        if (hooks_start(&he) < 0)
            log_warn("webhook delivery unavailable: %s", he.msg);
        else
            hooks_up = true;
    }
    if (sec.disabled)
        log_warn("Security middleware is disabled: no Host check, CORS protection or "
                 "security headers");
    log_info("mltrack %s listening at http://%s (%d worker%s: %d request threads, artifact "
             "root %s)",
             MLTRACK_VERSION, addr, cfg.workers, cfg.workers == 1 ? "" : "s", threads,
             cfg.artifact_root);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    log_info("Received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    pthread_t watchdog;
    if (pthread_create(&watchdog, NULL, second_signal, &sigs) == 0)
        pthread_detach(watchdog);

    http_quiesce();
    /* MHD no longer accepts, but the kernel would still queue connections on the open
     * socket until they time out; shutting it down makes new clients fail fast. */
    shutdown(fd, SHUT_RDWR);
    if (!http_drain(DRAIN_TIMEOUT_MS))
        log_warn("requests still running after %d s; stopping anyway", DRAIN_TIMEOUT_MS / 1000);
    mem_sweeper_stop();
    http_stop();
    if (hooks_up)
        hooks_stop();
    close(fd);
    fd = -1;
    api_shutdown();
    api_up = false;
    access_log_close();
    if (store_up)
        store_global_shutdown();
    log_info("Shutdown complete");
    rc = 0;
    goto out;

fail:
    fprintf(stderr, "mltrack: %s\n", msg);
    if (api_up)
        api_shutdown();
    if (store_up)
        store_global_shutdown();
out:
    if (fd >= 0)
        close(fd);
    sec_config_release(&sec);
    cli_config_release(&cfg);
    if (auth_on) {
        authdb_shutdown();
        auth_config_release(&authcfg);
    }
    return rc;
}
