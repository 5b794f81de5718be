/* Source lineage, validation and storage location of a new model version (resolve.h). */
#include "resolve.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "../base/url.h"
#include "../base/util.h"
#include "rules.h"
#include "source.h"

static bool empty(const char *s)
{
    return !s || !*s;
}

static int bad_source(struct sctx *c, const char *source, const char *why)
{
    return err_set(c->e, ERR_INVALID_PARAMETER_VALUE, "Invalid model version source: '%s'. %s",
                   source, why);
}

/* MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX, as re.search (POSIX ERE here). */
static int check_regex(struct sctx *c, const char *source, const char *rx)
{
    regex_t re;
    if (regcomp(&re, rx, REG_EXTENDED | REG_NOSUB) != 0) {
        log_error("MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX does not compile");
        return err_set(c->e, ERR_INTERNAL_ERROR, "the source validation pattern is invalid");
    }
    int m = regexec(&re, source, 0, NULL, 0);
    regfree(&re);
    if (m != 0)
        return err_set(c->e, ERR_INVALID_PARAMETER_VALUE, "Invalid model version source: '%s'.",
                       source);
    return 0;
}

/* The version a models:/name/... URI refers to (get_model_name_and_version). */
static int referenced_version(struct sctx *c, const struct reg_models_uri *m, int64_t *v)
{
    if (m->version)
        return reg_parse_version(c->e, m->version, v);
    if (m->alias) {
        struct model_version mv;
        if (alias_get(c, m->name, m->alias, &mv) != 0)
            return -1;
        *v = mv.version;
        return 0;
    }
    const char *stage = NULL;
    if (m->stage && reg_stage_check(c->e, m->stage, &stage) != 0)
        return -1;
    struct model_version *lv;
    size_t n;
    if (rm_latest_versions(c, m->name, stage ? &stage : NULL, stage ? 1 : 0, &lv, &n) != 0)
        return -1;
    if (n == 0) {
        if (stage)
            return err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                           "No versions of model with name '%s' and stage '%s' found", m->name,
                           m->stage);
        return err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                       "No versions of model with name '%s' found", m->name);
    }
    *v = lv[0].version;
    for (size_t i = 1; i < n; i++)
        if (lv[i].version > *v)
            *v = lv[i].version;
    return 0;
}

/* _resolve_registered_model_source_lineage: models:/<name>/... becomes models:/<name>/<v>,
 * with run_id (and model_id) taken from that version unless the request gave them. */
static int resolve_lineage(struct sctx *c, const struct reg_source_in *in,
                           struct reg_source_out *out)
{
    struct reg_uri u;
    reg_uri_split(c->a, out->source, &u);
    if (strcmp(u.scheme, "models") != 0)
        return 0;
    if (*u.netloc)
        return bad_source(c, out->source,
                          "Registered model sources must use the active model registry.");
    struct reg_models_uri m;
    if (reg_parse_models_uri(c->a, out->source, &m, c->e) != 0)
        return -1;
    if (m.model_id)
        return 0;
    struct registered_model rm;
    bool prompt;
    if (rm_get(c, m.name, &rm) != 0 || rm_is_prompt(c, m.name, &prompt) != 0)
        return -1;
    if (prompt)
        return bad_source(c, out->source,
                          "Prompt versions cannot be used as model version sources.");
    int64_t v;
    struct model_version src;
    if (referenced_version(c, &m, &v) != 0 || mv_get(c, m.name, v, &src) != 0)
        return -1;
    if ((in->has_run_id && strcmp(in->run_id ? in->run_id : "", src.run_id ? src.run_id : "")) ||
        (in->has_model_id && !empty(in->model_id)))
        return bad_source(c, out->source,
                          "The run_id and model_id request parameters must match the referenced "
                          "model version.");
    out->source = arena_printf(c->a, "models:/%s/%lld", m.name, (long long)v);
    out->storage_location = src.storage_location && *src.storage_location ? src.storage_location
                                                                           : src.source;
    if (!in->has_run_id)
        out->run_id = src.run_id;
    return 0;
}

/* A local source must lie inside the local artifact directory of the run (or logged model)
 * that the request names. */
static int check_local(struct sctx *c, const char *source, const char *id, bool by_model)
{
    const char *shown = source;
    if (!empty(id)) {
        const char *root, *ignored;
        int rc = by_model ? reg_logged_model(c, id, &root, &ignored)
                          : reg_run_artifact_uri(c, id, &root);
        if (rc != 0) {
            if (c->e->code == ERR_RESOURCE_DOES_NOT_EXIST)
                return reg_source_err_id(c->e, source, by_model ? "model_id" : "run_id");
            return -1;
        }
        const char *path = reg_path_resolve(c->a, reg_local_path(c->a, source));
        shown = path;
        bool root_local = false;
        if (reg_source_is_local(c->a, root, &root_local, c->e) != 0)
            return -1;
        if (root_local &&
            reg_path_within(reg_path_resolve(c->a, reg_local_path(c->a, root)), path))
            return 0;
    }
    return err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                   "Invalid model version source: '%s'. To use a local path as a model version "
                   "source, the %s request parameter has to be specified and the local path has "
                   "to be contained within the artifact directory of the run specified by the "
                   "%s.",
                   shown, by_model ? "model_id" : "run_id", by_model ? "model_id" : "run_id");
}

