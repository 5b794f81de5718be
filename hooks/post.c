/* One webhook POST with libcurl (see hooks_post in hooks.h): MLflow's envelope and
 * headers, the timeout, no proxy from the environment, no redirects, and the SSRF check on
 * the very address libcurl is about to connect to (CURLOPT_OPENSOCKETFUNCTION), so that a
 * name resolving to a public address at validation and a private one now (DNS rebinding)
 * is refused before any byte is sent. */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../artifacts/curl_load.h"
#include "../base/buf.h"
#include "../base/pystr.h"
#include "hooks.h"
#include "ipcheck.h"
#include "sign.h"

enum { BODY_MAX = 64 * 1024 };

struct post_state {
    struct buf body;
    bool refused;      /* the SSRF check refused the peer */
    char refused_ip[64];
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct post_state *ps = ud;
    size_t len = size * n;
    size_t room = BODY_MAX > ps->body.len ? BODY_MAX - ps->body.len : 0;
    buf_append(&ps->body, p, len < room ? len : room);
    return len;
}

static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct post_state *ps = ud;
    if (purpose == CURLSOCKTYPE_IPCXN && !hooks_config()->allow_private_ips &&
        !hooks_ip_is_public(&addr->addr)) {
        ps->refused = true;
        getnameinfo(&addr->addr, addr->addrlen, ps->refused_ip, sizeof ps->refused_ip, NULL,
                    0, NI_NUMERICHOST);
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)ud, (void)dt, (void)dn, (void)ut, (void)un;
    return hooks_stopping() ? 1 : 0;
}

/* datetime.now(timezone.utc).isoformat(): microseconds only when not zero. */
static const char *iso_now(struct arena *a)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    if (tv.tv_usec)
        return arena_printf(a, "%s.%06ld+00:00", base, (long)tv.tv_usec);
    return arena_printf(a, "%s+00:00", base);
}

int hooks_post(struct arena *a, const char *url, const char *secret, const char *delivery_id,
               const char *entity, const char *action, const char *data,
               struct hooks_result *out)
{
    memset(out, 0, sizeof *out);
    struct err e = {0};
    if (curl_load(&e) != 0) {
        out->error = arena_printf(a, "libcurl unavailable: %s", e.msg);
        return -1;
    }
    /* json.dumps of {"entity", "action", "timestamp", "data"}: data is already dumped. */
    const char *payload = arena_printf(a, "{\"entity\": %s, \"action\": %s, \"timestamp\": %s, "
                                          "\"data\": %s}",
                                       py_json_str(a, entity), py_json_str(a, action),
                                       py_json_str(a, iso_now(a)), data);
    size_t plen = strlen(payload);
    const char *ts = arena_printf(a, "%lld", (long long)time(NULL));
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, arena_printf(a, "X-MLflow-Delivery-Id: %s", delivery_id));
    h = curl_slist_append(h, arena_printf(a, "X-MLflow-Timestamp: %s", ts));
    if (secret && *secret) {
        const char *sig = hooks_sign(a, secret, delivery_id, ts, payload, plen);
        if (sig)
            h = curl_slist_append(h, arena_printf(a, "X-MLflow-Signature: %s", sig));
    }
    h = curl_slist_append(h, "Expect:");
    struct post_state ps = {0};
    buf_init(&ps.body, BODY_MAX + 1);
    const struct hooks_config *cfg = hooks_config();
    char protocols[64] = "";
    for (int i = 0; i < cfg->nschemes; i++)
        if (strcmp(cfg->schemes[i], "http") == 0 || strcmp(cfg->schemes[i], "https") == 0) {
            size_t n = strlen(protocols);
            snprintf(protocols + n, sizeof protocols - n, "%s%s", n ? "," : "", cfg->schemes[i]);
        }
    CURL *cu = curl_easy_init();
    int rc = -1;
    if (!cu || !h || !*protocols) {
        out->error = !*protocols ? "no allowed scheme libcurl speaks" : "out of memory";
        goto done;
    }
    curl_easy_setopt(cu, CURLOPT_URL, url);
    curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(cu, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(cu, CURLOPT_PROXY, ""); /* never a proxy from the environment */
    curl_easy_setopt(cu, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(cu, CURLOPT_TIMEOUT, (long)cfg->timeout_s);
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(cu, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)plen);
    curl_easy_setopt(cu, CURLOPT_USERAGENT, "mltrack/" MLTRACK_VERSION);
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(cu, CURLOPT_WRITEDATA, &ps);
    curl_easy_setopt(cu, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(cu, CURLOPT_OPENSOCKETDATA, &ps);
    curl_easy_setopt(cu, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(cu, CURLOPT_XFERINFOFUNCTION, on_progress);
    CURLcode cc = curl_easy_perform(cu);
    if (ps.refused) {
        out->error = arena_printf(a, "Webhook connection blocked: %s is not a public IP "
                                     "address. This may indicate a DNS rebinding attempt.",
                                  ps.refused_ip);
        goto done;
    }
    if (cc != CURLE_OK) {
        out->error = arena_strdup(a, curl_easy_strerror(cc));
        out->retryable = true;
        goto done;
    }
    long status = 0;
    curl_off_t retry_after = 0;
    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(cu, CURLINFO_RETRY_AFTER, &retry_after);
    out->sent = true;
    out->status = status;
    out->retry_after_s = retry_after > 0 ? (int64_t)retry_after : 0;
    out->body = arena_strndup(a, ps.body.ptr ? ps.body.ptr : "", ps.body.len);
    rc = 0;
done:
    if (cu)
        curl_easy_cleanup(cu);
    curl_slist_free_all(h);
    buf_release(&ps.body);
    return rc;
}
