/* libmicrohttpd glue. One request = one struct hreq: created by the URI-log callback
 * (which also hands us the raw, undecoded request-target), driven by the access handler
 * through NEW -> BODY -> DONE, and recycled in the request-completed callback into a small
 * per-thread free list, so a request costs no malloc once a thread is warm. Connections
 * are registered with conns.c, and the bytes libmicrohttpd reads pass through it first
 * (see recv() at the end). */
#include "http.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "../api/request.h"
#include "access_log.h"
#include "../base/util.h"
#include "conns.h"
#include "framing.h"
#include "gzip.h"
#include "mem.h"
#include "prom.h"
#include "urlparse.h"

/* Largest response body a handler may build (the api streams anything bigger). */
enum { RESP_BODY_MAX = 512 * 1024 * 1024 };
/* Bodies whose buffer grew past this give the memory back instead of keeping it. */
enum { BODY_KEEP_MAX = 64 * 1024 };
/* Most of an announced Content-Length allocated before the bytes arrive. */
enum { BODY_PREALLOC_MAX = 1024 * 1024 };
/* Recycled request objects kept per thread. */
enum { FREELIST_MAX = 32 };
/* libmicrohttpd's memory per connection: room for the largest head framing.c lets
 * through, with every field, query argument and cookie of it (each has a record in this
 * pool); a head that would not fit is refused with a 414 or 431 before the library sees it,
 * so the pool never runs out (libmicrohttpd 0.9.75 drops the connection without an answer
 * when it does). Untouched pages cost nothing. */
enum { CONN_MEMORY = FRAMING_POOL_BYTES };

/* NEW: nothing seen; WAIT: headers seen, no body expected, answer on the next call (an
 * answer queued at the first call makes MHD close the connection); BODY: reading the
 * body; OVER: a body without Content-Length passed the limit, the rest is read and
 * dropped (MHD 0.9.75 cannot queue a response in the middle of a body) and the 413 goes
 * out at the end; DONE: a response is queued; STREAM: the body goes piece by piece to
 * api_stream_write (uploads); SFAIL: a streamed body failed, the rest is dropped and the
 * error in sfail goes out at the end. */
enum hstate { HS_NEW, HS_WAIT, HS_BODY, HS_OVER, HS_DONE, HS_STREAM, HS_SFAIL };
/* How much of an oversized chunked body we read and drop before closing instead. */
enum { DISCARD_MAX = 8 * 1024 * 1024 };

struct hreq {
    struct arena arena;
    struct req req;
    struct buf body;           /* buffered request body, capped at body_max */
    const char *raw_uri;       /* the request-target as sent; from the arena */
    const char *method;        /* MHD's string, valid until the request completes */
    const char *version;       /* the same, "HTTP/1.1" */
    const struct route *route;
    const char *pattern;       /* the route's, for metrics; NULL when none matched */
    size_t body_max;
    size_t discarded;          /* body bytes dropped in HS_OVER */
    int status;                /* of the queued response, for the debug access log */
    int64_t start_ns;          /* when the request line arrived (debug log only) */
    enum hstate state;
    bool counted;              /* reached the access handler: in g_inflight, conns_busy */
    bool gzip_in;              /* the route takes gzip/deflate bodies (RF_GZIP_IN) */
    size_t resp_bytes;         /* of the buffered response body, for mem_after_request */
    int64_t sent_bytes;        /* of it on the wire (gzipped); -1 for streamed bodies */
    void *stream;              /* api_stream_* context while a body streams */
    struct resp sfail;         /* the error answer of a failed streamed body */
    struct hreq *next;         /* free-list link */
};

struct tls {
    struct hreq *free;
    int nfree;
};

static struct MHD_Daemon *g_daemon;
static const struct sec_config *g_sec;
static atomic_int g_inflight;
static atomic_bool g_draining;
static pthread_key_t g_tls_key;
static pthread_once_t g_tls_once = PTHREAD_ONCE_INIT;

/* ---- request objects ---------------------------------------------------------------- */

static void hreq_free(struct hreq *h)
{
    arena_release(&h->arena);
    buf_release(&h->body);
    free(h);
}

static void tls_free(void *p)
{
    struct tls *t = p;
    while (t->free) {
        struct hreq *h = t->free;
        t->free = h->next;
        hreq_free(h);
    }
    free(t);
}

static void tls_key_init(void)
{
    if (pthread_key_create(&g_tls_key, tls_free) != 0)
        abort();
}

