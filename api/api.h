/* Internal to api/: the handler context, the handler table entry, and the serializers and
 * validators the handlers share. */
#ifndef MLT_API_H
#define MLT_API_H

#include "../store/store.h"
#include "../store/tracking.h"
#include "http.h"
#include "in.h"
#include "jw.h"

struct ctx {
    struct req *r;
    struct resp *out;
    struct in in;
    struct err e;
    struct sctx s; /* database, arena, error */
    struct jw w;   /* writes the response body */
};

/* A handler writes a JSON object with c->w on success and returns 0; on failure it sets
 * c->e (err_set returns -1) and returns -1; the router turns that into MLflow's error. */
typedef int (*handler_fn)(struct ctx *c);

enum route_flags {
    RF_TRACKING = 1 << 0, /* answers 503 under --artifacts-only */
    RF_JSON = 1 << 1,     /* POST/PUT body must be application/json */
    RF_NO_DB = 1 << 2,    /* needs no database connection */
    RF_RAW = 1 << 3,      /* handler writes its own content type and body */
};

struct route {
    enum http_method method;
    const char *pattern; /* after the /api/2.0/mlflow or similar prefix; {x} = one segment */
    handler_fn fn;
    size_t body_max;
    unsigned flags;
};

extern const struct api_config *api_cfg;

/* ---- serializers (api/serialize.c) ---- */
void put_experiment(struct jw *w, const struct experiment *x);
void put_run_info(struct jw *w, const struct run_info *ri);
void put_run(struct jw *w, const struct run *r);
void put_metric(struct jw *w, const struct metric *m, bool with_run_id);
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

/* The artifact store behind mlflow-artifacts: URIs (the --artifacts-destination), borrowed
 * for the life of the process; NULL when this server does not serve artifacts. */
struct art_store;
struct art_store *api_artifact_store(void);

/* Writes {} (the reply of most write endpoints) and returns 0. */
int reply_empty(struct ctx *c);

enum { KB = 1024, MB = 1024 * 1024 };

/* ---- handler tables, one per area, under the /api/2.0/mlflow prefixes ---- */
extern const struct route experiment_routes[];
extern const size_t experiment_routes_n;
extern const struct route run_routes[];
extern const size_t run_routes_n;
extern const struct route search_routes[];
extern const size_t search_routes_n;
extern const struct route registry_routes[];
extern const size_t registry_routes_n;
extern const struct route logged_model_routes[];
extern const size_t logged_model_routes_n;
/* Under /api/2.0/mltrack (ours): the registry audit log. */
extern const struct route mltrack_registry_routes[];
extern const size_t mltrack_registry_routes_n;

#endif
