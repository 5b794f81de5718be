/* Run endpoints: create, get, update, delete/restore, tags, params, metrics, log-batch,
 * inputs and outputs (the metric history reads are in history.c). */
#include <string.h>

#include "../base/util.h"
#include "../query/filter.h"
#include "api.h"

enum {
    MAX_ENTITY_KEY = 250,
    MAX_PARAM_VAL = 6000,
    MAX_TAG_VAL = 8000,
    MAX_METRICS_PER_BATCH = 1000,
    MAX_PARAMS_TAGS_PER_BATCH = 100,
    MAX_ENTITIES_PER_BATCH = 1000,
};

static bool valid_status(const char *s)
{
    static const char *const st[] = {"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"};
    for (size_t i = 0; i < sizeof st / sizeof *st; i++)
        if (strcmp(s, st[i]) == 0)
            return true;
    return false;
}

/* Run tags [{key, value}] from JSON, validated and truncated as MLflow does. */
static int read_run_tags(struct ctx *c, json_t *arr, const char *field, struct kv **out,
                         size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!arr)
        return 0;
    size_t cnt = json_array_size(arr);
    struct kv *v = arena_calloc(c->s.a, cnt ? cnt : 1, sizeof *v);
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(arr, i);
        struct in_path pe, pk, pv;
        const char *path = in_path_elem(&pe, field, i);
        const char *kpath = in_path_sub(&pk, path, ".key");
        if (obj_str(&c->in, o, path, "key", true, &v[i].key) != 0 ||
            obj_str(&c->in, o, path, "value", false, &v[i].value) != 0 ||
            v_tag_name(&c->e, v[i].key, kpath) != 0 ||
            v_length(&c->e, c->s.a, kpath, MAX_ENTITY_KEY, &v[i].key, false) != 0 ||
            v_length(&c->e, c->s.a, in_path_sub(&pv, path, ".value"), MAX_TAG_VAL,
                     &v[i].value, true) != 0)
            return -1;
        if (!v[i].value)
            v[i].value = "";
    }
    *out = v;
    *n = cnt;
    return 0;
}

static int h_create(struct ctx *c)
{
    const char *exp_s, *user, *name;
    json_t *tags_j;
    struct run_create rc = {0};
    struct kv *tags;
    if (in_str(&c->in, "experiment_id", &exp_s) != 0 || in_str(&c->in, "user_id", &user) != 0 ||
        in_str(&c->in, "run_name", &name) != 0 ||
        in_i64(&c->in, "start_time", &rc.start_time, &rc.has_start_time) != 0 ||
        in_array(&c->in, "tags", &tags_j) != 0 ||
        read_run_tags(c, tags_j, "tags", &tags, &rc.ntags) != 0)
        return -1;
    if (exp_parse_id(&c->s, exp_s && *exp_s ? exp_s : "0", &rc.experiment_id) != 0)
        return -1;
    /* MLflow's handler passes the proto's defaults on: a run created without them has
     * user_id '' and start_time 0 in the database (MLflow's store cannot read a NULL
     * user_id back). */
    rc.user_id = user ? user : "";
    if (!rc.has_start_time) {
        rc.start_time = 0;
        rc.has_start_time = true;
    }
    rc.run_name = name;
    rc.tags = tags;
    struct run r;
    if (run_create(&c->s, &rc, &r) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "run");
    put_run(&c->w, &r);
    jw_obj_end(&c->w);
    return 0;
}

static int h_get(struct ctx *c)
{
    const char *id;
    struct run r;
    if (in_run_id(&c->in, &id) != 0 || run_get(&c->s, id, &r) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "run");
    put_run(&c->w, &r);
    jw_obj_end(&c->w);
    return 0;
}

