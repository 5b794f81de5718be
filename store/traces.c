/* GenAI traces on MLflow's tables (see traces.h). The trace name lives in
 * trace_info.trace_name and the session in session_id, as MLflow 3.17 keeps them; every
 * other tag and metadata entry is a row of trace_tags / trace_request_metadata. */
#include "traces.h"

#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/util.h"
#include "../query/search_sql.h"
#include "internal.h"
#include "tracking.h"

const char *const trace_token_keys[TRACE_TOKEN_KINDS] = {
    "input_tokens",           "output_tokens",
    "total_tokens",           "cache_read_input_tokens",
    "cache_creation_input_tokens", "cache_creation_input_tokens_above_1hr",
};
const char *const trace_cost_keys[TRACE_COST_KINDS] = {"input_cost", "output_cost",
                                                       "total_cost"};

/* The metadata keys whose values live in trace_info's columns (PROMOTED_TRACE_METADATA_KEYS):
 * a row of theirs, which an older mltrack wrote, is not read. */
static bool promoted_key(const char *k)
{
    return strcmp(k, TRACE_META_SESSION) == 0 || strcmp(k, TRACE_META_TOKEN_USAGE) == 0 ||
           strcmp(k, TRACE_META_COST) == 0;
}

static int trace_not_found(struct sctx *c, const char *id)
{
    return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Trace with ID '%s' not found.", id);
}

/* ---- reading ---- */

/* The row of trace_info; the name and session columns go to *name and *session, for
 * load_children to put among the tags and metadata. */
static void read_info_row(struct sctx *c, struct db_stmt *st, struct trace_info *t,
                          const char **name, const char **session)
{
    memset(t, 0, sizeof *t);
    t->trace_id = store_col(c, st, 0);
    t->experiment_id = db_col_int(st, 1);
    t->request_time = db_col_int(st, 2);
    t->has_execution_duration = !db_col_null(st, 3);
    t->execution_duration = db_col_int(st, 3);
    t->state = store_col(c, st, 4);
    t->client_request_id = store_col(c, st, 5);
    t->request_preview = store_col(c, st, 6);
    t->response_preview = store_col(c, st, 7);
    *name = store_col(c, st, 8);
    *session = store_col(c, st, 9);
    for (int k = 0; k < TRACE_TOKEN_KINDS; k++) {
        t->usage.has_tokens[k] = !db_col_null(st, 10 + k);
        t->usage.tokens[k] = db_col_int(st, 10 + k);
    }
    for (int k = 0; k < TRACE_COST_KINDS; k++) {
        t->usage.has_cost[k] = !db_col_null(st, 10 + TRACE_TOKEN_KINDS + k);
        t->usage.cost[k] = db_col_real(st, 10 + TRACE_TOKEN_KINDS + k);
    }
}

static struct kv *kv_add(struct arena *a, struct kv *v, size_t *n, const char *k, const char *val)
{
    v = arena_grow(a, v, *n, sizeof *v);
    v[(*n)++] = (struct kv){k, val};
    return v;
}

/* The traces of a page by id, for placing their child rows (which come in id order, not
 * the page's): pointers into t[0..n) sorted by trace_id. */
struct trace_ids {
    struct trace_info **by_id;
    size_t n;
};

static int by_trace_id(const void *a, const void *b)
{
    return strcmp((*(struct trace_info *const *)a)->trace_id,
                  (*(struct trace_info *const *)b)->trace_id);
}

static struct trace_ids trace_ids_of(struct arena *a, struct trace_info *t, size_t n)
{
    struct trace_ids x = {arena_calloc(a, n ? n : 1, sizeof *x.by_id), n};
    for (size_t i = 0; i < n; i++)
        x.by_id[i] = &t[i];
    qsort(x.by_id, n, sizeof *x.by_id, by_trace_id);
    return x;
}

/* The trace of the page whose id is id, or NULL. */
static struct trace_info *trace_ids_find(const struct trace_ids *x, const char *id)
{
    struct trace_info key = {.trace_id = id}, *kp = &key;
    struct trace_info **hit = bsearch(&kp, x->by_id, x->n, sizeof *x->by_id, by_trace_id);
    return hit ? *hit : NULL;
}

/* Appends the (request_id, key, value) rows sql selects for the traces of ids_json to the
 * tags (or metadata) of their traces. */
static int read_child_kvs(struct sctx *c, const char *sql, const char *ids_json,
                          const struct trace_ids *page, bool tags)
{
    struct db_stmt *st = db_prepare(c->db, sql);
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, ids_json);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        const char *id = db_col_text(st, 0, NULL);
        struct trace_info *t = id ? trace_ids_find(page, id) : NULL;
        if (!t)
            continue;
        const char *k = store_col(c, st, 1), *v = store_col(c, st, 2);
        if (tags)
            t->tags = kv_add(c->a, t->tags, &t->ntags, k, v);
        else
            t->metadata = kv_add(c->a, t->metadata, &t->nmetadata, k, v);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

static int load_children(struct sctx *c, struct trace_info *t, size_t m, const char **names,
                         const char **sessions, const char *ids_json);

/* The columns of trace_info read_info_row reads, in its order. */
#define INFO_COLUMNS                                                                       \
    "trace_info.request_id, trace_info.experiment_id, trace_info.timestamp_ms, "           \
    "trace_info.execution_time_ms, trace_info.status, trace_info.client_request_id, "       \
    "trace_info.request_preview, trace_info.response_preview, trace_info.trace_name, "      \
    "trace_info.session_id, " USAGE_COLUMNS("trace_info.")

/* trace_info's token and cost columns, in the order of trace_token_keys and trace_cost_keys. */
#define USAGE_COLUMNS(p)                                                                    \
    p "input_tokens, " p "output_tokens, " p "total_tokens, " p "cache_read_input_tokens, " \
    p "cache_creation_input_tokens, " p "cache_creation_input_tokens_above_1hr, "           \
    p "input_cost, " p "output_cost, " p "total_cost"

/* The traces of ids that exist, in the order asked (each once), with their tags, metadata
 * and assessments: four queries whatever the count, so a page of search results costs
 * the same round trips as one trace. */
