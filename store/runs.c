/* Runs: creation, loading (one or many, for search), updates, lifecycle, and logging of
 * metrics, params and tags in one transaction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/url.h"
#include "../base/buf.h"
#include "../base/util.h"
#include "logged_models.h"
#include "tracking.h"
#include "internal.h"

static const char *const adjectives[] = {
    "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "daring", "eager", "fair",
    "gentle", "glad", "golden", "grand", "happy", "honest", "jolly", "keen", "kind", "lively",
    "lucky", "merry", "mighty", "nimble", "noble", "proud", "quick", "quiet", "rare", "shy",
    "silent", "sleek", "smart", "steady", "swift", "tidy", "upbeat", "vivid", "warm", "wise"};
static const char *const nouns[] = {
    "ant", "bass", "bat", "bear", "bee", "bird", "boar", "carp", "cat", "colt", "crab", "crow",
    "deer", "doe", "dove", "duck", "eel", "elk", "finch", "fish", "fox", "frog", "goat", "gull",
    "hare", "hawk", "hen", "jay", "lark", "lynx", "mole", "moth", "newt", "owl", "ram", "seal",
    "slug", "snail", "swan", "toad", "wasp", "wolf", "wren", "yak"};

/* "adjective-noun-NNN", as MLflow names runs that were given no name. */
static const char *random_run_name(struct arena *a)
{
    unsigned char r[4];
    random_bytes(r, sizeof r);
    return arena_printf(a, "%s-%s-%u", adjectives[r[0] % (sizeof adjectives / sizeof *adjectives)],
                        nouns[r[1] % (sizeof nouns / sizeof *nouns)],
                        (unsigned)((r[2] << 8 | r[3]) % 1000));
}

static int run_not_found(struct sctx *c, const char *run_id)
{
    return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Run with id=%s not found", run_id);
}

int run_check_exists(struct sctx *c, const char *run_id)
{
    struct db_stmt *st = db_prepare(c->db, "SELECT 1 FROM runs WHERE run_uuid = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, run_id);
    int found = store_lookup(c, st);
    if (found > 0)
        db_done(st);
    return found > 0 ? 0 : found < 0 ? -1 : run_not_found(c, run_id);
}

int run_experiment_of(struct sctx *c, const char *run_id, int64_t *experiment_id)
{
    return store_lookup_int(c, "SELECT experiment_id FROM runs WHERE run_uuid = ?", run_id,
                            experiment_id);
}

int lm_experiment_of(struct sctx *c, const char *model_id, int64_t *experiment_id)
{
    return store_lookup_int(c, "SELECT experiment_id FROM logged_models WHERE model_id = ?",
                            model_id, experiment_id);
}

/* Reads a run's lifecycle stage inside the caller's transaction. */
static int run_stage(struct sctx *c, const char *run_id, char stage[16])
{
    struct db_stmt *st = db_prepare(c->db, "SELECT lifecycle_stage FROM runs WHERE run_uuid = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, run_id);
    int found = store_lookup(c, st);
    if (found <= 0)
        return found < 0 ? -1 : run_not_found(c, run_id);
    size_t n;
    const char *s = db_col_text(st, 0, &n);
    snprintf(stage, 16, "%.*s", s ? (int)n : 0, s ? s : "");
    db_done(st);
    return 0;
}

static int run_check_active(struct sctx *c, const char *run_id)
{
    char stage[16];
    if (run_stage(c, run_id, stage) != 0)
        return -1;
    if (strcmp(stage, "active") != 0)
        return err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                       "The run %s must be in the 'active' state. Current state is %s.", run_id,
                       stage);
    return 0;
}

static int upsert_tag(struct sctx *c, const char *run_id, const struct kv *t)
{
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?) "
               "ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, t->key);
    db_bind_str(st, 2, t->value);
    db_bind_str(st, 3, run_id);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return store_err_step(c, rc);
    if (strcmp(t->key, "mlflow.runName") == 0) {
        st = db_prepare(c->db, "UPDATE runs SET name = ? WHERE run_uuid = ?");
        if (!st)
            return store_err(c);
        db_bind_str(st, 1, t->value);
        db_bind_str(st, 2, run_id);
        rc = db_step(st);
        db_done(st);
        if (rc != DB_DONE)
            return store_err_step(c, rc);
    }
    return 0;
}