static int h_update(struct ctx *c)
{
    const char *id;
    struct run_update u = {0};
    json_t *sv = in_raw(&c->in, "status");
    if (sv && json_is_integer(sv)) {
        /* RunStatus by number: RUNNING=1 ... KILLED=5 */
        static const char *const by_num[] = {NULL, "RUNNING", "SCHEDULED", "FINISHED",
                                             "FAILED", "KILLED"};
        json_int_t n = json_integer_value(sv);
        if (n < 1 || n > 5)
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value %lld for parameter 'status' supplied.", (long long)n);
        json_object_set_new(c->in.body, "status", json_string(by_num[n]));
    }
    if (in_run_id(&c->in, &id) != 0 || in_str(&c->in, "status", &u.status) != 0 ||
        in_i64(&c->in, "end_time", &u.end_time, &u.has_end_time) != 0 ||
        in_str(&c->in, "run_name", &u.run_name) != 0)
        return -1;
    if (u.status && !valid_status(u.status))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value \"%s\" for parameter 'status' supplied.", u.status);
    struct run_info ri;
    if (run_update(&c->s, id, &u, &ri) != 0)
        return -1;
    jw_obj(&c->w);
    jw_key(&c->w, "run_info");
    put_run_info(&c->w, &ri);
    jw_obj_end(&c->w);
    return 0;
}

static int h_delete(struct ctx *c)
{
    const char *id;
    if (in_run_id(&c->in, &id) != 0 || run_set_deleted(&c->s, id, true) != 0)
        return -1;
    return reply_empty(c);
}

static int h_restore(struct ctx *c)
{
    const char *id;
    if (in_run_id(&c->in, &id) != 0 || run_set_deleted(&c->s, id, false) != 0)
        return -1;
    return reply_empty(c);
}

static int h_set_tag(struct ctx *c)
{
    const char *id;
    struct kv t;
    if (in_run_id(&c->in, &id) != 0 || in_str_req(&c->in, "key", &t.key) != 0 ||
        in_str(&c->in, "value", &t.value) != 0 || v_tag_name(&c->e, t.key, "key") != 0 ||
        v_length(&c->e, c->s.a, "key", MAX_ENTITY_KEY, &t.key, false) != 0 ||
        v_length(&c->e, c->s.a, "value", MAX_TAG_VAL, &t.value, true) != 0)
        return -1;
    if (!t.value)
        t.value = "";
    if (run_log_batch(&c->s, id, NULL, 0, NULL, 0, &t, 1) != 0)
        return -1;
    return reply_empty(c);
}

static int h_delete_tag(struct ctx *c)
{
    const char *id, *key;
    if (in_run_id(&c->in, &id) != 0 || in_str_req(&c->in, "key", &key) != 0 ||
        run_delete_tag(&c->s, id, key) != 0)
        return -1;
    return reply_empty(c);
}

static int h_log_param(struct ctx *c)
{
    const char *id;
    struct kv p;
    if (in_run_id(&c->in, &id) != 0 || in_str_req(&c->in, "key", &p.key) != 0 ||
        in_str(&c->in, "value", &p.value) != 0 || v_param_name(&c->e, p.key, "key") != 0 ||
        v_length(&c->e, c->s.a, "Param key", MAX_ENTITY_KEY, &p.key, false) != 0 ||
        v_length(&c->e, c->s.a, "Param value", MAX_PARAM_VAL, &p.value, true) != 0)
        return -1;
    if (!p.value)
        p.value = "";
    if (run_log_batch(&c->s, id, NULL, 0, &p, 1, NULL, 0) != 0)
        return -1;
    return reply_empty(c);
}

/* Checks one metric as MLflow's _validate_metric does. */
static int check_metric(struct ctx *c, const struct metric *m, const char *path)
{
    struct in_path pk;
    const char *kp = path && *path ? in_path_sub(&pk, path, ".name") : "name";
    if (v_metric_name(&c->e, m->key, kp) != 0)
        return -1;
    if (m->timestamp < 0)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value %lld for parameter '%s' supplied: metric '%s' "
                       "(value=%g). Timestamp must be a nonnegative long (64-bit integer) ",
                       (long long)m->timestamp,
                       path && *path ? arena_printf(c->s.a, "%s.timestamp", path) : "timestamp",
                       m->key, m->value);
    const char *key = m->key;
    return v_length(&c->e, c->s.a, "Metric name", MAX_ENTITY_KEY, &key, false);
}

