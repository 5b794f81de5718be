/* The S3 backend over libcurl: requests signed with curl's AWS SigV4 (CURLOPT_AWS_SIGV4),
 * connections, DNS and TLS sessions shared by every request of the store through one
 * locked CURLSH. Uploads are multipart: the writer holds at most one 8 MiB part, sends each
 * full part as it fills, and completes the upload at commit (an object smaller than one
 * part goes as a single PUT at commit), so nothing is visible at the key before commit.
 * Downloads keep one GET open per reader and pull it through a 1 MiB buffer, pausing the
 * transfer (CURL_WRITEFUNC_PAUSE) while the client is slower than S3.
 *
 * curl 7.88 signs the path and the query string exactly as given and every header of
 * CURLOPT_HTTPHEADER, so: keys are URI-encoded the SigV4 way by s3_url(), query parameters
 * are written already sorted, x-amz-content-sha256 is always sent (UNSIGNED-PAYLOAD for
 * bodies, the empty-string hash otherwise), and no header is ever "removed" with "Name:".
 * Secrets go only to curl; no message or log line carries them. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../base/util.h"
#include "artifacts.h"
#include "curl_load.h"
#include "s3.h"
#include "s3_parse.h"
#include "../base/banned.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define PART_SIZE ((size_t)8 << 20)      /* one multipart part; the most a writer holds */
#define MAX_PARTS 10000                   /* S3's limit: objects up to 78 GiB */
#define READ_BUF ((size_t)1 << 20)        /* per download */
#define CURL_CHUNK ((long)128 << 10)      /* curl's receive buffer */
#define MAX_ANSWER ((size_t)16 << 20)     /* a list page, an error document */
#define MAX_ERR_BODY ((size_t)16 << 10)
#define ATTEMPTS 3

struct s3_store {
    struct art_store base; /* must be first */
    struct s3_loc loc;
    struct s3_endpoint ep;
    char *sigv4;        /* "aws:amz:<region>:s3" */
    char *access_key;   /* NULL: unsigned (anonymous) requests */
    char *secret_key;
    char *token_header; /* "x-amz-security-token: ..." or NULL */
    char *ca_bundle;
    bool insecure;
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
};

/* ---- requests ---- */

/* One request run to completion, body held in memory both ways. */
struct s3_req {
    const char *method; /* GET HEAD PUT POST DELETE */
    const char *url;
    const char *body;   /* PUT and POST; borrowed for the call */
    size_t body_len;
    const char *content_type;
    size_t max_answer; /* 0: MAX_ANSWER */
    /* results */
    CURLcode rc;
    long status;
    struct buf answer; /* the response body (caller releases) */
    char etag[256];
    curl_off_t length; /* Content-Length of the response, -1 when absent */
    size_t sent;       /* read position in body */
    char errbuf[CURL_ERROR_SIZE];
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access acc, void *userp)
{
    struct s3_store *s = userp;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&s->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userp)
{
    struct s3_store *s = userp;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&s->locks[data]);
}

/* The options every request has: signing, timeouts, the shared caches, TLS settings.
 * *hdrs gets the header list (caller frees after the transfer). */
