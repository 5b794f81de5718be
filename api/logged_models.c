/* Logged-model endpoints (MLflow 3): create, get, finalize, delete, search with MLflow's
 * JSON page tokens, tags, params, and the listing of a model's artifacts. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../artifacts/art.h"
#include "../base/utf8.h"
#include "../base/util.h"
#include "../query/filter.h"
#include "../store/logged_models.h"
#include "api.h"
#include "page_token.h"

enum {
    /* What an absent max_results reads as (the proto's default); 0 is "None", which the
     * SQL store turns into its own default. */
    LM_SEARCH_DEFAULT_PROTO = 50,
    LM_SEARCH_DEFAULT_STORE = 100,
    LM_SEARCH_MAX = 50000,
};

/* ---- JSON out ---- */

static const char *status_name(int64_t s)
{
    switch (s) {
    case LM_STATUS_PENDING:
        return "LOGGED_MODEL_PENDING";
    case LM_STATUS_READY:
        return "LOGGED_MODEL_READY";
    case LM_STATUS_UPLOAD_FAILED:
        return "LOGGED_MODEL_UPLOAD_FAILED";
    default:
        return "LOGGED_MODEL_STATUS_UNSPECIFIED";
    }
}

/* A metric as MLflow's Metric.to_proto writes it: optional fields only when non-empty. */
static void put_lm_metric(struct jw *w, const struct metric *m)
{
    jw_obj(w);
    jw_kstr(w, "key", m->key);
    jw_key(w, "value");
    jw_double(w, m->value);
    jw_kint(w, "timestamp", m->timestamp);
    jw_kint(w, "step", m->step);
    if (m->dataset_name && *m->dataset_name)
        jw_kstr(w, "dataset_name", m->dataset_name);
    if (m->dataset_digest && *m->dataset_digest)
        jw_kstr(w, "dataset_digest", m->dataset_digest);
    if (m->model_id && *m->model_id)
        jw_kstr(w, "model_id", m->model_id);
    if (m->run_id && *m->run_id)
        jw_kstr(w, "run_id", m->run_id);
    jw_obj_end(w);
}

/* {info, data} as LoggedModel.to_proto: strings MLflow stored as "" are still sent. */
static void put_logged_model(struct jw *w, const struct logged_model *m)
{
    jw_obj(w);
    jw_key(w, "info");
    jw_obj(w);
    jw_kstr(w, "model_id", m->model_id);
    jw_kid(w, "experiment_id", m->experiment_id);
    jw_kstr(w, "name", m->name);
    jw_kint(w, "creation_timestamp_ms", m->creation_timestamp_ms);
    jw_kint(w, "last_updated_timestamp_ms", m->last_updated_timestamp_ms);
    jw_kstr(w, "artifact_uri", m->artifact_location);
    jw_kstr(w, "status", status_name(m->status));
    if (m->model_type)
        jw_kstr(w, "model_type", m->model_type);
    if (m->source_run_id)
        jw_kstr(w, "source_run_id", m->source_run_id);
    if (m->status_message)
        jw_kstr(w, "status_message", m->status_message);
    put_kvs(w, "tags", m->tags, m->ntags);
    jw_obj_end(w);
    jw_key(w, "data");
    jw_obj(w);
    put_kvs(w, "params", m->params, m->nparams);
    if (m->nmetrics) {
        jw_key(w, "metrics");
        jw_arr(w);
        for (size_t i = 0; i < m->nmetrics; i++)
            put_lm_metric(w, &m->metrics[i]);
        jw_arr_end(w);
    }
    jw_obj_end(w);
    jw_obj_end(w);
}

static void put_model_item(struct jw *w, const void *item)
{
    put_logged_model(w, (const struct logged_model *)item);
}

static int reply_model(struct ctx *c, const struct logged_model *m)
{
    return reply_item(c, "model", put_model_item, m);
}

/* ---- JSON in ---- */

/* [{key, value}] of params or tags; absent fields read as "" (proto defaults), as MLflow's
 * LoggedModelParameter.from_proto does. */
static int read_lm_kvs(struct ctx *c, const char *field, struct kv **out, size_t *n)
{
    json_t *arr;
    *out = NULL;
    *n = 0;
    if (in_array(&c->in, field, &arr) != 0)
        return -1;
    if (!arr)
        return 0;
    size_t cnt = json_array_size(arr);
    struct kv *v = arena_calloc(c->s.a, cnt ? cnt : 1, sizeof *v);
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(arr, i);
        const char *path = arena_printf(c->s.a, "%s[%zu]", field, i);
        if (obj_str(&c->in, o, path, "key", false, &v[i].key) != 0 ||
            obj_str(&c->in, o, path, "value", false, &v[i].value) != 0)
            return -1;
        if (!v[i].key)
            v[i].key = "";
        if (!v[i].value)
            v[i].value = "";
    }
    *out = v;
    *n = cnt;
    return 0;
}