static int h_log_metric(struct ctx *c)
{
    const char *id;
    struct metric m = {0};
    bool has_v, has_ts, has_step;
    if (in_run_id(&c->in, &id) != 0 || in_str_req(&c->in, "key", &m.key) != 0 ||
        in_double(&c->in, "value", &m.value, &has_v) != 0 ||
        in_i64(&c->in, "timestamp", &m.timestamp, &has_ts) != 0 ||
        in_i64(&c->in, "step", &m.step, &has_step) != 0 ||
        in_str(&c->in, "model_id", &m.model_id) != 0 ||
        in_str(&c->in, "dataset_name", &m.dataset_name) != 0 ||
        in_str(&c->in, "dataset_digest", &m.dataset_digest) != 0)
        return -1;
    if (!has_v)
        return err_missing(&c->e, "value", true);
    if (!has_ts)
        return err_missing(&c->e, "timestamp", true);
    if (check_metric(c, &m, "") != 0 || run_log_batch(&c->s, id, &m, 1, NULL, 0, NULL, 0) != 0)
        return -1;
    return reply_empty(c);
}

static int batch_limit(struct ctx *c, const char *what, size_t limit, size_t n)
{
    if (n <= limit)
        return 0;
    return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                   "A batch logging request can contain at most %zu %s. Got %zu %s. Please split "
                   "up %s across multiple requests and try again.",
                   limit, what, n, what, what);
}

static int h_log_batch(struct ctx *c)
{
    const char *id;
    json_t *mj, *pj, *tj;
    if (in_run_id(&c->in, &id) != 0 || in_array(&c->in, "metrics", &mj) != 0 ||
        in_array(&c->in, "params", &pj) != 0 || in_array(&c->in, "tags", &tj) != 0)
        return -1;
    size_t nm = mj ? json_array_size(mj) : 0, np = pj ? json_array_size(pj) : 0,
           nt = tj ? json_array_size(tj) : 0;
    if (batch_limit(c, "metrics", MAX_METRICS_PER_BATCH, nm) != 0 ||
        batch_limit(c, "params", MAX_PARAMS_TAGS_PER_BATCH, np) != 0 ||
        batch_limit(c, "tags", MAX_PARAMS_TAGS_PER_BATCH, nt) != 0 ||
        batch_limit(c, "metrics, params, and tags", MAX_ENTITIES_PER_BATCH, nm + np + nt) != 0 ||
        v_run_id(&c->e, id, "run_id") != 0)
        return -1;
    struct metric *m = arena_calloc(c->s.a, nm ? nm : 1, sizeof *m);
    for (size_t i = 0; i < nm; i++) {
        json_t *o = json_array_get(mj, i);
        struct in_path pe;
        const char *path = in_path_elem(&pe, "metrics", i);
        bool has;
        if (obj_str(&c->in, o, path, "key", true, &m[i].key) != 0 ||
            obj_double(&c->in, o, path, "value", true, &m[i].value, &has) != 0 ||
            obj_i64(&c->in, o, path, "timestamp", true, &m[i].timestamp, &has) != 0 ||
            obj_i64(&c->in, o, path, "step", false, &m[i].step, &has) != 0 ||
            obj_str(&c->in, o, path, "model_id", false, &m[i].model_id) != 0 ||
            obj_str(&c->in, o, path, "dataset_name", false, &m[i].dataset_name) != 0 ||
            obj_str(&c->in, o, path, "dataset_digest", false, &m[i].dataset_digest) != 0 ||
            check_metric(c, &m[i], path) != 0)
            return -1;
    }
    struct kv *p = arena_calloc(c->s.a, np ? np : 1, sizeof *p);
    for (size_t i = 0; i < np; i++) {
        json_t *o = json_array_get(pj, i);
        struct in_path pe, pk;
        const char *path = in_path_elem(&pe, "params", i);
        if (obj_str(&c->in, o, path, "key", true, &p[i].key) != 0 ||
            obj_str(&c->in, o, path, "value", false, &p[i].value) != 0 ||
            v_param_name(&c->e, p[i].key, in_path_sub(&pk, path, ".key")) != 0 ||
            v_length(&c->e, c->s.a, "Param key", MAX_ENTITY_KEY, &p[i].key, false) != 0 ||
            v_length(&c->e, c->s.a, "Param value", MAX_PARAM_VAL, &p[i].value, true) != 0)
            return -1;
        if (!p[i].value)
            p[i].value = "";
    }
    /* Duplicate param keys within one request are rejected, as MLflow does. */
    struct buf dup;
    buf_init(&dup, 64 * KB);
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p[i].key, p[j].key) == 0) {
                buf_printf(&dup, "%s'%s'", dup.len ? ", " : "", p[i].key);
                break;
            }
    if (dup.len) {
        err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                "Duplicate parameter keys have been submitted: [%s]. Please ensure the request "
                "contains only one param value per param key.",
                dup.ptr);
        buf_release(&dup);
        return -1;
    }
    buf_release(&dup);
    struct kv *t;
    size_t ntags;
    if (read_run_tags(c, tj, "tags", &t, &ntags) != 0 ||
        run_log_batch(&c->s, id, m, nm, p, np, t, ntags) != 0)
        return -1;
    return reply_empty(c);
}