/* An mlflow-artifacts source must lie under the run's (or logged model's) artifact root. */
static int check_artifacts_root(struct sctx *c, const char *source, const char *id,
                                bool by_model)
{
    const char *kind = by_model ? "model_id" : "run_id";
    if (empty(id))
        return reg_source_err_id(c->e, source, kind);
    const char *root, *ignored;
    int rc = by_model ? reg_logged_model(c, id, &root, &ignored)
                      : reg_run_artifact_uri(c, id, &root);
    if (rc != 0)
        return c->e->code == ERR_RESOURCE_DOES_NOT_EXIST ? reg_source_err_id(c->e, source, kind)
                                                          : -1;
    if (reg_uri_within_root(c->a, source, root))
        return 0;
    return reg_source_err_id(c->e, source, kind);
}

/* _validate_source_run (by_model false) and _validate_source_model (by_model true). */
static int validate(struct sctx *c, const char *source, const char *id, bool by_model)
{
    bool local;
    if (reg_source_is_local(c->a, source, &local, c->e) != 0)
        return -1;
    if (local)
        return check_local(c, source, id, by_model);
    if (reg_source_check_relative(c->a, source, c->e) != 0)
        return -1;
    struct reg_uri u;
    reg_uri_split(c->a, source, &u);
    if (strcmp(u.scheme, "runs") == 0) {
        const char *rid, *path;
        if (by_model || *u.netloc)
            return reg_source_err_id(c->e, source, by_model ? "model_id" : "run_id");
        if (reg_parse_runs_uri(c->a, source, &rid, &path, c->e) != 0)
            return -1;
        if (!empty(id) && strcmp(rid, id) == 0)
            return 0;
        return reg_source_err_id(c->e, source, "run_id");
    }
    if (strcmp(u.scheme, "models") == 0) {
        struct reg_models_uri m;
        if (*u.netloc || reg_parse_models_uri(c->a, source, &m, c->e) != 0)
            return reg_source_err_id(c->e, source, "model_id");
        if (m.model_id) {
            if (by_model && strcmp(m.model_id, id) == 0)
                return 0;
            return reg_source_err_id(c->e, source, "model_id");
        }
    }
    if (reg_source_is_mlflow_artifacts(c->a, source))
        return check_artifacts_root(c, source, id, by_model);
    return 0;
}

/* The store's part: where the bytes of the new version are. */
static int storage_location(struct sctx *c, struct reg_source_out *out)
{
    struct reg_uri u;
    reg_uri_split(c->a, out->source, &u);
    if (strcmp(u.scheme, "models") == 0) {
        struct reg_models_uri m;
        if (reg_parse_models_uri(c->a, out->source, &m, c->e) != 0)
            return -1;
        if (m.model_id) {
            const char *loc, *src_run;
            if (reg_logged_model(c, m.model_id, &loc, &src_run) != 0)
                return -1;
            out->storage_location = loc;
            if (empty(out->run_id))
                out->run_id = src_run;
        }
        return 0;
    }
    if (strcmp(u.scheme, "runs") == 0) {
        const char *rid, *path, *root;
        if (reg_parse_runs_uri(c->a, out->source, &rid, &path, c->e) != 0)
            return -1;
        if (reg_run_artifact_uri(c, rid, &root) != 0) {
            /* A run of another tracking server: MLflow keeps the runs:/ URI for the client
             * to resolve, and so do we. */
            if (c->e->code != ERR_RESOURCE_DOES_NOT_EXIST)
                return -1;
            err_clear(c->e);
            return 0;
        }
        out->storage_location = *path ? uri_join(c->a, root, path) : root;
        return 0;
    }
    return 0;
}

int reg_resolve_source(struct sctx *c, const struct reg_source_in *in,
                       struct reg_source_out *out)
{
    memset(out, 0, sizeof *out);
    out->source = in->source;
    out->run_id = in->run_id ? in->run_id : "";
    out->model_id = empty(in->model_id) ? NULL : in->model_id;
    if (!empty(in->source_regex) && check_regex(c, in->source, in->source_regex) != 0)
        return -1;
    if (in->is_prompt && strcmp(in->source, "dummy-source") != 0 &&
        strcmp(in->source, "prompt-template") != 0)
        return err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid prompt source: '%s'. Prompt sources must use an MLflow "
                       "placeholder.",
                       in->source);
    if (reg_source_check_host(c->a, in->source, in->trusted_root, in->allow_schemes, "source",
                              c->e) != 0)
        return -1;
    if (!in->is_prompt) {
        if (resolve_lineage(c, in, out) != 0)
            return -1;
        bool by_model = out->model_id != NULL;
        if (validate(c, out->source, by_model ? out->model_id : out->run_id, by_model) != 0)
            return -1;
    }
    if (!out->storage_location && storage_location(c, out) != 0)
        return -1;
    if (empty(out->run_id) && out->model_id) {
        const char *loc, *src_run;
        if (reg_logged_model(c, out->model_id, &loc, &src_run) != 0)
            return -1;
        out->run_id = src_run;
    }
    if (!out->storage_location)
        out->storage_location = out->source;
    if (in->is_prompt)
        out->model_id = NULL;
    return 0;
}
