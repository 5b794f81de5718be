/* The Host allow list, CORS origin matching and cross-origin blocking, following MLflow's
 * security_utils.py. fnmatch(3) with FNM_NOESCAPE matches Python's fnmatch on POSIX
 * ('*', '?', '[seq]', '[!seq]', case-sensitive, backslash literal). */
#include "security.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


static char *xstrdup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        abort();
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Splits a comma list, stripping spaces around items as Python's str.strip() does; keeps
 * empty items (MLflow keeps them too; they match nothing). */
static char **split_list(const char *s, size_t *n, bool *has_star)
{
    size_t cap = 1;
    for (const char *c = s; *c; c++)
        cap += *c == ',';
    char **v = calloc(cap, sizeof *v);
    if (!v)
        abort();
    size_t k = 0;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *b = p;
        while (len && isspace((unsigned char)*b)) {
            b++;
            len--;
        }
        while (len && isspace((unsigned char)b[len - 1]))
            len--;
        v[k] = xstrdup(b, len);
        if (strcmp(v[k], "*") == 0)
            *has_star = true;
        k++;
        if (!e)
            break;
        p = e + 1;
    }
    *n = k;
    return v;
}

/* MLflow's get_default_allowed_hosts(), with "[[]::1]:*" written as the fnmatch class
 * that matches a literal '['. */
static const char *const default_hosts[] = {
    "localhost", "127.0.0.1", "[::1]", "0.0.0.0",
    "localhost:*", "127.0.0.1:*", "[[]::1]:*", "0.0.0.0:*",
    "192.168.*", "10.*",
    "172.16.*", "172.17.*", "172.18.*", "172.19.*", "172.20.*", "172.21.*", "172.22.*",
    "172.23.*", "172.24.*", "172.25.*", "172.26.*", "172.27.*", "172.28.*", "172.29.*",
    "172.30.*", "172.31.*",
    "fc00:*", "fd00:*",
};

void sec_config_init(struct sec_config *cfg, const char *allowed_hosts,
                     const char *cors_origins, const char *x_frame_options,
                     const char *static_prefix, bool disabled)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->disabled = disabled;
    cfg->static_prefix = static_prefix ? static_prefix : "";
    if (x_frame_options && *x_frame_options && strcasecmp(x_frame_options, "NONE") != 0)
        cfg->x_frame_options = x_frame_options;
    if (allowed_hosts && *allowed_hosts) {
        cfg->hosts = split_list(allowed_hosts, &cfg->nhosts, &cfg->hosts_any);
    } else {
        size_t n = sizeof default_hosts / sizeof default_hosts[0];
        cfg->hosts = calloc(n, sizeof *cfg->hosts);
        if (!cfg->hosts)
            abort();
        for (size_t i = 0; i < n; i++)
            cfg->hosts[i] = xstrdup(default_hosts[i], strlen(default_hosts[i]));
        cfg->nhosts = n;
    }
    if (cors_origins && *cors_origins)
        cfg->origins = split_list(cors_origins, &cfg->norigins, &cfg->origins_any);
}

void sec_config_release(struct sec_config *cfg)
{
    for (size_t i = 0; i < cfg->nhosts; i++)
        free(cfg->hosts[i]);
    free(cfg->hosts);
    for (size_t i = 0; i < cfg->norigins; i++)
        free(cfg->origins[i]);
    free(cfg->origins);
    memset(cfg, 0, sizeof *cfg);
}

/* One allow-list entry: fnmatch when it holds '*', else exact (MLflow's rule). */
static bool entry_matches(const char *pattern, const char *value)
{
    if (strchr(pattern, '*'))
        return fnmatch(pattern, value, FNM_NOESCAPE) == 0;
    return strcmp(pattern, value) == 0;
}

bool sec_host_allowed(const struct sec_config *cfg, const char *host)
{
    if (cfg->disabled || cfg->hosts_any)
        return true;
    if (!host || !*host)
        return false;
    for (size_t i = 0; i < cfg->nhosts; i++)
        if (entry_matches(cfg->hosts[i], host))
            return true;
    return false;
}

/* Whether path equals prefix+suffix. */
static bool is_prefixed(const char *prefix, const char *path, const char *suffix)
{
    size_t pl = strlen(prefix);
    return strncmp(path, prefix, pl) == 0 && strcmp(path + pl, suffix) == 0;
}

