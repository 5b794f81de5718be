/* What the registry's reads (registry_read.c) lend its writes (registry_write.c); inside
 * store/ only. All run inside the caller's transaction. */
#ifndef MLT_STORE_REGISTRY_INTERNAL_H
#define MLT_STORE_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "registry.h"

#define STAGE_DELETED "Deleted_Internal"
#define STAGE_ARCHIVED "Archived"
#define IS_PROMPT_KEY "mlflow.prompt.is_prompt"

/* RESOURCE_DOES_NOT_EXIST "Registered Model with name=... not found". */
int rm_not_found(struct sctx *c, const char *name);
/* 0 when the registered model exists, else rm_not_found (or a database error). */
int rm_exists(struct sctx *c, const char *name);
/* The registered model with its tags, aliases and latest version per stage. */
int rm_load(struct sctx *c, const char *name, struct registered_model *out);
/* Whether the model carries mlflow.prompt.is_prompt = 'true'. */
int prompt_flag(struct sctx *c, const char *name, bool *out);
/* A visible (not soft-deleted) version with its tags (and aliases when asked); 404 when
 * there is none. */
int mv_read(struct sctx *c, const char *name, int64_t version, struct model_version *out,
            bool with_aliases);

/* The version an alias points at: 0 with *found set accordingly. */
int alias_version(struct sctx *c, const char *name, const char *alias, int64_t *v,
                  bool *found);

/* ---- webhook events (registry_hooks.c): queued in the caller's write transaction ---- */
int hook_rm_created(struct sctx *c, const char *name, const char *description,
                    const struct kv *tags, size_t ntags);
int hook_mv_created(struct sctx *c, const struct mv_create *in, int64_t version);
/* set: tag set (value), else deleted. */
int hook_rm_tag(struct sctx *c, const char *name, const char *key, const char *value,
                bool set);
int hook_mv_tag(struct sctx *c, const char *name, int64_t version, const char *key,
                const char *value, bool set);
/* version: the alias was set to it; NULL: the alias was deleted. */
int hook_alias(struct sctx *c, const char *name, const char *alias, const int64_t *version);

#endif