static int load_many(struct sctx *c, const char *const *ids, size_t n, struct trace_info **out,
                     size_t *nout)
{
    struct trace_info *t = arena_calloc(c->a, n ? n : 1, sizeof *t);
    const char **names = arena_calloc(c->a, n ? n : 1, sizeof *names);
    const char **sessions = arena_calloc(c->a, n ? n : 1, sizeof *sessions);
    *out = t;
    *nout = 0;
    if (!n)
        return 0;
    const char *ids_json = store_ids_json(c->a, ids, n);
    struct db_stmt *st = db_prepare(
        c->db, "SELECT " INFO_COLUMNS " FROM trace_info WHERE request_id IN (SELECT value FROM "
               "json_each(?))");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, ids_json);
    /* Rows come in any order: each goes to its id's first place among ids. */
    struct trace_info *found = arena_calloc(c->a, n, sizeof *found);
    const char **fname = arena_calloc(c->a, n, sizeof *fname);
    const char **fsess = arena_calloc(c->a, n, sizeof *fsess);
    bool *have = arena_calloc(c->a, n, sizeof *have);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        const char *id = db_col_text(st, 0, NULL);
        size_t i = 0;
        while (id && i < n && strcmp(ids[i], id) != 0)
            i++;
        if (id && i < n && !have[i]) {
            read_info_row(c, st, &found[i], &fname[i], &fsess[i]);
            have[i] = true;
        }
    }
    db_done(st);
    if (rc != DB_DONE)
        return store_err_step(c, rc);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (have[i]) {
            names[m] = fname[i];
            sessions[m] = fsess[i];
            t[m++] = found[i];
        }
    *nout = m;
    return load_children(c, t, m, names, sessions, ids_json);
}

/* The tags, metadata and assessments of t[0..m), in three queries over ids_json (their ids,
 * or more); names[i] and sessions[i] (trace_info's columns) go among them as MLflow returns
 * them. */
static int load_children(struct sctx *c, struct trace_info *t, size_t m, const char **names,
                         const char **sessions, const char *ids_json)
{
    if (!m)
        return 0;
    struct trace_ids page = trace_ids_of(c->a, t, m);
    if (read_child_kvs(c, "SELECT request_id, key, value FROM trace_tags WHERE request_id IN "
                          "(SELECT value FROM json_each(?)) AND key <> 'mlflow.traceName' "
                          "ORDER BY request_id, key",
                       ids_json, &page, true) != 0 ||
        read_child_kvs(c, "SELECT request_id, key, value FROM trace_request_metadata WHERE "
                          "request_id IN (SELECT value FROM json_each(?)) AND key NOT IN "
                          "('mlflow.trace.session', 'mlflow.trace.tokenUsage', "
                          "'mlflow.trace.cost') ORDER BY request_id, key",
                       ids_json, &page, false) != 0)
        return -1;
    struct assessment *as;
    size_t na;
    if (assess_list_many(c, ids_json, &as, &na) != 0)
        return -1;
    for (size_t k = 0; k < na; k++) {
        struct trace_info *x = trace_ids_find(&page, as[k].trace_id);
        if (!x)
            continue;
        x->assessments = arena_grow(c->a, x->assessments, x->nassessments, sizeof *x->assessments);
        x->assessments[x->nassessments++] = as[k];
    }
    /* The name and session columns, among the tags and metadata as MLflow returns them. */
    for (size_t i = 0; i < m; i++) {
        if (names[i])
            t[i].tags = kv_add(c->a, t[i].tags, &t[i].ntags, TRACE_TAG_NAME, names[i]);
        if (sessions[i])
            t[i].metadata =
                kv_add(c->a, t[i].metadata, &t[i].nmetadata, TRACE_META_SESSION, sessions[i]);
    }
    return 0;
}

static int load_info(struct sctx *c, const char *id, struct trace_info *out)
{
    struct trace_info *t;
    size_t n;
    if (load_many(c, &id, 1, &t, &n) != 0)
        return -1;
    if (!n)
        return trace_not_found(c, id);
    *out = t[0];
    return 0;
}

int trace_get_info(struct sctx *c, const char *trace_id, struct trace_info *out)
{
    if (txn_begin_read(c) != 0)
        return -1;
    return txn_end_read(c, load_info(c, trace_id, out));
}

int trace_get_infos(struct sctx *c, const char *const *ids, size_t n, struct trace_info **out,
                    size_t *nout)
{
    if (txn_begin_read(c) != 0)
        return -1;
    return txn_end_read(c, load_many(c, ids, n, out, nout));
}

/* Roots first, then by start time, then by id. */
static int span_order(const void *pa, const void *pb)
{
    const struct span_row *a = pa, *b = pb;
    if (!a->parent_span_id != !b->parent_span_id)
        return a->parent_span_id ? 1 : -1;
    if (a->start_ns != b->start_ns)
        return a->start_ns < b->start_ns ? -1 : 1;
    return strcmp(a->span_id ? a->span_id : "", b->span_id ? b->span_id : "");
}

bool trace_spans_in_store(const struct trace_info *t)
{
    const char *where = kv_get(t->tags, t->ntags, TRACE_TAG_SPANS_LOCATION);
    return where && strcmp(where, "TRACKING_STORE") == 0;
}

/* trace_get_spans inside the caller's read transaction. */
static int read_spans(struct sctx *c, const char *trace_id, struct span_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    /* Sorted here, not by ORDER BY: SQLite's sorter would carry every content along. */
    struct db_stmt *st = db_prepare(c->db, "SELECT span_id, parent_span_id, start_time_unix_nano, "
                                           "content FROM spans WHERE trace_id = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, trace_id);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *out = arena_grow(c->a, *out, *n, sizeof **out);
        struct span_row *r = &(*out)[(*n)++];
        memset(r, 0, sizeof *r);
        r->trace_id = trace_id;
        r->span_id = store_col(c, st, 0);
        r->parent_span_id = store_col(c, st, 1);
        r->start_ns = db_col_int(st, 2);
        size_t len;
        const char *txt = db_col_text(st, 3, &len);
        r->content = arena_strndup(c->a, txt ? txt : "", txt ? len : 0);
        r->content_n = txt ? len : 0;
    }
    db_done(st);
    if (rc != DB_DONE)
        return store_err_step(c, rc);
    qsort(*out, *n, sizeof **out, span_order);
    return 0;
}

int trace_get_spans(struct sctx *c, const char *trace_id, struct span_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (txn_begin_read(c) != 0)
        return -1;
    return txn_end_read(c, read_spans(c, trace_id, out, n));
}