static int easy_setup(struct s3_store *s, CURL *h, const char *url, bool has_body,
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
    if (easy_setup(s, h, q->url, has_body, ctype[0] ? ctype : NULL, NULL, &hdrs) != 0)
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
static void req_run(struct s3_store *s, struct s3_req *q)
{
    for (int i = 0; i < ATTEMPTS; i++) {
        req_once(s, q);
        if (!transient(q) || i + 1 == ATTEMPTS)
            return;
        struct timespec ts = {0, (long)(100 + 400 * i) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static bool req_ok(const struct s3_req *q)
{
    return q->rc == CURLE_OK && q->status >= 200 && q->status < 300;
}

/* Turns a failed request into an MLflow error with a clear message: network trouble and
 * 5xx are TEMPORARILY_UNAVAILABLE, 403 PERMISSION_DENIED, a missing key
 * RESOURCE_DOES_NOT_EXIST. The details (curl's message, S3's code) go to the log. */
static int req_error(struct s3_store *s, const struct s3_req *q, const char *what,
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
static char *url_for(struct s3_store *s, const char *key, const char *query)
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
static char *key_for(struct s3_store *s, const char *relpath)
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
static void query_add(struct buf *q, const char *name, const char *value)
{
    if (q->len)
        buf_putc(q, '&');
    buf_puts(q, name);
    buf_putc(q, '=');
    s3_uri_encode(q, value, strlen(value), false);
}

/* ---- uploads ---- */

struct art_writer {
    struct s3_store *s;
    char *key;        /* malloc'd */
    char *buf;        /* the part being filled; grows up to PART_SIZE */
    size_t len, cap;
    char *upload_id;  /* malloc'd; NULL until the first part goes */
    int parts;        /* parts sent */
    struct buf done;  /* <Part> elements for CompleteMultipartUpload */
};

static int s_open_write(struct art_store *st, const char *relpath, struct art_writer **out,
                        struct err *e)
{
    struct s3_store *s = (struct s3_store *)st;
    if (!*relpath)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid path");
    struct art_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->key = key_for(s, relpath))) {
        free(w);
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    }
    w->s = s;
    buf_init(&w->done, 4 * 1024 * 1024);
    *out = w;
    return 0;
}

static int mpu_create(struct art_writer *w, struct err *e)
{
    struct s3_req q = {.method = "POST", .content_type = "application/octet-stream"};
    q.url = url_for(w->s, w->key, "uploads=");
    if (!q.url)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    req_run(w->s, &q);
    int rc = 0;
    if (!req_ok(&q)) {
        rc = req_error(w->s, &q, "upload of", w->key, e);
    } else {
        struct arena a;
        arena_init(&a);
        const char *id = s3_xml_get(&a, q.answer.ptr ? q.answer.ptr : "", q.answer.len,
                                    "InitiateMultipartUploadResult/UploadId");
        if (!id || !*id || !(w->upload_id = strdup(id))) {
            log_error("S3 CreateMultipartUpload for '%s' gave no UploadId", w->key);
            rc = err_set(e, ERR_INTERNAL_ERROR, "S3 did not start the upload of '%s'", w->key);
        }
        arena_release(&a);
    }
    free((char *)q.url);
    buf_release(&q.answer);
    return rc;
}

/* Sends the buffered bytes as the next part (starting the multipart upload first). */
static int put_part(struct art_writer *w, struct err *e)
{
    if (!w->upload_id && mpu_create(w, e) != 0)
        return -1;
    if (w->parts == MAX_PARTS)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "'%s' is too large for the S3 artifact store (at most %d parts of %zu "
                       "bytes)",
                       w->key, MAX_PARTS, PART_SIZE);
    int no = w->parts + 1;
    struct buf qs;
    buf_init(&qs, 4096);
    buf_printf(&qs, "partNumber=%d", no);
    query_add(&qs, "uploadId", w->upload_id);
    struct s3_req q = {.method = "PUT", .body = w->buf, .body_len = w->len};
    q.url = buf_ok(&qs) ? url_for(w->s, w->key, qs.ptr) : NULL;
    buf_release(&qs);
    if (!q.url)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    req_run(w->s, &q);
    int rc = 0;
    if (!req_ok(&q)) {
        rc = req_error(w->s, &q, "upload of", w->key, e);
    } else if (!q.etag[0]) {
        log_error("S3 UploadPart %d of '%s' answered without an ETag", no, w->key);
        rc = err_set(e, ERR_INTERNAL_ERROR, "S3 did not accept a part of '%s'", w->key);
    } else {
        buf_printf(&w->done, "<Part><PartNumber>%d</PartNumber><ETag>", no);
        s3_xml_escape(&w->done, q.etag);
        buf_puts(&w->done, "</ETag></Part>");
        w->parts = no;
        w->len = 0;
    }
    free((char *)q.url);
    buf_release(&q.answer);
    return rc;
}

static int s_write(struct art_writer *w, const void *p, size_t n, struct err *e)
{
    const char *c = p;
    while (n) {
        if (w->len == w->cap) {
            size_t ncap = w->cap ? w->cap * 2 : 64 * 1024;
            if (ncap > PART_SIZE)
                ncap = PART_SIZE;
            char *nb = realloc(w->buf, ncap);
            if (!nb)
                return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
            w->buf = nb;
            w->cap = ncap;
        }
        size_t k = w->cap - w->len;
        if (k > n)
            k = n;
        memcpy(w->buf + w->len, c, k);
        w->len += k;
        c += k;
        n -= k;
        if (w->len == PART_SIZE && put_part(w, e) != 0)
            return -1;
    }
    return 0;
}

static void writer_free(struct art_writer *w)
{
    buf_release(&w->done);
    free(w->upload_id);
    free(w->buf);
    free(w->key);
    free(w);
}

static void s_abort(struct art_writer *w)
{
    if (w->upload_id) {
        struct buf qs;
        buf_init(&qs, 4096);
        query_add(&qs, "uploadId", w->upload_id);
        struct s3_req q = {.method = "DELETE"};
        q.url = buf_ok(&qs) ? url_for(w->s, w->key, qs.ptr) : NULL;
        buf_release(&qs);
        if (q.url) {
            req_run(w->s, &q);
            if (!req_ok(&q) && q.status != 404) {
                struct err e;
                req_error(w->s, &q, "abort of the upload of", w->key, &e);
            }
        }
        free((char *)q.url);
        buf_release(&q.answer);
    }
    writer_free(w);
}

static int put_whole(struct art_writer *w, struct err *e)
{
    struct s3_req q = {.method = "PUT", .body = w->buf, .body_len = w->len};
    q.url = url_for(w->s, w->key, NULL);
    if (!q.url)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    req_run(w->s, &q);
    int rc = req_ok(&q) ? 0 : req_error(w->s, &q, "upload of", w->key, e);
    free((char *)q.url);
    buf_release(&q.answer);
    return rc;
}

static int mpu_complete(struct art_writer *w, struct err *e)
{
    struct buf body, qs;
    buf_init(&body, 8 * 1024 * 1024);
    buf_puts(&body, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    buf_append(&body, w->done.ptr, w->done.len);
    buf_puts(&body, "</CompleteMultipartUpload>");
    buf_init(&qs, 4096);
    query_add(&qs, "uploadId", w->upload_id);
    struct s3_req q = {.method = "POST", .content_type = "application/xml",
                       .body = body.ptr, .body_len = body.len};
    q.url = buf_ok(&qs) && buf_ok(&body) && buf_ok(&w->done) ? url_for(w->s, w->key, qs.ptr)
                                                              : NULL;
    buf_release(&qs);
    int rc = 0;
    if (!q.url) {
        rc = err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    } else {
        req_run(w->s, &q);
        if (!req_ok(&q)) {
            rc = req_error(w->s, &q, "upload of", w->key, e);
        } else {
            /* S3 may answer 200 and still fail: the error is then in the body. (The
             * success document is CompleteMultipartUploadResult; some emulators say
             * ...Response, so only <Error> counts as failure.) */
            struct arena a;
            arena_init(&a);
            const char *root = s3_xml_root(&a, q.answer.ptr ? q.answer.ptr : "", q.answer.len);
            if (!root || !strcmp(root, "Error")) {
                q.status = 500;
                rc = req_error(w->s, &q, "upload of", w->key, e);
            }
            arena_release(&a);
        }
    }
    free((char *)q.url);
    buf_release(&q.answer);
    buf_release(&body);
    return rc;
}

static int s_commit(struct art_writer *w, struct err *e)
{
    int rc;
    if (!w->upload_id) {
        rc = put_whole(w, e);
    } else {
        rc = w->len ? put_part(w, e) : 0;
        if (rc == 0)
            rc = mpu_complete(w, e);
    }
    if (rc != 0) {
        s_abort(w);
        return -1;
    }
    writer_free(w);
    return 0;
}

/* ---- downloads ---- */

struct art_reader {
    struct s3_store *s;
    char *key;      /* for messages; malloc'd */
    char *url;      /* malloc'd */
    char *if_match; /* "If-Match: <etag>" so a replaced object is noticed; may be NULL */
    uint64_t size;
    CURLM *m;
    CURL *h; /* the GET in flight; NULL when none */
    struct curl_slist *hdrs;
    long want; /* 200, or 206 for a ranged GET */
    uint64_t pos; /* object offset of buf[off] */
    char *buf;
    size_t off, len;
    bool paused, done;
    CURLcode result;
    struct buf errbody;
    char errbuf[CURL_ERROR_SIZE];
};

static size_t rd_write(char *p, size_t size, size_t nmemb, void *ud)
{
    struct art_reader *r = ud;
    size_t n = size * nmemb;
    long code = 0;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
    if (code != r->want) {
        buf_append(&r->errbody, p, n); /* capped; the excess is dropped */
        return n;
    }
    if (r->off + r->len + n > READ_BUF && r->off) {
        memmove(r->buf, r->buf + r->off, r->len);
        r->off = 0;
    }
    if (r->len + n > READ_BUF) {
        r->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    memcpy(r->buf + r->off + r->len, p, n);
    r->len += n;
    return n;
}

static void rd_stop(struct art_reader *r)
{
    if (r->h) {
        curl_multi_remove_handle(r->m, r->h);
        curl_easy_cleanup(r->h);
        r->h = NULL;
    }
    curl_slist_free_all(r->hdrs);
    r->hdrs = NULL;
    r->off = r->len = 0;
    r->paused = r->done = false;
    r->result = CURLE_OK;
    buf_clear(&r->errbody);
}

/* Starts the GET of the object from offset. */
static int rd_start(struct art_reader *r, uint64_t offset, struct err *e)
{
    rd_stop(r);
    char range[64];
    snprintf(range, sizeof range, "Range: bytes=%llu-", (unsigned long long)offset);
    r->want = offset ? 206 : 200;
    r->pos = offset;
    r->errbuf[0] = '\0';
    r->h = curl_easy_init();
    if (!r->h || easy_setup(r->s, r->h, r->url, false, offset ? range : NULL, r->if_match,
                            &r->hdrs) != 0) {
        rd_stop(r);
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    }
    curl_easy_setopt(r->h, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, rd_write);
    curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
    if (curl_multi_add_handle(r->m, r->h) != CURLM_OK) {
        rd_stop(r);
        return err_set(e, ERR_INTERNAL_ERROR, "cannot start the download of '%s'", r->key);
    }
    return 0;
}

/* Moves the transfer on without waiting; notes when it has ended. */
static int rd_pump(struct art_reader *r)
{
    int running;
    if (curl_multi_perform(r->m, &running) != CURLM_OK)
        return -1;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(r->m, &left))) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == r->h) {
            r->done = true;
            r->result = msg->data.result;
        }
    }
    return 0;
}

