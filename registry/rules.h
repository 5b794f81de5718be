/* Model registry rules as plain C (mlflow/utils/validation.py and model_version_stages.py):
 * stages and their canonical spelling, model names, version numbers, alias names, and the
 * audit actions. No JSON, no HTTP, no SQL. Every checking function returns 0, or -1 with e
 * set to INVALID_PARAMETER_VALUE and MLflow's message. */
#ifndef MLT_REGISTRY_RULES_H
#define MLT_REGISTRY_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/err.h"

#define REG_STAGE_NONE "None"
#define REG_STAGE_STAGING "Staging"
#define REG_STAGE_PRODUCTION "Production"
#define REG_STAGE_ARCHIVED "Archived"
/* The hidden stage of a soft-deleted version; never accepted from, or shown to, a client. */
#define REG_STAGE_DELETED "Deleted_Internal"

enum { REG_NSTAGES = 4 };
/* None, Staging, Production, Archived: MLflow's ALL_STAGES order. */
extern const char *const reg_stages[REG_NSTAGES];

/* The canonical spelling of stage (case-insensitive match), a static string; NULL when it is
 * not one of the four. */
const char *reg_stage_canonical(const char *stage);
/* As reg_stage_canonical, with MLflow's "Invalid Model Version stage: ..." on failure. */
int reg_stage_check(struct err *e, const char *stage, const char **canonical);
/* Staging or Production: the stages archive_existing_versions may be used with. */
bool reg_stage_is_active(const char *canonical);

/* _validate_model_name: not blank, no '/' or ':', not "." or starting with "..". field is
 * the parameter name used in messages ("name" or "new_name"). */
int reg_check_model_name(struct err *e, const char *name, const char *field);
/* _validate_model_version: Python's int() of the string (spaces and a sign allowed). */
int reg_parse_version(struct err *e, const char *s, int64_t *out);
/* _validate_model_alias_name: non-empty, ^[\w\-]*$, at most 255 characters. */
int reg_check_alias(struct err *e, const char *alias);
/* _validate_model_alias_name_reserved: not "latest" (any case), not v<digits>. */
int reg_check_alias_reserved(struct err *e, const char *alias);

/* Audit actions recorded in mltrack_registry_audit. */
#define REG_AUDIT_TRANSITION "transition_stage"
#define REG_AUDIT_SET_ALIAS "set_alias"
#define REG_AUDIT_DELETE_ALIAS "delete_alias"

/* Who an audit event is attributed to: the authenticated identity when there is one, else
 * the user_id the client sent, else the version's user_id; NULL when none is known. */
const char *reg_audit_actor(const char *remote_user, const char *request_user,
                            const char *version_user);

#endif