/* The tags of a new run as the database holds them: each key once, at its first place with
 * its last value (the inserts are upserts), then mlflow.runName. From the arena. */
static struct kv *created_tags(struct sctx *c, const struct kv *t, size_t n,
                               const struct kv *run_name, size_t *nout)
{
    struct kv *v = arena_calloc(c->a, n + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].key, run_name->key) == 0)
            continue;
        size_t j = 0;
        while (j < k && strcmp(v[j].key, t[i].key) != 0)
            j++;
        v[j] = t[i];
        k += j == k;
    }
    v[k++] = *run_name;
    *nout = k;
    return v;
}

int run_create(struct sctx *c, const struct run_create *rc_, struct run *out)
{
    const char *tag_name = NULL;
    for (size_t i = 0; i < rc_->ntags; i++)
        if (strcmp(rc_->tags[i].key, "mlflow.runName") == 0)
            tag_name = rc_->tags[i].value;
    const char *name = rc_->run_name && *rc_->run_name ? rc_->run_name : NULL;
    if (name && tag_name && strcmp(name, tag_name) != 0)
        return err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
                       "different values (run_name='%s', mlflow.runName='%s').",
                       name, tag_name);
    if (!name)
        name = tag_name && *tag_name ? tag_name : random_run_name(c->a);

    if (txn_begin(c) != 0)
        return -1;
    struct experiment x;
    if (exp_get(c, rc_->experiment_id, &x) != 0)
        return txn_fail(c, -1);
    if (strcmp(x.lifecycle_stage, "active") != 0)
        return txn_fail(c, err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                                   "The experiment %lld must be in the 'active' state. Current "
                                   "state is %s.",
                                   (long long)x.id, x.lifecycle_stage));
    char idbuf[33];
    uuid4_hex(idbuf);
    const char *run_id = arena_strdup(c->a, idbuf);
    const char *art = uri_join(c->a, x.artifact_location ? x.artifact_location : "",
                               arena_printf(c->a, "%s/artifacts", run_id));
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
               "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
               "artifact_uri, experiment_id, deleted_time) VALUES (?, ?, 'UNKNOWN', '', '', ?, "
               "'RUNNING', ?, NULL, '', 'active', ?, ?, NULL)");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, run_id);
    db_bind_str(st, 2, name);
    db_bind_str(st, 3, rc_->user_id);
    if (rc_->has_start_time)
        db_bind_int(st, 4, rc_->start_time);
    else
        db_bind_null(st, 4);
    db_bind_str(st, 5, art);
    db_bind_int(st, 6, x.id);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    for (size_t i = 0; i < rc_->ntags; i++) {
        if (strcmp(rc_->tags[i].key, "mlflow.runName") == 0)
            continue;
        if (upsert_tag(c, run_id, &rc_->tags[i]) != 0)
            return txn_fail(c, -1);
    }
    struct kv nt = {"mlflow.runName", name};
    if (upsert_tag(c, run_id, &nt) != 0)
        return txn_fail(c, -1);
    if (txn_commit(c) != 0)
        return -1;
    /* The new run is what was just written: no need to read it back. */
    memset(out, 0, sizeof *out);
    out->info = (struct run_info){
        .run_id = run_id, .run_name = name, .experiment_id = x.id, .user_id = rc_->user_id,
        .status = "RUNNING", .start_time = rc_->start_time, .has_start_time = rc_->has_start_time,
        .artifact_uri = art, .lifecycle_stage = "active"};
    out->tags = created_tags(c, rc_->tags, rc_->ntags, &nt, &out->ntags);
    return 0;
}

/* ---- loading ---- */

#define RUN_COLS                                                                             \
    "r.run_uuid, r.name, r.experiment_id, r.user_id, r.status, r.start_time, r.end_time, "    \
    "r.artifact_uri, r.lifecycle_stage"

static void read_info(struct sctx *c, struct db_stmt *st, struct run_info *ri)
{
    ri->run_id = store_col(c, st, 0);
    ri->run_name = store_col(c, st, 1);
    ri->experiment_id = db_col_int(st, 2);
    ri->user_id = store_col(c, st, 3);
    ri->status = store_col(c, st, 4);
    ri->has_start_time = !db_col_null(st, 5);
    ri->start_time = db_col_int(st, 5);
    ri->has_end_time = !db_col_null(st, 6);
    ri->end_time = db_col_int(st, 6);
    ri->artifact_uri = store_col(c, st, 7);
    ri->lifecycle_stage = store_col(c, st, 8);
}

