/* Logged models (MLflow 3) on MLflow's logged_model* tables: the entity's lifecycle, its
 * tags and params, search, and the model side of run metric logging. */
#include "logged_models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/url.h"
#include "../base/util.h"
#include "tracking.h"
#include "internal.h"

/* ---- names ---- */

/* MLflow's word lists (mlflow/utils/name_utils.py), lowercased as its generator does. */
static const char *const name_predicates[] = {
    "abundant", "able", "abrasive", "adorable", "adaptable", "adventurous", "aged", "agreeable",
    "ambitious", "amazing", "amusing", "angry", "auspicious", "awesome", "bald", "beautiful",
    "bemused", "bedecked", "big", "bittersweet", "blushing", "bold", "bouncy", "brawny",
    "bright", "burly", "bustling", "calm", "capable", "carefree", "capricious", "caring",
    "casual", "charming", "chill", "classy", "clean", "clumsy", "colorful", "crawling",
    "dapper", "debonair", "dashing", "defiant", "delicate", "delightful", "dazzling",
    "efficient", "enchanting", "entertaining", "enthused", "exultant", "fearless", "flawless",
    "fortunate", "fun", "funny", "gaudy", "gentle", "gifted", "glamorous", "grandiose",
    "gregarious", "handsome", "hilarious", "honorable", "illustrious", "incongruous",
    "indecisive", "industrious", "intelligent", "inquisitive", "intrigued", "invincible",
    "judicious", "kindly", "languid", "learned", "legendary", "likeable", "loud", "luminous",
    "luxuriant", "lyrical", "magnificent", "marvelous", "masked", "melodic", "merciful",
    "mercurial", "monumental", "mysterious", "nebulous", "nervous", "nimble", "nosy",
    "omniscient", "orderly", "overjoyed", "peaceful", "painted", "persistent", "placid",
    "polite", "popular", "powerful", "puzzled", "rambunctious", "rare", "rebellious",
    "respected", "resilient", "righteous", "receptive", "redolent", "resilient", "rogue",
    "rumbling", "salty", "sassy", "secretive", "selective", "sedate", "serious", "shivering",
    "skillful", "sincere", "skittish", "silent", "smiling", "sneaky", "sophisticated", "spiffy",
    "stately", "suave", "stylish", "tasteful", "thoughtful", "thundering", "traveling",
    "treasured", "trusting", "unequaled", "upset", "unique", "unleashed", "useful", "upbeat",
    "unruly", "valuable", "vaunted", "victorious", "welcoming", "whimsical", "wistful", "wise",
    "worried", "youthful", "zealous"
};
static const char *const name_nouns[] = {
    "ant", "ape", "asp", "auk", "bass", "bat", "bear", "bee", "bird", "boar", "bug", "calf",
    "carp", "cat", "chimp", "cod", "colt", "conch", "cow", "crab", "crane", "croc", "crow",
    "cub", "deer", "doe", "dog", "dolphin", "donkey", "dove", "duck", "eel", "elk", "fawn",
    "finch", "fish", "flea", "fly", "foal", "fowl", "fox", "frog", "gnat", "gnu", "goat",
    "goose", "grouse", "grub", "gull", "hare", "hawk", "hen", "hog", "horse", "hound", "jay",
    "kit", "kite", "koi", "lamb", "lark", "loon", "lynx", "mare", "midge", "mink", "mole",
    "moose", "moth", "mouse", "mule", "newt", "owl", "ox", "panda", "penguin", "perch", "pig",
    "pug", "quail", "ram", "rat", "ray", "robin", "roo", "rook", "seal", "shad", "shark",
    "sheep", "shoat", "shrew", "shrike", "shrimp", "skink", "skunk", "sloth", "slug", "smelt",
    "snail", "snake", "snipe", "sow", "sponge", "squid", "squirrel", "stag", "steed", "stoat",
    "stork", "swan", "tern", "toad", "trout", "turtle", "vole", "wasp", "whale", "wolf", "worm",
    "wren", "yak", "zebra"
};

/* MLflow's _generate_random_name(): "<predicate>-<noun>-<0..1000>", at most 20 characters
 * (ten draws, then the last one truncated). */