/* The error for a transfer that ended without delivering what was asked. */
static int rd_error(struct art_reader *r, struct err *e)
{
    struct s3_req q = {.rc = r->result};
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &q.status);
    memcpy(q.errbuf, r->errbuf, sizeof q.errbuf);
    q.answer = r->errbody;
    if (q.rc == CURLE_OK && q.status == r->want) { /* a clean end, but short */
        log_error("S3 download of '%s' ended at byte %llu of %llu", r->key,
                  (unsigned long long)r->pos, (unsigned long long)r->size);
        return err_set(e, ERR_TEMPORARILY_UNAVAILABLE, "The download of '%s' was cut short",
                       r->key);
    }
    if (q.rc == CURLE_OK && q.status == 412)
        return err_set(e, ERR_ABORTED, "Artifact '%s' changed while it was being downloaded",
                       r->key);
    return req_error(r->s, &q, "download of", r->key, e);
}

static ssize_t s_read(struct art_reader *r, uint64_t offset, void *dst, size_t n,
                      struct err *e)
{
    if (offset >= r->size || n == 0)
        return 0;
    if (!r->h || offset != r->pos) {
        if (rd_start(r, offset, e) != 0)
            return -1;
    }
    for (;;) {
        if (r->len) {
            size_t k = n < r->len ? n : r->len;
            memcpy(dst, r->buf + r->off, k);
            r->off += k;
            r->len -= k;
            r->pos += k;
            if (!r->len)
                r->off = 0;
            /* Let S3 keep sending while the client takes this block. */
            if (r->paused && READ_BUF - r->len >= (size_t)CURL_CHUNK) {
                r->paused = false;
                curl_easy_pause(r->h, CURLPAUSE_CONT);
            }
            if (!r->done && rd_pump(r) != 0) {
                err_set(e, ERR_INTERNAL_ERROR, "the download of '%s' failed", r->key);
                return -1;
            }
            return (ssize_t)k;
        }
        if (r->done) {
            rd_error(r, e);
            rd_stop(r);
            return -1;
        }
        if (r->paused) {
            r->paused = false;
            curl_easy_pause(r->h, CURLPAUSE_CONT);
        }
        if (rd_pump(r) != 0) {
            err_set(e, ERR_INTERNAL_ERROR, "the download of '%s' failed", r->key);
            return -1;
        }
        if (!r->len && !r->done && !r->paused)
            curl_multi_poll(r->m, NULL, 0, 1000, NULL);
    }
}

