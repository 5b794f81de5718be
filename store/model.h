/* Plain C structs for MLflow's tracking entities, as the store returns them. Every string
 * and array is from the request arena unless a comment says otherwise. */
#ifndef MLT_MODEL_H
#define MLT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct kv {
    const char *key;
    const char *value; /* may be NULL (a tag stored without value) */
};

/* The value of key among the n entries of v (keys unique); NULL when absent or valueless. */
static inline const char *kv_get(const struct kv *v, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].key, key) == 0)
            return v[i].value;
    return NULL;
}

struct experiment {
    int64_t id;
    const char *name;
    const char *artifact_location;
    const char *lifecycle_stage; /* "active" or "deleted" */
    int64_t creation_time, last_update_time;
    bool has_creation_time, has_last_update_time;
    struct kv *tags;
    size_t ntags;
};

struct metric {
    const char *key;
    double value; /* NaN and +-Inf as logged */
    int64_t timestamp;
    int64_t step;
    const char *run_id;         /* set where the API returns it */
    const char *model_id;       /* optional (MLflow 3) */
    const char *dataset_name;   /* optional */
    const char *dataset_digest; /* optional */
};

struct run_info {
    const char *run_id;
    const char *run_name;
    int64_t experiment_id;
    const char *user_id;
    const char *status; /* RUNNING, SCHEDULED, FINISHED, FAILED, KILLED */
    int64_t start_time, end_time;
    bool has_start_time, has_end_time;
    const char *artifact_uri;
    const char *lifecycle_stage;
};

struct dataset {
    const char *name, *digest, *source_type, *source, *schema, *profile;
};

struct dataset_input {
    struct kv *tags;
    size_t ntags;
    struct dataset ds;
};

struct model_io {
    const char *model_id;
    int64_t step; /* outputs only */
};

struct run {
    struct run_info info;
    struct metric *metrics; /* latest value per key */
    size_t nmetrics;
    struct kv *params;
    size_t nparams;
    struct kv *tags;
    size_t ntags;
    struct dataset_input *inputs;
    size_t ninputs;
    struct model_io *model_inputs;
    size_t nmodel_inputs;
    struct model_io *model_outputs;
    size_t nmodel_outputs;
};

enum view_type { VIEW_ACTIVE_ONLY = 1, VIEW_DELETED_ONLY = 2, VIEW_ALL = 3 };

#endif