/* MLflow's _validate_logged_model_name. */
static int check_model_name(struct ctx *c, const char *name)
{
    if (*name && !strpbrk(name, "/:.%\"'"))
        return 0;
    return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                   "Invalid model name ('%s') provided. Model name must be a non-empty string "
                   "and cannot contain the following characters: ('/', ':', '.', '%%', '\"', "
                   "\"'\")",
                   name);
}

/* ---- handlers ---- */

static int h_create(struct ctx *c)
{
    const char *exp_s, *name;
    struct lm_create in = {0};
    struct kv *params, *tags;
    if (in_str_req(&c->in, "experiment_id", &exp_s) != 0 || in_str(&c->in, "name", &name) != 0 ||
        in_str(&c->in, "model_type", &in.model_type) != 0 ||
        in_str(&c->in, "source_run_id", &in.source_run_id) != 0 ||
        read_lm_kvs(c, "params", &params, &in.nparams) != 0 ||
        read_lm_kvs(c, "tags", &tags, &in.ntags) != 0)
        return -1;
    /* The handler passes `name or None`: an empty name gets a random one. */
    in.name = name && *name ? name : NULL;
    if (in.name && check_model_name(c, in.name) != 0)
        return -1;
    if (exp_parse_id(&c->s, exp_s, &in.experiment_id) != 0)
        return -1;
    /* MLflow hands the proto's "" to the store for unset strings, and stores it. */
    if (!in.model_type)
        in.model_type = "";
    if (!in.source_run_id)
        in.source_run_id = "";
    in.params = params;
    in.tags = tags;
    struct logged_model m;
    if (lm_create(&c->s, &in, &m) != 0)
        return -1;
    return reply_model(c, &m);
}

static int h_get(struct ctx *c)
{
    /* MLflow reads allow_deleted itself: "true" in any case, anything else is false. */
    const char *ad;
    if (in_str(&c->in, "allow_deleted", &ad) != 0)
        return -1;
    struct logged_model m;
    if (lm_get(&c->s, c->r->params[0], ad && strcasecmp(ad, "true") == 0, &m) != 0)
        return -1;
    return reply_model(c, &m);
}

/* LoggedModelStatus by name or number. MLflow stores UNSPECIFIED for a value it cannot
 * parse; we refuse it instead. */
static int read_status(struct ctx *c, int64_t *out)
{
    static const char *const names[] = {"LOGGED_MODEL_STATUS_UNSPECIFIED",
                                        "LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY",
                                        "LOGGED_MODEL_UPLOAD_FAILED"};
    json_t *v = in_raw(&c->in, "status");
    if (!v)
        return err_missing(&c->e, "status", true);
    int64_t n = -1;
    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            if (strcmp(s, names[i]) == 0)
                n = (int64_t)i;
        if (n < 0 && !parse_i64(s, json_string_length(v), &n))
            n = -1;
    }
    if (n < LM_STATUS_UNSPECIFIED || n > LM_STATUS_UPLOAD_FAILED) {
        char *dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        const char *shown = dump ? dump : "?";
        err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                "Invalid value %.*s for parameter 'status' supplied. Expected one of "
                "LOGGED_MODEL_READY, LOGGED_MODEL_UPLOAD_FAILED.",
                (int)utf8_cut(shown, strlen(shown), 200), shown);
        free(dump);
        return -1;
    }
    *out = n;
    return 0;
}

static int h_finalize(struct ctx *c)
{
    const char *id;
    int64_t status = 0;
    if (in_str_req(&c->in, "model_id", &id) != 0 || read_status(c, &status) != 0)
        return -1;
    /* MLflow finalizes the model named in the body (the client sends the same id twice). */
    struct logged_model m;
    if (lm_finalize(&c->s, id, status, &m) != 0)
        return -1;
    return reply_model(c, &m);
}

static int h_delete(struct ctx *c)
{
    if (lm_delete(&c->s, c->r->params[0]) != 0)
        return -1;
    return reply_empty(c);
}

static int h_set_tags(struct ctx *c)
{
    struct kv *tags;
    size_t n;
    if (read_lm_kvs(c, "tags", &tags, &n) != 0 ||
        lm_set_tags(&c->s, c->r->params[0], tags, n) != 0)
        return -1;
    return reply_empty(c);
}

static int h_delete_tag(struct ctx *c)
{
    if (lm_delete_tag(&c->s, c->r->params[0], c->r->params[1]) != 0)
        return -1;
    return reply_empty(c);
}