static void s_close_read(struct art_reader *r)
{
    rd_stop(r);
    if (r->m)
        curl_multi_cleanup(r->m);
    buf_release(&r->errbody);
    free(r->buf);
    free(r->if_match);
    free(r->url);
    free(r->key);
    free(r);
}

static int s_open_read(struct art_store *st, const char *relpath, struct art_reader **out,
                       int64_t *size, struct err *e)
{
    struct s3_store *s = (struct s3_store *)st;
    if (!*relpath)
        return err_set(e, ERR_RESOURCE_DOES_NOT_EXIST, "Artifact '' does not exist");
    struct art_reader *r = calloc(1, sizeof *r);
    if (!r)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    r->s = s;
    buf_init(&r->errbody, MAX_ERR_BODY);
    r->key = key_for(s, relpath);
    r->url = r->key ? url_for(s, r->key, NULL) : NULL;
    r->buf = malloc(READ_BUF);
    r->m = curl_multi_init();
    if (!r->url || !r->buf || !r->m) {
        s_close_read(r);
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    }
    struct s3_req q = {.method = "HEAD", .url = r->url};
    req_run(s, &q);
    int rc = 0;
    if (!req_ok(&q)) {
        if (q.rc == CURLE_OK && q.status == 404)
            rc = err_set(e, ERR_RESOURCE_DOES_NOT_EXIST, "Artifact '%s' does not exist",
                         relpath);
        else
            rc = req_error(s, &q, "download of", relpath, e);
    } else if (q.length < 0) {
        rc = err_set(e, ERR_INTERNAL_ERROR, "S3 gave no size for '%s'", relpath);
    } else {
        r->size = (uint64_t)q.length;
        if (q.etag[0]) {
            struct buf b;
            buf_init(&b, 512);
            buf_printf(&b, "If-Match: %s", q.etag);
            r->if_match = buf_ok(&b) ? buf_detach(&b, NULL) : NULL;
            buf_release(&b);
        }
    }
    buf_release(&q.answer);
    if (rc != 0) {
        s_close_read(r);
        return -1;
    }
    *size = q.length;
    *out = r;
    return 0;
}

