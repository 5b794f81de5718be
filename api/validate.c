/* MLflow's input validation (mlflow/utils/validation.py), with its messages: names of
 * metrics, params and tags, length limits with optional truncation, experiment names and
 * artifact locations, run ids. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/pystr.h"
#include "../base/utf8.h"
#include "../base/util.h"
#include "api.h"

/* _validate_param_name / _validate_metric_name / _validate_tag_name past the None check:
 * re.match(r"^[/\w.\- :]*$") with Python's Unicode \w (so combining marks, emoji,
 * zero-width and bidirectional controls are refused, and one final newline is not), then
 * path_not_unique(), with MLflow's messages. */
static int bad_name(struct err *e, const char *name, const char *path)
{
    struct arena a;
    arena_init(&a);
    int rc = 0;
    if (!utf8_py_word_match(name, "/.- :"))
        rc = err_set(e, ERR_INVALID_PARAMETER_VALUE,
                     "Invalid value %s for parameter '%s' supplied: Names may only contain "
                     "alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), "
                     "colon(:) and slashes (/).",
                     py_json_str(&a, name), path);
    else if (py_path_not_unique(&a, name))
        rc = err_set(e, ERR_INVALID_PARAMETER_VALUE,
                     "Invalid value %s for parameter '%s' supplied: Names may be treated as "
                     "files in certain cases, and must not resolve to other names when treated "
                     "as such. This name would resolve to %s",
                     py_json_str(&a, name), path, py_repr(&a, py_normpath(&a, name)));
    arena_release(&a);
    return rc;
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
    if (utf8_len(*v, limit, &cut) <= limit)
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
    if (utf8_len(name, 500, &cut) > 500)
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
    if (utf8_len(loc, 2048, &cut) > 2048)
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
    if (ok)
        return 0;
    struct arena a;
    arena_init(&a);
    err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid value %s for parameter '%s' supplied.",
            py_json_str(&a, run_id), path);
    arena_release(&a);
    return -1;
}