enum { MAX_DATASET_NAME = 500, MAX_DATASET_DIGEST = 36, MAX_DATASET_SOURCE = 65535,
       MAX_DATASET_SCHEMA = 1048575, MAX_DATASET_PROFILE = 16777215, MAX_INPUT_TAG_KEY = 255,
       MAX_INPUT_TAG_VALUE = 500 };

static int read_dataset_input(struct ctx *c, json_t *o, size_t i, struct dataset_input *d)
{
    const char *path = arena_printf(c->s.a, "datasets[%zu]", i);
    json_t *ds = json_object_get(o, "dataset");
    if (!json_is_object(o) || !ds || !json_is_object(ds))
        return err_missing(&c->e, arena_printf(c->s.a, "%s.dataset", path), true);
    const char *dpath = arena_printf(c->s.a, "%s.dataset", path);
    if (obj_str(&c->in, ds, dpath, "name", true, &d->ds.name) != 0 ||
        obj_str(&c->in, ds, dpath, "digest", true, &d->ds.digest) != 0 ||
        obj_str(&c->in, ds, dpath, "source_type", true, &d->ds.source_type) != 0 ||
        obj_str(&c->in, ds, dpath, "source", true, &d->ds.source) != 0 ||
        obj_str(&c->in, ds, dpath, "schema", false, &d->ds.schema) != 0 ||
        obj_str(&c->in, ds, dpath, "profile", false, &d->ds.profile) != 0 ||
        v_length(&c->e, c->s.a, "name", MAX_DATASET_NAME, &d->ds.name, false) != 0 ||
        v_length(&c->e, c->s.a, "digest", MAX_DATASET_DIGEST, &d->ds.digest, false) != 0 ||
        v_length(&c->e, c->s.a, "source", MAX_DATASET_SOURCE, &d->ds.source, false) != 0 ||
        v_length(&c->e, c->s.a, "schema", MAX_DATASET_SCHEMA, &d->ds.schema, false) != 0 ||
        v_length(&c->e, c->s.a, "profile", MAX_DATASET_PROFILE, &d->ds.profile, false) != 0)
        return -1;
    json_t *tags = json_object_get(o, "tags");
    if (tags && json_is_array(tags)) {
        d->ntags = json_array_size(tags);
        d->tags = arena_calloc(c->s.a, d->ntags ? d->ntags : 1, sizeof *d->tags);
        for (size_t k = 0; k < d->ntags; k++) {
            json_t *t = json_array_get(tags, k);
            const char *tp = arena_printf(c->s.a, "%s.tags[%zu]", path, k);
            if (obj_str(&c->in, t, tp, "key", true, &d->tags[k].key) != 0 ||
                obj_str(&c->in, t, tp, "value", true, &d->tags[k].value) != 0 ||
                v_length(&c->e, c->s.a, "key", MAX_INPUT_TAG_KEY, &d->tags[k].key, false) != 0 ||
                v_length(&c->e, c->s.a, "value", MAX_INPUT_TAG_VALUE, &d->tags[k].value,
                         false) != 0)
                return -1;
        }
    }
    return 0;
}