static int h_log_params(struct ctx *c)
{
    const char *body_id;
    struct kv *params;
    size_t n;
    /* model_id is required in the body, but the model is the one in the path. */
    if (in_str_req(&c->in, "model_id", &body_id) != 0 ||
        read_lm_kvs(c, "params", &params, &n) != 0 ||
        lm_log_params(&c->s, c->r->params[0], params, n) != 0)
        return -1;
    return reply_empty(c);
}

/* ---- search ---- */

/* Reads one optional string of an object, as a struct str ({NULL, 0} when absent). */
static int obj_slice(struct ctx *c, json_t *o, const char *path, const char *name,
                     struct str *out)
{
    const char *s;
    if (obj_str(&c->in, o, path, name, false, &s) != 0)
        return -1;
    *out = s ? str_c(s) : (struct str){NULL, 0};
    return 0;
}

static json_t *json_str_or_null(struct str s)
{
    return s.n ? json_stringn(s.p, s.n) : json_null();
}

/* order_by: [{field_name, ascending = true, dataset_name, dataset_digest}] into the parser's
 * form and the token's. */
static int read_order_by(struct ctx *c, struct order_by *ob, struct page_token_lm *t)
{
    json_t *arr;
    if (in_array(&c->in, "order_by", &arr) != 0)
        return -1;
    size_t n = arr ? json_array_size(arr) : 0;
    struct logged_model_order_in *items = arena_calloc(c->s.a, n ? n : 1, sizeof *items);
    t->order_by = n ? json_array() : json_null();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        const char *path = arena_printf(c->s.a, "order_by[%zu]", i);
        if (obj_slice(c, o, path, "field_name", &items[i].field_name) != 0 ||
            obj_slice(c, o, path, "dataset_name", &items[i].dataset_name) != 0 ||
            obj_slice(c, o, path, "dataset_digest", &items[i].dataset_digest) != 0)
            return -1;
        json_t *asc = json_object_get(o, "ascending");
        if (asc && !json_is_null(asc) && !json_is_boolean(asc))
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value for parameter '%s.ascending' supplied: it must be a "
                           "boolean.",
                           path);
        items[i].ascending = !asc || json_is_null(asc) || json_is_true(asc);
        /* The proto's default for an absent field_name is "". */
        if (!items[i].field_name.p)
            items[i].field_name = (struct str){"", 0};
        json_t *e = json_object();
        json_object_set_new(e, "field_name",
                            json_stringn(items[i].field_name.p, items[i].field_name.n));
        json_object_set_new(e, "ascending", json_boolean(items[i].ascending));
        json_object_set_new(e, "dataset_name", json_str_or_null(items[i].dataset_name));
        json_object_set_new(e, "dataset_digest", json_str_or_null(items[i].dataset_digest));
        json_array_append_new(t->order_by, e);
    }
    return filter_parse_logged_model_order_by(c->s.a, items, n, ob, &c->e);
}

static int read_datasets(struct ctx *c, struct search_dataset_ref **out, size_t *n)
{
    json_t *arr;
    if (in_array(&c->in, "datasets", &arr) != 0)
        return -1;
    *n = arr ? json_array_size(arr) : 0;
    *out = arena_calloc(c->s.a, *n ? *n : 1, sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        json_t *o = json_array_get(arr, i);
        const char *path = arena_printf(c->s.a, "datasets[%zu]", i);
        if (obj_slice(c, o, path, "dataset_name", &(*out)[i].name) != 0 ||
            obj_slice(c, o, path, "dataset_digest", &(*out)[i].digest) != 0)
            return -1;
    }
    return 0;
}

static int read_max_results(struct ctx *c, int64_t *max)
{
    bool has;
    if (in_i64(&c->in, "max_results", max, &has) != 0)
        return -1;
    if (!has)
        *max = LM_SEARCH_DEFAULT_PROTO;
    else if (*max == 0)
        *max = LM_SEARCH_DEFAULT_STORE;
    if (*max < 0 || *max > LM_SEARCH_MAX)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value %lld for parameter 'max_results' supplied. It must be "
                       "between 1 and %d.",
                       (long long)*max, LM_SEARCH_MAX);
    return 0;
}

