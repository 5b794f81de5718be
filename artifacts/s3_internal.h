/* The S3 backend's parts (inside artifacts/ only): the store, requests run to completion
 * with retries (s3_request.c), multipart uploads (s3_upload.c); downloads, listing and
 * opening are in s3.c. */
#ifndef MLT_ART_S3_INTERNAL_H
#define MLT_ART_S3_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"
#include "art.h"
#include "curl_load.h"
#include "s3.h"
#include "s3_parse.h"

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
_Static_assert(offsetof(struct s3_store, base) == 0, "art_store first");

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
/* The options every request has: signing, timeouts, the shared caches, TLS settings.
 * *hdrs gets the header list (caller frees after the transfer). */
int s3_easy_setup(struct s3_store *s, CURL *h, const char *url, bool has_body,
                  const char *extra1, const char *extra2, struct curl_slist **hdrs);
/* Runs q, again after a short pause when the network or a 5xx failed it. Every request
 * here is safe to repeat: bodies are in memory and each names its target exactly. */
void s3_req_run(struct s3_store *s, struct s3_req *q);
/* Whether q succeeded (no transport error, a 2xx status). */
bool s3_req_ok(const struct s3_req *q);
/* Turns a failed request into an MLflow error with a clear message: network trouble and
 * 5xx are TEMPORARILY_UNAVAILABLE, 403 PERMISSION_DENIED, a missing key
 * RESOURCE_DOES_NOT_EXIST. The details (curl's message, S3's code) go to the log. */
int s3_req_error(struct s3_store *s, const struct s3_req *q, const char *what,
                 const char *name, struct err *e);
/* The URL of key with query; NULL when out of memory or too long (caller frees). */
char *s3_url_for(struct s3_store *s, const char *key, const char *query);
/* The object key of relpath (caller frees); NULL when out of memory. */
char *s3_key_for(struct s3_store *s, const char *relpath);
/* "name=<encoded value>" appended to the query q, with '&' between parameters. */
void s3_query_add(struct buf *q, const char *name, const char *value);
/* The connection-share locks of the store's CURLSH. */
void s3_share_lock(CURL *h, curl_lock_data data, curl_lock_access acc, void *userp);
void s3_share_unlock(CURL *h, curl_lock_data data, void *userp);

/* Uploads (the art_backend entries; see art.h). */
int s3_open_write(struct art_store *st, const char *relpath, struct art_writer **out,
                  struct err *e);
int s3_write(struct art_writer *w, const void *p, size_t n, struct err *e);
int s3_commit(struct art_writer *w, struct err *e);
void s3_abort(struct art_writer *w);

#endif