/* Open-addressing map from run id to its index in the output array. */
struct idmap {
    const char **keys;
    size_t *vals;
    size_t cap;
};

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void idmap_init(struct arena *a, struct idmap *m, size_t n)
{
    m->cap = 16;
    while (m->cap < n * 2)
        m->cap *= 2;
    m->keys = arena_calloc(a, m->cap, sizeof *m->keys);
    m->vals = arena_calloc(a, m->cap, sizeof *m->vals);
}

static void idmap_put(struct idmap *m, const char *k, size_t v)
{
    size_t i = hash_str(k) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], k) != 0)
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = k;
    m->vals[i] = v;
}

static bool idmap_get(const struct idmap *m, const char *k, size_t len, size_t *v)
{
    size_t h = 1469598103934665603ull;
    for (size_t j = 0; j < len; j++)
        h = (h ^ (unsigned char)k[j]) * 1099511628211ull;
    size_t i = h & (m->cap - 1);
    while (m->keys[i]) {
        if (strlen(m->keys[i]) == len && memcmp(m->keys[i], k, len) == 0) {
            *v = m->vals[i];
            return true;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return false;
}

/* Runs one bulk child query (params, tags, latest metrics) and hands each row to fn with
 * the run's index. Column 0 of the query is run_uuid. */
static int for_each_child(struct sctx *c, const char *sql, const char *ids,
                          const struct idmap *m, struct run *runs,
                          void (*fn)(struct sctx *, struct db_stmt *, struct run *))
{
    struct db_stmt *st = db_prepare(c->db, sql);
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, ids);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        size_t n, idx;
        const char *rid = db_col_text(st, 0, &n);
        if (rid && idmap_get(m, rid, n, &idx))
            fn(c, st, &runs[idx]);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

static void add_param(struct sctx *c, struct db_stmt *st, struct run *r)
{
    r->params = arena_grow(c->a, r->params, r->nparams, sizeof *r->params);
    r->nparams++;
    r->params[r->nparams - 1].key = store_col(c, st, 1);
    r->params[r->nparams - 1].value = store_col(c, st, 2);
}

static void add_tag(struct sctx *c, struct db_stmt *st, struct run *r)
{
    r->tags = arena_grow(c->a, r->tags, r->ntags, sizeof *r->tags);
    r->ntags++;
    r->tags[r->ntags - 1].key = store_col(c, st, 1);
    r->tags[r->ntags - 1].value = store_col(c, st, 2);
}

static void add_metric(struct sctx *c, struct db_stmt *st, struct run *r)
{
    r->metrics = arena_grow(c->a, r->metrics, r->nmetrics, sizeof *r->metrics);
    r->nmetrics++;
    struct metric *m = &r->metrics[r->nmetrics - 1];
    m->key = store_col(c, st, 1);
    m->value = db_col_int(st, 5) ? NAN : db_col_real(st, 2);
    m->timestamp = db_col_int(st, 3);
    m->step = db_col_int(st, 4);
}

static void add_output(struct sctx *c, struct db_stmt *st, struct run *r)
{
    r->model_outputs =
        arena_grow(c->a, r->model_outputs, r->nmodel_outputs, sizeof *r->model_outputs);
    r->nmodel_outputs++;
    r->model_outputs[r->nmodel_outputs - 1].model_id = store_col(c, st, 1);
    r->model_outputs[r->nmodel_outputs - 1].step = db_col_int(st, 2);
}

static int load_dataset_inputs(struct sctx *c, const char *ids, const struct idmap *m,
                               struct run *runs)
{
    /* In the order they were logged: mltrack's input ids are time-ordered (uuid7_hex), so
     * the id is the insertion order, whatever the heap's layout (ids that MLflow wrote are
     * random and come in a fixed but arbitrary order). */
    struct db_stmt *st = db_prepare(
        c->db, "SELECT i.destination_id, i.input_uuid, d.name, d.digest, d.dataset_source_type, "
               "d.dataset_source, d.dataset_schema, d.dataset_profile, t.name, t.value "
               "FROM json_each(?) j JOIN inputs i ON i.destination_id = j.value "
               "JOIN datasets d ON d.dataset_uuid = i.source_id "
               "LEFT JOIN input_tags t ON t.input_uuid = i.input_uuid "
               "WHERE i.destination_type = 'RUN' AND i.source_type = 'DATASET' "
               "ORDER BY i.destination_id, i.input_uuid, t.name");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, ids);
    enum db_rc rc;
    const char *last_input = NULL;
    while ((rc = db_step(st)) == DB_ROW) {
        size_t n, idx;
        const char *rid = db_col_text(st, 0, &n);
        if (!rid || !idmap_get(m, rid, n, &idx))
            continue;
        struct run *r = &runs[idx];
        const char *iu = db_col_text(st, 1, &n);
        if (!last_input || !iu || strlen(last_input) != n || memcmp(last_input, iu, n) != 0 ||
            r->ninputs == 0) {
            r->inputs = arena_grow(c->a, r->inputs, r->ninputs, sizeof *r->inputs);
            r->ninputs++;
            struct dataset_input *di = &r->inputs[r->ninputs - 1];
            di->ds.name = store_col(c, st, 2);
            di->ds.digest = store_col(c, st, 3);
            di->ds.source_type = store_col(c, st, 4);
            di->ds.source = store_col(c, st, 5);
            di->ds.schema = store_col(c, st, 6);
            di->ds.profile = store_col(c, st, 7);
            last_input = iu ? arena_strndup(c->a, iu, n) : NULL;
        }
        if (!db_col_null(st, 8)) {
            struct dataset_input *di = &r->inputs[r->ninputs - 1];
            di->tags = arena_grow(c->a, di->tags, di->ntags, sizeof *di->tags);
            di->ntags++;
            di->tags[di->ntags - 1].key = store_col(c, st, 8);
            di->tags[di->ntags - 1].value = store_col(c, st, 9);
        }
    }
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

static int load_many(struct sctx *c, const char *const *ids, size_t n, struct run *out,
                     size_t *nout)
{
    const char *idj = store_ids_json(c->a, ids, n);
    struct idmap m;
    idmap_init(c->a, &m, n);
    /* Info first, in the requested order. */
    struct db_stmt *st = db_prepare(
        c->db, "SELECT " RUN_COLS " FROM json_each(?) j JOIN runs r ON r.run_uuid = j.value");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, idj);
    struct idmap found;
    idmap_init(c->a, &found, n);
    struct run_info *infos = arena_calloc(c->a, n ? n : 1, sizeof *infos);
    size_t ninfo = 0;
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW && ninfo < n) {
        read_info(c, st, &infos[ninfo]);
        idmap_put(&found, infos[ninfo].run_id, ninfo);
        ninfo++;
    }
    db_done(st);
    if (rc != DB_DONE && rc != DB_ROW)
        return store_err_step(c, rc);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t at;
        if (!idmap_get(&found, ids[i], strlen(ids[i]), &at))
            continue;
        memset(&out[k], 0, sizeof out[k]);
        out[k].info = infos[at];
        idmap_put(&m, out[k].info.run_id, k);
        k++;
    }
    *nout = k;
    if (k == 0)
        return 0;
    /* Children by a join from the id list rather than `IN (SELECT ...)`, which SQLite would
     * first copy into a temporary index. */
    if (for_each_child(c, "SELECT p.run_uuid, p.key, p.value FROM json_each(?) j JOIN params p "
                          "ON p.run_uuid = j.value",
                       idj, &m, out, add_param) != 0 ||
        for_each_child(c, "SELECT t.run_uuid, t.key, t.value FROM json_each(?) j JOIN tags t "
                          "ON t.run_uuid = j.value",
                       idj, &m, out, add_tag) != 0 ||
        for_each_child(c, "SELECT m.run_uuid, m.key, m.value, m.timestamp, m.step, m.is_nan "
                          "FROM json_each(?) j JOIN latest_metrics m ON m.run_uuid = j.value",
                       idj, &m, out, add_metric) != 0 ||
        load_dataset_inputs(c, idj, &m, out) != 0 ||
        for_each_child(c, "SELECT i.source_id, i.destination_id, i.step FROM json_each(?) j "
                          "JOIN inputs i ON i.source_id = j.value WHERE i.source_type = "
                          "'RUN_OUTPUT' AND i.destination_type = 'MODEL_OUTPUT'",
                       idj, &m, out, add_output) != 0)
        return -1;
    return 0;
}