/* ---- listing and deleting ---- */

/* One ListObjectsV2 page under prefix ('/'-delimited or recursive), parsed into a. */
static int list_page(struct s3_store *s, struct arena *a, const char *prefix, bool delimited,
                     const char *token, const char *name, struct s3_list_page *page,
                     struct err *e)
{
    struct buf qs;
    buf_init(&qs, 64 * 1024);
    /* Sorted by name: curl signs the query string as written. */
    if (token)
        query_add(&qs, "continuation-token", token);
    if (delimited)
        query_add(&qs, "delimiter", "/");
    query_add(&qs, "list-type", "2");
    query_add(&qs, "prefix", prefix);
    struct s3_req q = {.method = "GET"};
    q.url = buf_ok(&qs) ? url_for(s, NULL, qs.ptr) : NULL;
    buf_release(&qs);
    if (!q.url)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    req_run(s, &q);
    int rc = 0;
    if (!req_ok(&q)) {
        rc = req_error(s, &q, "listing of", name, e);
    } else if (s3_parse_list(a, q.answer.ptr ? q.answer.ptr : "", q.answer.len, prefix,
                             delimited, page) != 0) {
        log_error("S3 listing of '%s' gave an answer that is not a ListBucketResult", prefix);
        rc = err_set(e, ERR_INTERNAL_ERROR, "S3 gave an unreadable listing of '%s'", name);
    }
    free((char *)q.url);
    buf_release(&q.answer);
    return rc;
}