static struct tls *tls_get(void)
{
    pthread_once(&g_tls_once, tls_key_init);
    struct tls *t = pthread_getspecific(g_tls_key);
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t)
            abort();
        pthread_setspecific(g_tls_key, t);
    }
    return t;
}

static struct hreq *hreq_get(void)
{
    struct tls *t = tls_get();
    struct hreq *h = t->free;
    if (h) {
        t->free = h->next;
        t->nfree--;
        h->next = NULL;
    } else {
        h = calloc(1, sizeof *h);
        if (!h)
            abort();
        arena_init(&h->arena);
        buf_init(&h->body, 0);
    }
    h->req.arena = &h->arena;
    return h;
}

static void hreq_put(struct hreq *h)
{
    if (h->counted)
        atomic_fetch_sub_explicit(&g_inflight, 1, memory_order_relaxed);
    arena_reset(&h->arena);
    if (h->body.cap > BODY_KEEP_MAX)
        buf_release(&h->body);
    else
        buf_clear(&h->body);
    memset(&h->req, 0, sizeof h->req);
    h->raw_uri = NULL;
    h->method = NULL;
    h->route = NULL;
    h->pattern = NULL;
    h->body_max = 0;
    h->discarded = 0;
    h->status = 0;
    h->start_ns = 0;
    h->state = HS_NEW;
    h->counted = false;
    h->resp_bytes = 0;
    h->sent_bytes = -1;
    h->version = NULL;
    h->stream = NULL;
    struct tls *t = tls_get();
    if (t->nfree >= FREELIST_MAX) {
        hreq_free(h);
        return;
    }
    h->next = t->free;
    t->free = h;
    t->nfree++;
}

/* ---- responses ---------------------------------------------------------------------- */

