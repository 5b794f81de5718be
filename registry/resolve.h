/* Resolving and validating the source of a new model version: MLflow's create-model-version
 * handler (_resolve_registered_model_source_lineage, _validate_source_run,
 * _validate_source_model) and the store's storage_location rules, using the pure checks of
 * source.h and the store's lookups (runs, logged models, other versions).
 *
 * Where the bytes are (storage_location, what get-download-uri answers):
 *   runs:/<run_id>/<path>   the run's artifact_uri + "/" + path (MLflow keeps the runs:/ URI
 *                           and lets the client resolve it; both load the same files); the
 *                           runs:/ URI itself when the run is not in this tracking store
 *   models:/<model_id>      the logged model's artifact_location; run_id defaults to its
 *                           source_run_id
 *   models:/<name>/<v|stage|latest>, models:/<name>@<alias>
 *                           the referenced version's own storage location
 *   anything else           the source itself */
#ifndef MLT_REGISTRY_RESOLVE_H
#define MLT_REGISTRY_RESOLVE_H

#include <stdbool.h>

#include "../store/registry.h"

struct reg_source_in {
    const char *name;   /* the registered model the version is created in */
    const char *source; /* required, non-empty */
    const char *run_id; /* "" or NULL when absent */
    bool has_run_id;    /* the field was present in the request */
    const char *model_id;
    bool has_model_id;
    bool is_prompt;            /* the version carries mlflow.prompt.is_prompt = true */
    const char *trusted_root;  /* the server's default artifact root, may be NULL */
    const char *allow_schemes; /* MLFLOW_ALLOWED_HOST_ADDRESSED_ARTIFACT_SCHEMES, may be NULL */
    const char *source_regex;  /* MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX or NULL */
};

struct reg_source_out {
    const char *source;           /* as stored and shown */
    const char *storage_location; /* where the bytes are */
    const char *run_id;           /* NULL or "" as MLflow would store it */
    const char *model_id;         /* NULL when none: the logged model to link */
};

/* 0, or -1 with c->e set (INVALID_PARAMETER_VALUE "Invalid model version source: ..." for
 * a refused source; RESOURCE_DOES_NOT_EXIST when a models:/name source names nothing).
 * Strings are from c->a. */
int reg_resolve_source(struct sctx *c, const struct reg_source_in *in,
                       struct reg_source_out *out);

#endif
