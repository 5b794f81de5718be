/* The model registry in MLflow's own tables (registered_models, model_versions, their tags,
 * registered_model_aliases) plus our audit log (mltrack_registry_audit). Semantics are those
 * of MLflow 3.17.2's SqlAlchemyStore for the registry:
 *   - version numbers are max(version) + 1 over every row of the model, soft-deleted ones
 *     included, allocated inside the write transaction that inserts the version;
 *   - deleting a version is a soft delete (stage Deleted_Internal, fields redacted, its
 *     aliases removed, tags kept); deleting a model is a hard, cascading delete;
 *   - a version in Deleted_Internal is invisible to every read.
 * Every function returns 0, or -1 with c->e set to MLflow's code and message. Everything
 * returned is allocated from c->a. Names and versions are validated by the caller (api/ with
 * registry/rules.h); these enforce what needs the database. */
#ifndef MLT_STORE_REGISTRY_H
#define MLT_STORE_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "../query/search_sql.h"
#include "store.h"

struct model_version {
    const char *name;
    int64_t version;
    int64_t creation_time, last_updated_time;
    bool has_last_updated_time;
    const char *description; /* NULL: omitted */
    const char *user_id;
    const char *current_stage;
    const char *source;
    const char *run_id;
    const char *status;
    const char *status_message;
    const char *run_link;
    const char *storage_location; /* internal: where the bytes are */
    struct kv *tags;
    size_t ntags;
    const char **aliases; /* filled where MLflow fills them (get, by-alias, latest) */
    size_t naliases;
};

struct rm_alias {
    const char *alias;
    int64_t version;
};

struct registered_model {
    const char *name;
    int64_t creation_time, last_updated_time;
    bool has_creation_time, has_last_updated_time;
    const char *description;
    struct model_version *latest; /* latest version per stage, without aliases */
    size_t nlatest;
    struct kv *tags;
    size_t ntags;
    struct rm_alias *aliases;
    size_t naliases;
};

/* ---- registered models ---- */
/* RESOURCE_ALREADY_EXISTS ("Registered Model (name=x) already exists.", or the prompt/model
 * clash message) when the name is taken. */
int rm_create(struct sctx *c, const char *name, const char *description, const struct kv *tags,
              size_t ntags, struct registered_model *out);
int rm_get(struct sctx *c, const char *name, struct registered_model *out);
int rm_update(struct sctx *c, const char *name, const char *description,
              struct registered_model *out);
/* Renames the model and every row that names it (versions, tags, aliases, audit events). */
int rm_rename(struct sctx *c, const char *name, const char *new_name,
              struct registered_model *out);
int rm_delete(struct sctx *c, const char *name);
int rm_set_tag(struct sctx *c, const char *name, const char *key, const char *value);
/* A missing tag is not an error (MLflow). */
int rm_delete_tag(struct sctx *c, const char *name, const char *key);
/* Latest version of each of the given canonical stages (all stages when n == 0), aliases
 * filled. */
int rm_latest_versions(struct sctx *c, const char *name, const char *const *stages, size_t n,
                       struct model_version **out, size_t *nout);
int rm_search(struct sctx *c, const struct search_registered_models_q *q,
              struct registered_model **out, size_t *n);
/* True when the model carries mlflow.prompt.is_prompt = 'true' (case-insensitive). */
int rm_is_prompt(struct sctx *c, const char *name, bool *out);

/* ---- model versions ---- */
struct mv_create {
    const char *name;
    const char *source;           /* as the client will see it */
    const char *storage_location; /* where the bytes are (get-download-uri) */
    const char *run_id;           /* "" when none given, as MLflow stores it; NULL: NULL */
    const char *run_link;
    const char *description;
    const struct kv *tags;
    size_t ntags;
    const char *model_id; /* NULL: none; else the logged model gets mlflow.modelVersions */
};
int mv_create(struct sctx *c, const struct mv_create *in, struct model_version *out);
int mv_get(struct sctx *c, const char *name, int64_t version, struct model_version *out);
/* Sets the description; NULL clears it (MLflow passes None when the field is absent). */
int mv_update(struct sctx *c, const char *name, int64_t version, const char *description,
              struct model_version *out);
/* stage is canonical; with archive, every other version in that stage becomes Archived.
 * Each change is written to the audit log, attributed to actor (may be NULL). */
int mv_transition(struct sctx *c, const char *name, int64_t version, const char *stage,
                  bool archive, const char *actor, struct model_version *out);
int mv_delete(struct sctx *c, const char *name, int64_t version, const char *actor);
/* storage_location, or source when that is empty. */
int mv_download_uri(struct sctx *c, const char *name, int64_t version, const char **uri);
int mv_set_tag(struct sctx *c, const char *name, int64_t version, const char *key,
               const char *value);
int mv_delete_tag(struct sctx *c, const char *name, int64_t version, const char *key);
int mv_search(struct sctx *c, const struct search_model_versions_q *q,
              struct model_version **out, size_t *n);

/* ---- aliases ---- */
int alias_set(struct sctx *c, const char *name, const char *alias, int64_t version,
              const char *actor);
int alias_delete(struct sctx *c, const char *name, const char *alias, const char *actor);
/* "latest" (any case) means the highest version; an unknown alias is INVALID_PARAMETER_VALUE
 * ("Registered model alias x not found."). */
int alias_get(struct sctx *c, const char *name, const char *alias, struct model_version *out);

/* ---- lookups for source resolution ---- */
/* The run's artifact_uri; RESOURCE_DOES_NOT_EXIST when there is no such run. */
int reg_run_artifact_uri(struct sctx *c, const char *run_id, const char **uri);
/* A logged model's artifact_location and source_run_id (NULL when none);
 * RESOURCE_DOES_NOT_EXIST when there is no such (active) model. */
int reg_logged_model(struct sctx *c, const char *model_id, const char **artifact_location,
                     const char **source_run_id);

/* ---- audit log (ours) ---- */
struct reg_audit_event {
    int64_t id;
    int64_t timestamp;
    const char *user_id; /* NULL when unknown */
    const char *action;  /* REG_AUDIT_* of registry/rules.h */
    const char *name;
    int64_t version;
    bool has_version;
    const char *alias;
    const char *old_value, *new_value;
};
/* Events of one model (or of all models when name is NULL), oldest first, rows
 * [offset, offset + limit). */
int reg_audit_list(struct sctx *c, const char *name, int64_t offset, int64_t limit,
                   struct reg_audit_event **out, size_t *n);

#endif