static bool starts_with(const char *s, const char *prefix, const char *prefix2)
{
    size_t a = strlen(prefix);
    return strncmp(s, prefix, a) == 0 && strncmp(s + a, prefix2, strlen(prefix2)) == 0;
}

bool sec_is_health_path(const struct sec_config *cfg, const char *path)
{
    return is_prefixed(cfg->static_prefix, path, "/health") ||
           is_prefixed(cfg->static_prefix, path, "/version");
}

bool sec_is_api_path(const struct sec_config *cfg, const char *path)
{
    if (strcmp(path, "/test") == 0 || strcmp(path, "/api/test") == 0)
        return false;
    /* The unprefixed forms too: mltrack serves /api/... without the static prefix, as
     * MLflow does, and those must not escape the cross-origin block. */
    return starts_with(path, cfg->static_prefix, "/api/") ||
           starts_with(path, cfg->static_prefix, "/ajax-api/") ||
           starts_with(path, "", "/api/") || starts_with(path, "", "/ajax-api/");
}

/* Matches ^http://<host>(:[0-9]+)?$ exactly (case-sensitive, as Starlette's regex). */
static bool is_http_origin_with_port(const char *origin, const char *host)
{
    static const char scheme[] = "http://";
    size_t sl = sizeof scheme - 1, hl = strlen(host);
    if (strncmp(origin, scheme, sl) != 0 || strncmp(origin + sl, host, hl) != 0)
        return false;
    const char *p = origin + sl + hl;
    if (*p == '\0')
        return true;
    if (*p != ':' || !isdigit((unsigned char)p[1]))
        return false;
    for (p++; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return true;
}

bool sec_origin_allowed(const struct sec_config *cfg, const char *origin)
{
    if (!origin || !*origin)
        return false;
    if (cfg->origins_any)
        return true;
    if (is_http_origin_with_port(origin, "localhost") ||
        is_http_origin_with_port(origin, "127.0.0.1") ||
        is_http_origin_with_port(origin, "[::1]"))
        return true;
    for (size_t i = 0; i < cfg->norigins; i++)
        if (entry_matches(cfg->origins[i], origin))
            return true;
    return false;
}

bool sec_is_localhost_origin(const char *origin)
{
    const char *p = strstr(origin, "://");
    if (!p)
        return false;
    /* Python's urlparse wants a valid scheme before "://". */
    if (p == origin || !isalpha((unsigned char)origin[0]))
        return false;
    for (const char *c = origin; c < p; c++)
        if (!isalnum((unsigned char)*c) && *c != '+' && *c != '-' && *c != '.')
            return false;
    p += 3;
    size_t nl = strcspn(p, "/?#");
    /* Drop userinfo (up to the last '@' in the authority). */
    for (size_t i = nl; i > 0; i--)
        if (p[i - 1] == '@') {
            p += i;
            nl -= i;
            break;
        }
    const char *h = p;
    size_t hl;
    if (nl > 0 && *h == '[') {
        const char *close = memchr(h, ']', nl);
        if (!close)
            return false;
        h++;
        hl = (size_t)(close - h);
    } else {
        const char *c = memchr(h, ':', nl);
        hl = c ? (size_t)(c - h) : nl;
    }
    static const char *const names[] = {"localhost", "127.0.0.1", "::1"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == hl && strncasecmp(h, names[i], hl) == 0)
            return true;
    return false;
}

bool sec_block_cross_origin(const struct sec_config *cfg, const char *origin,
                            const char *method)
{
    if (cfg->disabled || cfg->origins_any || !origin || !*origin)
        return false;
    if (strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0 &&
        strcmp(method, "DELETE") != 0 && strcmp(method, "PATCH") != 0)
        return false;
    if (sec_is_localhost_origin(origin))
        return false;
    for (size_t i = 0; i < cfg->norigins; i++)
        if (entry_matches(cfg->origins[i], origin))
            return false;
    return true;
}

bool sec_preflight_method_allowed(const struct sec_config *cfg, const char *method)
{
    static const char *const explicit_mode[] = {"GET", "POST", "PUT", "DELETE", "OPTIONS",
                                                "PATCH", NULL};
    static const char *const any_mode[] = {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH",
                                           "POST", "PUT", NULL};
    for (const char *const *m = cfg->origins_any ? any_mode : explicit_mode; *m; m++)
        if (strcmp(*m, method) == 0)
            return true;
    return false;
}
