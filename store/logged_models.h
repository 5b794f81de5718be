/* MLflow 3 logged models on MLflow's tables (logged_models, logged_model_params,
 * logged_model_tags, logged_model_metrics): create, load, finalize, soft delete, tags,
 * params, search, and the model side of metric logging. Each function returns 0, or -1 with
 * c->e set to MLflow's error; everything returned is from the request arena (c->a).
 * Request validation (names, statuses) happens in api/ before these are called; these
 * enforce what needs the database (existence, lifecycle, uniqueness). */
#ifndef MLT_LOGGED_MODELS_H
#define MLT_LOGGED_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "../query/search_sql.h"
#include "store.h"

/* The status column holds these integers (MLflow's LoggedModelStatus.to_int). */
enum lm_status {
    LM_STATUS_UNSPECIFIED = 0,
    LM_STATUS_PENDING = 1,
    LM_STATUS_READY = 2,
    LM_STATUS_UPLOAD_FAILED = 3,
};

struct logged_model {
    const char *model_id; /* "m-" + 32 hex */
    int64_t experiment_id;
    const char *name;
    const char *artifact_location;
    int64_t creation_timestamp_ms;
    int64_t last_updated_timestamp_ms;
    int64_t status;              /* enum lm_status as stored; other values pass through */
    const char *lifecycle_stage; /* "active" or "deleted" */
    const char *model_type;      /* NULL for SQL NULL ("" is kept: MLflow stores "") */
    const char *source_run_id;   /* idem */
    const char *status_message;  /* idem */
    struct kv *tags;             /* ordered by key */
    size_t ntags;
    struct kv *params;           /* ordered by key */
    size_t nparams;
    struct metric *metrics;      /* every logged point, in logging order; run_id and
                                    model_id set, dataset_* NULL when absent */
    size_t nmetrics;
};

struct lm_create {
    int64_t experiment_id;
    const char *name;          /* NULL: a random "adjective-noun-NNN" (MLflow's generator) */
    const char *model_type;    /* stored as given; NULL stores SQL NULL */
    const char *source_run_id; /* idem */
    const struct kv *params;   /* borrowed; values must not be NULL */
    size_t nparams;
    const struct kv *tags;     /* borrowed; values must not be NULL */
    size_t ntags;
};

/* Creates a PENDING model with artifact_location "<experiment artifact_location>/models/
 * <model_id>/artifacts". The experiment must exist (RESOURCE_DOES_NOT_EXIST) and be active
 * (INVALID_PARAMETER_VALUE). A key repeated in params or tags is BAD_REQUEST, as MLflow's
 * primary key violation is. */
int lm_create(struct sctx *c, const struct lm_create *in, struct logged_model *out);

/* Loads a model with its tags, params and metrics. A missing model, or a deleted one unless
 * allow_deleted, is RESOURCE_DOES_NOT_EXIST "Logged model with ID '<id>' not found.". */
int lm_get(struct sctx *c, const char *model_id, bool allow_deleted, struct logged_model *out);

/* The writes below act on deleted models too (MLflow looks them up without a lifecycle
 * filter); a missing model is RESOURCE_DOES_NOT_EXIST. */

/* Sets the status and last_updated_timestamp_ms; out gets the updated model. */
int lm_finalize(struct sctx *c, const char *model_id, int64_t status, struct logged_model *out);
/* Soft delete: lifecycle_stage 'deleted', last_updated_timestamp_ms now. Idempotent. */
int lm_delete(struct sctx *c, const char *model_id);
/* Upserts tags; a key repeated in one call keeps its last value. */
int lm_set_tags(struct sctx *c, const char *model_id, const struct kv *tags, size_t n);
/* RESOURCE_DOES_NOT_EXIST when the model has no such tag. */
int lm_delete_tag(struct sctx *c, const char *model_id, const char *key);
/* Inserts params; a key the model already has (even with the same value) is BAD_REQUEST,
 * as in MLflow, and nothing of the call is stored. */
int lm_log_params(struct sctx *c, const char *model_id, const struct kv *params, size_t n);

/* Models matching q (query/search_sql.h), in MLflow's order, fully loaded. */
int lm_search(struct sctx *c, const struct search_logged_models_q *q, struct logged_model **out,
              size_t *n);

/* For run_log_batch, inside its write transaction: the metrics that carry a model_id are
 * also written to logged_model_metrics with the run's experiment, as MLflow's
 * _log_model_metrics does. An identical point logged again is ignored; the same (model,
 * key, timestamp, step, run) with another value, or a model_id that does not exist, is
 * BAD_REQUEST (MLflow's integrity errors). Does nothing when no metric has a model_id. */
int lm_log_run_metrics(struct sctx *c, const char *run_id, const struct metric *m, size_t nm);

#endif