int run_dataset_summaries(struct sctx *c, const int64_t *exp_ids, size_t n,
                          struct dataset_summary **out, size_t *nout)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%lld", i ? "," : "", (long long)exp_ids[i]);
    buf_putc(&b, ']');
    const char *ids = arena_strndup(c->a, b.ptr, b.len);
    buf_release(&b);
    if (txn_begin_read(c) != 0)
        return -1;
    struct db_stmt *st = db_prepare(
        c->db, "SELECT DISTINCT d.experiment_id, d.name, d.digest, t.value FROM datasets d "
               "JOIN inputs i ON i.source_id = d.dataset_uuid "
               "LEFT JOIN input_tags t ON t.input_uuid = i.input_uuid AND "
               "t.name = 'mlflow.data.context' "
               "WHERE d.experiment_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?)) "
               "LIMIT 1000");
    if (!st)
        return txn_end_read(c, store_err(c));
    db_bind_str(st, 1, ids);
    size_t len = 0;
    struct dataset_summary *v = NULL;
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        v = arena_grow(c->a, v, len, sizeof *v);
        len++;
        v[len - 1].experiment_id = db_col_int(st, 0);
        v[len - 1].name = store_col(c, st, 1);
        v[len - 1].digest = store_col(c, st, 2);
        v[len - 1].context = store_col(c, st, 3);
    }
    db_done(st);
    if (rc != DB_DONE)
        return txn_end_read(c, store_err_step(c, rc));
    *out = v;
    *nout = len;
    return txn_end_read(c, 0);
}