int trace_get_with_spans(struct sctx *c, const char *const *ids, size_t n,
                         bool (*wanted)(const struct trace_info *t, void *arg), void *arg,
                         struct trace_info **out, size_t *nout, struct trace_spans **spans)
{
    *spans = NULL;
    if (txn_begin_read(c) != 0)
        return -1;
    int rc = load_many(c, ids, n, out, nout);
    struct trace_spans *sp = arena_calloc(c->a, rc == 0 && *nout ? *nout : 1, sizeof *sp);
    for (size_t i = 0; rc == 0 && i < *nout; i++) {
        const struct trace_info *t = &(*out)[i];
        if ((!wanted || wanted(t, arg)) && trace_spans_in_store(t))
            rc = read_spans(c, t->trace_id, &sp[i].rows, &sp[i].n);
    }
    *spans = sp;
    return txn_end_read(c, rc);
}

/* ---- writing ---- */

/* The experiment traces go to, which must exist. */
static int experiment_of_traces(struct sctx *c, int64_t exp_id, struct experiment *x)
{
    struct db_stmt *st = db_prepare(c->db, "SELECT artifact_location, lifecycle_stage FROM "
                                           "experiments WHERE experiment_id = ?");
    if (!st)
        return store_err(c);
    db_bind_int(st, 1, exp_id);
    int r = store_lookup(c, st);
    if (r < 0)
        return -1;
    if (r == 0)
        return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST, "No Experiment with id=%lld exists",
                       (long long)exp_id);
    x->artifact_location = store_col(c, st, 0);
    x->lifecycle_stage = store_col(c, st, 1);
    db_done(st);
    return 0;
}

/* ... and must be active, for a trace started by the client (_check_experiment_is_active).
 * Spans are taken into a deleted experiment, as MLflow's log_spans takes them: it checks
 * nothing, and the exporter would otherwise drop them. */
static int experiment_active(struct sctx *c, int64_t exp_id, struct experiment *x)
{
    if (experiment_of_traces(c, exp_id, x) != 0)
        return -1;
    if (strcmp(x->lifecycle_stage, "active") != 0)
        return err_set(c->e, ERR_INVALID_PARAMETER_VALUE,
                       "The experiment %lld must be in the 'active' state. Current state is %s.",
                       (long long)exp_id, x->lifecycle_stage);
    return 0;
}

/* The token counts and costs of u (trace_token_keys', then trace_cost_keys' order) as the
 * parameters from first on; NULL where u has none. */
static void bind_usage(struct db_stmt *st, int first, const struct trace_usage *u)
{
    for (int k = 0; k < TRACE_TOKEN_KINDS; k++)
        if (u->has_tokens[k])
            db_bind_int(st, first + k, u->tokens[k]);
        else
            db_bind_null(st, first + k);
    for (int k = 0; k < TRACE_COST_KINDS; k++)
        if (u->has_cost[k])
            db_bind_real(st, first + TRACE_TOKEN_KINDS + k, u->cost[k]);
        else
            db_bind_null(st, first + TRACE_TOKEN_KINDS + k);
}

static int upsert_kv(struct sctx *c, const char *table, const char *id, const char *k,
                     const char *v)
{
    /* Two statements, one per table: the SQL text is the statement cache's key. */
    static const char tags_sql[] =
        "INSERT INTO trace_tags (key, value, request_id) VALUES (?, ?, ?) ON CONFLICT (key, "
        "request_id) DO UPDATE SET value = excluded.value";
    static const char meta_sql[] =
        "INSERT INTO trace_request_metadata (key, value, request_id) VALUES (?, ?, ?) ON "
        "CONFLICT (key, request_id) DO UPDATE SET value = excluded.value";
    struct db_stmt *st = db_prepare(c->db, strcmp(table, "tags") == 0 ? tags_sql : meta_sql);
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, k);
    db_bind_str(st, 2, v);
    db_bind_str(st, 3, id);
    return store_exec(c, st);
}

/* The value of key among v[0..n), the last one given; NULL when absent. */
static const char *kv_value(const struct kv *v, size_t n, const char *key)
{
    const char *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].key, key) == 0)
            found = v[i].value;
    return found;
}

/* The tags and metadata rows a start or an end merges in: all but what trace_info's
 * columns hold (the name, the promoted metadata). */
static int merge_kvs(struct sctx *c, const char *id, const struct kv *tags, size_t ntags,
                     const struct kv *md, size_t nmd)
{
    for (size_t i = 0; i < ntags; i++)
        if (strcmp(tags[i].key, TRACE_TAG_NAME) != 0 &&
            upsert_kv(c, "tags", id, tags[i].key, tags[i].value) != 0)
            return -1;
    for (size_t i = 0; i < nmd; i++)
        if (!promoted_key(md[i].key) && upsert_kv(c, "meta", id, md[i].key, md[i].value) != 0)
            return -1;
    return 0;
}

/* The artifact location MLflow gives every trace: <experiment's location>/traces/<id>/artifacts. */
static const char *trace_artifact_uri(struct sctx *c, const char *exp_loc, const char *id)
{
    size_t n = strlen(exp_loc);
    while (n && exp_loc[n - 1] == '/')
        n--;
    return arena_printf(c->a, "%.*s/traces/%s/artifacts", (int)n, exp_loc, id);
}

int trace_experiment_of(struct sctx *c, const char *trace_id, int64_t *experiment_id)
{
    return store_lookup_int(c, "SELECT experiment_id FROM trace_info WHERE request_id = ?",
                            trace_id, experiment_id);
}

