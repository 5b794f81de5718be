/* Internal to api/: the handler context, the handler table entry, and the serializers and
 * validators the handlers share. */
#ifndef MLT_API_H
#define MLT_API_H

#include <stddef.h>

#include "../store/store.h"
#include "../store/tracking.h"
#include "authz.h"
#include "in.h"
#include "jw.h"
#include "request.h"
#include "route.h"

struct ctx {
    struct req *r;    /* first two: struct ctx_head (route.h) */
    struct resp *out;
    struct in in;
    struct err e;
    struct sctx s; /* database, arena, error */
    struct jw w;   /* writes the response body */
    struct az *az; /* the authenticated caller (api/authz.h); NULL when auth is off */
    int64_t retry_after; /* > 0: the login was throttled for that many seconds */
};
_Static_assert(offsetof(struct ctx, r) == offsetof(struct ctx_head, r) &&
                   offsetof(struct ctx, out) == offsetof(struct ctx_head, out),
               "struct ctx starts with struct ctx_head");

extern const struct api_config *api_cfg;

/* ---- serializers (api/serialize.c) ---- */
void put_experiment(struct jw *w, const struct experiment *x);
void put_run_info(struct jw *w, const struct run_info *ri);
void put_run(struct jw *w, const struct run *r);
void put_metric(struct jw *w, const struct metric *m, bool with_run_id);
/* put_metric for the points of a history: the same bytes, with the parts that stay the same
 * from point to point (the key, the run id) escaped once into f (zeroed at first; its
 * strings from the arena). */
struct point_fmt {
    const char *key, *run_id; /* what head and tail were made for */
    char *head;               /* {"key":"...","value": */
    const char *tail;         /* ,"run_id":"..."} or } */
    size_t head_len, tail_len;
};
void put_point(struct jw *w, struct point_fmt *f, struct arena *a, const struct metric *m,
               bool with_run_id);
void put_kvs(struct jw *w, const char *key, const struct kv *v, size_t n);

/* ---- validators (api/validate.c), MLflow's messages ---- */
int v_param_name(struct err *e, const char *name, const char *path);
int v_metric_name(struct err *e, const char *name, const char *path);
int v_tag_name(struct err *e, const char *name, const char *path);
/* Length check; with truncate (and MLFLOW_TRUNCATE_LONG_VALUES not false) shortens *v. */
int v_length(struct err *e, struct arena *a, const char *what, size_t limit, const char **v,
             bool truncate);
int v_experiment_name(struct err *e, const char *name);
int v_artifact_location(struct err *e, const char *loc);
int v_run_id(struct err *e, const char *run_id, const char *path);

/* ---- artifact locations (api/artifact_places.c) ---- */
/* The destination's store (the proxy's) is opened from cfg->artifacts_destination when
 * serving artifacts; the pool for other locations always. */
int artifacts_init(const struct api_config *cfg, struct err *e);
void artifacts_shutdown(void);

/* The server's working directory, against which relative local locations resolve. */
const char *api_cwd(void);

/* Where the files of an artifact location are: a store and the location's path inside it. */
struct art_place {
    struct art_store *store; /* borrowed until art_place_release */
    const char *root;        /* checked path inside store ("": the store's root), arena */
    bool pooled;
    const char *dir; /* a local location: its absolute directory (the store's root); else NULL */
};
/* The place of a run's artifact_uri, a logged model's artifact_location or a model
 * version's storage location, as MLflow's server resolves it: mlflow-artifacts: and
 * http(s)://.../api/2.0/mlflow-artifacts/artifacts/... are the destination's (when serving
 * artifacts), a local path or file: URI is that directory, s3://bucket/key is read with
 * the server's S3 settings. NOT_IMPLEMENTED for any other location; INVALID_PARAMETER_VALUE
 * when its path is not safe. Release the place when done; after a failure nothing is held. */
int art_place_open(struct ctx *c, const char *uri, struct art_place *out);
/* The same outside a request (`mltrack gc`): strings from a, the error in e. */
int art_place_resolve(struct arena *a, const char *uri, struct art_place *out, struct err *e);
/* The destination itself (the proxy routes); NOT_IMPLEMENTED when not serving artifacts. */
int art_place_destination(struct ctx *c, struct art_place *out);
void art_place_release(struct art_place *p);
/* Streams the file sub (checked by the caller) of the artifact location uri as an
 * attachment named by its last segment, with MLflow's Content-Type for it (api/artifacts.c). */
int art_send_location(struct ctx *c, const char *uri, const char *sub);
/* Writes "files": [...] for the directory sub (checked by the caller) of pl: basenames, or
 * paths relative to the place when full_paths (api/artifacts.c). */
int art_list_json(struct ctx *c, const struct art_place *pl, const char *sub, bool full_paths);

/* The Content-Type MLflow gives a download of path (api/mime.c). mime_init reads the
 * system's mime.types once, before threads start; mime_shutdown frees the table. */
