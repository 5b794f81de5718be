/* S3 uploads: the writer holds at most one 8 MiB part, sends each full part of a multipart
 * upload as it fills and completes the upload at commit; an object smaller than one part
 * goes as a single PUT at commit. Nothing is visible at the key before commit, and an
 * aborted upload is cancelled on the server. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../base/util.h"
#include "s3_internal.h"


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

int s3_open_write(struct art_store *st, const char *relpath, struct art_writer **out,
                  struct err *e)
{
    struct s3_store *s = (struct s3_store *)st;
    if (!*relpath)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid path");
    struct art_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->key = s3_key_for(s, relpath))) {
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
    q.url = s3_url_for(w->s, w->key, "uploads=");
    if (!q.url)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    s3_req_run(w->s, &q);
    int rc = 0;
    if (!s3_req_ok(&q)) {
        rc = s3_req_error(w->s, &q, "upload of", w->key, e);
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
    s3_query_add(&qs, "uploadId", w->upload_id);
    struct s3_req q = {.method = "PUT", .body = w->buf, .body_len = w->len};
    q.url = buf_ok(&qs) ? s3_url_for(w->s, w->key, qs.ptr) : NULL;
    buf_release(&qs);
    if (!q.url)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    s3_req_run(w->s, &q);
    int rc = 0;
    if (!s3_req_ok(&q)) {
        rc = s3_req_error(w->s, &q, "upload of", w->key, e);
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

int s3_write(struct art_writer *w, const void *p, size_t n, struct err *e)
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

void s3_abort(struct art_writer *w)
{
    if (w->upload_id) {
        struct buf qs;
        buf_init(&qs, 4096);
        s3_query_add(&qs, "uploadId", w->upload_id);
        struct s3_req q = {.method = "DELETE"};
        q.url = buf_ok(&qs) ? s3_url_for(w->s, w->key, qs.ptr) : NULL;
        buf_release(&qs);
        if (q.url) {
            s3_req_run(w->s, &q);
            if (!s3_req_ok(&q) && q.status != 404) {
                struct err e;
                s3_req_error(w->s, &q, "abort of the upload of", w->key, &e);
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
    q.url = s3_url_for(w->s, w->key, NULL);
    if (!q.url)
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    s3_req_run(w->s, &q);
    int rc = s3_req_ok(&q) ? 0 : s3_req_error(w->s, &q, "upload of", w->key, e);
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
    s3_query_add(&qs, "uploadId", w->upload_id);
    struct s3_req q = {.method = "POST", .content_type = "application/xml",
                       .body = body.ptr, .body_len = body.len};
    q.url = buf_ok(&qs) && buf_ok(&body) && buf_ok(&w->done) ? s3_url_for(w->s, w->key, qs.ptr)
                                                              : NULL;
    buf_release(&qs);
    int rc = 0;
    if (!q.url) {
        rc = err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    } else {
        s3_req_run(w->s, &q);
        if (!s3_req_ok(&q)) {
            rc = s3_req_error(w->s, &q, "upload of", w->key, e);
        } else {
            /* S3 may answer 200 and still fail: the error is then in the body. (The
             * success document is CompleteMultipartUploadResult; some emulators say
             * ...Response, so only <Error> counts as failure.) */
            struct arena a;
            arena_init(&a);
            const char *root = s3_xml_root(&a, q.answer.ptr ? q.answer.ptr : "", q.answer.len);
            if (!root || !strcmp(root, "Error")) {
                q.status = 500;
                rc = s3_req_error(w->s, &q, "upload of", w->key, e);
            }
            arena_release(&a);
        }
    }
    free((char *)q.url);
    buf_release(&q.answer);
    buf_release(&body);
    return rc;
}

int s3_commit(struct art_writer *w, struct err *e)
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
        s3_abort(w);
        return -1;
    }
    writer_free(w);
    return 0;
}