static int trace_exists(struct sctx *c, const char *id)
{
    struct db_stmt *st = db_prepare(c->db, "SELECT 1 FROM trace_info WHERE request_id = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, id);
    int r = store_lookup(c, st);
    if (r == 1)
        db_done(st);
    return r;
}

int trace_start(struct sctx *c, const struct trace_info *in, bool finalized,
                struct trace_info *out)
{
    const char *name = kv_value(in->tags, in->ntags, TRACE_TAG_NAME);
    const char *session = kv_value(in->metadata, in->nmetadata, TRACE_META_SESSION);
    if (txn_begin(c) != 0)
        return -1;
    struct experiment x;
    if (experiment_active(c, in->experiment_id, &x) != 0)
        return txn_fail(c, -1);
    int exists = trace_exists(c, in->trace_id);
    if (exists < 0)
        return txn_fail(c, -1);
    struct db_stmt *st;
    if (!exists) {
        st = db_prepare(c->db,
                        "INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, "
                        "execution_time_ms, status, client_request_id, request_preview, "
                        "response_preview, trace_name, session_id, " USAGE_COLUMNS("")
                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                        "?15, ?16, ?17, ?18, ?19)");
    } else {
        /* Spans came first (log_spans made the trace): the client's values win, previews
         * and name only when sent, as MLflow merges. */
        st = db_prepare(c->db,
                        "UPDATE trace_info SET experiment_id = ?2, timestamp_ms = ?3, "
                        "execution_time_ms = ?4, status = ?5, client_request_id = ?6, "
                        "request_preview = COALESCE(?7, request_preview), response_preview = "
                        "COALESCE(?8, response_preview), trace_name = COALESCE(?9, trace_name), "
                        "session_id = COALESCE(?10, session_id), "
                        "input_tokens = COALESCE(?11, input_tokens), "
                        "output_tokens = COALESCE(?12, output_tokens), "
                        "total_tokens = COALESCE(?13, total_tokens), "
                        "cache_read_input_tokens = COALESCE(?14, cache_read_input_tokens), "
                        "cache_creation_input_tokens = COALESCE(?15, "
                        "cache_creation_input_tokens), cache_creation_input_tokens_above_1hr = "
                        "COALESCE(?16, cache_creation_input_tokens_above_1hr), "
                        "input_cost = COALESCE(?17, input_cost), "
                        "output_cost = COALESCE(?18, output_cost), "
                        "total_cost = COALESCE(?19, total_cost), "
                        "db_payload_generation = db_payload_generation + 1 WHERE request_id = ?1");
    }
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, in->trace_id);
    db_bind_int(st, 2, in->experiment_id);
    db_bind_int(st, 3, in->request_time);
    if (in->has_execution_duration)
        db_bind_int(st, 4, in->execution_duration);
    else
        db_bind_null(st, 4);
    db_bind_str(st, 5, in->state);
    db_bind_str(st, 6, in->client_request_id);
    db_bind_str(st, 7, in->request_preview);
    db_bind_str(st, 8, in->response_preview);
    db_bind_str(st, 9, name);
    db_bind_str(st, 10, session);
    bind_usage(st, 11, &in->usage);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    if (merge_kvs(c, in->trace_id, in->tags, in->ntags, in->metadata, in->nmetadata) != 0 ||
        upsert_kv(c, "tags", in->trace_id, TRACE_TAG_ARTIFACT_LOCATION,
                  trace_artifact_uri(c, x.artifact_location, in->trace_id)) != 0)
        return txn_fail(c, -1);
    if (finalized && upsert_kv(c, "meta", in->trace_id, TRACE_META_FINALIZED, "true") != 0)
        return txn_fail(c, -1);
    for (size_t i = 0; i < in->nassessments; i++) {
        struct assessment a = in->assessments[i];
        a.trace_id = in->trace_id; /* the client may leave it out: backfilled, as MLflow */
        if (assess_put_for_trace(c, &a, in->experiment_id, in->request_time) != 0)
            return txn_fail(c, -1);
    }
    if (exists) {
        st = db_prepare(c->db, "UPDATE spans SET experiment_id = ? WHERE trace_id = ?");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_int(st, 1, in->experiment_id);
        db_bind_str(st, 2, in->trace_id);
        if (store_exec(c, st) != 0)
            return txn_fail(c, -1);
        st = db_prepare(c->db, "UPDATE assessments SET experiment_id = ?, trace_timestamp_ms = ? "
                               "WHERE trace_id = ?");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_int(st, 1, in->experiment_id);
        db_bind_int(st, 2, in->request_time);
        db_bind_str(st, 3, in->trace_id);
        if (store_exec(c, st) != 0)
            return txn_fail(c, -1);
    }
    if (load_info(c, in->trace_id, out) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int trace_end_v2(struct sctx *c, const char *trace_id, const struct trace_end *in,
                 struct trace_info *out)
{
    const char *name = kv_value(in->tags, in->ntags, TRACE_TAG_NAME);
    const char *session = kv_value(in->metadata, in->nmetadata, TRACE_META_SESSION);
    if (txn_begin(c) != 0)
        return -1;
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE trace_info SET execution_time_ms = ?2 - timestamp_ms, status = ?3, "
               "trace_name = COALESCE(?4, trace_name), session_id = COALESCE(?5, session_id), "
               "input_tokens = COALESCE(?6, input_tokens), "
               "output_tokens = COALESCE(?7, output_tokens), "
               "total_tokens = COALESCE(?8, total_tokens), "
               "cache_read_input_tokens = COALESCE(?9, cache_read_input_tokens), "
               "cache_creation_input_tokens = COALESCE(?10, cache_creation_input_tokens), "
               "cache_creation_input_tokens_above_1hr = COALESCE(?11, "
               "cache_creation_input_tokens_above_1hr), input_cost = COALESCE(?12, input_cost), "
               "output_cost = COALESCE(?13, output_cost), total_cost = COALESCE(?14, total_cost) "
               "WHERE request_id = ?1");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, trace_id);
    db_bind_int(st, 2, in->end_ms);
    db_bind_str(st, 3, in->state);
    db_bind_str(st, 4, name);
    db_bind_str(st, 5, session);
    bind_usage(st, 6, &in->usage);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    if (db_changes(c->db) == 0)
        return txn_fail(c, trace_not_found(c, trace_id));
    if (merge_kvs(c, trace_id, in->tags, in->ntags, in->metadata, in->nmetadata) != 0)
        return txn_fail(c, -1);
    if (load_info(c, trace_id, out) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

static int check_trace(struct sctx *c, const char *id)
{
    int r = trace_exists(c, id);
    return r < 0 ? -1 : r == 0 ? trace_not_found(c, id) : 0;
}

int trace_set_tag(struct sctx *c, const char *trace_id, const char *key, const char *value)
{
    if (txn_begin(c) != 0)
        return -1;
    if (check_trace(c, trace_id) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st;
    if (strcmp(key, TRACE_TAG_NAME) == 0) {
        st = db_prepare(c->db, "UPDATE trace_info SET trace_name = ? WHERE request_id = ?");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_str(st, 1, value);
        db_bind_str(st, 2, trace_id);
        if (store_exec(c, st) != 0)
            return txn_fail(c, -1);
    } else if (upsert_kv(c, "tags", trace_id, key, value) != 0) {
        return txn_fail(c, -1);
    }
    return txn_commit(c);
}

int trace_delete_tag(struct sctx *c, const char *trace_id, const char *key)
{
    if (txn_begin(c) != 0)
        return -1;
    if (check_trace(c, trace_id) != 0)
        return txn_fail(c, -1);
    struct db_stmt *st;
    bool name = strcmp(key, TRACE_TAG_NAME) == 0;
    if (name)
        st = db_prepare(c->db, "UPDATE trace_info SET trace_name = NULL WHERE request_id = ? "
                               "AND trace_name IS NOT NULL");
    else
        st = db_prepare(c->db, "DELETE FROM trace_tags WHERE request_id = ? AND key = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, trace_id);
    if (!name)
        db_bind_str(st, 2, key);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    if (db_changes(c->db) == 0)
        return txn_fail(c, err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST,
                                   "No trace tag with key '%s' for trace with ID '%s'", key,
                                   trace_id));
    return txn_commit(c);
}

/* The children MLflow's ON DELETE CASCADE removes, for databases opened without foreign
 * keys enforced (SQLite's default), then the traces themselves. ids is a JSON array. */
static int delete_ids(struct sctx *c, const char *ids_json)
{
    static const char *const sql[] = {
        "DELETE FROM trace_tags WHERE request_id IN (SELECT value FROM json_each(?))",
        "DELETE FROM trace_request_metadata WHERE request_id IN (SELECT value FROM "
        "json_each(?))",
        "DELETE FROM assessments WHERE trace_id IN (SELECT value FROM json_each(?))",
        "DELETE FROM span_metrics WHERE trace_id IN (SELECT value FROM json_each(?))",
        "DELETE FROM spans WHERE trace_id IN (SELECT value FROM json_each(?))",
        "DELETE FROM trace_metrics WHERE request_id IN (SELECT value FROM json_each(?))",
        "DELETE FROM entity_associations WHERE source_type = 'trace' AND source_id IN "
        "(SELECT value FROM json_each(?))",
        "DELETE FROM trace_info WHERE request_id IN (SELECT value FROM json_each(?))",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
        struct db_stmt *st = db_prepare(c->db, sql[i]);
        if (!st)
            return store_err(c);
        db_bind_str(st, 1, ids_json);
        if (store_exec(c, st) != 0)
            return -1;
    }
    return 0;
}

int trace_delete(struct sctx *c, int64_t experiment_id, const char *const *ids, size_t nids,
                 bool has_max_ts, int64_t max_ts, int64_t max_traces, int64_t *deleted)
{
    *deleted = 0;
    if (txn_begin(c) != 0)
        return -1;
    struct db_stmt *st;
    if (nids) {
        st = db_prepare(c->db, "SELECT request_id FROM trace_info WHERE experiment_id = ? AND "
                               "request_id IN (SELECT value FROM json_each(?))");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_int(st, 1, experiment_id);
        db_bind_str(st, 2, store_ids_json(c->a, ids, nids));
    } else {
        st = db_prepare(c->db, "SELECT request_id FROM trace_info WHERE experiment_id = ? AND "
                               "timestamp_ms <= ? ORDER BY timestamp_ms, request_id LIMIT ?");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_int(st, 1, experiment_id);
        db_bind_int(st, 2, has_max_ts ? max_ts : INT64_MAX);
        db_bind_limit(st, 3, max_traces > 0 ? max_traces : -1);
    }
    const char **found = NULL;
    size_t n = 0;
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        found = arena_grow(c->a, found, n, sizeof *found);
        found[n++] = store_col(c, st, 0);
    }
    db_done(st);
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    if (n && delete_ids(c, store_ids_json(c->a, found, n)) != 0)
        return txn_fail(c, -1);
    *deleted = (int64_t)n;
    return txn_commit(c);
}

/* An association of the trace with a run or a prompt version, unless it has it already. */
static int associate(struct sctx *c, const char *trace_id, const char *dest_type,
                     const char *dest_id, int64_t now)
{
    char uid[33];
    uuid4_hex(uid);
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO entity_associations (association_id, source_type, source_id, "
               "destination_type, destination_id, created_time) VALUES (?, 'trace', ?, ?, ?, ?) "
               "ON CONFLICT DO NOTHING");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, uid);
    db_bind_str(st, 2, trace_id);
    db_bind_str(st, 3, dest_type);
    db_bind_str(st, 4, dest_id);
    db_bind_int(st, 5, now);
    return store_exec(c, st);
}

int trace_link_to_run(struct sctx *c, const char *const *ids, size_t n, const char *run_id)
{
    if (txn_begin(c) != 0)
        return -1;
    if (run_check_exists(c, run_id) != 0)
        return txn_fail(c, -1);
    int64_t now = now_ms();
    for (size_t i = 0; i < n; i++)
        if (check_trace(c, ids[i]) != 0 || associate(c, ids[i], "run", run_id, now) != 0)
            return txn_fail(c, -1);
    return txn_commit(c);
}

int trace_link_prompts(struct sctx *c, const char *trace_id, const char *const *prompt_ids,
                       size_t n)
{
    if (!n) /* MLflow's store returns before it looks the trace up */
        return 0;
    if (txn_begin(c) != 0)
        return -1;
    if (check_trace(c, trace_id) != 0)
        return txn_fail(c, -1);
    int64_t now = now_ms();
    for (size_t i = 0; i < n; i++)
        if (associate(c, trace_id, "prompt_version", prompt_ids[i], now) != 0)
            return txn_fail(c, -1);
    return txn_commit(c);
}

/* ---- spans ---- */

struct span_rows {
    const struct span_row *r;
    const int64_t *exp_id; /* per row: its trace's experiment */
};

static void span_row_vals(void *ctx, size_t i, struct sql_val *v)
{
    const struct span_rows *sr = ctx;
    const struct span_row *r = &sr->r[i];
#define TXT(x) (x) ? (struct sql_val){.type = SQL_TEXT, .s = (x), .n = strlen(x)} \
                   : (struct sql_val){.type = SQL_NULL}
    v[0] = TXT(r->trace_id);
    v[1] = (struct sql_val){.type = SQL_INT, .i = sr->exp_id[i]};
    v[2] = TXT(r->span_id);
    v[3] = TXT(r->parent_span_id);
    v[4] = TXT(r->name);
    v[5] = TXT(r->type);
    v[6] = TXT(r->status);
    v[7] = (struct sql_val){.type = SQL_INT, .i = r->start_ns};
    v[8] = r->has_end ? (struct sql_val){.type = SQL_INT, .i = r->end_ns}
                      : (struct sql_val){.type = SQL_NULL};
    v[9] = (struct sql_val){.type = SQL_TEXT, .s = r->content, .n = r->content_n};
    for (int k = 0; k < TRACE_COST_KINDS; k++)
        v[10 + k] = r->cost_given[k] ? (struct sql_val){.type = SQL_REAL, .d = r->cost[k]}
                                     : (struct sql_val){.type = SQL_NULL};
    v[13] = TXT(r->model_name);
    v[14] = TXT(r->model_provider);
#undef TXT
}

/* The cost columns in trace_cost_keys' order (input, output, total). */
static const struct db_batch_sql upsert_spans = {
    "INSERT INTO spans (trace_id, experiment_id, span_id, parent_span_id, name, type, status, "
    "start_time_unix_nano, end_time_unix_nano, content, input_cost, output_cost, total_cost, "
    "model_name, model_provider)",
    "ON CONFLICT (trace_id, span_id) DO UPDATE SET experiment_id = excluded.experiment_id, "
    "parent_span_id = excluded.parent_span_id, name = excluded.name, type = excluded.type, "
    "status = excluded.status, start_time_unix_nano = excluded.start_time_unix_nano, "
    "end_time_unix_nano = excluded.end_time_unix_nano, content = excluded.content, "
    "input_cost = excluded.input_cost, output_cost = excluded.output_cost, "
    "total_cost = excluded.total_cost, model_name = excluded.model_name, "
    "model_provider = excluded.model_provider",
    15,
    {SQL_TEXT, SQL_INT, SQL_TEXT, SQL_TEXT, SQL_TEXT, SQL_TEXT, SQL_TEXT, SQL_INT, SQL_INT,
     SQL_TEXT, SQL_REAL, SQL_REAL, SQL_REAL, SQL_TEXT, SQL_TEXT},
};

/* What the batch knows of each of its traces before writing: whether it exists, with
 * which experiment, and whether start_trace finalized its times. */
struct trace_state {
    bool exists, finalized;
    int64_t exp_id;
    bool has_tokens, has_cost; /* a token / cost column is set */
    bool has_user;             /* metadata mlflow.trace.user is */
};

static int agg_cmp(const void *a, const void *b)
{
    return strcmp((*(const struct span_trace_agg *const *)a)->trace_id,
                  (*(const struct span_trace_agg *const *)b)->trace_id);
}

/* The state of every trace of the batch, in one query. by_id is aggs sorted by id (for
 * the lookups); st[i] belongs to aggs[i]. */
static int read_states(struct sctx *c, const struct span_trace_agg *aggs, size_t naggs,
                       const struct span_trace_agg **by_id, struct trace_state *st)
{
    const char **ids = arena_calloc(c->a, naggs, sizeof *ids);
    for (size_t i = 0; i < naggs; i++)
        ids[i] = aggs[i].trace_id;
    struct db_stmt *q = db_prepare(
        c->db, "SELECT t.request_id, t.experiment_id, EXISTS (SELECT 1 FROM "
               "trace_request_metadata m WHERE m.request_id = t.request_id AND m.key = "
               "'mlflow.trace.infoFinalized'), COALESCE(t.input_tokens, t.output_tokens, "
               "t.total_tokens, t.cache_read_input_tokens, t.cache_creation_input_tokens, "
               "t.cache_creation_input_tokens_above_1hr) IS NOT NULL, COALESCE(t.input_cost, "
               "t.output_cost, t.total_cost) IS NOT NULL, EXISTS (SELECT 1 FROM "
               "trace_request_metadata m WHERE m.request_id = t.request_id AND m.key = "
               "'mlflow.trace.user') FROM trace_info t WHERE t.request_id IN "
               "(SELECT value FROM json_each(?))");
    if (!q)
        return store_err(c);
    db_bind_str(q, 1, store_ids_json(c->a, ids, naggs));
    enum db_rc rc;
    while ((rc = db_step(q)) == DB_ROW) {
        struct span_trace_agg key = {.trace_id = db_col_text(q, 0, NULL)};
        const struct span_trace_agg *kp = &key;
        const struct span_trace_agg **hit =
            key.trace_id ? bsearch(&kp, by_id, naggs, sizeof *by_id, agg_cmp) : NULL;
        if (!hit)
            continue;
        struct trace_state *t = &st[*hit - aggs];
        t->exists = true;
        t->exp_id = db_col_int(q, 1);
        t->finalized = db_col_int(q, 2) != 0;
        t->has_tokens = db_col_int(q, 3) != 0;
        t->has_cost = db_col_int(q, 4) != 0;
        t->has_user = db_col_int(q, 5) != 0;
    }
    db_done(q);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

/* A trace its spans create, with everything log_spans derives for it at once: times, state,
 * previews and name. 1 inserted, 0 when another writer created it meanwhile (PostgreSQL),
 * -1 on error. */
static int create_from_spans(struct sctx *c, int64_t exp_id, const struct span_trace_agg *g)
{
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, "
               "execution_time_ms, status, request_preview, response_preview, trace_name, "
               "session_id, db_payload_generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
               "ON CONFLICT DO NOTHING");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, g->trace_id);
    db_bind_int(st, 2, exp_id);
    db_bind_int(st, 3, g->min_start_ms);
    if (g->has_max_end)
        db_bind_int(st, 4, g->max_end_ms - g->min_start_ms);
    else
        db_bind_null(st, 4);
    db_bind_str(st, 5, g->root_status ? g->root_status : "IN_PROGRESS");
    db_bind_str(st, 6, g->request_preview);
    db_bind_str(st, 7, g->response_preview);
    db_bind_str(st, 8, g->trace_name);
    db_bind_str(st, 9, g->session_id);
    if (store_exec(c, st) != 0)
        return -1;
    return db_changes(c->db) > 0;
}

