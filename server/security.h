/* MLflow's server security rules (3.5+, mlflow/server/security_utils.py and
 * fastapi_security.py): Host-header allow list against DNS rebinding, CORS for browsers,
 * and server-side blocking of cross-origin state-changing API calls. Pure code: the HTTP
 * glue asks these questions and writes the answers onto the wire. */
#ifndef MLT_SERVER_SECURITY_H
#define MLT_SERVER_SECURITY_H

#include <stdbool.h>
#include <stddef.h>

/* Bodies MLflow sends (text/plain, status 403). */
#define SEC_INVALID_HOST_MSG "Invalid Host header - possible DNS rebinding attack detected"
#define SEC_CORS_BLOCKED_MSG "Cross-origin request blocked"
/* What Starlette's CORSMiddleware answers to a preflight it refuses (status 400). */
#define SEC_PREFLIGHT_BAD_ORIGIN_MSG "Disallowed CORS origin"
#define SEC_PREFLIGHT_BAD_METHOD_MSG "Disallowed CORS method"
/* Access-Control-Allow-Methods in preflight answers, as Starlette's CORSMiddleware sends
 * them: MLflow's list in explicit-origin mode, Starlette's ALL_METHODS in "*" mode. */
#define SEC_ALLOW_METHODS "GET, POST, PUT, DELETE, OPTIONS, PATCH"
#define SEC_ALLOW_METHODS_ANY "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
#define SEC_PREFLIGHT_VARY                                                                \
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "            \
    "Access-Control-Request-Private-Network"

struct sec_config {
    bool disabled;            /* --disable-security-middleware: no checks, no headers */
    bool hosts_any;           /* "*" in the allowed hosts: no Host check */
    char **hosts;             /* fnmatch patterns or exact names; malloc'd, owned */
    size_t nhosts;
    bool origins_any;         /* "*" in the CORS origins: wildcard mode, no credentials */
    char **origins;           /* user origins (exact, or fnmatch patterns with '*'); owned */
    size_t norigins;
    const char *x_frame_options; /* header value, NULL when "NONE"; borrowed */
    const char *static_prefix;   /* "" or "/prefix"; borrowed */
};

/* Builds the rules from the comma lists (NULL or "" means MLflow's defaults: localhost
 * and private-network hosts; localhost origins only). The strings are copied except
 * x_frame_options and static_prefix, which must outlive cfg. Never fails (aborts on OOM). */
void sec_config_init(struct sec_config *cfg, const char *allowed_hosts,
                     const char *cors_origins, const char *x_frame_options,
                     const char *static_prefix, bool disabled);
void sec_config_release(struct sec_config *cfg);

/* Whether a Host header value (NULL when absent) is allowed. Case-sensitive, Python
 * fnmatch semantics ('*', '?', '[...]') for patterns holding '*'; exact otherwise. */
bool sec_host_allowed(const struct sec_config *cfg, const char *host);

/* Paths exempt from the Host check: <prefix>/health and <prefix>/version. */
bool sec_is_health_path(const struct sec_config *cfg, const char *path);

/* Paths that get CORS blocking and 204 answers to OPTIONS: /api/..., /ajax-api/... (with
 * and without the static prefix) except the test endpoints. */
bool sec_is_api_path(const struct sec_config *cfg, const char *path);

/* Whether an Origin may read responses (gets Access-Control-Allow-Origin): the user's
 * origins plus http://localhost, http://127.0.0.1 and http://[::1] on any port. */
bool sec_origin_allowed(const struct sec_config *cfg, const char *origin);

/* MLflow's should_block_cors_request: a state-changing method (POST, PUT, DELETE, PATCH)
 * with an Origin that is neither a localhost origin (any scheme or port) nor allowed. */
bool sec_block_cross_origin(const struct sec_config *cfg, const char *origin,
                            const char *method);

/* Whether a preflight's Access-Control-Request-Method is allowed. */
bool sec_preflight_method_allowed(const struct sec_config *cfg, const char *method);

/* Whether origin's host is localhost, 127.0.0.1 or ::1 (Python urlparse().hostname). */
bool sec_is_localhost_origin(const char *origin);

#endif