static const char *hdr(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static const char *hdr_cb(void *hctx, const char *name)
{
    return hdr(hctx, name);
}

static void resp_init(struct resp *r)
{
    memset(r, 0, sizeof *r);
    r->status = 200;
    buf_init(&r->body, RESP_BODY_MAX);
}

/* Adds a header to r if there is room; the glue's own headers never exceed the room. */
static void add_header(struct resp *r, const char *name, const char *value)
{
    if (r->nheaders < RESP_MAX_HEADERS) {
        r->headers[r->nheaders].name = name;
        r->headers[r->nheaders].value = value;
        r->nheaders++;
    } else {
        log_error("http: dropped response header %s", name);
    }
}

static bool has_header(const struct resp *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (r->headers[i].name && strcasecmp(r->headers[i].name, name) == 0)
            return true;
    return false;
}

/* Which extra headers a response gets besides its own. */
enum rmode {
    RM_APP,  /* from the app or our errors: security headers and simple CORS */
    RM_BARE, /* the Host rejection and preflight answers (outside MLflow's middleware) */
};

/* Headers MLflow's SecurityHeadersMiddleware and Starlette's CORSMiddleware put on every
 * application response. */
static void add_app_headers(struct MHD_Response *mr, struct hreq *h, struct MHD_Connection *c)
{
    const struct sec_config *s = g_sec;
    if (s->disabled)
        return;
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    if (s->x_frame_options &&
        strncmp(h->req.path ? h->req.path : "", "/static-files/lib/notebook-trace-renderer",
                41) != 0)
        MHD_add_response_header(mr, "X-Frame-Options", s->x_frame_options);
    const char *origin = hdr(c, "Origin");
    if (!origin)
        return;
    if (s->origins_any) {
        /* "*" mode has no credentials, so the origin is never echoed. */
        MHD_add_response_header(mr, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(mr, "Access-Control-Expose-Headers", "*");
        MHD_add_response_header(mr, "Vary", "Origin");
        return;
    }
    MHD_add_response_header(mr, "Access-Control-Allow-Credentials", "true");
    MHD_add_response_header(mr, "Access-Control-Expose-Headers", "*");
    if (sec_origin_allowed(s, origin))
        MHD_add_response_header(mr, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(mr, "Vary", "Origin");
}

/* MHD's reader callback over a resp_stream. */
static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct resp_stream *st = cls;
    if (pos >= st->len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (max > st->len - pos)
        max = (size_t)(st->len - pos);
    long n = st->read(st->ctx, pos, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0) /* the file shrank under us: end the response rather than spin */
        return MHD_CONTENT_READER_END_WITH_ERROR;
    prom_bytes(0, (uint64_t)n);
    prom_artifact_bytes((uint64_t)n, 0);
    return n;
}

static void stream_free(void *cls)
{
    struct resp_stream *st = cls;
    if (st->free)
        st->free(st->ctx);
    free(st);
}

/* Queues a streamed body (downloads): MHD pulls it in 256 KiB blocks as the socket drains,
 * so memory stays flat whatever the size. Never gzipped: artifacts are sent as stored. */
static enum MHD_Result respond_stream(struct hreq *h, struct MHD_Connection *c, struct resp *r,
                                      const char *ct)
{
    buf_release(&r->body);
    struct resp_stream *st = malloc(sizeof *st);
    if (!st) {
        if (r->stream.free)
            r->stream.free(r->stream.ctx);
        return MHD_NO;
    }
    *st = r->stream;
    struct MHD_Response *mr =
        MHD_create_response_from_callback(st->len, 256 * 1024, stream_reader, st, stream_free);
    if (!mr) {
        stream_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
    for (int i = 0; i < r->nheaders; i++)
        if (r->headers[i].name && r->headers[i].value)
            MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
    add_app_headers(mr, h, c);
    if (atomic_load_explicit(&g_draining, memory_order_relaxed))
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    h->status = r->status;
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return ok;
}

/* ---- bodies made piece by piece (resp_pieces) ---- */

enum { PIECE_BYTES = 64 * 1024 };

struct pieces {
    struct resp_pieces p;
    struct gz_stream *gz; /* when the client takes gzip */
    struct buf raw, out;  /* the producer's piece, and what goes on the wire */
    size_t off;           /* sent of out */
    bool end;             /* the producer has given its last piece */
};

static void pieces_free(void *cls)
{
    struct pieces *ps = cls;
    if (ps->p.free)
        ps->p.free(ps->p.ctx);
    gz_stream_free(ps->gz);
    buf_release(&ps->raw);
    buf_release(&ps->out);
    free(ps);
}

/* Refills out from the producer (through gzip when on). 0, or -1 on an error. */
static int pieces_fill(struct pieces *ps)
{
    buf_clear(&ps->out);
    ps->off = 0;
    while (ps->out.len == 0 && !ps->end) {
        struct buf *dst = ps->gz ? &ps->raw : &ps->out;
        buf_clear(dst);
        int more = ps->p.next(ps->p.ctx, dst, PIECE_BYTES);
        if (more < 0 || !buf_ok(dst))
            return -1;
        ps->end = more == 0;
        if (ps->gz && gz_stream_put(ps->gz, ps->raw.ptr, ps->raw.len, ps->end, &ps->out) != 0)
            return -1;
    }
    return 0;
}

static ssize_t pieces_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct pieces *ps = cls;
    if (ps->off == ps->out.len) {
        if (ps->end)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (pieces_fill(ps) != 0) {
            log_error("http: a response made in pieces failed midway; cutting the connection");
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (ps->out.len == 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = ps->out.len - ps->off;
    if (n > max)
        n = max;
    memcpy(buf, ps->out.ptr + ps->off, n);
    ps->off += n;
    prom_bytes(0, n);
    return (ssize_t)n;
}

/* Queues a body made piece by piece as the client takes it, with chunked encoding (and
 * gzip, one member, when the client takes it): one piece in memory at a time. */
static enum MHD_Result respond_pieces(struct hreq *h, struct MHD_Connection *c, struct resp *r,
                                      const char *ct)
{
    buf_release(&r->body);
    struct pieces *ps = calloc(1, sizeof *ps);
    if (!ps) {
        if (r->pieces.free)
            r->pieces.free(r->pieces.ctx);
        return MHD_NO;
    }
    ps->p = r->pieces;
    buf_init(&ps->raw, (size_t)64 << 20);
    buf_init(&ps->out, (size_t)64 << 20);
    bool gz = gz_compressible(ct) && gz_accepted(hdr(c, "Accept-Encoding"));
    if (gz && !(ps->gz = gz_stream_new()))
        gz = false;
    struct MHD_Response *mr = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, PIECE_BYTES, pieces_reader, ps, pieces_free);
    if (!mr) {
        pieces_free(ps);
        return MHD_NO;
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
    if (gz_compressible(ct))
        MHD_add_response_header(mr, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (gz)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    for (int i = 0; i < r->nheaders; i++)
        if (r->headers[i].name && r->headers[i].value)
            MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
    add_app_headers(mr, h, c);
    if (atomic_load_explicit(&g_draining, memory_order_relaxed))
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    h->status = r->status;
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return ok;
}

/* Queues r on c and releases r's body. Returns what the access handler should return. */
static enum MHD_Result respond(struct hreq *h, struct MHD_Connection *c, struct resp *r,
                               enum rmode mode)
{
    h->state = HS_DONE;
    if (!buf_ok(&r->body)) {
        log_error("http: response body for %s over its limit or out of memory",
                  h->req.path ? h->req.path : "?");
        buf_release(&r->body);
        resp_init(r);
        api_error(r, ERR_INTERNAL_ERROR, "The response could not be built.");
    }
    const char *ct = r->content_type ? r->content_type : "application/json";
    if (r->stream.read)
        return respond_stream(h, c, r, ct);
    if (r->pieces.next)
        return respond_pieces(h, c, r, ct);
    size_t len = 0;
    char *body = buf_detach(&r->body, &len);
    h->resp_bytes = len;
    bool vary_ae = false, gzipped = false;
    if (len >= GZ_MIN_BYTES && gz_compressible(ct) && !has_header(r, "Content-Encoding")) {
        vary_ae = true;
        if (gz_accepted(hdr(c, "Accept-Encoding"))) {
            size_t zlen;
            char *z = gz_compress(body, len, &zlen);
            if (z) {
                free(body);
                body = z;
                len = zlen;
                gzipped = true;
            }
        }
    }
    prom_bytes(0, len);
    h->sent_bytes = (int64_t)len;
    struct MHD_Response *mr;
    if (len > 0) {
        mr = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    } else {
        free(body);
        mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!mr) {
        if (len > 0)
            free(body);
        log_error("http: cannot create a response");
        return MHD_NO;
    }
    if (len > 0 || (r->status != 204 && r->status != 304))
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
    for (int i = 0; i < r->nheaders; i++)
        if (r->headers[i].name && r->headers[i].value)
            MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
    if (gzipped)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (vary_ae)
        MHD_add_response_header(mr, "Vary", "Accept-Encoding");
    if (mode == RM_APP)
        add_app_headers(mr, h, c);
    if (atomic_load_explicit(&g_draining, memory_order_relaxed))
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    h->status = r->status;
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    if (ok != MHD_YES)
        log_error("http: cannot queue a %d response for %s", r->status,
                  h->req.path ? h->req.path : "?");
    return ok;
}

static enum MHD_Result respond_error(struct hreq *h, struct MHD_Connection *c,
                                     enum err_code code, int status, const char *msg)
{
    struct resp r;
    resp_init(&r);
    api_error(&r, code, msg);
    if (status)
        r.status = status;
    return respond(h, c, &r, RM_APP);
}

static enum MHD_Result respond_text(struct hreq *h, struct MHD_Connection *c, int status,
                                    const char *text, enum rmode mode)
{
    struct resp r;
    resp_init(&r);
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    buf_puts(&r.body, text);
    return respond(h, c, &r, mode);
}

static enum MHD_Result respond_413(struct hreq *h, struct MHD_Connection *c)
{
    char msg[160];
    snprintf(msg, sizeof msg,
             "Request body is too large: this endpoint accepts at most %zu bytes.",
             h->body_max);
    return respond_error(h, c, ERR_INVALID_PARAMETER_VALUE, 413, msg);
}

/* Starlette CORSMiddleware's answer to a preflight (OPTIONS with Origin and
 * Access-Control-Request-Method), with 204 instead of "200 OK" on API paths as MLflow's
 * security middleware does. */
static enum MHD_Result preflight(struct hreq *h, struct MHD_Connection *c, const char *origin,
                                 const char *acrm)
{
    const struct sec_config *s = g_sec;
    struct resp r;
    resp_init(&r);
    bool origin_ok = sec_origin_allowed(s, origin);
    bool method_ok = sec_preflight_method_allowed(s, acrm);
    bool pna = hdr(c, "Access-Control-Request-Private-Network") != NULL;
    add_header(&r, "Vary", SEC_PREFLIGHT_VARY);
    if (s->origins_any)
        add_header(&r, "Access-Control-Allow-Origin", "*");
    else if (origin_ok)
        add_header(&r, "Access-Control-Allow-Origin", origin);
    add_header(&r, "Access-Control-Allow-Methods",
               s->origins_any ? SEC_ALLOW_METHODS_ANY : SEC_ALLOW_METHODS);
    add_header(&r, "Access-Control-Max-Age", "600");
    const char *acrh = hdr(c, "Access-Control-Request-Headers");
    if (acrh)
        add_header(&r, "Access-Control-Allow-Headers", acrh);
    if (!s->origins_any)
        add_header(&r, "Access-Control-Allow-Credentials", "true");
    if (!origin_ok || !method_ok || pna) {
        /* Starlette names every failure: "Disallowed CORS origin, method". */
        char text[96];
        snprintf(text, sizeof text, "Disallowed CORS %s%s%s%s%s", origin_ok ? "" : "origin",
                 !origin_ok && !method_ok ? ", " : "", method_ok ? "" : "method",
                 pna && (!origin_ok || !method_ok) ? ", " : "", pna ? "private-network" : "");
        r.status = 400;
        r.content_type = "text/plain; charset=utf-8";
        buf_puts(&r.body, text);
        return respond(h, c, &r, RM_BARE);
    }
    r.status = sec_is_api_path(s, h->req.path) ? 204 : 200;
    if (r.status == 200) {
        r.content_type = "text/plain; charset=utf-8";
        buf_puts(&r.body, "OK");
    }
    return respond(h, c, &r, RM_BARE);
}

/* GET /metrics under --expose-prometheus, as MLflow serves it: at the root, beside the
 * API, whatever --static-prefix says. */
static enum MHD_Result respond_metrics(struct hreq *h, struct MHD_Connection *c)
{
    h->pattern = "/metrics";
    struct resp r;
    resp_init(&r);
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    prom_render(&r.body, &h->arena);
    return respond(h, c, &r, RM_APP);
}

/* ---- the request state machine ------------------------------------------------------ */

static enum http_method parse_method(const char *m)
{
    static const struct {
        const char *name;
        enum http_method m;
    } tab[] = {{"GET", HTTP_GET},       {"POST", HTTP_POST},   {"HEAD", HTTP_HEAD},
               {"PUT", HTTP_PUT},       {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE},
               {"OPTIONS", HTTP_OPTIONS}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(m, tab[i].name) == 0)
            return tab[i].m;
    return HTTP_OTHER;
}

/* The client's address as text, from the arena (login throttling, trusted proxies). */
static const char *peer_address(struct arena *a, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return NULL;
    char buf[INET6_ADDRSTRLEN];
    const struct sockaddr *sa = ci->client_addr;
    const void *src = NULL;
    if (sa->sa_family == AF_INET)
        src = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        src = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!src || !inet_ntop(sa->sa_family, src, buf, sizeof buf))
        return NULL;
    /* An IPv4 client on a dual-stack socket: ::ffff:1.2.3.4 is 1.2.3.4. */
    const char *text = strncmp(buf, "::ffff:", 7) == 0 && strchr(buf + 7, '.') ? buf + 7 : buf;
    return arena_strdup(a, text);
}

/* Headers are in: parse the target, apply the security rules, find the route, and either
 * answer at once or get ready for the body. */
static enum MHD_Result begin(struct hreq *h, struct MHD_Connection *c, const char *method,
                             const char *version)
{
    struct req *q = &h->req;
    h->method = method;
    h->version = version;
    q->method = parse_method(method);
    q->header = hdr_cb;
    q->hctx = c;
    q->content_type = hdr(c, MHD_HTTP_HEADER_CONTENT_TYPE);
    q->remote_addr = peer_address(&h->arena, c);
    enum url_status us = url_parse_target(&h->arena, h->raw_uri ? h->raw_uri : "/", &q->path,
                                          &q->query, &q->nquery);
    /* A '#' is not allowed in a request-target (RFC 9112 3.2: clients never send the
     * fragment), and a %00 would decode to a NUL that silently cuts a query value short
     * ("path=a.txt%00.png" read as "a.txt"): refuse both rather than guess. */
    if (us == URL_OK && h->raw_uri &&
        (strchr(h->raw_uri, '#') || strstr(h->raw_uri, "%00")))
        us = URL_BAD_PATH;
    if (us != URL_OK) {
        q->path = "/";
        return respond_error(h, c, ERR_BAD_REQUEST, 400,
                             us == URL_TOO_MANY_PARAMS ? "Too many query parameters."
                                                       : "Malformed request path.");
    }

    const struct sec_config *s = g_sec;
    if (!s->disabled) {
        const char *host = hdr(c, MHD_HTTP_HEADER_HOST);
        if (!sec_is_health_path(s, q->path) && !sec_host_allowed(s, host)) {
            log_warn("Rejected request with invalid Host header: %s", host ? host : "");
            return respond_text(h, c, 403, SEC_INVALID_HOST_MSG, RM_BARE);
        }
        const char *origin = hdr(c, "Origin");
        const char *acrm = hdr(c, "Access-Control-Request-Method");
        if (q->method == HTTP_OPTIONS && origin && acrm)
            return preflight(h, c, origin, acrm);
        if (sec_is_api_path(s, q->path) && sec_block_cross_origin(s, origin, method)) {
            log_warn("Blocked cross-origin request from %s", origin);
            return respond_text(h, c, 403, SEC_CORS_BLOCKED_MSG, RM_APP);
        }
    }

    /* HEAD runs the GET handler; MHD sends the headers without the body. */
    if (q->method == HTTP_HEAD)
        q->method = HTTP_GET;
    if (prom_enabled() && q->method == HTTP_GET && strcmp(q->path, "/metrics") == 0)
        return respond_metrics(h, c);
    struct route_info ri = api_match(q);
    if (!ri.route) {
        if (q->method == HTTP_OPTIONS && ri.method_mismatch) {
            /* Flask's automatic OPTIONS answer, 204 on API paths as in MLflow. */
            struct resp r;
            resp_init(&r);
            r.status = sec_is_api_path(s, q->path) ? 204 : 200;
            r.content_type = "text/plain; charset=utf-8";
            return respond(h, c, &r, RM_APP);
        }
        char *msg = arena_printf(&h->arena, "%s %s: %s", method, q->path,
                                 ri.method_mismatch ? "method not allowed for this endpoint"
                                                    : "no such endpoint");
        return respond_error(h, c, ERR_ENDPOINT_NOT_FOUND, 404, msg);
    }
    h->route = ri.route;
    h->pattern = ri.pattern;
    h->body_max = ri.body_max;
    h->gzip_in = ri.gzip_in;

    /* Refuse an announced oversized body before reading any of it; the count below
     * still holds for chunked bodies and for a Content-Length that lies. */
    const char *cl = hdr(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t n = 0;
    if (cl && parse_i64(cl, strlen(cl), &n) && n > 0) {
        if ((uint64_t)n > h->body_max)
            return respond_413(h, c);
        /* Room for the announced body up front, but not so much that a client which
         * announces a large body and then stalls can pin memory. */
        h->body.max = h->body_max;
        buf_reserve(&h->body, (uint64_t)n < BODY_PREALLOC_MAX ? (size_t)n : BODY_PREALLOC_MAX);
    }
    if (ri.stream_in) {
        struct resp r;
        resp_init(&r);
        h->stream = api_stream_begin(ri.route, q, &r);
        if (!h->stream)
            return respond(h, c, &r, RM_APP);
        buf_release(&r.body);
        h->state = HS_STREAM;
        return MHD_YES;
    }
    h->body.max = h->body_max;
    h->state = HS_BODY;
    return MHD_YES;
}

/* The end of a streamed body: commit and answer. */
static enum MHD_Result stream_finish(struct hreq *h, struct MHD_Connection *c)
{
    struct resp r;
    resp_init(&r);
    void *st = h->stream;
    h->stream = NULL;
    api_stream_end(st, &r);
    return respond(h, c, &r, RM_APP);
}

/* Undoes a gzip or deflate Content-Encoding of a buffered body, for the routes that take
 * one: 0 (the body replaced), 1 (not encoded) or -1 with the error answer in r. */
static int inflate_body(struct hreq *h, struct MHD_Connection *c, struct resp *r)
{
    const char *enc = hdr(c, "Content-Encoding");
    if (!h->gzip_in || !enc)
        return 1;
    bool gz = strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0;
    if (!gz && strcasecmp(enc, "deflate") != 0)
        return 1; /* the handler says what it takes */
    struct buf plain;
    buf_init(&plain, h->body_max);
    const char *why = NULL;
    if (gz_inflate(h->body.ptr ? h->body.ptr : "", h->body.len, !gz, &plain, &why) != 0) {
        buf_release(&plain);
        api_error(r, ERR_INVALID_PARAMETER_VALUE,
                  arena_printf(h->req.arena, "Content-Encoding %s: %s", enc, why));
        return -1;
    }
    buf_release(&h->body);
    h->body = plain;
    h->req.body_inflated = true;
    return 0;
}

static enum MHD_Result finish(struct hreq *h, struct MHD_Connection *c)
{
    struct req *q = &h->req;
    struct resp r;
    resp_init(&r);
    if (inflate_body(h, c, &r) < 0)
        return respond(h, c, &r, RM_APP);
    q->body = h->body.len ? h->body.ptr : NULL;
    q->body_len = h->body.len;
    api_handle(h->route, q, &r);
    return respond(h, c, &r, RM_APP);
}

/* Whether the request announces a body (Content-Length > 0 or Transfer-Encoding). */
static bool expects_body(struct MHD_Connection *c)
{
    if (hdr(c, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return true;
    const char *cl = hdr(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return cl && strspn(cl, "0") != strlen(cl);
}

static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)cls;
    struct hreq *h = *con_cls;
    if (!h) {
        /* The URI callback always runs first; this is only a safety net. */
        h = hreq_get();
        h->raw_uri = arena_strdup(&h->arena, url);
        *con_cls = h;
    }
    if (!h->counted) {
        /* The head is complete and ours now: the request is in flight (shutdown waits
         * for it) and its connection busy (never closed to make room). */
        h->counted = true;
        atomic_fetch_add_explicit(&g_inflight, 1, memory_order_relaxed);
        conns_busy(conn_of(c));
    }
    switch (h->state) {
    case HS_NEW:
        if (!expects_body(c)) {
            h->state = HS_WAIT;
            return MHD_YES;
        }
        return begin(h, c, method, version);
    case HS_WAIT: {
        *upload_data_size = 0;
        enum MHD_Result rc = begin(h, c, method, version);
        if (h->state == HS_STREAM)
            return stream_finish(h, c); /* an empty upload */
        return h->state == HS_BODY ? finish(h, c) : rc;
    }
    case HS_STREAM:
        if (*upload_data_size) {
            size_t n = *upload_data_size;
            *upload_data_size = 0;
            if (n > h->body_max - h->discarded) {
                api_stream_abort(h->stream);
                h->stream = NULL;
                h->state = HS_OVER;
                h->discarded += n;
                return MHD_YES;
            }
            h->discarded += n; /* bytes taken so far, for the route's cap */
            resp_init(&h->sfail);
            prom_bytes(n, 0);
            prom_artifact_bytes(0, n);
            if (api_stream_write(h->stream, upload_data, n, &h->sfail) != 0) {
                h->stream = NULL;
                h->state = HS_SFAIL;
                return MHD_YES;
            }
            buf_release(&h->sfail.body);
            return MHD_YES;
        }
        return stream_finish(h, c);
    case HS_SFAIL:
        if (*upload_data_size) {
            *upload_data_size = 0;
            return MHD_YES;
        }
        return respond(h, c, &h->sfail, RM_APP);
    case HS_BODY:
        if (*upload_data_size) {
            size_t n = *upload_data_size;
            *upload_data_size = 0;
            if (n > h->body_max - h->body.len) {
                h->discarded = h->body.len + n;
                buf_release(&h->body);
                h->state = HS_OVER;
                return MHD_YES;
            }
            buf_append(&h->body, upload_data, n);
            if (!buf_ok(&h->body)) {
                log_error("http: out of memory buffering a request body");
                return MHD_NO;
            }
            return MHD_YES;
        }
        return finish(h, c);
    case HS_OVER:
        if (*upload_data_size) {
            h->discarded += *upload_data_size;
            *upload_data_size = 0;
            if (h->discarded - h->body_max > DISCARD_MAX) {
                log_warn("http: closing a connection that sent over %zu bytes to %s",
                         h->discarded, h->req.path);
                return MHD_NO;
            }
            return MHD_YES;
        }
        return respond_413(h, c);
    case HS_DONE:
        /* A response is queued; whatever body still arrives is dropped. */
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_NO;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    struct hreq *h = hreq_get();
    h->raw_uri = arena_strdup(&h->arena, uri);
    if (log_min_level <= LOG_DEBUG || prom_enabled() || access_log_on())
        h->start_ns = mono_ns();
    return h;
}

/* The request's access-log line (server/access_log.c), and at --log-level debug the same
 * line in the log. */
static void log_access(struct hreq *h, struct MHD_Connection *c,
                       enum MHD_RequestTerminationCode toe)
{
    char addr[INET6_ADDRSTRLEN] = "";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr,
                  sizeof addr);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
                  sizeof addr);
    struct access_entry e = {
        .client = addr[0] ? addr : NULL,
        .user = h->req.remote_user,
        .method = h->method ? h->method : "?",
        .target = h->raw_uri ? h->raw_uri : "?",
        .version = h->version,
        .status = h->status,
        .bytes = h->sent_bytes,
        .ns = h->start_ns ? mono_ns() - h->start_ns : 0,
        .cut = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK,
    };
    access_log_write(&e, log_min_level <= LOG_DEBUG);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    struct hreq *h = *con_cls;
    if (h && (access_log_on() || log_min_level <= LOG_DEBUG))
        log_access(h, c, toe);
    if (h) {
        if (h->stream) {
            /* The connection ended inside a streamed body: nothing half-written stays. */
            log_warn("upload to %s cut short; discarded", h->req.path ? h->req.path : "?");
            api_stream_abort(h->stream);
            h->stream = NULL;
        }
        if (h->state == HS_SFAIL)
            buf_release(&h->sfail.body);
        if (h->counted)
            conns_idle(conn_of(c));
        if (h->counted && prom_enabled()) {
            prom_request(h->pattern, h->req.method, h->status,
                         mono_ns() - h->start_ns);
            prom_bytes(h->body.len, 0);
        }
        size_t held = h->arena.total + h->body.cap + h->resp_bytes;
        *con_cls = NULL;
        hreq_put(h);
        mem_after_request(held);
    }
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        conns_close(*socket_context);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *addr =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    *socket_context = fd ? conns_open(fd->connect_fd, addr ? addr->client_addr : NULL) : NULL;
    if (!*socket_context)
        log_error("http: a connection could not be registered; it is served unchecked");
}

/* MHD decodes the path and query itself unless told otherwise; we decode from the raw
 * target (url_parse_target), so its copy is left as sent. */
static size_t unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt,
                                                          va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    /* Mostly client mistakes (bad requests, dropped connections): not our errors. */
    log_warn("libmicrohttpd: %s", line);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

/* libmicrohttpd reads every byte of every connection with recv() (0.9.75 has no hook
 * between its reading and its parsing), so defining recv here, in the executable, puts
 * conns_recv in front of its parser: the same symbol interposition that lets a program
 * supply its own malloc. Every other socket (libpq's, libcurl's) goes straight through. */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    return conns_recv(fd, buf, len, flags);
}

int http_start(const struct http_options *o, char *err, size_t errlen)
{
    g_sec = o->sec;
    atomic_store(&g_inflight, 0);
    atomic_store(&g_draining, false);
    struct conns_config cc = conns_defaults(o->max_conns, o->fd_limit);
    if (o->max_conns && cc.max_conns < o->max_conns)
        log_warn("--max-connections %u lowered to %u: the process may open %d files", o->max_conns,
                 cc.max_conns, o->fd_limit);
    if (conns_init(&cc, err, errlen) < 0)
        return -1;
    /* poll(), not epoll: with MHD 0.9.75's edge-triggered epoll, a peer that sends the last
     * bytes and its FIN together (a cut upload, `nc -q0`) is never seen to close; the
     * connection sits in CLOSE-WAIT, and a cut upload's temporary file stays on disk, until
     * the idle timeout. poll() notices the EOF at once. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    unsigned pool = o->workers > 1 ? (unsigned)o->workers : 0;
    g_daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)o->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, pool, MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, cc.max_conns, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, NULL, MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
        MHD_OPTION_END);
    if (!g_daemon) {
        conns_shutdown();
        snprintf(err, errlen, "cannot start the HTTP server (libmicrohttpd refused; see log)");
        return -1;
    }
    log_info("connections: at most %u, %u per client address; request heads within %d s",
             cc.max_conns, cc.per_addr, cc.head_timeout_ms / 1000);
    return 0;
}

void http_quiesce(void)
{
    if (!g_daemon || atomic_exchange(&g_draining, true))
        return;
    /* The listening socket stays open until after MHD_stop_daemon (MHD's rule); the
     * caller closes it. */
    MHD_quiesce_daemon(g_daemon);
}

int http_inflight(void)
{
    return atomic_load_explicit(&g_inflight, memory_order_relaxed);
}

bool http_drain(int timeout_ms)
{
    struct timespec step = {0, 10 * 1000 * 1000};
    for (int waited = 0; atomic_load(&g_inflight) > 0; waited += 10) {
        if (waited >= timeout_ms)
            return false;
        nanosleep(&step, NULL);
    }
    return true;
}

void http_stop(void)
{
    if (g_daemon) {
        MHD_stop_daemon(g_daemon);
        g_daemon = NULL;
        struct conns_stats st = conns_stats();
        if (st.evicted || st.timed_out || st.refused || st.rejected)
            log_info("connections since start: %llu closed to make room, %llu for a late "
                     "request head, %llu refused over the per-address cap, %llu answered "
                     "with a framing error",
                     (unsigned long long)st.evicted, (unsigned long long)st.timed_out,
                     (unsigned long long)st.refused, (unsigned long long)st.rejected);
        conns_shutdown();
    }
    /* Request objects recycled on this thread (MHD may complete requests here while
     * stopping) go now; worker threads freed theirs when they exited. */
    pthread_once(&g_tls_once, tls_key_init);
    struct tls *t = pthread_getspecific(g_tls_key);
    if (t) {
        pthread_setspecific(g_tls_key, NULL);
        tls_free(t);
    }
}
