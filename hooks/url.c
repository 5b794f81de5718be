/* MLflow's _validate_webhook_url (utils/validation.py) with urllib.parse.urlparse's reading
 * of a URL: the scheme, the hostname, and where the hostname resolves. */
#include <ctype.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include "../base/pystr.h"
#include "hooks.h"
#include "ipcheck.h"

/* urlsplit's first steps: leading C0 controls and spaces go, and so do tabs and newlines
 * anywhere. */
static char *clean(struct arena *a, const char *url)
{
    while (*url && (unsigned char)*url <= 0x20)
        url++;
    size_t n = strlen(url);
    while (n && (unsigned char)url[n - 1] <= 0x20)
        n--;
    char *o = arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (url[i] != '\t' && url[i] != '\r' && url[i] != '\n')
            o[k++] = url[i];
    o[k] = '\0';
    return o;
}

/* The scheme urlsplit finds (lowercased; "" when none) and the rest after it. */
static const char *split_scheme(struct arena *a, const char *u, const char **rest)
{
    const char *colon = strchr(u, ':');
    *rest = u;
    if (!colon || colon == u || !isalpha((unsigned char)u[0]))
        return "";
    for (const char *p = u; p < colon; p++)
        if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
            return "";
    char *s = arena_strndup(a, u, (size_t)(colon - u));
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    *rest = colon + 1;
    return s;
}

int hooks_check_url(struct arena *a, const char *url, struct err *e)
{
    const struct hooks_config *cfg = hooks_config();
    if (py_blank(url))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Webhook URL cannot be empty or just whitespace: %s", py_repr(a, url));
    const char *rest;
    const char *u = clean(a, url);
    const char *scheme = split_scheme(a, u, &rest);
    /* The netloc: after "//", up to the first of "/?#". */
    const char *netloc = "";
    if (rest[0] == '/' && rest[1] == '/') {
        size_t n = strcspn(rest + 2, "/?#");
        netloc = arena_strndup(a, rest + 2, n);
    }
    bool lb = strchr(netloc, '[') != NULL, rb = strchr(netloc, ']') != NULL;
    if (lb != rb)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid webhook URL %s: ValueError('Invalid IPv6 URL')",
                       py_repr(a, url));
    bool allowed = false;
    for (int i = 0; i < cfg->nschemes && !allowed; i++)
        allowed = strcmp(cfg->schemes[i], scheme) == 0;
    if (!allowed) {
        const char *list = "";
        for (int i = 0; i < cfg->nschemes; i++)
            list = arena_printf(a, "%s%s%s", list, i ? ", " : "", cfg->schemes[i]);
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid webhook URL scheme: %s. Allowed schemes are: %s.",
                       py_repr(a, scheme), list);
    }
    /* The hostname: after the last '@', inside [...] or up to ':', lowercased. */
    const char *hostinfo = strrchr(netloc, '@') ? strrchr(netloc, '@') + 1 : netloc;
    char *host;
    if (strchr(hostinfo, '[')) {
        const char *open = strchr(hostinfo, '[') + 1;
        const char *close = strchr(open, ']');
        host = arena_strndup(a, open, close ? (size_t)(close - open) : strlen(open));
    } else {
        host = arena_strndup(a, hostinfo, strcspn(hostinfo, ":"));
    }
    for (char *p = host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (!*host)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Webhook URL must include a hostname: %s",
                       py_repr(a, url));
    if (cfg->allow_private_ips)
        return 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Cannot resolve Webhook URL hostname %s: [Errno %d] %s", py_repr(a, host),
                       rc, gai_strerror(rc));
    int out = 0;
    for (struct addrinfo *ai = res; ai && out == 0; ai = ai->ai_next) {
        if (hooks_ip_is_public(ai->ai_addr))
            continue;
        char ip[NI_MAXHOST] = "?";
        getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof ip, NULL, 0, NI_NUMERICHOST);
        out = err_set(e, ERR_INVALID_PARAMETER_VALUE,
                      "Webhook URL must not resolve to a non-public IP address. %s resolves "
                      "to %s.",
                      py_repr(a, host), ip);
    }
    freeaddrinfo(res);
    return out;
}
