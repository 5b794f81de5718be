/* The access log (see access_log.h). */
#include "access_log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../api/jw.h"
#include "../base/util.h"

static int log_fd = -1;
static bool own_fd;
static enum access_format log_fmt;

int access_log_open(const char *path, enum access_format fmt, char *err, size_t errlen)
{
    log_fmt = fmt;
    if (strcmp(path, "-") == 0) {
        log_fd = STDERR_FILENO;
        own_fd = false;
        return 0;
    }
    log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (log_fd < 0) {
        snprintf(err, errlen, "cannot open the access log '%s': %s", path, strerror(errno));
        return -1;
    }
    own_fd = true;
    return 0;
}

bool access_log_on(void)
{
    return log_fd >= 0;
}

void access_log_close(void)
{
    if (own_fd && log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    own_fd = false;
}

/* Names of query parameters whose values are credentials: a name is one when, lowercased,
 * it contains one of these (access_token, X-Amz-Signature, X-Amz-Credential, password...). */
static const char *const secret_words[] = {"token",  "password",   "passwd", "secret",
                                           "signature", "credential", "apikey", "api_key",
                                           "access_key", "session", "auth"};

static bool secret_name(const char *k, size_t n)
{
    char low[128];
    if (n >= sizeof low)
        n = sizeof low - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)k[i]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof secret_words / sizeof *secret_words; i++)
        if (strstr(low, secret_words[i]))
            return true;
    return false;
}

/* Where in [p, end) the literal lit or its percent-encoded form pct starts (case-folded),
 * and its length in *n; NULL when neither is there. */
static const char *find_either(const char *p, const char *end, char lit, const char *pct,
                               size_t *n)
{
    size_t pn = strlen(pct);
    for (; p < end; p++) {
        if (*p == lit) {
            *n = 1;
            return p;
        }
        if ((size_t)(end - p) >= pn && strncasecmp(p, pct, pn) == 0) {
            *n = pn;
            return p;
        }
    }
    return NULL;
}

/* A value with "scheme://user:password@" keeps the user, not the password, also
 * percent-encoded ("%3A%2F%2F", "%3A", "%40"). */
static void put_value(struct buf *out, const char *v, size_t n)
{
    const char *end = v + n, *sep = NULL;
    size_t k;
    for (const char *p = v; p < end && !sep; p++) {
        if ((size_t)(end - p) >= 3 && memcmp(p, "://", 3) == 0)
            sep = p + 3;
        else if ((size_t)(end - p) >= 9 && strncasecmp(p, "%3A%2F%2F", 9) == 0)
            sep = p + 9;
    }
    const char *at = sep ? find_either(sep, end, '@', "%40", &k) : NULL;
    const char *slash = sep ? find_either(sep, end, '/', "%2F", &k) : NULL;
    if (at && slash && slash < at)
        at = NULL; /* an @ in the path, not in the authority */
    const char *colon = at ? find_either(sep, at, ':', "%3A", &k) : NULL;
    if (!colon) {
        buf_append(out, v, n);
        return;
    }
    buf_append(out, v, (size_t)(colon - v) + k);
    buf_puts(out, "REDACTED");
    buf_append(out, at, (size_t)(end - at));
}

void access_redact_target(struct buf *out, const char *target)
{
    const char *q = strchr(target, '?');
    if (!q) {
        buf_puts(out, target);
        return;
    }
    buf_append(out, target, (size_t)(q - target) + 1);
    for (const char *p = q + 1; *p;) {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        if (eq && secret_name(p, (size_t)(eq - p))) {
            buf_append(out, p, (size_t)(eq - p) + 1);
            buf_puts(out, "REDACTED");
        } else if (eq) {
            buf_append(out, p, (size_t)(eq - p) + 1);
            put_value(out, eq + 1, n - (size_t)(eq - p) - 1);
        } else {
            buf_append(out, p, n);
        }
        p += n;
        if (*p == '&')
            buf_putc(out, *p++);
    }
}

/* Bytes of the request line are shown as sent, but a control character or a quote
 * would break the line's format: those are escaped as \xHH. */
static void put_plain(struct buf *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
            buf_printf(out, "\\x%02x", ch);
        else
            buf_putc(out, (char)ch);
    }
}

void access_log_format(struct buf *out, enum access_format fmt, const struct access_entry *e,
                       int64_t unix_s)
{
    struct buf target;
    buf_init(&target, 64 * 1024);
    access_redact_target(&target, e->target ? e->target : "");
    const char *t = buf_ok(&target) && target.ptr ? target.ptr : "";
    time_t now = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&now, &tm);
    if (fmt == ACCESS_JSON) {
        char ts[32];
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        struct jw w;
        jw_init(&w, out);
        jw_obj(&w);
        jw_kstr(&w, "time", ts);
        jw_kstr(&w, "client", e->client ? e->client : "");
        jw_kstr(&w, "user", e->user);
        jw_kstr(&w, "method", e->method ? e->method : "");
        jw_kstr(&w, "target", t);
        jw_kint(&w, "status", e->status);
        if (e->bytes >= 0)
            jw_kint(&w, "bytes", e->bytes);
        jw_key(&w, "ms");
        jw_double(&w, (double)e->ns / 1e6);
        if (e->cut) {
            jw_key(&w, "cut");
            jw_bool(&w, true);
        }
        jw_obj_end(&w);
    } else {
        char ts[40];
        strftime(ts, sizeof ts, "%d/%b/%Y:%H:%M:%S +0000", &tm);
        buf_printf(out, "%s - ", e->client ? e->client : "-");
        if (e->user && *e->user)
            put_plain(out, e->user);
        else
            buf_putc(out, '-');
        buf_printf(out, " [%s] \"", ts);
        put_plain(out, e->method);
        buf_putc(out, ' ');
        put_plain(out, t);
        if (e->version) {
            buf_putc(out, ' ');
            put_plain(out, e->version);
        }
        buf_printf(out, "\" %d ", e->status);
        if (e->bytes >= 0)
            buf_printf(out, "%lld", (long long)e->bytes);
        else
            buf_putc(out, '-');
        buf_printf(out, " %.3fms%s", (double)e->ns / 1e6, e->cut ? " cut" : "");
    }
    buf_putc(out, '\n');
    buf_release(&target);
}

void access_log_write(const struct access_entry *e, bool debug)
{
    if (log_fd < 0 && !debug)
        return;
    struct buf line;
    buf_init(&line, 80 * 1024);
    int64_t now = (int64_t)time(NULL);
    if (log_fd >= 0) {
        access_log_format(&line, log_fmt, e, now);
        if (buf_ok(&line) && line.len) {
            ssize_t w = write(log_fd, line.ptr, line.len);
            (void)w; /* a full disk loses log lines, never requests */
        }
    }
    if (debug) {
        if (log_fd < 0 || log_fmt != ACCESS_COMMON) {
            buf_clear(&line);
            access_log_format(&line, ACCESS_COMMON, e, now);
        }
        if (buf_ok(&line) && line.len) {
            line.ptr[line.len - 1] = '\0'; /* the log adds its own newline */
            log_msg(LOG_DEBUG, "%s", line.ptr);
        }
    }
    buf_release(&line);
}