/* log_spans' phase 5 for a trace that existed: times widened unless start_trace finalized
 * them, the state from the root span while in progress, previews and name when missing. */
static int update_from_spans(struct sctx *c, const struct span_trace_agg *g, bool finalized)
{
    struct db_stmt *st;
    /* ?6 the batch's earliest start, ?7 its latest end (ms); finalized traces keep both (and
     * take the session as ?6). */
    if (finalized)
        st = db_prepare(c->db,
                        "UPDATE trace_info SET "
                        "request_preview = COALESCE(request_preview, ?2), "
                        "response_preview = COALESCE(response_preview, ?3), "
                        "trace_name = COALESCE(?4, trace_name), "
                        "status = CASE WHEN status IN ('IN_PROGRESS', 'STATE_UNSPECIFIED') AND "
                        "CAST(?5 AS TEXT) IS NOT NULL THEN ?5 ELSE status END, "
                        "session_id = COALESCE(session_id, ?6), "
                        "db_payload_generation = db_payload_generation + 1 WHERE request_id = ?1");
    else
        st = db_prepare(c->db,
                        "UPDATE trace_info SET "
                        "request_preview = COALESCE(request_preview, ?2), "
                        "response_preview = COALESCE(response_preview, ?3), "
                        "trace_name = COALESCE(?4, trace_name), "
                        "status = CASE WHEN status IN ('IN_PROGRESS', 'STATE_UNSPECIFIED') AND "
                        "CAST(?5 AS TEXT) IS NOT NULL THEN ?5 ELSE status END, "
                        "execution_time_ms = CASE WHEN CAST(?7 AS BIGINT) IS NULL THEN "
                        "execution_time_ms ELSE (CASE WHEN timestamp_ms + execution_time_ms > ?7 "
                        "THEN timestamp_ms + execution_time_ms ELSE ?7 END) - (CASE WHEN "
                        "timestamp_ms > ?6 THEN ?6 ELSE timestamp_ms END) END, "
                        "timestamp_ms = CASE WHEN timestamp_ms > ?6 THEN ?6 ELSE timestamp_ms END, "
                        "session_id = COALESCE(session_id, ?8), "
                        "db_payload_generation = db_payload_generation + 1 WHERE request_id = ?1");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, g->trace_id);
    db_bind_str(st, 2, g->request_preview);
    db_bind_str(st, 3, g->response_preview);
    db_bind_str(st, 4, g->trace_name);
    db_bind_str(st, 5, g->root_status);
    db_bind_str(st, finalized ? 6 : 8, g->session_id);
    if (!finalized) {
        db_bind_int(st, 6, g->min_start_ms);
        if (g->has_max_end)
            db_bind_int(st, 7, g->max_end_ms);
        else
            db_bind_null(st, 7);
    }
    return store_exec(c, st);
}

