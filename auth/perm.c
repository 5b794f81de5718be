/* The permission rules of MLflow's basic-auth app (see perm.h). */
#include "perm.h"

#include <string.h>

static const char *const names[PERM__COUNT] = {
    [PERM_DENY] = "DENY", [PERM_NO_PERMISSIONS] = "NO_PERMISSIONS", [PERM_READ] = "READ",
    [PERM_USE] = "USE",   [PERM_EDIT] = "EDIT",                     [PERM_MANAGE] = "MANAGE",
};

const char *perm_name(enum perm p)
{
    return (unsigned)p < PERM__COUNT ? names[p] : NULL;
}

int perm_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < PERM__COUNT; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

bool perm_allows(enum perm p, enum perm_action a)
{
    switch (a) {
    case ACT_NOT_DENIED:
        return p != PERM_DENY;
    case ACT_READ:
        return p >= PERM_READ;
    case ACT_USE:
    case ACT_CREATE:
        return p >= PERM_USE;
    case ACT_UPDATE:
        return p >= PERM_EDIT;
    case ACT_DELETE:
    case ACT_MANAGE:
        return p >= PERM_MANAGE;
    }
    return false;
}

enum perm perm_max(enum perm a, enum perm b)
{
    return a >= b ? a : b;
}

/* permissions.py TYPE: which grain each resource type's grants may take. */
static const struct {
    const char *name;
    bool takes_id;
} types[] = {
    {"workspace", false},        {"experiment", true},
    {"registered_model", true},  {"prompt", true},
    {"scorer", true},            {"gateway_secret", true},
    {"gateway_endpoint", true},  {"gateway_model_definition", true},
    {"mcp_server", true},        {"run", false},
    {"trace", false},            {"assessment", false},
    {"logged_model", false},     {"review_queue", false},
    {"registered_model_version", false}, {"prompt_version", false},
    {"scorer_version", false},   {"mcp_server_version", false},
};

static int type_index(const char *t)
{
    if (!t)
        return -1;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strcmp(types[i].name, t) == 0)
            return (int)i;
    return -1;
}

bool perm_type_known(const char *type)
{
    return type_index(type) >= 0;
}

bool perm_type_takes_id(const char *type)
{
    int i = type_index(type);
    return i >= 0 && types[i].takes_id;
}

/* permissions.matches: "*" matches any id; an exact id only on a type that takes ids. */
static bool matches(const char *pattern, const char *type, const char *id)
{
    int t = type_index(type);
    if (t < 0)
        return false;
    if (strcmp(pattern, "*") == 0)
        return true;
    return types[t].takes_id && id && strcmp(pattern, id) == 0;
}

bool perm_is_workspace_admin(const struct perm_ctx *pc)
{
    for (size_t i = 0; i < pc->n; i++)
        if (strcmp(pc->grants[i].resource_type, "workspace") == 0 &&
            strcmp(pc->grants[i].resource_pattern, "*") == 0 &&
            pc->grants[i].permission == PERM_MANAGE)
            return true;
    return false;
}

int perm_fold(const struct perm_ctx *pc, const char *type, const char *id)
{
    bool denied = false;
    int best = -1;
    for (size_t i = 0; i < pc->n; i++) {
        const struct grant *g = &pc->grants[i];
        if (strcmp(g->resource_type, type) != 0 || !matches(g->resource_pattern, type, id))
            continue;
        if (g->permission == PERM_DENY)
            denied = true;
        else if (best < 0 || (int)g->permission > best)
            best = (int)g->permission;
    }
    return denied ? (int)PERM_DENY : best;
}

/* floor_positive_permission: DENY and NO_PERMISSIONS stay; anything else rises to the
 * default. */
static enum perm floor_positive(enum perm p, enum perm dflt)
{
    if (p == PERM_DENY || p == PERM_NO_PERMISSIONS)
        return p;
    return perm_max(p, dflt);
}

enum perm perm_governing(const struct perm_ctx *pc, const struct perm_req *r,
                         enum perm_action *action)
{
    enum perm_action fb = r->fb_own_action ? r->fb_action : r->action, dummy;
    if (!action)
        action = &dummy;
    *action = r->fb_type ? fb : r->action;
    if (perm_is_workspace_admin(pc))
        return PERM_MANAGE;
    int f = perm_fold(pc, r->type, r->id ? r->id : "*");
    if (f >= 0)
        *action = r->action;
    else if (r->fb_type)
        f = perm_fold(pc, r->fb_type, r->fb_id ? r->fb_id : "*");
    if (f >= 0)
        return f == PERM_DENY ? PERM_DENY : floor_positive((enum perm)f, pc->default_perm);
    return floor_positive(pc->default_perm, pc->default_perm);
}

bool perm_authorize(const struct perm_ctx *pc, const struct perm_req *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        enum perm_action a;
        enum perm p = perm_governing(pc, &reqs[i], &a); /* sets a */
        if (!perm_allows(p, a))
            return false;
    }
    return true;
}

enum perm perm_effective(const struct perm_ctx *pc, const char *type, const char *id)
{
    struct perm_req r = {.type = type, .id = id, .action = ACT_READ};
    return perm_governing(pc, &r, NULL);
}
