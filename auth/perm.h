/* MLflow's basic-auth permission model (mlflow/server/auth/permissions.py and
 * requirements.py) in plain C: the six levels, what each allows, and how a user's role grants
 * decide a requirement. Pure: no database, no request; the grants come from auth/authdb.h.
 *
 * mltrack runs MLflow's auth with workspaces disabled, so every grant lives in the
 * "default" workspace and an absent grant means default_permission. */
#ifndef MLT_AUTH_PERM_H
#define MLT_AUTH_PERM_H

#include <stdbool.h>
#include <stddef.h>

/* In PERMISSION_PRIORITY order (DENY below everything, so a max never picks it). */
enum perm { PERM_DENY, PERM_NO_PERMISSIONS, PERM_READ, PERM_USE, PERM_EDIT, PERM_MANAGE,
            PERM__COUNT };

/* What an operation needs of the permission that governs it. ACT_NOT_DENIED is MLflow's veto
 * ("not_denied"): satisfied by anything but DENY; ACT_CREATE gates on can_use. */
enum perm_action { ACT_READ, ACT_USE, ACT_UPDATE, ACT_DELETE, ACT_MANAGE, ACT_CREATE,
                   ACT_NOT_DENIED };

/* "READ", ... ; NULL for an out-of-range value. */
const char *perm_name(enum perm p);
/* Parses an exact (case-sensitive, as MLflow) permission name; -1 when unknown. */
int perm_parse(const char *s);
bool perm_allows(enum perm p, enum perm_action a);
/* MLflow's max_permission: the higher of the two in priority order. */
enum perm perm_max(enum perm a, enum perm b);

/* One role_permissions row of a role the user holds. Strings borrowed. */
struct grant {
    const char *resource_type;
    const char *resource_pattern;
    enum perm permission;
};

/* Whether a resource type takes per-id grants (experiment, registered_model, ...) or only
 * "*" (run, logged_model, registered_model_version, ...); false for unknown types. */
bool perm_type_known(const char *type);
bool perm_type_takes_id(const char *type);

/* One requirement: action on (type, id), with an optional fallback key consulted only when
 * the user holds no grant on the requirement's own key (MLflow's fallback_if_no_grant with
 * one rung, all mltrack's routes need). id NULL means "*". The fallback rung needs the same
 * action unless fb_own_action names its own (a Requirement as fallback: deleting traces
 * needs DELETE of a trace-tier grant, but only the experiment's DELETE without one). */
struct perm_req {
    const char *type, *id;
    enum perm_action action;
    const char *fb_type, *fb_id; /* NULL: no fallback */
    bool fb_own_action;
    enum perm_action fb_action;
};

/* A user's grants in the default workspace, and the server's default_permission. */
struct perm_ctx {
    const struct grant *grants;
    size_t n;
    enum perm default_perm;
};

/* Whether one of the grants is the workspace-admin grant (workspace, *, MANAGE), which
 * makes every resolution MANAGE. */
bool perm_is_workspace_admin(const struct perm_ctx *pc);
/* The folded permission of the grants on (type, id): DENY if any matching grant denies, else
 * the highest; -1 when no grant matches (MLflow's None, "silent"). */
int perm_fold(const struct perm_ctx *pc, const char *type, const char *id);
/* The permission that governs r (the tier override of governing_permission): the first rung
 * holding a grant decides, a positive grant floored at default_permission; with no grant,
 * default_permission. *action is set to what that rung must allow (the last rung's action
 * when none holds a grant); action may be NULL. */
enum perm perm_governing(const struct perm_ctx *pc, const struct perm_req *r,
                         enum perm_action *action);
/* Whether every requirement is met (MLflow's authorize). */
bool perm_authorize(const struct perm_ctx *pc, const struct perm_req *reqs, size_t n);
/* The effective permission on one resource, as get_user_permission reports it. */
enum perm perm_effective(const struct perm_ctx *pc, const char *type, const char *id);

#endif
