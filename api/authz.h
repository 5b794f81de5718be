/* Access control for the routes (api/authz.c): the gate every request passes when the
 * server runs MLflow's basic-auth app, and what handlers ask of it (filters for searches,
 * the creator's MANAGE). With auth off every function allows everything. */
#ifndef MLT_API_AUTHZ_H
#define MLT_API_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../auth/authdb.h"
#include "../auth/perm.h"
#include "../query/search_sql.h"
#include "route.h"

/* The authenticated caller of one request, from the request arena. */
struct az {
    struct auth_user user;
    struct perm_ctx pc; /* the user's grants and default_permission */
    bool admin;         /* users.is_admin */
    const char *password; /* as given, for update-password's checks; borrowed */
    size_t password_len;
};

/* Who is asking, first of all (as MLflow's before_request, ahead of any check of the
 * request itself): 0 with c->az set (or nothing to do: auth off, an open route), or -1 with
 * the answer in c->out (401 with WWW-Authenticate, 429 with Retry-After, or an error). */
int authz_authenticate(struct ctx *c, const struct route *rt);
/* Whether the authenticated caller may do what rt does, once the body is parsed: 0 to run
 * the handler, or -1 with 403 "Permission denied" (or an error) in c->out. */
int authz_gate(struct ctx *c, const struct route *rt);
/* Whether rt has a rule (tests: every mounted route must). */
bool authz_has_rule(const struct route *rt);

/* Whether the caller bypasses every rule (auth off, an admin, a workspace admin). */
bool authz_is_admin(const struct ctx *c);
/* READ on one resource, by the point route's rule. type "run_experiment": the runs of
 * experiment id (search_runs); "logged_model_experiment": its logged models. */
bool authz_can_read(struct ctx *c, const char *type, const char *id);
/* The rows of type ("experiment", "registered_model", or "registered_model_version" for
 * model versions by model name) the caller may read, as a SQL restriction; NULL: all. */
const struct search_acl *authz_acl(struct ctx *c, const char *type);
/* What a trace reply leaves out for the caller, as MLflow's response filters withhold it:
 * the metadata naming the source run or the logged model when the caller's tier of that
 * kind is denied, and the assessments when their tier does not let the caller read those of
 * the trace's experiment. Bits; 0 for admins and with auth off. */
enum { AZ_HIDE_SOURCE_RUN = 1, AZ_HIDE_MODEL_ID = 2, AZ_HIDE_ASSESSMENTS = 4 };
unsigned authz_trace_hidden(struct ctx *c, int64_t experiment_id);
/* MANAGE for the caller on a resource it has just created (MLflow's after_request). */
void authz_created(struct ctx *c, const char *type, const char *id);
/* A registered model deleted or renamed: its per-user grants follow. */
void authz_resource_gone(struct ctx *c, const char *type, const char *id);
void authz_resource_renamed(struct ctx *c, const char *type, const char *from, const char *to);

#endif
