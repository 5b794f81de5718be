/* Experiment endpoints (except search, in api/search.c). */
#include <string.h>

#include "../registry/source.h"
#include "api.h"

/* Reads experiment tags [{key, value}] from a JSON array, validated as MLflow does. */
static int read_exp_tags(struct ctx *c, json_t *arr, struct kv **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!arr)
        return 0;
    size_t cnt = json_array_size(arr);
    struct kv *v = arena_calloc(c->s.a, cnt ? cnt : 1, sizeof *v);
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(arr, i);
        const char *path = arena_printf(c->s.a, "tags[%zu]", i);
        if (obj_str(&c->in, o, path, "key", true, &v[i].key) != 0 ||
            obj_str(&c->in, o, path, "value", false, &v[i].value) != 0 ||
            v_tag_name(&c->e, v[i].key, "key") != 0 ||
            v_length(&c->e, c->s.a, "key", 250, &v[i].key, false) != 0 ||
            v_length(&c->e, c->s.a, "value", 20000, &v[i].value, false) != 0)
            return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}

static int h_create(struct ctx *c)
{
    const char *name, *loc;
    json_t *tags_j;
    struct kv *tags;
    size_t ntags;
    if (in_str_req(&c->in, "name", &name) != 0 || in_str(&c->in, "artifact_location", &loc) ||
        in_array(&c->in, "tags", &tags_j) != 0 || v_experiment_name(&c->e, name) != 0 ||
        v_artifact_location(&c->e, loc) != 0 || read_exp_tags(c, tags_j, &tags, &ntags) != 0)
        return -1;
    /* The store's resolve_uri_if_local: a relative location is the server's directory's. */
    if (loc && *loc && (reg_resolve_if_local(c->s.a, loc, api_cwd(), &loc, &c->e) != 0 ||
                        v_artifact_location(&c->e, loc) != 0))
        return -1;
    int64_t id;
    if (exp_create(&c->s, name, loc, tags, ntags, &id) != 0)
        return -1;
    authz_created(c, "experiment", arena_printf(c->r->arena, "%lld", (long long)id));
    jw_obj(&c->w);
    jw_kid(&c->w, "experiment_id", id);
    jw_obj_end(&c->w);
    return 0;
}

static int read_exp_id(struct ctx *c, int64_t *id)
{
    const char *s;
    if (in_str_req(&c->in, "experiment_id", &s) != 0)
        return -1;
    return exp_parse_id(&c->s, s, id);
}

static int h_get(struct ctx *c)
{
    int64_t id;
    struct experiment x;
    if (read_exp_id(c, &id) != 0 || exp_get(&c->s, id, &x) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "experiment");
    put_experiment(&c->w, &x);
    jw_obj_end(&c->w);
    return 0;
}

static int h_get_by_name(struct ctx *c)
{
    const char *name;
    struct experiment x;
    if (in_str_req(&c->in, "experiment_name", &name) != 0 ||
        exp_get_by_name(&c->s, name, &x) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "experiment");
    put_experiment(&c->w, &x);
    jw_obj_end(&c->w);
    return 0;
}

static int h_update(struct ctx *c)
{
    int64_t id;
    const char *name;
    if (read_exp_id(c, &id) != 0 || in_str_req(&c->in, "new_name", &name) != 0 ||
        v_experiment_name(&c->e, name) != 0 || exp_rename(&c->s, id, name) != 0)
        return -1;
    return reply_empty(c);
}

static int h_delete(struct ctx *c)
{
    int64_t id;
    if (read_exp_id(c, &id) != 0 || exp_set_deleted(&c->s, id, true) != 0)
        return -1;
    return reply_empty(c);
}

static int h_restore(struct ctx *c)
{
    int64_t id;
    if (read_exp_id(c, &id) != 0 || exp_set_deleted(&c->s, id, false) != 0)
        return -1;
    return reply_empty(c);
}

static int h_set_tag(struct ctx *c)
{
    int64_t id;
    const char *key, *value;
    if (read_exp_id(c, &id) != 0 || in_str_req(&c->in, "key", &key) != 0 ||
        in_str(&c->in, "value", &value) != 0 || v_tag_name(&c->e, key, "key") != 0 ||
        v_length(&c->e, c->s.a, "key", 250, &key, false) != 0 ||
        v_length(&c->e, c->s.a, "value", 20000, &value, false) != 0 ||
        exp_set_tag(&c->s, id, key, value ? value : "") != 0)
        return -1;
    return reply_empty(c);
}

static int h_delete_tag(struct ctx *c)
{
    int64_t id;
    const char *key;
    if (read_exp_id(c, &id) != 0 || in_str_req(&c->in, "key", &key) != 0 ||
        exp_delete_tag(&c->s, id, key) != 0)
        return -1;
    return reply_empty(c);
}

static int h_search_datasets(struct ctx *c)
{
    const char **ids_s;
    size_t n;
    if (in_str_list(&c->in, "experiment_ids", &ids_s, &n) != 0)
        return -1;
    if (n == 0)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "SearchDatasets request must specify at least one experiment_id.");
    if (n > 20)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "SearchDatasets request cannot specify more than 20 experiment_ids. "
                       "Received %zu experiment_ids.",
                       n);
    int64_t *ids = arena_calloc(c->s.a, n, sizeof *ids);
    for (size_t i = 0; i < n; i++)
        if (exp_parse_id(&c->s, ids_s[i], &ids[i]) != 0)
            return -1;
    struct dataset_summary *d;
    size_t nd;
    if (run_dataset_summaries(&c->s, ids, n, &d, &nd) != 0)
        return -1;
    jw_obj(&c->w);
    if (nd) {
        jw_key(&c->w, "dataset_summaries");
        jw_arr(&c->w);
        for (size_t i = 0; i < nd; i++) {
            jw_obj(&c->w);
            jw_kid(&c->w, "experiment_id", d[i].experiment_id);
            jw_kstr(&c->w, "name", d[i].name);
            jw_kstr(&c->w, "digest", d[i].digest);
            if (d[i].context)
                jw_kstr(&c->w, "context", d[i].context);
            jw_obj_end(&c->w);
        }
        jw_arr_end(&c->w);
    }
    jw_obj_end(&c->w);
    return 0;
}

const struct route experiment_routes[] = {
    /* UI only in MLflow (ajax-api); served under both prefixes here. */
    {HTTP_POST, "/experiments/search-datasets", h_search_datasets, 64 * KB,
     RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/experiments/create", h_create, 4 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/experiments/get", h_get, 0, RF_TRACKING, NULL},
    {HTTP_GET, "/experiments/get-by-name", h_get_by_name, 0, RF_TRACKING, NULL},
    {HTTP_POST, "/experiments/update", h_update, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/experiments/delete", h_delete, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/experiments/restore", h_restore, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/experiments/set-experiment-tag", h_set_tag, 1 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/experiments/delete-experiment-tag", h_delete_tag, 64 * KB,
     RF_TRACKING | RF_JSON, NULL},
};
const size_t experiment_routes_n = sizeof experiment_routes / sizeof *experiment_routes;