/* The tags the batch sets, for every trace in one statement: the artifact location of the
 * traces it creates, the spans' location, and the resource's and root spans' tags. A key
 * set twice for a trace is written once, with the later value (a statement may not
 * update one row twice on PostgreSQL). */
struct tag_row {
    const char *id, *key, *value;
};
struct tag_rows {
    struct tag_row *r;
    size_t n;
};

static void tag_row_vals(void *ctx, size_t i, struct sql_val *v)
{
    const struct tag_row *r = &((const struct tag_rows *)ctx)->r[i];
    v[0] = (struct sql_val){.type = SQL_TEXT, .s = r->key, .n = strlen(r->key)};
    v[1] = r->value ? (struct sql_val){.type = SQL_TEXT, .s = r->value, .n = strlen(r->value)}
                    : (struct sql_val){.type = SQL_NULL};
    v[2] = (struct sql_val){.type = SQL_TEXT, .s = r->id, .n = strlen(r->id)};
}

static const struct db_batch_sql upsert_tags = {
    "INSERT INTO trace_tags (key, value, request_id)",
    "ON CONFLICT (key, request_id) DO UPDATE SET value = excluded.value",
    3,
    {SQL_TEXT, SQL_TEXT, SQL_TEXT},
};

static void tag_add(struct tag_rows *t, size_t first, const char *id, const char *k,
                    const char *v)
{
    for (size_t i = first; i < t->n; i++)
        if (strcmp(t->r[i].key, k) == 0) {
            t->r[i].value = v;
            return;
        }
    t->r[t->n++] = (struct tag_row){id, k, v};
}