void mime_init(void);
void mime_shutdown(void);
const char *mime_type(const char *path);

/* filter, order_by and page_token of a search request (api/search.c), parsed for kind
 * with MLflow's rules and messages; *offset is 0 without a token. */
int read_search_query(struct ctx *c, enum search_kind kind, struct filter *f,
                      struct order_by *ob, int64_t *offset);

/* A runs/search request (experiment_ids, max_results, run_view_type, filter, order_by,
 * page_token) read into q, whose filter and order point at f and ob; q->page asks for
 * max_results + 1 runs from *offset (see reply_page). Everything lives in c->s.a. */
int read_runs_query(struct ctx *c, struct search_runs_q *q, struct filter *f,
                    struct order_by *ob, int64_t *offset);

/* Writes {"<field>": [...], "next_page_token": ...} for a search page fetched with
 * LIMIT max + 1: the extra item, if any, only says that another page exists (MLflow's
 * offset token). items holds n elements of size bytes; put writes one. Returns 0. */
int reply_page(struct ctx *c, const char *field, const void *items, size_t n, size_t size,
               void (*put)(struct jw *, const void *), int64_t max, int64_t offset);

/* Writes {"<field>": item} (the reply of a route that returns one entity); put writes the
 * item. Returns 0. */
int reply_item(struct ctx *c, const char *field, void (*put)(struct jw *, const void *),
               const void *item);

/* Writes {} (the reply of most write endpoints) and returns 0. */
int reply_empty(struct ctx *c);

enum { KB = 1024, MB = 1024 * 1024 };

/* ---- handler tables, one per area, under the /api/2.0/mlflow prefixes ---- */
extern const struct route experiment_routes[];
extern const size_t experiment_routes_n;
extern const struct route run_routes[];
extern const size_t run_routes_n;
extern const struct route history_routes[];
extern const size_t history_routes_n;
extern const struct route search_routes[];
extern const size_t search_routes_n;
extern const struct route registry_routes[];
extern const size_t registry_routes_n;
extern const struct route artifact_routes[];      /* under /api/2.0/mlflow-artifacts */
extern const size_t artifact_routes_n;
extern const struct route run_artifact_routes[];  /* artifacts/list etc., under .../mlflow */
extern const size_t run_artifact_routes_n;
extern const struct route ui_artifact_routes[];   /* /get-artifact etc., static-prefixed */
extern const size_t ui_artifact_routes_n;
extern const struct route trace_v3_routes[]; /* under /api/3.0/mlflow */
extern const size_t trace_v3_routes_n;
extern const struct route trace_v2_routes[]; /* under /api/2.0/mlflow */
extern const size_t trace_v2_routes_n;
extern const struct route trace_legacy_routes[]; /* MLflow 2's trace API, under /api/2.0/mlflow */
extern const size_t trace_legacy_routes_n;
extern const struct route trace_correlation_routes[]; /* under /api/3.0/mlflow */
extern const size_t trace_correlation_routes_n;
extern const struct route trace_metrics_routes[]; /* under /api/3.0/mlflow */
extern const size_t trace_metrics_routes_n;
/* A QueryTraceMetrics body's view_type as the handler reads it (enum tm_view), for the
 * access check too. */
int trace_metrics_view_of(json_t *v);
extern const struct route trace_artifact_routes[]; /* under both /ajax-api/<v>/mlflow only */
extern const size_t trace_artifact_routes_n;
extern const struct route assessment_routes[]; /* under /api/3.0/mlflow */
extern const size_t assessment_routes_n;
extern const struct route otlp_routes[]; /* /v1/traces at the root */
extern const size_t otlp_routes_n;
extern const struct route logged_model_routes[];
extern const size_t logged_model_routes_n;
/* MLflow's webhooks (api/webhooks.c). */
extern const struct route webhook_routes[];
extern const size_t webhook_routes_n;
/* Under /api/2.0/mltrack (ours): the registry audit log. */
extern const struct route mltrack_registry_routes[];
extern const size_t mltrack_registry_routes_n;
/* Under /api/2.0/mltrack (ours): downsampled metric series for charts. */
extern const struct route mltrack_metric_routes[];
extern const size_t mltrack_metric_routes_n;
/* MLflow's auth API (api/auth_api.c): users under /api/2.0/mlflow, per-user grants under
 * /api/3.0/mlflow. */
extern const struct route auth_routes[];
extern const size_t auth_routes_n;
extern const struct route auth_v3_routes[];
extern const size_t auth_v3_routes_n;
/* Under /api/2.0/mltrack (ours): API tokens and the auth audit log. */
extern const struct route mltrack_auth_routes[];
extern const size_t mltrack_auth_routes_n;

/* Every route table the router mounts, for tests that walk them all (test_authz.c). */
struct route_table {
    const struct route *tab;
    size_t n;
};
size_t api_route_tables(struct route_table *out, size_t max);

#endif
