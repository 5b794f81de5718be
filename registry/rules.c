/* Registry rules: stages, names, versions, aliases (see rules.h). */
#include "rules.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!py_isspace(*s))
            return false;
    return true;
}

int reg_check_model_name(struct err *e, const char *name, const char *field)
{
    if (!name || blank(name))
        return err_missing(e, field, false);
    if (strchr(name, '/') || strchr(name, ':'))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid model name '%s'. Names cannot contain '/' or ':'.", name);
    /* path_not_unique() of a name without '/': normpath changes only "." and "..", and any
     * name starting with ".." is refused. */
    if (strcmp(name, ".") == 0 || strncmp(name, "..", 2) == 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value \"%s\" for parameter '%s' supplied: Names may be treated as "
                       "files in certain cases, and must not resolve to other names when treated "
                       "as such. This name would resolve to '%s'",
                       name, field, strcmp(name, ".") == 0 ? "." : name);
    return 0;
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

static bool word_char(unsigned char c)
{
    /* Python's \w is Unicode-aware: accept any non-ASCII byte, as api/validate.c does. */
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

int reg_check_alias(struct err *e, const char *alias)
{
    if (!alias || !*alias)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Registered model alias name cannot be empty.");
    for (const unsigned char *p = (const unsigned char *)alias; *p; p++)
        if (!word_char(*p) && *p != '-')
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid alias name: '%s'. Names may only contain alphanumerics, "
                           "underscores (_), and dashes (-).",
                           alias);
    if (strlen(alias) > 255)
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
    if ((alias[0] == 'v' || alias[0] == 'V') && alias[1]) {
        const char *p = alias + 1;
        while (*p >= '0' && *p <= '9')
            p++;
        if (!*p)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Version alias name '%s' is reserved.", alias);
    }
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