static int read_models(struct ctx *c, json_t *arr, bool with_step, struct model_io **out,
                       size_t *n)
{
    *n = arr ? json_array_size(arr) : 0;
    *out = arena_calloc(c->s.a, *n ? *n : 1, sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        json_t *o = json_array_get(arr, i);
        const char *path = arena_printf(c->s.a, "models[%zu]", i);
        bool has;
        if (obj_str(&c->in, o, path, "model_id", true, &(*out)[i].model_id) != 0 ||
            (with_step && obj_i64(&c->in, o, path, "step", false, &(*out)[i].step, &has) != 0))
            return -1;
    }
    return 0;
}

static int h_log_inputs(struct ctx *c)
{
    const char *id;
    json_t *dj, *mj;
    if (in_run_id(&c->in, &id) != 0 || in_array(&c->in, "datasets", &dj) != 0 ||
        in_array(&c->in, "models", &mj) != 0 || v_run_id(&c->e, id, "run_id") != 0)
        return -1;
    size_t nd = dj ? json_array_size(dj) : 0;
    if (nd > 1000)
        return batch_limit(c, "datasets", 1000, nd);
    struct dataset_input *d = arena_calloc(c->s.a, nd ? nd : 1, sizeof *d);
    for (size_t i = 0; i < nd; i++)
        if (read_dataset_input(c, json_array_get(dj, i), i, &d[i]) != 0)
            return -1;
    struct model_io *models;
    size_t nmodels;
    if (read_models(c, mj, false, &models, &nmodels) != 0 ||
        run_log_inputs(&c->s, id, d, nd, models, nmodels) != 0)
        return -1;
    return reply_empty(c);
}

static int h_log_outputs(struct ctx *c)
{
    const char *id;
    json_t *mj;
    if (in_run_id(&c->in, &id) != 0 || in_array(&c->in, "models", &mj) != 0)
        return -1;
    if (!mj)
        return err_missing(&c->e, "models", true);
    struct model_io *models;
    size_t n;
    if (read_models(c, mj, true, &models, &n) != 0 || run_log_outputs(&c->s, id, models, n) != 0)
        return -1;
    return reply_empty(c);
}

const struct route run_routes[] = {
    {HTTP_POST, "/runs/create", h_create, 4 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/runs/get", h_get, 0, RF_TRACKING, NULL},
    {HTTP_POST, "/runs/update", h_update, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/runs/delete", h_delete, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/runs/restore", h_restore, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/runs/set-tag", h_set_tag, 1 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/runs/delete-tag", h_delete_tag, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/runs/log-parameter", h_log_param, 1 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/runs/log-metric", h_log_metric, 64 * KB, RF_TRACKING | RF_JSON, NULL},
    /* MLflow's "1 MB" batch check counts JSON keys, not bytes, so it never fires; a full
     * batch (100 x 6000-char params, 100 x 8000-char tags, 800 metrics) is ~1.5 MB. */
    {HTTP_POST, "/runs/log-batch", h_log_batch, 16 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/runs/log-inputs", h_log_inputs, 64 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_POST, "/runs/outputs", h_log_outputs, 1 * MB, RF_TRACKING | RF_JSON, NULL},
};
const size_t run_routes_n = sizeof run_routes / sizeof *run_routes;