int run_load_many_in_txn(struct sctx *c, const char *const *ids, size_t n, struct run *out,
                         size_t *nout)
{
    return load_many(c, ids, n, out, nout);
}

int run_load_many(struct sctx *c, const char *const *ids, size_t n, struct run *out,
                  size_t *nout)
{
    if (txn_begin_read(c) != 0)
        return -1;
    return txn_end_read(c, load_many(c, ids, n, out, nout));
}

/* Model inputs are part of get-run only (search returns dataset inputs and outputs). */
static int load_model_inputs(struct sctx *c, struct run *r)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT destination_id FROM inputs WHERE source_id = ? AND "
               "source_type = 'RUN_INPUT' AND destination_type = 'MODEL_INPUT'");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, r->info.run_id);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        r->model_inputs = arena_grow(c->a, r->model_inputs, r->nmodel_inputs,
                                     sizeof *r->model_inputs);
        r->nmodel_inputs++;
        r->model_inputs[r->nmodel_inputs - 1].model_id = store_col(c, st, 0);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

int run_get(struct sctx *c, const char *run_id, struct run *out)
{
    if (txn_begin_read(c) != 0)
        return -1;
    size_t n = 0;
    int rc = load_many(c, &run_id, 1, out, &n);
    if (rc == 0 && n == 0)
        rc = err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Run with id=%s not found", run_id);
    if (rc == 0)
        rc = load_model_inputs(c, out);
    return txn_end_read(c, rc);
}

/* ---- updates ---- */

