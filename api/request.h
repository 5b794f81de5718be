/* The boundary between the HTTP glue (server/, the only code that sees libmicrohttpd) and
 * the API (routes, JSON, validation). Handlers get a plain request and fill a plain
 * response, so they can be unit-tested without sockets. */
#ifndef MLT_API_REQUEST_H
#define MLT_API_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/err.h"

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE,
                   HTTP_OPTIONS, HTTP_OTHER };

struct http_kv {
    const char *key;   /* NUL-terminated, percent-decoded */
    const char *value; /* NUL-terminated, percent-decoded; "" for a bare key */
    size_t vlen;       /* value length (values may hold NUL after decoding) */
};

enum { REQ_MAX_PARAMS = 4 };

struct req {
    struct arena *arena;    /* everything here is from it or borrowed for the request */
    enum http_method method;
    const char *path;       /* percent-decoded once, without the query string */
    struct http_kv *query;  /* query-string pairs in order; repeated keys stay repeated */
    size_t nquery;
    const char *content_type; /* NULL when absent */
    const char *body;       /* the whole body for buffered routes; NULL when none */
    size_t body_len;
    /* Path parameters captured by the route pattern ({model_id}, <path:...>), decoded. */
    const char *params[REQ_MAX_PARAMS];
    /* Looks up a request header (case-insensitive); NULL when absent. */
    const char *(*header)(void *hctx, const char *name);
    void *hctx;
    const char *remote_user; /* identity from auth, when auth exists; else NULL */
    const char *remote_addr; /* the peer's address as text ("127.0.0.1", "::1"); NULL when
                                unknown (tests without sockets) */
    bool body_inflated;      /* body was sent gzip/deflate-encoded and is now plain */
};

enum { RESP_MAX_HEADERS = 6 };

/* A response body read piece by piece (artifact downloads): the glue calls read as the
 * client takes the bytes, so memory stays flat whatever the size. */
struct resp_stream {
    uint64_t len; /* bytes the stream will yield */
    /* Copies up to max bytes at pos into buf: the count, 0 at the end, -1 on error. */
    long (*read)(void *ctx, uint64_t pos, char *buf, size_t max);
    void (*free)(void *ctx); /* called once the response is done with */
    void *ctx;
};

/* A response body of unknown length, written piece by piece as the client takes it (a
 * metric history of millions of points), so that only one piece is in memory at a time.
 * next appends the next piece, of about `want` bytes, to out: 1 while more follows, 0
 * after the last, -1 on an error (the glue then cuts the connection: the status line has
 * gone already). free runs once when the response is done with, however it ended. */
struct resp_pieces {
    int (*next)(void *ctx, struct buf *out, size_t want);
    void (*free)(void *ctx);
    void *ctx;
};

struct resp {
    int status;               /* 200 unless set */
    const char *content_type; /* static or from the request arena; default application/json */
    struct buf body;          /* owned by the server glue, which releases it */
    struct resp_stream stream; /* used instead of body when stream.read is set */
    struct resp_pieces pieces; /* used instead of body when pieces.next is set */
    struct {
        const char *name, *value;
    } headers[RESP_MAX_HEADERS];
    int nheaders;
};

struct auth_config;

/* What the server glue needs to know about a matched route before the body arrives. */
struct route;
struct route_info {
    const struct route *route; /* NULL: no such route (answer 404 JSON via api_not_found) */
    const char *pattern;       /* the route's pattern, after its mount (metrics label) */
    size_t body_max;           /* largest body accepted; larger gets 413-class error */
    bool method_mismatch;      /* path exists, method does not */
    bool stream_in;            /* the body goes to api_stream_* as it arrives, unbuffered */
    bool gzip_in;              /* a gzip/deflate body is inflated (to body_max) before the handler */
};

struct api_config {
    const char *static_prefix;        /* "" or "/prefix" (no trailing slash) */
    const char *default_artifact_root;/* e.g. "mlflow-artifacts:/" or an absolute path */
    const char *artifacts_destination;/* where proxied artifacts live (path or s3://...) */
    bool serve_artifacts;
    bool artifacts_only;
    const char *version;              /* our MLflow-compatible version string */
    /* More routes mounted with the UI's (static-prefixed, after the API's): the web UI,
     * which sits above api/ and is handed in by server/. */
    const struct route *ui_routes;
    size_t ui_routes_n;
    /* MLflow's basic-auth app (--app-name basic-auth): the configuration, its database
     * already set up by authdb_init (auth/). NULL: no access control. */
    const struct auth_config *auth;
};

/* Called once at start-up; cfg is borrowed for the life of the process. Opens the
 * artifact store when serving artifacts; -1 with e set when it cannot. */
int api_init(const struct api_config *cfg, struct err *e);
/* Releases what api_init opened. */
void api_shutdown(void);

/* Finds the route for method+path (path already decoded); fills req->params. */
struct route_info api_match(struct req *r);

/* Runs the route's handler. The server glue has already enforced body_max. */
void api_handle(const struct route *rt, struct req *r, struct resp *out);

/* Streamed request bodies (route_info.stream_in), once the headers are in:
 * api_stream_begin returns a context (from r->arena) to feed, or NULL with the error
 * response in out. Then api_stream_write for each piece (-1: the error is in out; the
 * glue drops the rest of the body and sends out), and api_stream_end at the end of the
 * body, which fills out. api_stream_abort discards everything when the request ends any
 * other way (a cut connection); it is safe after a failed write. */
void *api_stream_begin(const struct route *rt, struct req *r, struct resp *out);
int api_stream_write(void *sctx, const char *p, size_t n, struct resp *out);
void api_stream_end(void *sctx, struct resp *out);
void api_stream_abort(void *sctx);

/* Fills out with MLflow's error JSON and the status that code maps to (api/reply.c). */
void api_error(struct resp *out, enum err_code code, const char *msg);
/* HTTP status for an error code (RESOURCE_ALREADY_EXISTS is 400, as in MLflow). */
int api_status_for(enum err_code code);

/* Adds a response header (name and value static or from the request arena); past
 * RESP_MAX_HEADERS it is dropped. Inline, so that ui/ can use it without linking api/. */
static inline void resp_header(struct resp *out, const char *name, const char *value)
{
    if (out->nheaders < RESP_MAX_HEADERS) {
        out->headers[out->nheaders].name = name;
        out->headers[out->nheaders].value = value;
        out->nheaders++;
    }
}

#endif