/* The stored spans of a trace with their usage, read by usage_of from their contents. */
static int stored_usage(struct sctx *c, const char *trace_id, span_usage_reader usage_of,
                        struct span_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_stmt *st =
        db_prepare(c->db, "SELECT span_id, parent_span_id, content FROM spans WHERE trace_id = ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, trace_id);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *out = arena_grow(c->a, *out, *n, sizeof **out);
        struct span_row *r = &(*out)[(*n)++];
        memset(r, 0, sizeof *r);
        r->span_id = store_col(c, st, 0);
        r->parent_span_id = store_col(c, st, 1);
        size_t len;
        const char *content = db_col_text(st, 2, &len);
        usage_of(content ? content : "", content ? len : 0, &r->usage);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : store_err_step(c, rc);
}

/* What log_spans derives from the spans once they are stored: the trace's token usage and
 * cost, unless start_trace gave them (finalized with one set), summed over the batch's spans
 * for a trace the batch creates and over every stored span (the batch's among them)
 * otherwise, so that a rollup parent and its children logged apart count once; and the user
 * the spans name when the trace has none. */
static int derive_from_spans(struct sctx *c, const struct span_row *spans, size_t n,
                             const struct span_trace_agg *g, const struct trace_state *t,
                             bool created, span_usage_reader usage_of)
{
    if (g->user_id && !t->has_user) {
        struct db_stmt *st = db_prepare(
            c->db, "INSERT INTO trace_request_metadata (key, value, request_id) VALUES "
                   "('mlflow.trace.user', ?, ?) ON CONFLICT (key, request_id) DO NOTHING");
        if (!st)
            return store_err(c);
        db_bind_str(st, 1, g->user_id);
        db_bind_str(st, 2, g->trace_id);
        if (store_exec(c, st) != 0)
            return -1;
    }
    /* Each kind the batch carries, unless start_trace gave it. */
    bool tokens = g->has_tokens && !(t->finalized && t->has_tokens);
    bool cost = g->has_cost && !(t->finalized && t->has_cost);
    if (!usage_of || (!tokens && !cost))
        return 0;
    struct span_row *rows;
    size_t m = 0;
    if (created) {
        rows = arena_calloc(c->a, n, sizeof *rows);
        for (size_t i = 0; i < n; i++)
            if (strcmp(spans[i].trace_id, g->trace_id) == 0)
                rows[m++] = spans[i];
    } else if (stored_usage(c, g->trace_id, usage_of, &rows, &m) != 0) {
        return -1;
    }
    struct trace_usage u;
    trace_usage_sum(c->a, rows, m, &u);
    if (!tokens)
        memset(u.has_tokens, 0, sizeof u.has_tokens);
    if (!cost)
        memset(u.has_cost, 0, sizeof u.has_cost);
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE trace_info SET input_tokens = COALESCE(?2, input_tokens), "
               "output_tokens = COALESCE(?3, output_tokens), "
               "total_tokens = COALESCE(?4, total_tokens), "
               "cache_read_input_tokens = COALESCE(?5, cache_read_input_tokens), "
               "cache_creation_input_tokens = COALESCE(?6, cache_creation_input_tokens), "
               "cache_creation_input_tokens_above_1hr = COALESCE(?7, "
               "cache_creation_input_tokens_above_1hr), input_cost = COALESCE(?8, input_cost), "
               "output_cost = COALESCE(?9, output_cost), total_cost = COALESCE(?10, total_cost) "
               "WHERE request_id = ?1");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, g->trace_id);
    bind_usage(st, 2, &u);
    return store_exec(c, st);
}

