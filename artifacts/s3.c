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
#include "s3_internal.h"


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
    if (!r->h || s3_easy_setup(r->s, r->h, r->url, false, offset ? range : NULL, r->if_match,
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
    return s3_req_error(r->s, &q, "download of", r->key, e);
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
    r->key = s3_key_for(s, relpath);
    r->url = r->key ? s3_url_for(s, r->key, NULL) : NULL;
    r->buf = malloc(READ_BUF);
    r->m = curl_multi_init();
    if (!r->url || !r->buf || !r->m) {
        s_close_read(r);
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    }
    struct s3_req q = {.method = "HEAD", .url = r->url};
    s3_req_run(s, &q);
    int rc = 0;
    if (!s3_req_ok(&q)) {
        if (q.rc == CURLE_OK && q.status == 404)
            rc = err_set(e, ERR_RESOURCE_DOES_NOT_EXIST, "Artifact '%s' does not exist",
                         relpath);
        else
            rc = s3_req_error(s, &q, "download of", relpath, e);
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
        s3_query_add(&qs, "continuation-token", token);
    if (delimited)
        s3_query_add(&qs, "delimiter", "/");
    s3_query_add(&qs, "list-type", "2");
    s3_query_add(&qs, "prefix", prefix);
    struct s3_req q = {.method = "GET"};
    q.url = buf_ok(&qs) ? s3_url_for(s, NULL, qs.ptr) : NULL;
    buf_release(&qs);
    if (!q.url)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    s3_req_run(s, &q);
    int rc = 0;
    if (!s3_req_ok(&q)) {
        rc = s3_req_error(s, &q, "listing of", name, e);
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
    q.url = s3_url_for(s, key, NULL);
    if (!q.url)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    s3_req_run(s, &q);
    int rc = s3_req_ok(&q) || (q.rc == CURLE_OK && q.status == 404)
                 ? 0
                 : s3_req_error(s, &q, "delete of", key, e);
    free((char *)q.url);
    buf_release(&q.answer);
    return rc;
}

static int s_remove(struct art_store *st, const char *relpath, struct err *e)
{
    struct s3_store *s = (struct s3_store *)st;
    if (!*relpath)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid path");
    char *key = s3_key_for(s, relpath);
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
    .open_write = s3_open_write,
    .write = s3_write,
    .commit = s3_commit,
    .abort = s3_abort,
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
    curl_share_setopt(s->share, CURLSHOPT_LOCKFUNC, s3_share_lock);
    curl_share_setopt(s->share, CURLSHOPT_UNLOCKFUNC, s3_share_unlock);
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

