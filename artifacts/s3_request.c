/* S3 requests over libcurl, run to completion with the body in memory both ways, signed
 * with curl's AWS SigV4 and retried on network errors and 5xx (see s3.c for the rules curl
 * 7.88 imposes on what is signed). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../base/util.h"
#include "s3_internal.h"


void s3_share_lock(CURL *h, curl_lock_data data, curl_lock_access acc, void *userp)
{
    struct s3_store *s = userp;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&s->locks[data]);
}

void s3_share_unlock(CURL *h, curl_lock_data data, void *userp)
{
    struct s3_store *s = userp;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&s->locks[data]);
}

/* The options every request has: signing, timeouts, the shared caches, TLS settings.
 * *hdrs gets the header list (caller frees after the transfer). */
int s3_easy_setup(struct s3_store *s, CURL *h, const char *url, bool has_body,
                  const char *extra1, const char *extra2, struct curl_slist **hdrs)
{
    struct curl_slist *l = NULL, *t;
    const char *lines[] = {has_body ? "x-amz-content-sha256: UNSIGNED-PAYLOAD"
                                    : "x-amz-content-sha256: " EMPTY_SHA256,
                           s->token_header, extra1, extra2};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        if (!lines[i])
            continue;
        t = curl_slist_append(l, lines[i]);
        if (!t) {
            curl_slist_free_all(l);
            return -1;
        }
        l = t;
    }
    *hdrs = l;
    int bad = 0;
    bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, l) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_SHARE, s->share) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L) != CURLE_OK;
    /* No total timeout (a 5 GB part stream may take long); a stalled one ends instead. */
    bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_BUFFERSIZE, CURL_CHUNK) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
    if (s->access_key) {
        bad |= curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4) != CURLE_OK;
        bad |= curl_easy_setopt(h, CURLOPT_USERNAME, s->access_key) != CURLE_OK;
        bad |= curl_easy_setopt(h, CURLOPT_PASSWORD, s->secret_key) != CURLE_OK;
    }
    if (s->ca_bundle)
        bad |= curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_bundle) != CURLE_OK;
    if (s->insecure) {
        bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK;
        bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK;
    }
    return bad ? -1 : 0;
}

static size_t req_write(char *p, size_t size, size_t nmemb, void *ud)
{
    struct s3_req *q = ud;
    size_t n = size * nmemb;
    buf_append(&q->answer, p, n);
    return buf_ok(&q->answer) ? n : 0;
}

static size_t req_read(char *p, size_t size, size_t nmemb, void *ud)
{
    struct s3_req *q = ud;
    size_t n = size * nmemb, left = q->body_len - q->sent;
    if (n > left)
        n = left;
    if (n)
        memcpy(p, q->body + q->sent, n);
    q->sent += n;
    return n;
}

static int req_seek(void *ud, curl_off_t off, int origin)
{
    struct s3_req *q = ud;
    if (origin != SEEK_SET || off < 0 || (size_t)off > q->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    q->sent = (size_t)off;
    return CURL_SEEKFUNC_OK;
}

/* Keeps the ETag response header (quotes included, as CompleteMultipartUpload wants it). */
static size_t req_header(char *p, size_t size, size_t nmemb, void *ud)
{
    struct s3_req *q = ud;
    size_t n = size * nmemb;
    if (n > 5 && !strncasecmp(p, "etag:", 5)) {
        const char *v = p + 5, *end = p + n;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        size_t m = (size_t)(end - v);
        if (m < sizeof q->etag) {
            memcpy(q->etag, v, m);
            q->etag[m] = '\0';
        }
    }
    return n;
}

static bool transient(const struct s3_req *q)
{
    switch (q->rc) {
    case CURLE_OK:
        return q->status == 500 || q->status == 502 || q->status == 503 || q->status == 504;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
        return true;
    default:
        return false;
    }
}

static void req_once(struct s3_store *s, struct s3_req *q)
{
    q->rc = CURLE_OUT_OF_MEMORY;
    q->status = 0;
    q->etag[0] = '\0';
    q->length = -1;
    q->sent = 0;
    q->errbuf[0] = '\0';
    buf_release(&q->answer);
    buf_init(&q->answer, q->max_answer ? q->max_answer : MAX_ANSWER);
    CURL *h = curl_easy_init();
    if (!h)
        return;
    struct curl_slist *hdrs = NULL;
    char ctype[128];
    ctype[0] = '\0';
    if (q->content_type)
        snprintf(ctype, sizeof ctype, "Content-Type: %s", q->content_type);
    bool has_body = q->body_len > 0 || !strcmp(q->method, "PUT");
    if (s3_easy_setup(s, h, q->url, has_body, ctype[0] ? ctype : NULL, NULL, &hdrs) != 0)
        goto out;
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, q->errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, req_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, req_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, q);
    if (!strcmp(q->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(q->method, "PUT")) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, req_read);
        curl_easy_setopt(h, CURLOPT_READDATA, q);
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, req_seek);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, q);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_len);
    } else if (!strcmp(q->method, "POST")) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body ? q->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
    } else if (strcmp(q->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    }
    q->rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &q->status);
    curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &q->length);
out:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
}

/* Runs q, again after a short pause when the network or a 5xx failed it. Every request
 * here is safe to repeat: bodies are in memory and each names its target exactly. */
void s3_req_run(struct s3_store *s, struct s3_req *q)
{
    for (int i = 0; i < ATTEMPTS; i++) {
        req_once(s, q);
        if (!transient(q) || i + 1 == ATTEMPTS)
            return;
        struct timespec ts = {0, (long)(100 + 400 * i) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

bool s3_req_ok(const struct s3_req *q)
{
    return q->rc == CURLE_OK && q->status >= 200 && q->status < 300;
}

/* Turns a failed request into an MLflow error with a clear message: network trouble and
 * 5xx are TEMPORARILY_UNAVAILABLE, 403 PERMISSION_DENIED, a missing key
 * RESOURCE_DOES_NOT_EXIST. The details (curl's message, S3's code) go to the log. */
int s3_req_error(struct s3_store *s, const struct s3_req *q, const char *what,
                 const char *name, struct err *e)
{
    if (q->rc != CURLE_OK) {
        log_error("S3 %s '%s' in bucket '%s' failed: %s", what, name, s->loc.bucket,
                  q->errbuf[0] ? q->errbuf : curl_easy_strerror(q->rc));
        if (q->rc == CURLE_WRITE_ERROR || q->rc == CURLE_OUT_OF_MEMORY)
            return err_set(e, ERR_INTERNAL_ERROR, "S3 %s '%s' failed: answer too large",
                           what, name);
        return err_set(e, ERR_TEMPORARILY_UNAVAILABLE,
                       "The artifact store (S3 bucket '%s') could not be reached for %s '%s'",
                       s->loc.bucket, what, name);
    }
    struct arena a;
    arena_init(&a);
    const char *code = NULL, *msg = NULL;
    if (q->answer.len) {
        code = s3_xml_get(&a, q->answer.ptr, q->answer.len, "Error/Code");
        msg = s3_xml_get(&a, q->answer.ptr, q->answer.len, "Error/Message");
    }
    if (!code)
        code = "";
    if (!msg)
        msg = "";
    log_error("S3 %s '%s' in bucket '%s': HTTP %ld %s %s", what, name, s->loc.bucket,
              q->status, code, msg);
    int rc;
    if (q->status == 403)
        rc = err_set(e, ERR_PERMISSION_DENIED,
                     "Access denied by the artifact store (S3 bucket '%s') for %s '%s'%s%s",
                     s->loc.bucket, what, name, *code ? ": " : "", code);
    else if (q->status == 404 && !strcmp(code, "NoSuchBucket"))
        rc = err_set(e, ERR_INTERNAL_ERROR, "The S3 bucket '%s' does not exist",
                     s->loc.bucket);
    else if (q->status == 404)
        rc = err_set(e, ERR_RESOURCE_DOES_NOT_EXIST, "Artifact '%s' does not exist", name);
    else if (q->status >= 500)
        rc = err_set(e, ERR_TEMPORARILY_UNAVAILABLE,
                     "The artifact store (S3 bucket '%s') is unavailable (HTTP %ld%s%s) for "
                     "%s '%s'",
                     s->loc.bucket, q->status, *code ? " " : "", code, what, name);
    else
        rc = err_set(e, ERR_INTERNAL_ERROR, "S3 refused %s '%s' (HTTP %ld%s%s%s%s)", what,
                     name, q->status, *code ? " " : "", code, *msg ? ": " : "", msg);
    arena_release(&a);
    return rc;
}

/* The URL of key with query; NULL when out of memory or too long (caller frees). */
char *s3_url_for(struct s3_store *s, const char *key, const char *query)
{
    struct buf b;
    buf_init(&b, 64 * 1024);
    s3_url(&b, &s->ep, key, query);
    if (!buf_ok(&b)) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

/* The object key of relpath (caller frees); NULL when out of memory. */
char *s3_key_for(struct s3_store *s, const char *relpath)
{
    struct buf b;
    buf_init(&b, 16 * 1024);
    s3_key(&b, s->loc.prefix, relpath);
    if (!buf_ok(&b)) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

/* "name=<encoded value>" appended to the query q, with '&' between parameters. */
void s3_query_add(struct buf *q, const char *name, const char *value)
{
    if (q->len)
        buf_putc(q, '&');
    buf_puts(q, name);
    buf_putc(q, '=');
    s3_uri_encode(q, value, strlen(value), false);
}