int trace_log_spans(struct sctx *c, int64_t experiment_id, const struct span_row *spans,
                    size_t n, const struct span_trace_agg *aggs, size_t naggs,
                    span_usage_reader usage_of)
{
    if (txn_begin(c) != 0)
        return -1;
    size_t m = naggs ? naggs : 1;
    const struct span_trace_agg **by_id = arena_calloc(c->a, m, sizeof *by_id);
    struct trace_state *st = arena_calloc(c->a, m, sizeof *st);
    for (size_t i = 0; i < naggs; i++)
        by_id[i] = &aggs[i];
    qsort(by_id, naggs, sizeof *by_id, agg_cmp);
    if (naggs && read_states(c, aggs, naggs, by_id, st) != 0)
        return txn_fail(c, -1);
    /* A trace that exists keeps its experiment; its spans go with it. */
    struct experiment x;
    bool have_x = false;
    size_t ntags = 0;
    for (size_t i = 0; i < naggs; i++)
        ntags += 2 + aggs[i].ntags;
    struct tag_rows tags = {arena_calloc(c->a, ntags ? ntags : 1, sizeof *tags.r), 0};
    bool *created = arena_calloc(c->a, m, sizeof *created);
    for (size_t i = 0; i < naggs; i++) {
        const struct span_trace_agg *g = &aggs[i];
        size_t first = tags.n;
        if (!st[i].exists) {
            if (!have_x && experiment_of_traces(c, experiment_id, &x) != 0)
                return txn_fail(c, -1);
            have_x = true;
            int made = create_from_spans(c, experiment_id, g);
            if (made < 0)
                return txn_fail(c, -1);
            st[i].exp_id = experiment_id;
            created[i] = made;
            if (made)
                tag_add(&tags, first, g->trace_id, TRACE_TAG_ARTIFACT_LOCATION,
                        trace_artifact_uri(c, x.artifact_location, g->trace_id));
            else
                st[i].exists = true; /* created by another writer since read_states */
        }
        if (st[i].exists && update_from_spans(c, g, st[i].finalized) != 0)
            return txn_fail(c, -1);
        tag_add(&tags, first, g->trace_id, TRACE_TAG_SPANS_LOCATION, "TRACKING_STORE");
        for (size_t k = 0; k < g->ntags; k++)
            tag_add(&tags, first, g->trace_id, g->tags[k].key, g->tags[k].value);
    }
    /* Every span goes with its trace's experiment (looked up once per run of one trace), all
     * of them in one batch. */
    int64_t *exp_of = arena_calloc(c->a, n ? n : 1, sizeof *exp_of);
    for (size_t i = 0, j; i < n; i = j) {
        struct span_trace_agg key = {.trace_id = spans[i].trace_id};
        const struct span_trace_agg *kp = &key;
        const struct span_trace_agg **hit =
            naggs ? bsearch(&kp, by_id, naggs, sizeof *by_id, agg_cmp) : NULL;
        int64_t exp = hit ? st[*hit - aggs].exp_id : experiment_id;
        for (j = i; j < n && (j == i || strcmp(spans[j].trace_id, spans[i].trace_id) == 0); j++)
            exp_of[j] = exp;
    }
    struct span_rows sr = {spans, exp_of};
    enum db_rc rc = db_batch(c->db, &upsert_spans, n, span_row_vals, &sr);
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    if (tags.n && (rc = db_batch(c->db, &upsert_tags, tags.n, tag_row_vals, &tags)) != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    for (size_t i = 0; i < naggs; i++)
        if (derive_from_spans(c, spans, n, &aggs[i], &st[i], created[i], usage_of) != 0)
            return txn_fail(c, -1);
    return txn_commit(c);
}

/* ---- search ---- */

int trace_search(struct sctx *c, const struct trace_search_q *q, struct trace_info **out,
                 size_t *n, bool *more)
{
    *out = NULL;
    *n = 0;
    *more = false;
    struct buf sql;
    buf_init(&sql, 1 << 20);
    struct sql_val *binds;
    size_t nb;
    struct search_traces_q sq = {q->experiment_ids, q->nexp, q->filter, q->order_by,
                                 {q->limit + 1, q->offset}, INFO_COLUMNS};
    if (search_traces_sql(c->a, db_dialect(c->db), &sq, &sql, &binds, &nb, c->e) != 0) {
        buf_release(&sql);
        return -1;
    }
    if (txn_begin_read(c) != 0) {
        buf_release(&sql);
        return -1;
    }
    /* The page's rows are read by the search itself; only their children are looked up. */
    struct db_stmt *st = store_search_stmt(c, &sql, binds, nb);
    buf_release(&sql);
    if (!st)
        return txn_end_read(c, -1);
    struct trace_info *t = NULL;
    const char **names = NULL, **sessions = NULL;
    size_t rows = 0;
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (rows == (size_t)q->limit) {
            *more = true;
            break;
        }
        t = arena_grow(c->a, t, rows, sizeof *t);
        names = arena_grow(c->a, names, rows, sizeof *names);
        sessions = arena_grow(c->a, sessions, rows, sizeof *sessions);
        read_info_row(c, st, &t[rows], &names[rows], &sessions[rows]);
        rows++;
    }
    db_done(st);
    if (rc != DB_DONE && rc != DB_ROW)
        return txn_end_read(c, store_err_step(c, rc));
    *out = t;
    *n = rows;
    const char **ids = arena_calloc(c->a, rows ? rows : 1, sizeof *ids);
    for (size_t i = 0; i < rows; i++)
        ids[i] = t[i].trace_id;
    return txn_end_read(
        c, load_children(c, t, rows, names, sessions, store_ids_json(c->a, ids, rows)));
}