static const char *random_model_name(struct arena *a)
{
    enum { NP = sizeof name_predicates / sizeof *name_predicates,
           NN = sizeof name_nouns / sizeof *name_nouns };
    char *name = NULL;
    for (int attempt = 0; attempt < 10; attempt++) {
        uint32_t r[3];
        random_bytes(r, sizeof r);
        name = arena_printf(a, "%s-%s-%u", name_predicates[r[0] % NP], name_nouns[r[1] % NN],
                            (unsigned)(r[2] % 1001));
        if (strlen(name) <= 20)
            return name;
    }
    name[20] = '\0';
    return name;
}

/* ---- lookups inside a transaction ---- */

static int not_found(struct sctx *c, const char *model_id)
{
    return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Logged model with ID '%s' not found.",
                   model_id);
}

/* The experiment of a model, deleted or not (MLflow's _get_logged_model_record). */
static int model_experiment(struct sctx *c, const char *model_id, int64_t *exp_id)
{
    struct db_stmt *st =
        db_prepare(c->db, "SELECT experiment_id FROM logged_models WHERE model_id = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, model_id);
    int found = store_lookup(c, st);
    if (found <= 0)
        return found < 0 ? -1 : not_found(c, model_id);
    *exp_id = db_col_int(st, 0);
    db_done(st);
    return 0;
}

/* Inserts (model, key, value) rows into logged_model_params or logged_model_tags. A key that
 * exists already is BAD_REQUEST, worded after the constraint MLflow trips over. */
static int insert_kvs(struct sctx *c, bool tags, const char *model_id, int64_t exp_id,
                      const struct kv *v, size_t n)
{
    const char *sql = tags ? "INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, "
                             "tag_value) VALUES (?, ?, ?, ?)"
                           : "INSERT INTO logged_model_params (model_id, experiment_id, "
                             "param_key, param_value) VALUES (?, ?, ?, ?)";
    for (size_t i = 0; i < n; i++) {
        struct db_stmt *st = db_prepare(c->db, sql);
        if (!st)
            return store_err(c);
        db_bind_str(st, 1, model_id);
        db_bind_int(st, 2, exp_id);
        db_bind_str(st, 3, v[i].key);
        db_bind_str(st, 4, v[i].value ? v[i].value : "");
        int rc = store_exec_unique(c, st);
        if (rc < 0)
            return -1;
        if (rc > 0)
            return err_set(c->e, ERR_BAD_REQUEST,
                           "UNIQUE constraint failed: %s.model_id, %s.%s (key '%s' of logged "
                           "model '%s')",
                           tags ? "logged_model_tags" : "logged_model_params",
                           tags ? "logged_model_tags" : "logged_model_params",
                           tags ? "tag_key" : "param_key", v[i].key, model_id);
    }
    return 0;
}

/* ---- loading ---- */

#define LM_COLS                                                                               \
    "model_id, experiment_id, name, artifact_location, creation_timestamp_ms, "               \
    "last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id, "         \
    "status_message"

static void read_lm_row(struct sctx *c, struct db_stmt *st, struct logged_model *m)
{
    memset(m, 0, sizeof *m);
    m->model_id = store_col(c, st, 0);
    m->experiment_id = db_col_int(st, 1);
    m->name = store_col(c, st, 2);
    m->artifact_location = store_col(c, st, 3);
    m->creation_timestamp_ms = db_col_int(st, 4);
    m->last_updated_timestamp_ms = db_col_int(st, 5);
    m->status = db_col_int(st, 6);
    m->lifecycle_stage = store_col(c, st, 7);
    m->model_type = store_col(c, st, 8);
    m->source_run_id = store_col(c, st, 9);
    m->status_message = store_col(c, st, 10);
}

/* Sorted (model_id, index) pairs, to find the model a child row belongs to. */
struct lm_index {
    const char *id;
    size_t idx;
};

static int cmp_index(const void *a, const void *b)
{
    return strcmp(((const struct lm_index *)a)->id, ((const struct lm_index *)b)->id);
}

/* Orders a key of n bytes against a NUL-terminated id, as strcmp would. */
static int cmp_key(const char *p, size_t n, const char *id)
{
    size_t idn = strlen(id);
    int r = memcmp(p, id, n < idn ? n : idn);
    return r ? r : (n > idn) - (n < idn);
}

/* The model whose id is p[0..n), by binary search over ix; NULL when none. */
static struct logged_model *find_model(const struct lm_index *ix, size_t nix,
                                       struct logged_model *ms, const char *p, size_t n)
{
    size_t lo = 0, hi = nix;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = cmp_key(p, n, ix[mid].id);
        if (r == 0)
            return &ms[ix[mid].idx];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Appends one element to an arena array whose capacity is the next power of two >= n. */
enum child { CHILD_TAGS, CHILD_PARAMS, CHILD_METRICS };

static int load_children(struct sctx *c, enum child kind, const char *ids,
                         const struct lm_index *ix, struct logged_model *ms, size_t n)
{
    static const char *const sql[] = {
        [CHILD_TAGS] = "SELECT t.model_id, t.tag_key, t.tag_value FROM json_each(?) j JOIN "
                       "logged_model_tags t ON t.model_id = j.value ORDER BY t.model_id, "
                       "t.tag_key",
        [CHILD_PARAMS] = "SELECT p.model_id, p.param_key, p.param_value FROM json_each(?) j JOIN "
                         "logged_model_params p ON p.model_id = j.value ORDER BY p.model_id, "
                         "p.param_key",
        /* MLflow returns them in the heap's order, which VACUUM or CLUSTER may change;
         * here in primary-key order: by name, then time, step and run. */
        [CHILD_METRICS] = "SELECT m.model_id, m.metric_name, m.metric_value, "
                          "m.metric_timestamp_ms, m.metric_step, m.run_id, m.dataset_name, "
                          "m.dataset_digest FROM json_each(?) j JOIN logged_model_metrics m ON "
                          "m.model_id = j.value ORDER BY m.model_id, m.metric_name, "
                          "m.metric_timestamp_ms, m.metric_step, m.run_id",
    };
    struct db_stmt *st = db_prepare(c->db, sql[kind]);
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, ids);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        size_t idn;
        const char *idp = db_col_text(st, 0, &idn);
        if (!idp)
            continue;
        struct logged_model *m = find_model(ix, n, ms, idp, idn);
        if (!m)
            continue;
        if (kind == CHILD_METRICS) {
            m->metrics = arena_grow(c->a, m->metrics, m->nmetrics, sizeof *m->metrics);
            struct metric *x = &m->metrics[m->nmetrics++];
            x->model_id = m->model_id;
            x->key = store_col(c, st, 1);
            x->value = db_col_null(st, 2) ? NAN : db_col_real(st, 2);
            x->timestamp = db_col_int(st, 3);
            x->step = db_col_int(st, 4);
            x->run_id = store_col(c, st, 5);
            x->dataset_name = store_col(c, st, 6);
            x->dataset_digest = store_col(c, st, 7);
            continue;
        }
        struct kv **arr = kind == CHILD_TAGS ? &m->tags : &m->params;
        size_t *cnt = kind == CHILD_TAGS ? &m->ntags : &m->nparams;
        *arr = arena_grow(c->a, *arr, *cnt, sizeof **arr);
        (*arr)[*cnt].key = store_col(c, st, 1);
        (*arr)[*cnt].value = store_col(c, st, 2);
        (*cnt)++;
    }
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

/* Fills in tags, params and metrics of ms[0..n), whose info rows are loaded. */
static int load_details(struct sctx *c, struct logged_model *ms, size_t n)
{
    if (n == 0)
        return 0;
    struct lm_index *ix = arena_calloc(c->a, n, sizeof *ix);
    for (size_t i = 0; i < n; i++)
        ix[i] = (struct lm_index){ms[i].model_id, i};
    qsort(ix, n, sizeof *ix, cmp_index);
    const char **idv = arena_calloc(c->a, n ? n : 1, sizeof *idv);
    for (size_t i = 0; i < n; i++)
        idv[i] = ms[i].model_id;
    const char *ids = store_ids_json(c->a, idv, n);
    if (load_children(c, CHILD_TAGS, ids, ix, ms, n) != 0 ||
        load_children(c, CHILD_PARAMS, ids, ix, ms, n) != 0 ||
        load_children(c, CHILD_METRICS, ids, ix, ms, n) != 0)
        return -1;
    return 0;
}

/* Loads one model inside the caller's transaction. */
static int load_one(struct sctx *c, const char *model_id, bool allow_deleted,
                    struct logged_model *out)
{
    struct db_stmt *st = db_prepare(
        c->db, allow_deleted
                   ? "SELECT " LM_COLS " FROM logged_models WHERE model_id = ?"
                   : "SELECT " LM_COLS " FROM logged_models WHERE model_id = ? AND "
                     "(lifecycle_stage IS NULL OR lifecycle_stage != 'deleted')");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, model_id);
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW)
        read_lm_row(c, st, out);
    db_done(st);
    if (rc == DB_DONE)
        return not_found(c, model_id);
    if (rc != DB_ROW)
        return store_err_step(c, rc);
    return load_details(c, out, 1);
}