static int search(struct ctx *c, struct page_token_lm *t)
{
    const char **exp_ids, *filter, *token;
    size_t nexp;
    int64_t max, offset = 0;
    struct search_logged_models_q q = {0};
    struct search_dataset_ref *ds;
    struct filter f;
    struct order_by ob;
    if (in_str_list(&c->in, "experiment_ids", &exp_ids, &nexp) != 0 ||
        in_str(&c->in, "filter", &filter) != 0 || in_str(&c->in, "page_token", &token) != 0 ||
        read_max_results(c, &max) != 0 || read_datasets(c, &ds, &q.n_datasets) != 0)
        return -1;
    if (nexp == 0)
        return err_missing(&c->e, "experiment_ids", true);
    t->experiment_ids = json_array();
    for (size_t i = 0; i < nexp; i++)
        json_array_append_new(t->experiment_ids, json_string(exp_ids[i]));
    t->filter_string = filter && *filter ? json_string(filter) : json_null();
    if (read_order_by(c, &ob, t) != 0)
        return -1;
    if (token && *token && page_token_lm_decode(c->s.a, token, t, &offset, &c->e) != 0)
        return -1;
    if (filter_parse(c->s.a, SEARCH_LOGGED_MODELS, filter ? filter : "",
                     filter ? strlen(filter) : 0, &f, &c->e) != 0)
        return -1;
    int64_t *ids = arena_calloc(c->s.a, nexp, sizeof *ids);
    size_t kept = 0;
    for (size_t i = 0; i < nexp; i++) {
        if (exp_parse_id(&c->s, exp_ids[i], &ids[kept]) != 0)
            return -1;
        /* MLflow's filter_search_logged_models, decided before the query so pages stay
         * full: models of experiments the caller cannot read are never listed. */
        if (authz_can_read(c, "logged_model_experiment", exp_ids[i]))
            kept++;
    }
    q.experiment_ids = ids;
    q.n_experiment_ids = kept;
    q.filter = &f;
    q.datasets = ds;
    q.order = &ob;
    q.page.limit = max + 1;
    q.page.offset = offset;
    struct logged_model *ms;
    size_t n;
    if (lm_search(&c->s, &q, &ms, &n) != 0)
        return -1;
    bool more = (int64_t)n > max;
    if (more)
        n = (size_t)max;
    jw_obj(&c->w);
    if (n) {
        jw_key(&c->w, "models");
        jw_arr(&c->w);
        for (size_t i = 0; i < n; i++)
            put_logged_model(&c->w, &ms[i]);
        jw_arr_end(&c->w);
    }
    if (more) {
        const char *next = page_token_lm_encode(c->s.a, t, i64_add_sat(offset, max));
        if (!next)
            return err_set(&c->e, ERR_INTERNAL_ERROR, "could not encode the page token");
        jw_kstr(&c->w, "next_page_token", next);
    }
    jw_obj_end(&c->w);
    return 0;
}

static int h_search(struct ctx *c)
{
    struct page_token_lm t = {0};
    int rc = search(c, &t);
    page_token_lm_release(&t);
    return rc;
}

/* ---- artifacts ---- */

/* GET /logged-models/<id>/artifacts/directories?artifact_directory_path= */
static int h_list_artifacts(struct ctx *c)
{
    const char *rel, *sub = "";
    struct logged_model m;
    struct art_place pl;
    if (in_str(&c->in, "artifact_directory_path", &rel) != 0 ||
        (rel && art_path_check(c->s.a, rel, true, &sub, &c->e) != 0) ||
        lm_get(&c->s, c->r->params[0], false, &m) != 0 ||
        art_place_open(c, m.artifact_location, &pl) != 0)
        return -1;
    jw_obj(&c->w);
    jw_kstr(&c->w, "root_uri", m.artifact_location);
    int rc = art_list_json(c, &pl, sub, true);
    jw_obj_end(&c->w);
    art_place_release(&pl);
    return rc;
}

/* /logged-models/search comes before /logged-models/{model_id}: the router takes the first
 * pattern that matches. */
const struct route logged_model_routes[] = {
    {HTTP_POST, "/logged-models/search", h_search, 4 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/logged-models", h_create, 4 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/logged-models/{model_id}", h_get, 0, RF_TRACKING, NULL},
    {HTTP_PATCH, "/logged-models/{model_id}", h_finalize, 64 * KB, RF_TRACKING, NULL},
    {HTTP_DELETE, "/logged-models/{model_id}", h_delete, 64 * KB, RF_TRACKING, NULL},
    {HTTP_PATCH, "/logged-models/{model_id}/tags", h_set_tags, 4 * MB, RF_TRACKING, NULL},
    {HTTP_DELETE, "/logged-models/{model_id}/tags/{tag_key}", h_delete_tag, 64 * KB,
     RF_TRACKING, NULL},
    {HTTP_POST, "/logged-models/{model_id}/params", h_log_params, 4 * MB,
     RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/logged-models/{model_id}/artifacts/directories", h_list_artifacts, 0,
     RF_TRACKING, NULL},
};
const size_t logged_model_routes_n = sizeof logged_model_routes / sizeof *logged_model_routes;