/* The listing prefix for the children of relpath: "<key>/", or "" for an unprefixed root. */
static char *dir_prefix(struct s3_store *s, const char *relpath)
{
    struct buf b;
    buf_init(&b, 16 * 1024);
    s3_key(&b, s->loc.prefix, relpath);
    if (b.len)
        buf_putc(&b, '/');
    if (!buf_ok(&b)) {
        buf_release(&b);
        return NULL;
    }
    if (!b.ptr)
        return strdup("");
    return buf_detach(&b, NULL);
}

static int s_list(struct art_store *st, const char *relpath, struct arena *a,
                  struct art_entry **out, size_t *n, struct err *e)
{
    struct s3_store *s = (struct s3_store *)st;
    *out = NULL;
    *n = 0;
    char *prefix = dir_prefix(s, relpath);
    if (!prefix)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    size_t cap = 0, len = 0;
    struct art_entry *v = NULL;
    const char *token = NULL;
    int rc = 0;
    for (;;) {
        struct s3_list_page page;
        if ((rc = list_page(s, a, prefix, true, token, relpath, &page, e)) != 0)
            break;
        for (size_t i = 0; i < page.n; i++) {
            if (len == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                struct art_entry *nv = arena_calloc(a, ncap, sizeof *nv);
                if (len)
                    memcpy(nv, v, len * sizeof *nv);
                v = nv;
                cap = ncap;
            }
            v[len++] = (struct art_entry){page.items[i].name, page.items[i].is_dir,
                                          page.items[i].size};
        }
        if (!page.next_token)
            break;
        token = page.next_token;
    }
    free(prefix);
    if (rc == 0) {
        *out = v;
        *n = len;
    }
    return rc;
}

static int delete_key(struct s3_store *s, const char *key, struct err *e)
{
    struct s3_req q = {.method = "DELETE"};
    q.url = url_for(s, key, NULL);
    if (!q.url)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    req_run(s, &q);
    int rc = req_ok(&q) || (q.rc == CURLE_OK && q.status == 404)
                 ? 0
                 : req_error(s, &q, "delete of", key, e);
    free((char *)q.url);
    buf_release(&q.answer);
    return rc;
}

