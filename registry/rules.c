/* Registry rules: stages, names, versions, aliases (see rules.h). */
#include "rules.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/pystr.h"
#include "../base/utf8.h"
#include "../base/util.h"

const char *const reg_stages[REG_NSTAGES] = {REG_STAGE_NONE, REG_STAGE_STAGING,
                                             REG_STAGE_PRODUCTION, REG_STAGE_ARCHIVED};

const char *reg_stage_canonical(const char *stage)
{
    if (!stage)
        return NULL;
    for (int i = 0; i < REG_NSTAGES; i++)
        if (strcasecmp(stage, reg_stages[i]) == 0)
            return reg_stages[i];
    return NULL;
}

int reg_stage_check(struct err *e, const char *stage, const char **canonical)
{
    *canonical = reg_stage_canonical(stage);
    if (!*canonical)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid Model Version stage: %s. Value must be one of None, Staging, "
                       "Production, Archived.",
                       stage ? stage : "");
    return 0;
}

bool reg_stage_is_active(const char *canonical)
{
    return canonical && (strcmp(canonical, REG_STAGE_STAGING) == 0 ||
                         strcmp(canonical, REG_STAGE_PRODUCTION) == 0);
}

static bool py_isspace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int reg_check_model_name(struct err *e, const char *name, const char *field)
{
    if (!name || py_blank(name))
        return err_missing(e, field, false);
    if (strchr(name, '/') || strchr(name, ':'))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid model name '%s'. Names cannot contain '/' or ':'.", name);
    struct arena a;
    arena_init(&a);
    int rc = 0;
    /* MLflow names the parameter 'name' here also for a rename's new_name. */
    if (py_path_not_unique(&a, name))
        rc = err_set(e, ERR_INVALID_PARAMETER_VALUE,
                     "Invalid value %s for parameter 'name' supplied: Names may be treated as "
                     "files in certain cases, and must not resolve to other names when treated "
                     "as such. This name would resolve to %s",
                     py_json_str(&a, name), py_repr(&a, py_normpath(&a, name)));
    arena_release(&a);
    return rc;
}

int reg_parse_version(struct err *e, const char *s, int64_t *out)
{
    const char *p = s ? s : "";
    size_t n = strlen(p);
    while (n && py_isspace(p[n - 1]))
        n--;
    while (n && py_isspace(*p)) {
        p++;
        n--;
    }
    const char *digits = p;
    size_t dn = n;
    if (dn && *digits == '+') {
        digits++;
        dn--;
    }
    if (dn == 0 || dn > 18 || !parse_i64(p[0] == '+' ? digits : p, p[0] == '+' ? dn : n, out))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Parameter 'version' must be an integer, got '%s'.", s ? s : "");
    return 0;
}

int reg_check_alias(struct err *e, const char *alias)
{
    if (!alias || !*alias)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Registered model alias name cannot be empty.");
    /* ^[\w\-]*$ with Python's Unicode \w (and '$' before a final newline). */
    if (!utf8_py_word_match(alias, "-"))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid alias name: '%s'. Names may only contain alphanumerics, "
                       "underscores (_), and dashes (-).",
                       alias);
    size_t cut;
    if (utf8_len(alias, 255, &cut) > 255)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "'Registered model alias name' exceeds the maximum length of 255 "
                       "characters");
    return 0;
}

int reg_check_alias_reserved(struct err *e, const char *alias)
{
    if (strcasecmp(alias, "latest") == 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "'latest' alias name (case insensitive) is reserved.");
    /* ^[vV]\d+$: Unicode decimal digits, and '$' matches before a final newline. */
    if (alias[0] != 'v' && alias[0] != 'V')
        return 0;
    size_t n = strlen(alias), i = 1, digits = 0;
    if (n > 1 && alias[n - 1] == '\n')
        n--;
    uint32_t cp;
    int k;
    while (i < n && (k = utf8_next(alias + i, n - i, &cp)) > 0 && utf8_is_decimal(cp)) {
        i += (size_t)k;
        digits++;
    }
    if (digits > 0 && i == n)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Version alias name '%s' is reserved.",
                       alias);
    return 0;
}

const char *reg_audit_actor(const char *remote_user, const char *request_user,
                            const char *version_user)
{
    if (remote_user && *remote_user)
        return remote_user;
    if (request_user && *request_user)
        return request_user;
    if (version_user && *version_user)
        return version_user;
    return NULL;
}
