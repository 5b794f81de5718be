/* Tracking operations on experiments, runs, metrics, params, tags and inputs. Written
 * once against the db driver interface. Each function returns 0 on success or -1 with
 * c->e set to an MLflow error (RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE, ...).
 * Input validation of names and lengths happens in api/ before these are called; these
 * enforce what needs the database (existence, lifecycle, immutability, uniqueness). */
#ifndef MLT_TRACKING_H
#define MLT_TRACKING_H

#include "model.h"
#include "../query/search_sql.h"
#include "store.h"

/* ---- experiments (store/experiments.c) ---- */
int exp_create(struct sctx *c, const char *name, const char *artifact_location,
               const struct kv *tags, size_t ntags, int64_t *out_id);
int exp_get(struct sctx *c, int64_t id, struct experiment *out);
int exp_get_by_name(struct sctx *c, const char *name, struct experiment *out);
int exp_rename(struct sctx *c, int64_t id, const char *new_name);
/* Soft-deletes (or restores) the experiment and all its runs. */
int exp_set_deleted(struct sctx *c, int64_t id, bool deleted);
int exp_set_tag(struct sctx *c, int64_t id, const char *key, const char *value);
int exp_delete_tag(struct sctx *c, int64_t id, const char *key);
/* Loads the experiments with the given ids, in that order, tags included. */
int exp_load_many(struct sctx *c, const int64_t *ids, size_t n, struct experiment *out);
/* Parses a decimal experiment id the way MLflow does, INVALID_PARAMETER_VALUE otherwise. */
int exp_parse_id(struct sctx *c, const char *s, int64_t *out);

/* ---- runs (store/runs.c) ---- */
struct run_create {
    int64_t experiment_id;
    const char *user_id;
    const char *run_name; /* NULL or "" means none */
    int64_t start_time;
    bool has_start_time;
    const struct kv *tags;
    size_t ntags;
};
int run_create(struct sctx *c, const struct run_create *rc, struct run *out);
/* Loads a whole run: info, latest metrics, params, tags, inputs, outputs. */
int run_get(struct sctx *c, const char *run_id, struct run *out);
/* The experiment a run (or a logged model) belongs to, for access control: 1 and
 * *experiment_id set, 0 when there is no such run (model), -1 with c->e set. */
int run_experiment_of(struct sctx *c, const char *run_id, int64_t *experiment_id);
int lm_experiment_of(struct sctx *c, const char *model_id, int64_t *experiment_id);
/* Loads many runs in the given order (search results); missing ids are skipped. */
int run_load_many(struct sctx *c, const char *const *ids, size_t n, struct run *out,
                  size_t *nout);
struct run_update {
    const char *status;   /* NULL: unchanged */
    int64_t end_time;
    bool has_end_time;
    const char *run_name; /* NULL or "": unchanged */
};
int run_update(struct sctx *c, const char *run_id, const struct run_update *u,
               struct run_info *out);
int run_set_deleted(struct sctx *c, const char *run_id, bool deleted);
int run_delete_tag(struct sctx *c, const char *run_id, const char *key);
/* Metrics, params and tags in one transaction (log-batch, log-metric, log-param, set-tag).
 * Duplicate metrics are ignored; a param logged again with another value fails the whole
 * batch; tags are upserts, mlflow.runName also renames the run. */
int run_log_batch(struct sctx *c, const char *run_id, const struct metric *m, size_t nm,
                  const struct kv *p, size_t np, const struct kv *t, size_t nt);
int run_log_inputs(struct sctx *c, const char *run_id, const struct dataset_input *d,
                   size_t nd, const struct model_io *models, size_t nmodels);
int run_log_outputs(struct sctx *c, const char *run_id, const struct model_io *models,
                    size_t n);

/* ---- search (store/search.c) ---- */
/* Experiments / runs matching q, in MLflow's order, fully loaded. */
int exp_search(struct sctx *c, const struct search_experiments_q *q, struct experiment **out,
               size_t *n);
int run_search(struct sctx *c, const struct search_runs_q *q, struct run **out, size_t *n);
/* run_load_many for a caller already inside a read transaction. */
int run_load_many_in_txn(struct sctx *c, const char *const *ids, size_t n, struct run *out,
                         size_t *nout);

struct dataset_summary {
    int64_t experiment_id;
    const char *name, *digest, *context; /* context may be NULL */
};
/* Distinct (experiment, dataset, context) of the experiments' runs, at most 1000 (the UI's
 * search-datasets). */
int run_dataset_summaries(struct sctx *c, const int64_t *exp_ids, size_t n,
                          struct dataset_summary **out, size_t *nout);

/* ---- metric history (store/metrics.c) ---- */
/* Streams the points of one metric of one run, ordered by (timestamp, step, value), rows
 * [offset, offset+limit) (limit < 0: all), to fn without materializing them: m is borrowed
 * for the call. *more tells whether rows remain after the page. fn returns 0 to go on;
 * non-zero stops with -1 (fn sets c->e if it wants a specific error). fn(ctx, NULL) means
 * "forget the points sent so far": the page is being sent again, from its start. */
typedef int (*metric_fn)(void *ctx, const struct metric *m);
int metric_history_each(struct sctx *c, const char *run_id, const char *key, int64_t offset,
                        int64_t limit, metric_fn fn, void *ctx, size_t *n, bool *more);
/* Sampled history for several runs (get-history-bulk-interval), run after run in the order
 * given: per run the points in (step, timestamp, value) order, at most max_results of them
 * picked as MLflow picks them (NTILE buckets, the first and last point kept). A run that
 * does not exist has no points, as in MLflow. */
int metric_history_interval(struct sctx *c, const char *const *run_ids, size_t nruns,
                            const char *key, bool has_range, int64_t start_step,
                            int64_t end_step, int64_t max_results, struct metric **out,
                            size_t *n);

#endif