int lm_get(struct sctx *c, const char *model_id, bool allow_deleted, struct logged_model *out)
{
    if (txn_begin_read(c) != 0)
        return -1;
    return txn_end_read(c, load_one(c, model_id, allow_deleted, out));
}

/* ---- writes ---- */

int lm_create(struct sctx *c, const struct lm_create *in, struct logged_model *out)
{
    const char *name = in->name ? in->name : random_model_name(c->a);
    if (txn_begin(c) != 0)
        return -1;
    struct experiment x;
    if (exp_get(c, in->experiment_id, &x) != 0)
        return txn_fail(c, -1);
    if (strcmp(x.lifecycle_stage ? x.lifecycle_stage : "", "active") != 0)
        return txn_fail(c, err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                                   "The experiment %lld must be in the 'active' state. Current "
                                   "state is %s.",
                                   (long long)x.id, x.lifecycle_stage ? x.lifecycle_stage : ""));
    char hex[33];
    uuid4_hex(hex);
    const char *model_id = arena_printf(c->a, "m-%s", hex);
    const char *art = uri_join(c->a, x.artifact_location ? x.artifact_location : "",
                               arena_printf(c->a, "models/%s/artifacts", model_id));
    int64_t now = now_ms();
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, "
               "creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, "
               "model_type, source_run_id, status_message) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, NULL)");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, model_id);
    db_bind_int(st, 2, x.id);
    db_bind_str(st, 3, name);
    db_bind_str(st, 4, art);
    db_bind_int(st, 5, now);
    db_bind_int(st, 6, now);
    db_bind_int(st, 7, LM_STATUS_PENDING);
    db_bind_str(st, 8, in->model_type);
    db_bind_str(st, 9, in->source_run_id);
    int rc = store_exec_unique(c, st);
    if (rc > 0) /* a uuid4 collision */
        rc = err_set(c->e, ERR_INTERNAL_ERROR, "could not allocate a model id");
    if (rc != 0 || insert_kvs(c, false, model_id, x.id, in->params, in->nparams) != 0 ||
        insert_kvs(c, true, model_id, x.id, in->tags, in->ntags) != 0)
        return txn_fail(c, -1);
    if (load_one(c, model_id, true, out) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int lm_finalize(struct sctx *c, const char *model_id, int64_t status, struct logged_model *out)
{
    if (txn_begin(c) != 0)
        return -1;
    int64_t exp_id;
    if (model_experiment(c, model_id, &exp_id) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? "
               "WHERE model_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_int(st, 1, status);
    db_bind_int(st, 2, now_ms());
    db_bind_str(st, 3, model_id);
    if (store_exec(c, st) != 0 || load_one(c, model_id, true, out) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int lm_delete(struct sctx *c, const char *model_id)
{
    if (txn_begin(c) != 0)
        return -1;
    int64_t exp_id;
    if (model_experiment(c, model_id, &exp_id) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE logged_models SET lifecycle_stage = 'deleted', "
               "last_updated_timestamp_ms = ? WHERE model_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_int(st, 1, now_ms());
    db_bind_str(st, 2, model_id);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int lm_set_tags(struct sctx *c, const char *model_id, const struct kv *tags, size_t n)
{
    if (txn_begin(c) != 0)
        return -1;
    int64_t exp_id;
    if (model_experiment(c, model_id, &exp_id) != 0)
        return txn_fail(c, -1);
    /* In order, so that a key repeated in the call ends with its last value. */
    for (size_t i = 0; i < n; i++) {
        struct db_stmt *st = db_prepare(
            c->db, "INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) "
                   "VALUES (?, ?, ?, ?) ON CONFLICT (model_id, tag_key) DO UPDATE SET "
                   "tag_value = excluded.tag_value");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_str(st, 1, model_id);
        db_bind_int(st, 2, exp_id);
        db_bind_str(st, 3, tags[i].key);
        db_bind_str(st, 4, tags[i].value ? tags[i].value : "");
        if (store_exec(c, st) != 0)
            return txn_fail(c, -1);
    }
    return txn_commit(c);
}

int lm_delete_tag(struct sctx *c, const char *model_id, const char *key)
{
    if (txn_begin(c) != 0)
        return -1;
    int64_t exp_id;
    if (model_experiment(c, model_id, &exp_id) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st =
        db_prepare(c->db, "DELETE FROM logged_model_tags WHERE model_id = ? AND tag_key = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, model_id);
    db_bind_str(st, 2, key);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    if (db_changes(c->db) == 0)
        return txn_fail(c, err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                                   "No tag with key '%s' found for model with ID '%s'.", key,
                                   model_id));
    return txn_commit(c);
}

int lm_log_params(struct sctx *c, const char *model_id, const struct kv *params, size_t n)
{
    if (txn_begin(c) != 0)
        return -1;
    int64_t exp_id;
    if (model_experiment(c, model_id, &exp_id) != 0 ||
        insert_kvs(c, false, model_id, exp_id, params, n) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

/* ---- search ---- */

int lm_search(struct sctx *c, const struct search_logged_models_q *q, struct logged_model **out,
              size_t *n)
{
    struct buf sql;
    buf_init(&sql, 1 << 20);
    struct sql_val *binds;
    size_t nb;
    *n = 0;
    if (search_logged_models_sql(c->a, db_dialect(c->db), q, &sql, &binds, &nb, c->e) != 0) {
        buf_release(&sql);
        return -1;
    }
    if (txn_begin_read(c) != 0) {
        buf_release(&sql);
        return -1;
    }
    size_t len;
    const char **ids;
    enum db_rc rc;
    int r = store_run_search(c, &sql, binds, nb, 1, &ids, &len);
    buf_release(&sql);
    if (r != 0)
        return txn_end_read(c, -1);
    struct logged_model *ms = arena_calloc(c->a, len ? len : 1, sizeof *ms);
    size_t got = 0;
    /* One indexed lookup per id keeps the search order; a page is at most max_results. */
    for (size_t i = 0; i < len; i++) {
        struct db_stmt *q1 =
            db_prepare(c->db, "SELECT " LM_COLS " FROM logged_models WHERE model_id = ?");
        if (!q1)
            return txn_end_read(c, store_err(c));
        db_bind_str(q1, 1, ids[i]);
        rc = db_step(q1);
        if (rc == DB_ROW)
            read_lm_row(c, q1, &ms[got++]);
        db_done(q1);
        if (rc != DB_ROW && rc != DB_DONE)
            return txn_end_read(c, store_err_step(c, rc));
    }
    if (load_details(c, ms, got) != 0)
        return txn_end_read(c, -1);
    *out = ms;
    *n = got;
    return txn_end_read(c, 0);
}

/* ---- metrics logged by runs ---- */

/* The value MLflow stores: NaN as 0, +-Inf clamped to +-DBL_MAX (sanitize_metric_value). */
static double stored_metric_value(double v)
{
    if (isnan(v))
        return 0;
    if (isinf(v))
        return v > 0 ? 1.7976931348623157e308 : -1.7976931348623157e308;
    return v;
}

/* Whether a model exists (deleted ones too: the foreign key does not look at lifecycle). */
static int model_exists(struct sctx *c, const char *model_id, bool *yes)
{
    *yes = false;
    struct db_stmt *st = db_prepare(c->db, "SELECT 1 FROM logged_models WHERE model_id = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, model_id);
    int found = store_lookup(c, st);
    if (found > 0)
        db_done(st);
    *yes = found > 0;
    return found < 0 ? -1 : 0;
}

/* After a primary-key conflict: 0 when the stored point has the same value (a re-log, which
 * MLflow skips), BAD_REQUEST otherwise. */
static int same_point(struct sctx *c, const struct metric *m, const char *run_id, double v)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT metric_value FROM logged_model_metrics WHERE model_id = ? AND "
               "metric_name = ? AND metric_timestamp_ms = ? AND metric_step = ? AND run_id = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, m->model_id);
    db_bind_str(st, 2, m->key);
    db_bind_int(st, 3, m->timestamp);
    db_bind_int(st, 4, m->step);
    db_bind_str(st, 5, run_id);
    enum db_rc rc = db_step(st);
    bool same = rc == DB_ROW && !db_col_null(st, 0) && db_col_real(st, 0) == v;
    db_done(st);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_err_step(c, rc);
    if (same)
        return 0;
    return err_set(c->e, ERR_BAD_REQUEST,
                   "UNIQUE constraint failed: logged_model_metrics.model_id, "
                   "logged_model_metrics.metric_name, logged_model_metrics.metric_timestamp_ms, "
                   "logged_model_metrics.metric_step, logged_model_metrics.run_id (metric '%s' "
                   "at step %lld, timestamp %lld was already logged for model '%s' with "
                   "another value)",
                   m->key, (long long)m->step, (long long)m->timestamp, m->model_id);
}

int lm_log_run_metrics(struct sctx *c, const char *run_id, const struct metric *m, size_t nm)
{
    int64_t exp_id = -1;
    for (size_t i = 0; i < nm; i++) {
        if (!m[i].model_id || !*m[i].model_id)
            continue;
        if (exp_id < 0) {
            struct db_stmt *st =
                db_prepare(c->db, "SELECT experiment_id FROM runs WHERE run_uuid = ?");
            if (!st)
                return store_err(c);
            db_bind_str(st, 1, run_id);
            enum db_rc rc = db_step(st);
            if (rc == DB_ROW)
                exp_id = db_col_int(st, 0);
            db_done(st);
            if (rc != DB_ROW)
                return rc == DB_DONE ? err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                                               "Run with id=%s not found", run_id)
                                     : store_err_step(c, rc);
        }
        /* MLflow relies on the foreign key; SQLite connections here do not enforce them. */
        bool exists;
        if (model_exists(c, m[i].model_id, &exists) != 0)
            return -1;
        if (!exists)
            return err_set(c->e, ERR_BAD_REQUEST,
                           "FOREIGN KEY constraint failed: no logged model with ID '%s'",
                           m[i].model_id);
        double v = stored_metric_value(m[i].value);
        struct db_stmt *st = db_prepare(
            c->db, "INSERT INTO logged_model_metrics (model_id, metric_name, "
                   "metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id, "
                   "dataset_uuid, dataset_name, dataset_digest) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?) ON CONFLICT DO NOTHING");
        if (!st)
            return store_err(c);
        db_bind_str(st, 1, m[i].model_id);
        db_bind_str(st, 2, m[i].key);
        db_bind_int(st, 3, m[i].timestamp);
        db_bind_int(st, 4, m[i].step);
        db_bind_real(st, 5, v);
        db_bind_int(st, 6, exp_id);
        db_bind_str(st, 7, run_id);
        db_bind_str(st, 8, m[i].dataset_name && *m[i].dataset_name ? m[i].dataset_name : NULL);
        db_bind_str(st, 9,
                    m[i].dataset_digest && *m[i].dataset_digest ? m[i].dataset_digest : NULL);
        /* ON CONFLICT DO NOTHING rather than a failed INSERT: on PostgreSQL a failed
         * statement aborts the transaction, and same_point reads inside it. */
        int rc = store_exec_unique(c, st);
        if (rc == 0 && db_changes(c->db) == 0)
            rc = 1;
        if (rc < 0 || (rc > 0 && same_point(c, &m[i], run_id, v) != 0))
            return -1;
    }
    return 0;
}