static int s_remove(struct art_store *st, const char *relpath, struct err *e)
{
    struct s3_store *s = (struct s3_store *)st;
    if (!*relpath)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid path");
    char *key = key_for(s, relpath);
    char *prefix = dir_prefix(s, relpath);
    struct buf full;
    buf_init(&full, 64 * 1024);
    char *token = NULL;
    int rc = -1;
    if (!key || !prefix) {
        err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    if (delete_key(s, key, e) != 0)
        goto out;
    /* Then everything below it, a page at a time (continuation tokens stay valid while the
     * listed keys are deleted: a token names the last key returned). */
    for (;;) {
        struct arena a;
        arena_init(&a);
        struct s3_list_page page;
        int prc = list_page(s, &a, prefix, false, token, relpath, &page, e);
        for (size_t i = 0; prc == 0 && i < page.n; i++) {
            buf_clear(&full);
            buf_puts(&full, prefix);
            buf_puts(&full, page.items[i].name);
            prc = buf_ok(&full) ? delete_key(s, full.ptr, e)
                                : err_set(e, ERR_INTERNAL_ERROR, "key too long");
        }
        free(token);
        token = NULL;
        if (prc == 0 && page.next_token && !(token = strdup(page.next_token)))
            prc = err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        arena_release(&a);
        if (prc != 0)
            goto out;
        if (!token)
            break;
    }
    rc = 0;
out:
    free(token);
    buf_release(&full);
    free(prefix);
    free(key);
    return rc;
}

static void s_free(struct art_store *st)
{
    struct s3_store *s = (struct s3_store *)st;
    if (s->share)
        curl_share_cleanup(s->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&s->locks[i]);
    s3_loc_release(&s->loc);
    s3_endpoint_release(&s->ep);
    free(s->sigv4);
    free(s->access_key);
    if (s->secret_key) {
        memset(s->secret_key, 0, strlen(s->secret_key));
        free(s->secret_key);
    }
    free(s->token_header);
    free(s->ca_bundle);
    free(s);
    curl_global_cleanup();
}

static const struct art_backend s3_backend = {
    .name = "s3",
    .open_write = s_open_write,
    .write = s_write,
    .commit = s_commit,
    .abort = s_abort,
    .open_read = s_open_read,
    .read = s_read,
    .close_read = s_close_read,
    .list = s_list,
    .remove = s_remove,
    .free = s_free,
};

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* A header line "name: value" (caller frees); NULL when the value has a line break. */
static char *header_line(const char *name, const char *value)
{
    if (strpbrk(value, "\r\n"))
        return NULL;
    struct buf b;
    buf_init(&b, 16 * 1024);
    buf_printf(&b, "%s: %s", name, value);
    if (!buf_ok(&b)) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

struct art_store *art_s3_open(const char *uri, struct err *e)
{
    if (curl_load(e) != 0)
        return NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot initialise libcurl");
        return NULL;
    }
    struct s3_store *s = calloc(1, sizeof *s);
    if (!s) {
        curl_global_cleanup();
        err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    s->base.be = &s3_backend;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&s->locks[i], NULL);
    const char *region = env_nonempty("AWS_DEFAULT_REGION");
    if (!region)
        region = env_nonempty("AWS_REGION");
    if (!region)
        region = "us-east-1";
    const char *style = env_nonempty("AWS_S3_ADDRESSING_STYLE");
    const char *key = env_nonempty("AWS_ACCESS_KEY_ID");
    const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
    const char *token = env_nonempty("AWS_SESSION_TOKEN");
    const char *ca = env_nonempty("AWS_CA_BUNDLE");
    const char *ignore_tls = env_nonempty("MLFLOW_S3_IGNORE_TLS");
    if (s3_loc_parse(uri, &s->loc, e) != 0 ||
        s3_endpoint_init(&s->ep, env_nonempty("MLFLOW_S3_ENDPOINT_URL"), region, style,
                         s->loc.bucket, e) != 0)
        goto fail;
    if (strlen(region) > 60 || strpbrk(region, ":\r\n")) {
        err_set(e, ERR_INVALID_PARAMETER_VALUE, "invalid AWS region");
        goto fail;
    }
    if ((key && !secret) || (!key && secret)) {
        err_set(e, ERR_INVALID_PARAMETER_VALUE,
                "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither");
        goto fail;
    }
    struct buf b;
    buf_init(&b, 256);
    buf_printf(&b, "aws:amz:%s:s3", region);
    s->sigv4 = buf_detach(&b, NULL);
    if (key) {
        s->access_key = strdup(key);
        s->secret_key = strdup(secret);
    } else {
        log_warn("no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: S3 requests go unsigned");
    }
    if (token && !(s->token_header = header_line("x-amz-security-token", token))) {
        err_set(e, ERR_INVALID_PARAMETER_VALUE, "invalid AWS_SESSION_TOKEN");
        goto fail;
    }
    if (ca)
        s->ca_bundle = strdup(ca);
    s->insecure = ignore_tls && (!strcasecmp(ignore_tls, "true") || !strcmp(ignore_tls, "1"));
    s->share = curl_share_init();
    if (!s->sigv4 || (key && (!s->access_key || !s->secret_key)) || (ca && !s->ca_bundle) ||
        !s->share) {
        err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        goto fail;
    }
    curl_share_setopt(s->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(s->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(s->share, CURLSHOPT_USERDATA, s);
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    log_info("artifacts in S3 bucket '%s', prefix '%s', at %s (%s addressing, region %s)",
             s->loc.bucket, s->loc.prefix, s->ep.bucket_url,
             s->ep.path_style ? "path-style" : "virtual-hosted", region);
    return &s->base;
fail:
    s_free(&s->base);
    return NULL;
}
