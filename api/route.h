/* The route table entry and the handler's view of a request, without JSON: what a library
 * that serves routes of its own (ui/) needs, so that it depends on neither jansson nor the
 * rest of api/. The router (api/router.c) mounts every table. */
#ifndef MLT_API_ROUTE_H
#define MLT_API_ROUTE_H

#include <stddef.h>

#include "../base/err.h"
#include "request.h"

/* A handler's context (api/api.h), opaque here. */
struct ctx;

/* What every handler may read of its context, whatever library it lives in: struct ctx
 * begins with these two members (checked in api/api.h). */
struct ctx_head {
    struct req *r;
    struct resp *out;
};
static inline struct req *ctx_req(struct ctx *c)
{
    return ((struct ctx_head *)(void *)c)->r;
}
static inline struct resp *ctx_resp(struct ctx *c)
{
    return ((struct ctx_head *)(void *)c)->out;
}

/* A handler writes a JSON object with c->w on success and returns 0; on failure it sets
 * c->e (err_set returns -1) and returns -1; the router turns that into MLflow's error. */
typedef int (*handler_fn)(struct ctx *c);

enum route_flags {
    RF_TRACKING = 1 << 0,  /* answers 503 under --artifacts-only */
    RF_JSON = 1 << 1,      /* POST/PUT body must be application/json */
    RF_NO_DB = 1 << 2,     /* needs no database connection */
    RF_RAW = 1 << 3,       /* handler writes its own content type and body */
    RF_ARTIFACTS = 1 << 4, /* the artifact proxy: answers 503 under --no-serve-artifacts */
    RF_STREAM_IN = 1 << 5, /* the body streams to route->stream instead of being buffered */
    RF_BINARY_IN = 1 << 6, /* the body is not JSON (OTLP protobuf): the handler reads r->body */
    RF_GZIP_IN = 1 << 7,   /* a gzip or deflate Content-Encoding is undone by the glue */
    /* MLflow 2's request on a path that a v3 route also has (POST /traces): the access rules
     * (api/authz.c) keep one rule for each */
    RF_LEGACY_V2 = 1 << 8,
};

/* A route whose body streams (RF_STREAM_IN): begin runs once the headers are in and
 * returns the upload state (or NULL with c->e set); write takes each piece; end finishes
 * (commits) and writes the reply with c->w; abort discards. c lives in the arena. */
struct stream_ops {
    void *(*begin)(struct ctx *c);
    int (*write)(void *st, const char *p, size_t n, struct err *e);
    int (*end)(void *st, struct ctx *c);
    void (*abort)(void *st);
};

struct route {
    enum http_method method;
    const char *pattern; /* after the mount's prefix; {x} = one segment, {*x} = the rest */
    handler_fn fn;
    size_t body_max;
    unsigned flags;
    const struct stream_ops *stream; /* RF_STREAM_IN routes only */
};

#endif