int run_update(struct sctx *c, const char *run_id, const struct run_update *u,
               struct run_info *out)
{
    if (txn_begin(c) != 0)
        return -1;
    if (run_check_active(c, run_id) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE runs SET status = COALESCE(?, status), "
               "end_time = CASE WHEN ? THEN ? ELSE end_time END, name = COALESCE(?, name) "
               "WHERE run_uuid = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, u->status);
    db_bind_int(st, 2, u->has_end_time);
    db_bind_int(st, 3, u->end_time);
    const char *name = u->run_name && *u->run_name ? u->run_name : NULL;
    db_bind_str(st, 4, name);
    db_bind_str(st, 5, run_id);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    if (name) {
        struct kv t = {"mlflow.runName", name};
        if (upsert_tag(c, run_id, &t) != 0)
            return txn_fail(c, -1);
    }
    st = db_prepare(c->db, "SELECT " RUN_COLS " FROM runs r WHERE r.run_uuid = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, run_id);
    rc = db_step(st);
    if (rc == DB_ROW)
        read_info(c, st, out);
    db_done(st);
    if (rc != DB_ROW)
        return txn_fail(c, store_err_step(c, rc));
    return txn_commit(c);
}

int run_set_deleted(struct sctx *c, const char *run_id, bool deleted)
{
    if (txn_begin(c) != 0)
        return -1;
    char stage[16];
    if (run_stage(c, run_id, stage) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, deleted ? "deleted" : "active");
    if (deleted)
        db_bind_int(st, 2, now_ms());
    else
        db_bind_null(st, 2);
    db_bind_str(st, 3, run_id);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    return txn_commit(c);
}

int run_delete_tag(struct sctx *c, const char *run_id, const char *key)
{
    if (txn_begin(c) != 0)
        return -1;
    if (run_check_active(c, run_id) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st = db_prepare(c->db, "DELETE FROM tags WHERE run_uuid = ? AND key = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, run_id);
    db_bind_str(st, 2, key);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    if (db_changes(c->db) == 0)
        return txn_fail(c, err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                                   "No tag with name: %s in run with id %s", key, run_id));
    return txn_commit(c);
}

/* ---- logging ---- */

static int log_params(struct sctx *c, const char *run_id, const struct kv *p, size_t np)
{
    struct buf bad;
    buf_init(&bad, 64 * 1024);
    int rc = 0;
    for (size_t i = 0; i < np && rc == 0; i++) {
        struct db_stmt *st =
            db_prepare(c->db, "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?) "
                              "ON CONFLICT (key, run_uuid) DO NOTHING");
        if (!st) {
            rc = store_err(c);
            break;
        }
        db_bind_str(st, 1, p[i].key);
        db_bind_str(st, 2, p[i].value);
        db_bind_str(st, 3, run_id);
        enum db_rc r = db_step(st);
        db_done(st);
        if (r != DB_DONE) {
            rc = store_err_step(c, r);
            break;
        }
        if (db_changes(c->db) > 0)
            continue;
        st = db_prepare(c->db, "SELECT value FROM params WHERE run_uuid = ? AND key = ?");
        if (!st) {
            rc = store_err(c);
            break;
        }
        db_bind_str(st, 1, run_id);
        db_bind_str(st, 2, p[i].key);
        r = db_step(st);
        const char *old = r == DB_ROW ? store_col(c, st, 0) : NULL;
        db_done(st);
        if (r != DB_ROW) {
            rc = store_err_step(c, r);
            break;
        }
        const char *nv = p[i].value ? p[i].value : "";
        if (strcmp(old ? old : "", nv) == 0)
            continue;
        if (np == 1) {
            rc = err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                         "Changing param values is not allowed. Param with key='%s' was already "
                         "logged with value='%s' for run ID='%s'. Attempted logging new value "
                         "'%s'.",
                         p[i].key, old ? old : "", run_id, nv);
            break;
        }
        buf_printf(&bad, "%s{'key': '%s', 'old_value': '%s', 'new_value': '%s'}",
                   bad.len ? ", " : "", p[i].key, old ? old : "", nv);
    }
    if (rc == 0 && bad.len)
        rc = err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                     "Changing param values is not allowed. Params were already logged='[%s]' "
                     "for run ID='%s'.",
                     bad.ptr, run_id);
    buf_release(&bad);
    return rc;
}

/* The value MLflow stores: NaN as 0 (with is_nan), +-Inf clamped to +-DBL_MAX. */
static double stored_value(double v)
{
    if (isnan(v))
        return 0;
    if (isinf(v))
        return v > 0 ? 1.7976931348623157e308 : -1.7976931348623157e308;
    return v;
}

static int cmp_metric_key(const void *a, const void *b)
{
    const struct metric *const *x = a, *const *y = b;
    return strcmp((*x)->key, (*y)->key);
}

/* True when a is strictly more recent than b by (step, timestamp, stored value). */
static bool metric_newer(const struct metric *a, const struct metric *b)
{
    if (a->step != b->step)
        return a->step > b->step;
    if (a->timestamp != b->timestamp)
        return a->timestamp > b->timestamp;
    return stored_value(a->value) > stored_value(b->value);
}

/* The newest point of each key in m (by metric_newer), in key order; from the arena. */
static const struct metric **latest_per_key(struct sctx *c, const struct metric *m, size_t nm,
                                            size_t *nout)
{
    const struct metric **order = arena_calloc(c->a, nm ? nm : 1, sizeof *order);
    for (size_t i = 0; i < nm; i++)
        order[i] = &m[i];
    qsort(order, nm, sizeof *order, cmp_metric_key);
    size_t n = 0;
    for (size_t i = 0; i < nm;) {
        const struct metric *best = order[i];
        size_t j = i + 1;
        for (; j < nm && strcmp(order[j]->key, best->key) == 0; j++)
            if (metric_newer(order[j], best))
                best = order[j];
        order[n++] = best;
        i = j;
    }
    *nout = n;
    return order;
}

/* The points of a batch, and the newest per key, as rows of the two statements below. */
struct metric_rows {
    const char *run_id;
    const struct metric *m;        /* every point, or */
    const struct metric *const *p; /* the newest point of each key */
};

static void metric_row(void *ctx, size_t i, struct sql_val *v)
{
    const struct metric_rows *r = ctx;
    const struct metric *m = r->p ? r->p[i] : &r->m[i];
    v[0] = (struct sql_val){.type = SQL_TEXT, .s = m->key, .n = strlen(m->key)};
    v[1] = (struct sql_val){.type = SQL_REAL, .d = stored_value(m->value)};
    v[2] = (struct sql_val){.type = SQL_INT, .i = m->timestamp};
    v[3] = (struct sql_val){.type = SQL_INT, .i = m->step};
    v[4] = (struct sql_val){.type = SQL_BOOL, .i = isnan(m->value)};
    v[5] = (struct sql_val){.type = SQL_TEXT, .s = r->run_id, .n = strlen(r->run_id)};
}

static const struct db_batch_sql insert_metrics = {
    "INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid)",
    "ON CONFLICT DO NOTHING",
    6,
    {SQL_TEXT, SQL_REAL, SQL_INT, SQL_INT, SQL_BOOL, SQL_TEXT},
};

/* The newest point wins, by (step, timestamp, value) as MLflow compares them. Rows come in
 * key order, so concurrent batches on one run lock latest_metrics rows in the same order
 * and cannot deadlock. */
static const struct db_batch_sql upsert_latest_metrics = {
    "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)",
    "ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value, "
    "timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan "
    "WHERE (excluded.step, excluded.timestamp, excluded.value) > "
    "(latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)",
    6,
    {SQL_TEXT, SQL_REAL, SQL_INT, SQL_INT, SQL_BOOL, SQL_TEXT},
};

/* Every point (duplicates ignored, as MLflow does), then one latest-value upsert per key. */
static int log_metrics(struct sctx *c, const char *run_id, const struct metric *m, size_t nm)
{
    if (nm == 0)
        return 0;
    struct metric_rows all = {run_id, m, NULL};
    enum db_rc rc = db_batch(c->db, &insert_metrics, nm, metric_row, &all);
    if (rc != DB_DONE)
        return store_err_step(c, rc);
    size_t nl;
    struct metric_rows latest = {run_id, NULL, latest_per_key(c, m, nm, &nl)};
    rc = db_batch(c->db, &upsert_latest_metrics, nl, metric_row, &latest);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

int run_log_batch(struct sctx *c, const char *run_id, const struct metric *m, size_t nm,
                  const struct kv *p, size_t np, const struct kv *t, size_t nt)
{
    if (txn_begin(c) != 0)
        return -1;
    if (run_check_active(c, run_id) != 0 || log_params(c, run_id, p, np) != 0)
        return txn_fail(c, -1);
    for (size_t i = 0; i < nt; i++)
        if (upsert_tag(c, run_id, &t[i]) != 0)
            return txn_fail(c, -1);
    /* Metrics with a model_id also go to logged_model_metrics (MLflow's _log_model_metrics). */
    if (log_metrics(c, run_id, m, nm) != 0 || lm_log_run_metrics(c, run_id, m, nm) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

/* ---- inputs and outputs ---- */

static int find_or_add_dataset(struct sctx *c, int64_t exp_id, const struct dataset *d,
                               const char **uuid)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND "
               "digest = ?");
    if (!st)
        return store_err(c);
    db_bind_int(st, 1, exp_id);
    db_bind_str(st, 2, d->name);
    db_bind_str(st, 3, d->digest);
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW)
        *uuid = store_col(c, st, 0);
    db_done(st);
    if (rc == DB_ROW)
        return 0;
    if (rc != DB_DONE)
        return store_err_step(c, rc);
    char idbuf[33];
    uuid4_hex(idbuf);
    *uuid = arena_strdup(c->a, idbuf);
    st = db_prepare(c->db, "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, "
                           "dataset_source_type, dataset_source, dataset_schema, dataset_profile) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, *uuid);
    db_bind_int(st, 2, exp_id);
    db_bind_str(st, 3, d->name);
    db_bind_str(st, 4, d->digest);
    db_bind_str(st, 5, d->source_type);
    db_bind_str(st, 6, d->source);
    db_bind_str(st, 7, d->schema);
    db_bind_str(st, 8, d->profile);
    rc = db_step(st);
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

static int insert_edge(struct sctx *c, const char *src_type, const char *src_id,
                       const char *dst_type, const char *dst_id, int64_t step, bool upsert,
                       const char **input_uuid)
{
    char idbuf[33];
    uuid7_hex(idbuf); /* time-ordered: the inputs' insertion order */
    struct db_stmt *st = db_prepare(
        c->db, upsert ? "INSERT INTO inputs (input_uuid, source_type, source_id, "
                        "destination_type, destination_id, step) VALUES (?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (source_type, source_id, destination_type, destination_id) "
                        "DO UPDATE SET step = excluded.step"
                      : "INSERT INTO inputs (input_uuid, source_type, source_id, "
                        "destination_type, destination_id, step) VALUES (?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT DO NOTHING");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, idbuf);
    db_bind_str(st, 2, src_type);
    db_bind_str(st, 3, src_id);
    db_bind_str(st, 4, dst_type);
    db_bind_str(st, 5, dst_id);
    db_bind_int(st, 6, step);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return store_err_step(c, rc);
    if (input_uuid)
        *input_uuid = db_changes(c->db) > 0 ? arena_strdup(c->a, idbuf) : NULL;
    return 0;
}

int run_log_inputs(struct sctx *c, const char *run_id, const struct dataset_input *d,
                   size_t nd, const struct model_io *models, size_t nmodels)
{
    if (txn_begin(c) != 0)
        return -1;
    if (run_check_active(c, run_id) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st = db_prepare(c->db, "SELECT experiment_id FROM runs WHERE run_uuid = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, run_id);
    enum db_rc rc = db_step(st);
    int64_t exp_id = rc == DB_ROW ? db_col_int(st, 0) : 0;
    db_done(st);
    if (rc != DB_ROW)
        return txn_fail(c, store_err_step(c, rc));
    for (size_t i = 0; i < nd; i++) {
        const char *ds_uuid = NULL, *in_uuid = NULL;
        if (find_or_add_dataset(c, exp_id, &d[i].ds, &ds_uuid) != 0 ||
            insert_edge(c, "DATASET", ds_uuid, "RUN", run_id, 0, false, &in_uuid) != 0)
            return txn_fail(c, -1);
        /* Input tags are stored only when the edge is new, as MLflow does. */
        for (size_t k = 0; in_uuid && k < d[i].ntags; k++) {
            st = db_prepare(c->db, "INSERT INTO input_tags (input_uuid, name, value) VALUES "
                                   "(?, ?, ?) ON CONFLICT DO NOTHING");
            if (!st)
                return txn_fail(c, store_err(c));
            db_bind_str(st, 1, in_uuid);
            db_bind_str(st, 2, d[i].tags[k].key);
            db_bind_str(st, 3, d[i].tags[k].value);
            rc = db_step(st);
            db_done(st);
            if (rc != DB_DONE)
                return txn_fail(c, store_err_step(c, rc));
        }
    }
    for (size_t i = 0; i < nmodels; i++)
        if (insert_edge(c, "RUN_INPUT", run_id, "MODEL_INPUT", models[i].model_id, 0, true,
                        NULL) != 0)
            return txn_fail(c, -1);
    return txn_commit(c);
}

int run_log_outputs(struct sctx *c, const char *run_id, const struct model_io *models, size_t n)
{
    if (txn_begin(c) != 0)
        return -1;
    if (run_check_active(c, run_id) != 0)
        return txn_fail(c, -1);
    for (size_t i = 0; i < n; i++)
        if (insert_edge(c, "RUN_OUTPUT", run_id, "MODEL_OUTPUT", models[i].model_id,
                        models[i].step, true, NULL) != 0)
            return txn_fail(c, -1);
    return txn_commit(c);
}
