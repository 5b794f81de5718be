/* MLflow's input validation (mlflow/utils/validation.py), with its messages: names of
 * metrics, params and tags, length limits with optional truncation, experiment names and
 * artifact locations, run ids. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/util.h"
#include "api.h"

static bool name_chars_ok(const char *s)
{
    /* ^[/\w.\- :]*$ where \w is Unicode-aware in Python: accept any non-ASCII byte. */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if (ch >= 0x80)
            continue;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
            continue;
        if (ch == '_' || ch == '/' || ch == '.' || ch == '-' || ch == ' ' || ch == ':')
            continue;
        return false;
    }
    return true;
}

/* posixpath.normpath(name) != name, or it is ".", or starts with ".." or "/". */
static bool path_not_unique(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || s[0] == '/')
        return true;
    if (s[n - 1] == '/')
        return true;
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

static int bad_name(struct err *e, const char *name, const char *path)
{
    if (!name_chars_ok(name))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value \"%s\" for parameter '%s' supplied: Names may only contain "
                       "alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), "
                       "colon(:) and slashes (/).",
                       name, path);
    if (path_not_unique(name))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value \"%s\" for parameter '%s' supplied: Names may be treated "
                       "as files in certain cases, and must not resolve to other names when "
                       "treated as such.",
                       name, path);
    return 0;
}

int v_param_name(struct err *e, const char *name, const char *path)
{
    if (!name)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value \"\" for parameter '%s' supplied: A key name must be "
                       "provided.",
                       path);
    return bad_name(e, name, path);
}

int v_metric_name(struct err *e, const char *name, const char *path)
{
    if (!name)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value null for parameter '%s' supplied: Metric name cannot be "
                       "None. A key name must be provided.",
                       path);
    return bad_name(e, name, path);
}

int v_tag_name(struct err *e, const char *name, const char *path)
{
    if (!name)
        return err_missing(e, path, false);
    return bad_name(e, name, path);
}

/* Python's len() counts code points; count UTF-8 lead bytes. */
static size_t utf8_len(const char *s, size_t *cut_at, size_t limit)
{
    size_t cps = 0, i = 0;
    *cut_at = (size_t)-1;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (cps == limit)
                *cut_at = i;
            cps++;
        }
    }
    return cps;
}

static bool truncation_enabled(void)
{
    const char *v = getenv("MLFLOW_TRUNCATE_LONG_VALUES");
    return !v || !(strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0);
}

int v_length(struct err *e, struct arena *a, const char *what, size_t limit, const char **v,
             bool truncate)
{
    if (!*v)
        return 0;
    size_t cut;
    if (utf8_len(*v, &cut, limit) <= limit)
        return 0;
    if (truncate && truncation_enabled()) {
        log_warn("%s '%.100s...' is truncated to %zu characters to meet the length limit.",
                 what, *v, limit);
        *v = arena_strndup(a, *v, cut);
        return 0;
    }
    return err_set(e, ERR_INVALID_PARAMETER_VALUE, "'%s' exceeds the maximum length of %zu "
                   "characters", what, limit);
}

int v_experiment_name(struct err *e, const char *name)
{
    if (!name || !*name)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid experiment name: '%s'",
                       name ? name : "");
    size_t cut;
    if (utf8_len(name, &cut, 500) > 500)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "'name' exceeds the maximum length of 500 characters");
    return 0;
}

int v_artifact_location(struct err *e, const char *loc)
{
    if (!loc || !*loc)
        return 0;
    if (strncmp(loc, "runs:", 5) == 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Artifact location cannot be a runs:/ URI. Given: '%s'", loc);
    if (strchr(loc, '#') || strchr(loc, ';'))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "'artifact_location' URL can't include fragments or params.");
    /* ".." in a query string could be resolved as part of the path (MLflow's
     * validate_query_string; "%2e%2e" is caught too, as MLflow decodes until stable). */
    const char *q = strchr(loc, '?');
    if (q && (strstr(q, "..") || strcasestr(q, "%2e") || strcasestr(q, "%252e")))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid query string");
    size_t cut;
    if (utf8_len(loc, &cut, 2048) > 2048)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid artifact location length: exceeds the maximum of 2048 "
                       "characters.");
    return 0;
}

int v_run_id(struct err *e, const char *run_id, const char *path)
{
    /* ^[a-zA-Z0-9][\w\-]{0,255}$ */
    size_t n = strlen(run_id);
    bool ok = n >= 1 && n <= 256;
    for (size_t i = 0; ok && i < n; i++) {
        char ch = run_id[i];
        bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9');
        ok = alnum || (i > 0 && (ch == '_' || ch == '-'));
    }
    if (!ok)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value \"%s\" for parameter '%s' supplied.", run_id, path);
    return 0;
}
