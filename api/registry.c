/* Model registry endpoints (ModelRegistryService, reference §2.3): registered models, model
 * versions, tags, aliases, stages and searches, with MLflow 3.17.2's validation order and
 * messages; and our audit log under /api/2.0/mltrack/registry/audit. The rules live in
 * registry/, the SQL in store/registry.c. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../registry/resolve.h"
#include "../registry/rules.h"
#include "../query/filter.h"
#include "../store/registry.h"
#include "api.h"
#include "page_token.h"

enum {
    RM_SEARCH_DEFAULT = 100,
    RM_SEARCH_MAX = 1000,
    MV_SEARCH_DEFAULT = 200000, /* the proto default */
    MV_SEARCH_MAX = 200000,
    AUDIT_DEFAULT = 100,
    AUDIT_MAX = 1000,
    REG_TAG_KEY_MAX = 250,
    REG_TAG_VALUE_MAX = 100000,
};

/* ---- serializers ---- */

static void put_model_version(struct jw *w, const struct model_version *mv)
{
    jw_obj(w);
    jw_kstr(w, "name", mv->name);
    jw_kid(w, "version", mv->version);
    jw_kint(w, "creation_timestamp", mv->creation_time);
    if (mv->has_last_updated_time)
        jw_kint(w, "last_updated_timestamp", mv->last_updated_time);
    if (mv->user_id)
        jw_kstr(w, "user_id", mv->user_id);
    if (mv->current_stage)
        jw_kstr(w, "current_stage", mv->current_stage);
    if (mv->description)
        jw_kstr(w, "description", mv->description);
    if (mv->source)
        jw_kstr(w, "source", mv->source);
    if (mv->run_id)
        jw_kstr(w, "run_id", mv->run_id);
    if (mv->status)
        jw_kstr(w, "status", mv->status);
    if (mv->status_message && *mv->status_message)
        jw_kstr(w, "status_message", mv->status_message);
    put_kvs(w, "tags", mv->tags, mv->ntags);
    if (mv->run_link)
        jw_kstr(w, "run_link", mv->run_link);
    if (mv->naliases) {
        jw_key(w, "aliases");
        jw_arr(w);
        for (size_t i = 0; i < mv->naliases; i++)
            jw_str(w, mv->aliases[i]);
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

static void put_registered_model(struct jw *w, const struct registered_model *rm)
{
    jw_obj(w);
    jw_kstr(w, "name", rm->name);
    if (rm->has_creation_time)
        jw_kint(w, "creation_timestamp", rm->creation_time);
    if (rm->has_last_updated_time && rm->last_updated_time)
        jw_kint(w, "last_updated_timestamp", rm->last_updated_time);
    if (rm->description && *rm->description)
        jw_kstr(w, "description", rm->description);
    if (rm->nlatest) {
        jw_key(w, "latest_versions");
        jw_arr(w);
        for (size_t i = 0; i < rm->nlatest; i++)
            put_model_version(w, &rm->latest[i]);
        jw_arr_end(w);
    }
    put_kvs(w, "tags", rm->tags, rm->ntags);
    if (rm->naliases) {
        jw_key(w, "aliases");
        jw_arr(w);
        for (size_t i = 0; i < rm->naliases; i++) {
            jw_obj(w);
            jw_kstr(w, "alias", rm->aliases[i].alias);
            jw_kid(w, "version", rm->aliases[i].version);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

static void put_rm_item(struct jw *w, const void *item)
{
    put_registered_model(w, (const struct registered_model *)item);
}

static void put_mv_item(struct jw *w, const void *item)
{
    put_model_version(w, (const struct model_version *)item);
}

static int reply_rm(struct ctx *c, const struct registered_model *rm)
{
    return reply_item(c, "registered_model", put_rm_item, rm);
}

static int reply_mv(struct ctx *c, const struct model_version *mv)
{
    return reply_item(c, "model_version", put_mv_item, mv);
}

/* ---- request helpers ---- */

/* A required model name, checked as MLflow's store does. */
static int read_name(struct ctx *c, const char *field, const char **out)
{
    return in_str_req(&c->in, field, out) != 0 ? -1
                                               : reg_check_model_name(&c->e, *out, "name");
}

static int read_version(struct ctx *c, bool required, int64_t *out)
{
    const char *s;
    if ((required ? in_str_req(&c->in, "version", &s) : in_str(&c->in, "version", &s)) != 0)
        return -1;
    return reg_parse_version(&c->e, s ? s : "", out);
}

/* Registry tags [{key, value}] from a JSON array (a missing value is ""). */
static int read_reg_tags(struct ctx *c, struct kv **out, size_t *n)
{
    json_t *arr;
    *out = NULL;
    *n = 0;
    if (in_array(&c->in, "tags", &arr) != 0)
        return -1;
    if (!arr)
        return 0;
    size_t cnt = json_array_size(arr);
    struct kv *v = arena_calloc(c->s.a, cnt ? cnt : 1, sizeof *v);
    for (size_t i = 0; i < cnt; i++) {
        const char *path = arena_printf(c->s.a, "tags[%zu]", i);
        json_t *o = json_array_get(arr, i);
        if (obj_str(&c->in, o, path, "key", false, &v[i].key) != 0 ||
            obj_str(&c->in, o, path, "value", false, &v[i].value) != 0)
            return -1;
        if (!v[i].key)
            v[i].key = "";
        if (!v[i].value)
            v[i].value = "";
        if (v_tag_name(&c->e, v[i].key, "key") != 0 ||
            v_length(&c->e, c->s.a, "key", REG_TAG_KEY_MAX, &v[i].key, false) != 0 ||
            v_length(&c->e, c->s.a, "value", REG_TAG_VALUE_MAX, &v[i].value, false) != 0)
            return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}

/* The identity an audit event is attributed to: the authenticated user, else a user_id the
 * client chose to send (an unknown field to MLflow, ignored there). */
static const char *audit_actor(struct ctx *c)
{
    const char *user = NULL;
    if (c->in.body) {
        json_t *v = json_object_get(c->in.body, "user_id");
        if (v && json_is_string(v))
            user = arena_strdup(c->s.a, json_string_value(v));
    } else {
        for (size_t i = 0; i < c->r->nquery; i++)
            if (strcmp(c->r->query[i].key, "user_id") == 0) {
                user = c->r->query[i].value;
                break;
            }
    }
    return reg_audit_actor(c->r->remote_user, user, NULL);
}

/* max_results of the registry searches: an integer (GET: a decimal string) at most max. */
/* ---- registered models ---- */

static int h_rm_create(struct ctx *c)
{
    const char *name, *desc;
    struct kv *tags;
    size_t ntags;
    struct registered_model rm;
    if (in_str_req(&c->in, "name", &name) != 0 || in_str(&c->in, "description", &desc) != 0 ||
        reg_check_model_name(&c->e, name, "name") != 0 || read_reg_tags(c, &tags, &ntags) != 0 ||
        rm_create(&c->s, name, desc, tags, ntags, &rm) != 0)
        return -1;
    authz_created(c, "registered_model", name);
    return reply_rm(c, &rm);
}

static int h_rm_get(struct ctx *c)
{
    const char *name;
    struct registered_model rm;
    if (read_name(c, "name", &name) != 0 || rm_get(&c->s, name, &rm) != 0)
        return -1;
    return reply_rm(c, &rm);
}

static int h_rm_update(struct ctx *c)
{
    const char *name, *desc;
    struct registered_model rm;
    if (read_name(c, "name", &name) != 0 || in_str(&c->in, "description", &desc) != 0 ||
        rm_update(&c->s, name, desc, &rm) != 0)
        return -1;
    return reply_rm(c, &rm);
}

static int h_rm_rename(struct ctx *c)
{
    const char *name, *new_name;
    struct registered_model rm;
    if (in_str_req(&c->in, "name", &name) != 0 || in_str_req(&c->in, "new_name", &new_name) != 0 ||
        reg_check_model_name(&c->e, new_name, "new_name") != 0 ||
        reg_check_model_name(&c->e, name, "name") != 0 ||
        rm_rename(&c->s, name, new_name, &rm) != 0)
        return -1;
    authz_resource_renamed(c, "registered_model", name, new_name);
    return reply_rm(c, &rm);
}

static int h_rm_delete(struct ctx *c)
{
    const char *name;
    if (read_name(c, "name", &name) != 0 || rm_delete(&c->s, name) != 0)
        return -1;
    /* Names are reused: a later model of this name must not inherit the grants. */
    authz_resource_gone(c, "registered_model", name);
    return reply_empty(c);
}

static int h_rm_search(struct ctx *c)
{
    struct search_registered_models_q q = {0};
    struct filter f;
    struct order_by ob;
    int64_t max, offset;
    if (in_max_results(&c->in, RM_SEARCH_DEFAULT, RM_SEARCH_MAX, &max) != 0 ||
        read_search_query(c, SEARCH_REGISTERED_MODELS, &f, &ob, &offset) != 0)
        return -1;
    if (max < 0)
        max = 0;
    q.filter = &f;
    q.order = &ob;
    q.workspace = "default";
    q.acl = authz_acl(c, "registered_model");
    q.page.limit = max + 1;
    q.page.offset = offset;
    struct registered_model *rms;
    size_t n;
    if (rm_search(&c->s, &q, &rms, &n) != 0)
        return -1;
    return reply_page(c, "registered_models", rms, n, sizeof *rms, put_rm_item, max, offset);
}

static int h_rm_latest(struct ctx *c)
{
    const char *name, **stages;
    size_t n;
    if (in_str_req(&c->in, "name", &name) != 0 ||
        in_str_list(&c->in, "stages", &stages, &n) != 0)
        return -1;
    const char **canon = arena_calloc(c->s.a, n ? n : 1, sizeof *canon);
    for (size_t i = 0; i < n; i++)
        if (reg_stage_check(&c->e, stages[i], &canon[i]) != 0)
            return -1;
    struct model_version *mvs;
    size_t nmv;
    if (reg_check_model_name(&c->e, name, "name") != 0 ||
        rm_latest_versions(&c->s, name, canon, n, &mvs, &nmv) != 0)
        return -1;
    jw_obj(&c->w);
    if (nmv) {
        jw_key(&c->w, "model_versions");
        jw_arr(&c->w);
        for (size_t i = 0; i < nmv; i++)
            put_model_version(&c->w, &mvs[i]);
        jw_arr_end(&c->w);
    }
    jw_obj_end(&c->w);
    return 0;
}

static int h_rm_set_tag(struct ctx *c)
{
    const char *name, *key, *value;
    if (in_str_req(&c->in, "name", &name) != 0 || in_str_req(&c->in, "key", &key) != 0 ||
        in_str(&c->in, "value", &value) != 0)
        return -1;
    if (!value)
        value = "";
    if (reg_check_model_name(&c->e, name, "name") != 0 || v_tag_name(&c->e, key, "key") != 0 ||
        v_length(&c->e, c->s.a, "key", REG_TAG_KEY_MAX, &key, false) != 0 ||
        v_length(&c->e, c->s.a, "value", REG_TAG_VALUE_MAX, &value, false) != 0 ||
        rm_set_tag(&c->s, name, key, value) != 0)
        return -1;
    return reply_empty(c);
}

static int h_rm_delete_tag(struct ctx *c)
{
    const char *name, *key;
    if (in_str_req(&c->in, "name", &name) != 0 || in_str_req(&c->in, "key", &key) != 0 ||
        reg_check_model_name(&c->e, name, "name") != 0 || v_tag_name(&c->e, key, "key") != 0 ||
        rm_delete_tag(&c->s, name, key) != 0)
        return -1;
    return reply_empty(c);
}

/* ---- aliases ---- */

static int h_alias_set(struct ctx *c)
{
    const char *name, *alias;
    int64_t version;
    if (in_str_req(&c->in, "name", &name) != 0 || in_str_req(&c->in, "alias", &alias) != 0 ||
        in_str_req(&c->in, "version", &(const char *){NULL}) != 0 ||
        reg_check_model_name(&c->e, name, "name") != 0 || reg_check_alias(&c->e, alias) != 0 ||
        reg_check_alias_reserved(&c->e, alias) != 0 || read_version(c, true, &version) != 0 ||
        alias_set(&c->s, name, alias, version, audit_actor(c)) != 0)
        return -1;
    return reply_empty(c);
}

static int h_alias_delete(struct ctx *c)
{
    const char *name, *alias;
    if (in_str_req(&c->in, "name", &name) != 0 || in_str_req(&c->in, "alias", &alias) != 0 ||
        reg_check_model_name(&c->e, name, "name") != 0 || reg_check_alias(&c->e, alias) != 0 ||
        alias_delete(&c->s, name, alias, audit_actor(c)) != 0)
        return -1;
    return reply_empty(c);
}

static int h_alias_get(struct ctx *c)
{
    const char *name, *alias;
    struct model_version mv;
    if (in_str_req(&c->in, "name", &name) != 0 || in_str_req(&c->in, "alias", &alias) != 0 ||
        reg_check_model_name(&c->e, name, "name") != 0 || reg_check_alias(&c->e, alias) != 0 ||
        alias_get(&c->s, name, alias, &mv) != 0)
        return -1;
    return reply_mv(c, &mv);
}

/* ---- model versions ---- */

static bool field_present(struct ctx *c, const char *name)
{
    if (c->in.body) {
        json_t *v = json_object_get(c->in.body, name);
        return v && !json_is_null(v);
    }
    for (size_t i = 0; i < c->r->nquery; i++)
        if (strcmp(c->r->query[i].key, name) == 0)
            return true;
    return false;
}

static int h_mv_create(struct ctx *c)
{
    struct reg_source_in in = {0};
    struct mv_create mc = {0};
    struct kv *tags;
    size_t ntags;
    if (in_str_req(&c->in, "name", &mc.name) != 0 ||
        in_str_req(&c->in, "source", &in.source) != 0 ||
        in_str(&c->in, "run_id", &in.run_id) != 0 ||
        in_str(&c->in, "run_link", &mc.run_link) != 0 ||
        in_str(&c->in, "description", &mc.description) != 0 ||
        in_str(&c->in, "model_id", &in.model_id) != 0 || read_reg_tags(c, &tags, &ntags) != 0)
        return -1;
    in.has_run_id = field_present(c, "run_id");
    in.has_model_id = field_present(c, "model_id");
    for (size_t i = 0; i < ntags; i++)
        if (strcmp(tags[i].key, "mlflow.prompt.is_prompt") == 0)
            in.is_prompt = strcasecmp(tags[i].value, "true") == 0;
    in.name = mc.name;
    in.trusted_root = api_cfg ? api_cfg->default_artifact_root : NULL;
    in.allow_schemes = getenv("MLFLOW_ALLOWED_HOST_ADDRESSED_ARTIFACT_SCHEMES");
    in.source_regex = getenv("MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX");
    struct reg_source_out src;
    if (reg_resolve_source(&c->s, &in, &src) != 0 ||
        reg_check_model_name(&c->e, mc.name, "name") != 0)
        return -1;
    mc.source = src.source;
    mc.storage_location = src.storage_location;
    mc.run_id = src.run_id;
    mc.model_id = src.model_id;
    mc.tags = tags;
    mc.ntags = ntags;
    struct model_version mv;
    if (mv_create(&c->s, &mc, &mv) != 0)
        return -1;
    return reply_mv(c, &mv);
}

/* name and version, both required and checked. */
static int read_name_version(struct ctx *c, const char **name, int64_t *version)
{
    if (in_str_req(&c->in, "name", name) != 0 ||
        in_str_req(&c->in, "version", &(const char *){NULL}) != 0 ||
        reg_check_model_name(&c->e, *name, "name") != 0)
        return -1;
    return read_version(c, true, version);
}

static int h_mv_get(struct ctx *c)
{
    const char *name;
    int64_t version;
    struct model_version mv;
    if (read_name_version(c, &name, &version) != 0 || mv_get(&c->s, name, version, &mv) != 0)
        return -1;
    return reply_mv(c, &mv);
}

static int h_mv_update(struct ctx *c)
{
    const char *name, *desc;
    int64_t version;
    struct model_version mv;
    if (read_name_version(c, &name, &version) != 0 ||
        in_str(&c->in, "description", &desc) != 0 ||
        mv_update(&c->s, name, version, desc, &mv) != 0)
        return -1;
    return reply_mv(c, &mv);
}

static int h_mv_transition(struct ctx *c)
{
    const char *name, *stage, *canon, *vs;
    bool archive = false, has_archive;
    int64_t version;
    struct model_version mv;
    if (in_str_req(&c->in, "name", &name) != 0 || in_str_req(&c->in, "version", &vs) != 0 ||
        in_str_req(&c->in, "stage", &stage) != 0 ||
        in_bool(&c->in, "archive_existing_versions", &archive, &has_archive) != 0 ||
        reg_stage_check(&c->e, stage, &canon) != 0)
        return -1;
    if (archive && !reg_stage_is_active(canon))
        /* MLflow raises this without an error code, hence INTERNAL_ERROR (500). */
        return err_set(&c->e, ERR_INTERNAL_ERROR,
                       "Model version transition cannot archive existing model versions because "
                       "'%s' is not an Active stage. Valid stages are ['Staging', 'Production']",
                       stage);
    if (reg_check_model_name(&c->e, name, "name") != 0 ||
        reg_parse_version(&c->e, vs, &version) != 0 ||
        mv_transition(&c->s, name, version, canon, archive, audit_actor(c), &mv) != 0)
        return -1;
    return reply_mv(c, &mv);
}

static int h_mv_delete(struct ctx *c)
{
    const char *name;
    int64_t version;
    if (read_name_version(c, &name, &version) != 0 ||
        mv_delete(&c->s, name, version, audit_actor(c)) != 0)
        return -1;
    return reply_empty(c);
}

static int h_mv_download_uri(struct ctx *c)
{
    const char *name, *uri;
    int64_t version;
    if (in_str(&c->in, "name", &name) != 0 ||
        reg_check_model_name(&c->e, name, "name") != 0 || read_version(c, false, &version) != 0 ||
        mv_download_uri(&c->s, name, version, &uri) != 0)
        return -1;
    jw_obj(&c->w);
    jw_kstr(&c->w, "artifact_uri", uri);
    jw_obj_end(&c->w);
    return 0;
}

static int h_mv_search(struct ctx *c)
{
    struct search_model_versions_q q = {0};
    struct filter f;
    struct order_by ob;
    int64_t max, offset;
    if (in_max_results(&c->in, MV_SEARCH_DEFAULT, MV_SEARCH_MAX, &max) != 0)
        return -1;
    if (max < 1)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value for max_results. It must be a positive integer, but got "
                       "%lld",
                       (long long)max);
    if (read_search_query(c, SEARCH_MODEL_VERSIONS, &f, &ob, &offset) != 0)
        return -1;
    q.filter = &f;
    q.order = &ob;
    q.workspace = "default";
    q.acl = authz_acl(c, "registered_model_version");
    q.page.limit = max + 1;
    q.page.offset = offset;
    struct model_version *mvs;
    size_t n;
    if (mv_search(&c->s, &q, &mvs, &n) != 0)
        return -1;
    return reply_page(c, "model_versions", mvs, n, sizeof *mvs, put_mv_item, max, offset);
}

static int h_mv_set_tag(struct ctx *c)
{
    const char *name, *key, *value;
    int64_t version;
    if (in_str_req(&c->in, "name", &name) != 0 ||
        in_str_req(&c->in, "version", &(const char *){NULL}) != 0 ||
        in_str_req(&c->in, "key", &key) != 0 || in_str(&c->in, "value", &value) != 0)
        return -1;
    if (!value)
        value = "";
    if (reg_check_model_name(&c->e, name, "name") != 0 || read_version(c, true, &version) != 0 ||
        v_tag_name(&c->e, key, "key") != 0 ||
        v_length(&c->e, c->s.a, "key", REG_TAG_KEY_MAX, &key, false) != 0 ||
        v_length(&c->e, c->s.a, "value", REG_TAG_VALUE_MAX, &value, false) != 0 ||
        mv_set_tag(&c->s, name, version, key, value) != 0)
        return -1;
    return reply_empty(c);
}

static int h_mv_delete_tag(struct ctx *c)
{
    const char *name, *key;
    int64_t version;
    if (read_name_version(c, &name, &version) != 0 || in_str_req(&c->in, "key", &key) != 0 ||
        v_tag_name(&c->e, key, "key") != 0 || mv_delete_tag(&c->s, name, version, key) != 0)
        return -1;
    return reply_empty(c);
}

const struct route registry_routes[] = {
    {HTTP_POST, "/registered-models/create", h_rm_create, 4 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/registered-models/rename", h_rm_rename, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_PATCH, "/registered-models/update", h_rm_update, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_DELETE, "/registered-models/delete", h_rm_delete, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/registered-models/get", h_rm_get, 0, RF_TRACKING, NULL},
    {HTTP_GET, "/registered-models/search", h_rm_search, 0, RF_TRACKING, NULL},
    {HTTP_POST, "/registered-models/get-latest-versions", h_rm_latest, 64 * KB,
     RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/registered-models/get-latest-versions", h_rm_latest, 0, RF_TRACKING, NULL},
    {HTTP_POST, "/registered-models/set-tag", h_rm_set_tag, 1 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_DELETE, "/registered-models/delete-tag", h_rm_delete_tag, 64 * KB,
     RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/registered-models/alias", h_alias_set, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_DELETE, "/registered-models/alias", h_alias_delete, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/registered-models/alias", h_alias_get, 0, RF_TRACKING, NULL},
    {HTTP_POST, "/model-versions/create", h_mv_create, 4 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_PATCH, "/model-versions/update", h_mv_update, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/model-versions/transition-stage", h_mv_transition, 64 * KB,
     RF_TRACKING | RF_JSON, NULL},
    {HTTP_DELETE, "/model-versions/delete", h_mv_delete, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/model-versions/get", h_mv_get, 0, RF_TRACKING, NULL},
    {HTTP_GET, "/model-versions/search", h_mv_search, 0, RF_TRACKING, NULL},
    {HTTP_GET, "/model-versions/get-download-uri", h_mv_download_uri, 0, RF_TRACKING, NULL},
    {HTTP_POST, "/model-versions/set-tag", h_mv_set_tag, 1 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_DELETE, "/model-versions/delete-tag", h_mv_delete_tag, 64 * KB,
     RF_TRACKING | RF_JSON, NULL},
};
const size_t registry_routes_n = sizeof registry_routes / sizeof *registry_routes;

/* ---- our audit log: GET /api/2.0/mltrack/registry/audit ---- */

static void put_opt_str(struct jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_str(w, v); /* NULL writes null */
}

static int h_audit(struct ctx *c)
{
    const char *name, *token;
    int64_t max, offset = 0;
    bool has;
    if (in_str(&c->in, "name", &name) != 0 || in_str(&c->in, "page_token", &token) != 0 ||
        in_i64(&c->in, "max_results", &max, &has) != 0)
        return -1;
    if (!has)
        max = AUDIT_DEFAULT;
    if (max < 1 || max > AUDIT_MAX)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value %lld for parameter 'max_results' supplied. It must be "
                       "between 1 and %d.",
                       (long long)max, AUDIT_MAX);
    if (token && *token &&
        page_token_parse_offset(c->s.a, token, strlen(token), &offset, &c->e) != 0)
        return -1;
    if (name && !*name)
        name = NULL;
    struct reg_audit_event *ev;
    size_t n;
    if (reg_audit_list(&c->s, name, offset, max + 1, &ev, &n) != 0)
        return -1;
    bool more = (int64_t)n > max;
    if (more)
        n = (size_t)max;
    jw_obj(&c->w);
    jw_key(&c->w, "events");
    jw_arr(&c->w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(&c->w);
        jw_kint(&c->w, "timestamp", ev[i].timestamp);
        put_opt_str(&c->w, "user_id", ev[i].user_id);
        jw_kstr(&c->w, "action", ev[i].action);
        jw_kstr(&c->w, "name", ev[i].name);
        if (ev[i].has_version)
            jw_kid(&c->w, "version", ev[i].version);
        else
            put_opt_str(&c->w, "version", NULL);
        put_opt_str(&c->w, "alias", ev[i].alias);
        put_opt_str(&c->w, "old_value", ev[i].old_value);
        put_opt_str(&c->w, "new_value", ev[i].new_value);
        jw_obj_end(&c->w);
    }
    jw_arr_end(&c->w);
    if (more)
        jw_kstr(&c->w, "next_page_token",
                page_token_format_offset(c->s.a, i64_add_sat(offset, max)));
    jw_obj_end(&c->w);
    return 0;
}

const struct route mltrack_registry_routes[] = {
    {HTTP_GET, "/registry/audit", h_audit, 0, RF_TRACKING, NULL},
};
const size_t mltrack_registry_routes_n =
    sizeof mltrack_registry_routes / sizeof *mltrack_registry_routes;
