/* The search SQL builders: a parsed filter and order_by become one SELECT over MLflow's
 * schema with `?` placeholders and an arena array of bound values, mirroring the SQL that
 * MLflow's SQLAlchemy stores run (sqlalchemy_store.py _search_runs, _search_experiments,
 * the registry store and search_logged_models). See search_sql.h for the dialect rules. */
#include "search_sql.h"

#include <stdbool.h>
#include <string.h>

#include "../base/banned.h"

/* ---------------------------------------------------------------------------------------
 * Statement builder: SQL text plus the binds in placeholder order */

struct sb {
    struct arena *a;
    enum db_kind k;
    struct buf *b;
    struct sql_val *v;
    size_t n, cap;
    bool too_many;
    bool where; /* a WHERE has been written */
};

static void sb_init(struct sb *sb, struct arena *a, enum db_kind k, struct buf *b)
{
    memset(sb, 0, sizeof *sb);
    sb->a = a;
    sb->k = k;
    sb->b = b;
}

static void sb_puts(struct sb *sb, const char *s)
{
    buf_puts(sb->b, s);
}

static struct sql_val *sb_bind(struct sb *sb)
{
    if (sb->n >= SEARCH_MAX_BINDS) {
        sb->too_many = true;
        sb->n = 0; /* keep writing into slot 0; the result is discarded */
    }
    if (sb->n == sb->cap) {
        size_t cap = sb->cap ? sb->cap * 2 : 16;
        struct sql_val *v = arena_calloc(sb->a, cap, sizeof *v);
        if (sb->n)
            memcpy(v, sb->v, sb->n * sizeof *v);
        sb->v = v;
        sb->cap = cap;
    }
    buf_putc(sb->b, '?');
    struct sql_val *v = &sb->v[sb->n++];
    memset(v, 0, sizeof *v);
    return v;
}

static void sb_text(struct sb *sb, struct str s)
{
    struct sql_val *v = sb_bind(sb);
    v->type = SQL_TEXT;
    v->s = s.p ? s.p : "";
    v->n = s.n;
}

static void sb_int(struct sb *sb, int64_t i)
{
    struct sql_val *v = sb_bind(sb);
    v->type = SQL_INT;
    v->i = i;
}

static void sb_real(struct sb *sb, double d)
{
    struct sql_val *v = sb_bind(sb);
    v->type = SQL_REAL;
    v->d = d;
}

/* " WHERE " before the first condition, " AND " before the others. */
static void sb_cond(struct sb *sb)
{
    sb_puts(sb, sb->where ? " AND " : " WHERE ");
    sb->where = true;
}

static void sb_int_list(struct sb *sb, const int64_t *ids, size_t n)
{
    sb_puts(sb, "(");
    for (size_t j = 0; j < n; j++) {
        if (j)
            sb_puts(sb, ", ");
        sb_int(sb, ids[j]);
    }
    sb_puts(sb, ")");
}

static void sb_page(struct sb *sb, const struct search_page *pg)
{
    if (pg->limit >= 0) {
        sb_puts(sb, " LIMIT ");
        sb_int(sb, pg->limit);
        sb_puts(sb, " OFFSET ");
        sb_int(sb, pg->offset > 0 ? pg->offset : 0);
    } else if (pg->offset > 0) {
        /* SQLite needs a LIMIT before OFFSET; -1 means none. */
        sb_puts(sb, sb->k == DB_SQLITE ? " LIMIT -1 OFFSET " : " OFFSET ");
        sb_int(sb, pg->offset);
    }
}

static int sb_finish(struct sb *sb, struct sql_val **binds, size_t *nbinds, struct err *e)
{
    if (sb->too_many)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Search filter is too large: more than %d values", SEARCH_MAX_BINDS);
    if (!buf_ok(sb->b))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Search query is too large");
    *binds = sb->v;
    *nbinds = sb->n;
    return 0;
}

struct str search_like_to_glob(struct arena *a, struct str like)
{
    char *out = arena_alloc(a, like.n * 3 + 1);
    size_t k = 0;
    for (size_t j = 0; j < like.n; j++) {
        char ch = like.p[j];
        switch (ch) {
        case '%':
            out[k++] = '*';
            break;
        case '_':
            out[k++] = '?';
            break;
        case '*':
        case '?':
        case '[':
            out[k++] = '[';
            out[k++] = ch;
            out[k++] = ']';
            break;
        default:
            out[k++] = ch;
        }
    }
    out[k] = '\0';
    return (struct str){out, k};
}

/* The clause's scalar value as a bind. */
static void sb_value(struct sb *sb, const struct filter_clause *fc)
{
    switch (fc->vtype) {
    case FILTER_V_INT:
        sb_int(sb, fc->i);
        break;
    case FILTER_V_REAL:
        sb_real(sb, fc->d);
        break;
    default:
        sb_text(sb, fc->s);
        break;
    }
}

/* `col <op> value` for one clause (not IS NULL, which the callers handle). */
static void sb_cmp(struct sb *sb, const char *col, const struct filter_clause *fc)
{
    static const char *const sym[] = {" = ", " != ", " < ", " <= ", " > ", " >= "};
    switch (fc->op) {
    case FILTER_EQ:
    case FILTER_NE:
    case FILTER_LT:
    case FILTER_LE:
    case FILTER_GT:
    case FILTER_GE:
        sb_puts(sb, col);
        sb_puts(sb, sym[fc->op]);
        sb_value(sb, fc);
        break;
    case FILTER_LIKE:
        sb_puts(sb, col);
        if (sb->k == DB_SQLITE) {
            sb_puts(sb, " GLOB ");
            sb_text(sb, search_like_to_glob(sb->a, fc->s));
        } else {
            sb_puts(sb, " LIKE ");
            sb_text(sb, fc->s);
        }
        break;
    case FILTER_ILIKE:
        if (sb->k == DB_SQLITE) {
            sb_puts(sb, "lower(");
            sb_puts(sb, col);
            sb_puts(sb, ") LIKE lower(");
            sb_text(sb, fc->s);
            sb_puts(sb, ")");
        } else {
            sb_puts(sb, col);
            sb_puts(sb, " ILIKE ");
            sb_text(sb, fc->s);
        }
        break;
    case FILTER_IN:
    case FILTER_NOT_IN:
        sb_puts(sb, col);
        sb_puts(sb, fc->op == FILTER_IN ? " IN (" : " NOT IN (");
        for (size_t j = 0; j < fc->nlist; j++) {
            if (j)
                sb_puts(sb, ", ");
            if (fc->vtype == FILTER_V_INTLIST)
                sb_int(sb, fc->ilist[j]);
            else
                sb_text(sb, fc->list[j]);
        }
        sb_puts(sb, ")");
        break;
    case FILTER_IS_NULL:
    case FILTER_IS_NOT_NULL:
        sb_puts(sb, col);
        sb_puts(sb, fc->op == FILTER_IS_NULL ? " IS NULL" : " IS NOT NULL");
        break;
    }
}

static void sb_lifecycle(struct sb *sb, const char *col, enum search_view view)
{
    sb_cond(sb);
    sb_puts(sb, col);
    if (view == SEARCH_VIEW_DELETED_ONLY)
        sb_puts(sb, " IN ('deleted')");
    else if (view == SEARCH_VIEW_ALL)
        sb_puts(sb, " IN ('active', 'deleted')");
    else
        sb_puts(sb, " IN ('active')");
}

static void sb_order_item(struct sb *sb, bool *first, const char *expr, bool desc)
{
    sb_puts(sb, *first ? " ORDER BY " : ", ");
    *first = false;
    sb_puts(sb, expr);
    if (desc)
        sb_puts(sb, " DESC");
}

/* "CASE WHEN col IS NULL THEN 1 ELSE 0 END, col [DESC]": nulls last in either direction. */
static void sb_order_nulls_last(struct sb *sb, bool *first, const char *col, bool desc)
{
    sb_puts(sb, *first ? " ORDER BY " : ", ");
    *first = false;
    sb_puts(sb, "CASE WHEN ");
    sb_puts(sb, col);
    sb_puts(sb, " IS NULL THEN 1 ELSE 0 END, ");
    sb_puts(sb, col);
    if (desc)
        sb_puts(sb, " DESC");
}

static bool filter_has(const struct filter *f)
{
    return f && f->n > 0;
}

static bool order_has(const struct order_by *o)
{
    return o && o->n > 0;
}

/* ---------------------------------------------------------------------------------------
 * Runs */

static const char *runs_column(enum filter_attr attr)
{
    switch (attr) {
    case FATTR_RUN_ID:
        return "runs.run_uuid";
    case FATTR_RUN_NAME:
        return "runs.name";
    case FATTR_STATUS:
        return "runs.status";
    case FATTR_USER_ID:
        return "runs.user_id";
    case FATTR_ARTIFACT_URI:
        return "runs.artifact_uri";
    case FATTR_START_TIME:
        return "runs.start_time";
    case FATTR_END_TIME:
        return "runs.end_time";
    default:
        return NULL;
    }
}

static int runs_clause(struct sb *sb, const struct filter_clause *fc, struct err *e)
{
    sb_cond(sb);
    switch (fc->entity) {
    case FILTER_ATTRIBUTE:
        if (fc->attr == FATTR_RUN_NAME) {
            /* MLflow filters run_name through the mlflow.runName tag (the name column is
             * empty for runs logged by MLflow <= 1.29). */
            sb_puts(sb, "runs.run_uuid IN (SELECT t.run_uuid FROM tags t WHERE "
                        "t.\"key\" = 'mlflow.runName' AND ");
            sb_cmp(sb, "t.value", fc);
            sb_puts(sb, ")");
            return 0;
        }
        if (!runs_column(fc->attr))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid attribute key '%s'",
                           fc->key.p);
        sb_cmp(sb, runs_column(fc->attr), fc);
        return 0;
    case FILTER_METRIC:
        /* NaN is stored as value 0 with is_nan: only != holds for it. */
        sb_puts(sb, "runs.run_uuid IN (SELECT m.run_uuid FROM latest_metrics m WHERE "
                    "m.\"key\" = ");
        sb_text(sb, fc->key);
        if (fc->op == FILTER_NE) {
            sb_puts(sb, " AND (");
            sb_cmp(sb, "m.value", fc);
            sb_puts(sb, " OR m.is_nan))");
        } else {
            sb_puts(sb, " AND ");
            sb_cmp(sb, "m.value", fc);
            sb_puts(sb, " AND NOT m.is_nan)");
        }
        return 0;
    case FILTER_PARAM:
    case FILTER_TAG: {
        const char *tbl = fc->entity == FILTER_PARAM ? "params" : "tags";
        bool is_null = fc->op == FILTER_IS_NULL;
        sb_puts(sb, is_null ? "runs.run_uuid NOT IN (SELECT p.run_uuid FROM "
                            : "runs.run_uuid IN (SELECT p.run_uuid FROM ");
        sb_puts(sb, tbl);
        sb_puts(sb, " p WHERE p.\"key\" = ");
        sb_text(sb, fc->key);
        if (fc->op != FILTER_IS_NULL && fc->op != FILTER_IS_NOT_NULL) {
            sb_puts(sb, " AND ");
            sb_cmp(sb, "p.value", fc);
        }
        sb_puts(sb, ")");
        return 0;
    }
    case FILTER_DATASET:
        sb_puts(sb, "runs.run_uuid IN (SELECT i.destination_id FROM datasets d JOIN inputs i "
                    "ON i.source_type = 'DATASET' AND i.source_id = d.dataset_uuid "
                    "AND i.destination_type = 'RUN'");
        if (fc->attr == FATTR_DATASET_CONTEXT) {
            sb_puts(sb, " JOIN input_tags it ON it.input_uuid = i.input_uuid AND "
                        "it.name = 'mlflow.data.context' WHERE ");
            sb_cmp(sb, "it.value", fc);
        } else {
            sb_puts(sb, " WHERE ");
            sb_cmp(sb, fc->attr == FATTR_DATASET_NAME ? "d.name" : "d.digest", fc);
        }
        sb_puts(sb, ")");
        return 0;
    }
    return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid search expression type");
}

int search_runs_sql(struct arena *a, enum db_kind k, const struct search_runs_q *q,
                    struct buf *sql, struct sql_val **binds, size_t *nbinds, struct err *e)
{
    struct sb sb;
    sb_init(&sb, a, k, sql);
    if (filter_has(q->filter) && q->filter->kind != SEARCH_RUNS)
        return err_set(e, ERR_INTERNAL_ERROR, "search_runs_sql: filter of another kind");
    const struct order_by *ob = order_has(q->order) ? q->order : NULL;

    sb_puts(&sb, "SELECT runs.run_uuid FROM runs");
    /* One LEFT JOIN per metric/param/tag order key, on the (key, run_uuid) primary key. */
    for (size_t j = 0; ob && j < ob->n; j++) {
        const struct order_key *ok = &ob->keys[j];
        const char *tbl = ok->entity == FILTER_METRIC  ? "latest_metrics"
                          : ok->entity == FILTER_PARAM ? "params"
                          : ok->entity == FILTER_TAG   ? "tags"
                                                       : NULL;
        if (!tbl)
            continue;
        char *alias = arena_printf(a, "o%zu", j);
        sb_puts(&sb, " LEFT JOIN ");
        sb_puts(&sb, tbl);
        sb_puts(&sb, " ");
        sb_puts(&sb, alias);
        sb_puts(&sb, " ON ");
        sb_puts(&sb, alias);
        sb_puts(&sb, ".run_uuid = runs.run_uuid AND ");
        sb_puts(&sb, alias);
        sb_puts(&sb, ".\"key\" = ");
        sb_text(&sb, ok->key);
    }

    sb_cond(&sb);
    if (q->n_experiment_ids == 0) {
        sb_puts(&sb, "0 = 1");
    } else {
        sb_puts(&sb, "runs.experiment_id IN ");
        sb_int_list(&sb, q->experiment_ids, q->n_experiment_ids);
    }
    sb_lifecycle(&sb, "runs.lifecycle_stage", q->view);
    for (size_t j = 0; filter_has(q->filter) && j < q->filter->n; j++)
        if (runs_clause(&sb, &q->filter->clauses[j], e) < 0)
            return -1;

    bool first = true, has_start = false;
    for (size_t j = 0; ob && j < ob->n; j++) {
        const struct order_key *ok = &ob->keys[j];
        bool desc = !ok->ascending;
        if (ok->entity == FILTER_ATTRIBUTE) {
            const char *col = runs_column(ok->attr);
            if (!col)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid order_by key '%s'",
                               ok->key.p);
            if (ok->attr == FATTR_START_TIME)
                has_start = true;
            sb_order_nulls_last(&sb, &first, col, desc);
            continue;
        }
        char *alias = arena_printf(a, "o%zu", j);
        char *val = arena_printf(a, "%s.value", alias);
        if (ok->entity == FILTER_METRIC) {
            /* Real values, then NaN, then runs without the metric, in either direction. */
            sb_order_item(&sb, &first,
                          arena_printf(a, "CASE WHEN %s.is_nan THEN 1 WHEN %s.value IS NULL "
                                          "THEN 2 ELSE 0 END",
                                       alias, alias),
                          false);
            sb_order_item(&sb, &first, val, desc);
        } else {
            sb_order_nulls_last(&sb, &first, val, desc);
        }
    }
    if (!has_start)
        sb_order_item(&sb, &first, "runs.start_time", true);
    sb_order_item(&sb, &first, "runs.run_uuid", false);
    sb_page(&sb, &q->page);
    return sb_finish(&sb, binds, nbinds, e);
}

/* ---------------------------------------------------------------------------------------
 * Experiments */

static const char *exp_column(enum filter_attr attr)
{
    switch (attr) {
    case FATTR_NAME:
        return "experiments.name";
    case FATTR_EXPERIMENT_ID:
        return "experiments.experiment_id";
    case FATTR_CREATION_TIME:
        return "experiments.creation_time";
    case FATTR_LAST_UPDATE_TIME:
        return "experiments.last_update_time";
    default:
        return NULL;
    }
}

int search_experiments_sql(struct arena *a, enum db_kind k, const struct search_experiments_q *q,
                           struct buf *sql, struct sql_val **binds, size_t *nbinds,
                           struct err *e)
{
    struct sb sb;
    sb_init(&sb, a, k, sql);
    if (filter_has(q->filter) && q->filter->kind != SEARCH_EXPERIMENTS)
        return err_set(e, ERR_INTERNAL_ERROR, "search_experiments_sql: filter of another kind");

    sb_puts(&sb, "SELECT experiments.experiment_id FROM experiments");
    sb_lifecycle(&sb, "experiments.lifecycle_stage", q->view);
    if (q->workspace) {
        sb_cond(&sb);
        sb_puts(&sb, "experiments.workspace = ");
        sb_text(&sb, str_c(q->workspace));
    }
    for (size_t j = 0; filter_has(q->filter) && j < q->filter->n; j++) {
        const struct filter_clause *fc = &q->filter->clauses[j];
        sb_cond(&sb);
        if (fc->entity == FILTER_TAG) {
            sb_puts(&sb, fc->op == FILTER_IS_NULL
                             ? "experiments.experiment_id NOT IN (SELECT et.experiment_id FROM "
                               "experiment_tags et WHERE et.\"key\" = "
                             : "experiments.experiment_id IN (SELECT et.experiment_id FROM "
                               "experiment_tags et WHERE et.\"key\" = ");
            sb_text(&sb, fc->key);
            if (fc->op != FILTER_IS_NULL && fc->op != FILTER_IS_NOT_NULL) {
                sb_puts(&sb, " AND ");
                sb_cmp(&sb, "et.value", fc);
            }
            sb_puts(&sb, ")");
            continue;
        }
        const char *col = exp_column(fc->attr);
        if (fc->entity != FILTER_ATTRIBUTE || !col)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid token type: %s",
                           filter_entity_name(fc->entity));
        sb_cmp(&sb, col, fc);
    }

    bool first = true, has_id = false;
    if (order_has(q->order)) {
        for (size_t j = 0; j < q->order->n; j++) {
            const struct order_key *ok = &q->order->keys[j];
            const char *col = exp_column(ok->attr);
            if (ok->entity != FILTER_ATTRIBUTE || !col)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid order_by entity: %s",
                               filter_entity_name(ok->entity));
            if (ok->attr == FATTR_EXPERIMENT_ID)
                has_id = true;
            sb_order_item(&sb, &first, col, !ok->ascending);
        }
        /* MLflow's tie-break is (experiment_id, ascending=False). */
        if (!has_id)
            sb_order_item(&sb, &first, "experiments.experiment_id", true);
    } else {
        sb_order_item(&sb, &first, "experiments.creation_time", true);
        sb_order_item(&sb, &first, "experiments.experiment_id", false);
    }
    sb_page(&sb, &q->page);
    return sb_finish(&sb, binds, nbinds, e);
}

/* ---------------------------------------------------------------------------------------
 * Model registry */

#define IS_PROMPT_TAG "mlflow.prompt.is_prompt"

static bool str_eq_lower(struct str s, const char *lit)
{
    return str_eq_nocase(s, lit);
}

/* MLflow's _is_querying_prompt: the first filter on the prompt tag decides. */
static bool querying_prompt(const struct filter *f)
{
    for (size_t j = 0; f && j < f->n; j++) {
        const struct filter_clause *fc = &f->clauses[j];
        if (fc->entity != FILTER_TAG || !str_eq(fc->key, IS_PROMPT_TAG))
            continue;
        return (fc->op == FILTER_EQ && str_eq_lower(fc->s, "true")) ||
               (fc->op == FILTER_NE && str_eq_lower(fc->s, "false"));
    }
    return false;
}

/* Tag clauses and the prompt exclusion of either registry table. tbl is the main table,
 * tag_tbl its tag table, version whether tags are per version. */
static void registry_tags(struct sb *sb, const struct filter *f, const char *tbl,
                          const char *tag_tbl, bool version)
{
    bool prompts = querying_prompt(f);
    if (!prompts) {
        /* Exclude every row whose name carries the prompt tag (MLflow's anti-join matches
         * on workspace and name only, for versions too). */
        sb_cond(sb);
        sb_puts(sb, "NOT EXISTS (SELECT 1 FROM ");
        sb_puts(sb, tag_tbl);
        sb_puts(sb, " pt WHERE pt.workspace = ");
        sb_puts(sb, tbl);
        sb_puts(sb, ".workspace AND pt.name = ");
        sb_puts(sb, tbl);
        sb_puts(sb, ".name AND pt.\"key\" = '" IS_PROMPT_TAG "' AND pt.value = 'true')");
    }
    for (size_t j = 0; f && j < f->n; j++) {
        const struct filter_clause *fc = &f->clauses[j];
        if (fc->entity != FILTER_TAG)
            continue;
        /* Without a prompt query, clauses on the prompt tag are dropped (the anti-join
         * above stands for them). */
        if (!prompts && str_eq(fc->key, IS_PROMPT_TAG))
            continue;
        sb_cond(sb);
        sb_puts(sb, "EXISTS (SELECT 1 FROM ");
        sb_puts(sb, tag_tbl);
        sb_puts(sb, " t WHERE t.workspace = ");
        sb_puts(sb, tbl);
        sb_puts(sb, ".workspace AND t.name = ");
        sb_puts(sb, tbl);
        sb_puts(sb, ".name");
        if (version) {
            sb_puts(sb, " AND t.version = ");
            sb_puts(sb, tbl);
            sb_puts(sb, ".version");
        }
        sb_puts(sb, " AND t.\"key\" = ");
        sb_text(sb, fc->key);
        sb_puts(sb, " AND ");
        sb_cmp(sb, "t.value", fc);
        sb_puts(sb, ")");
    }
}

int search_registered_models_sql(struct arena *a, enum db_kind k,
                                 const struct search_registered_models_q *q, struct buf *sql,
                                 struct sql_val **binds, size_t *nbinds, struct err *e)
{
    struct sb sb;
    sb_init(&sb, a, k, sql);
    const struct filter *f = filter_has(q->filter) ? q->filter : NULL;
    if (f && f->kind != SEARCH_REGISTERED_MODELS)
        return err_set(e, ERR_INTERNAL_ERROR, "search_registered_models_sql: wrong kind");
    sb_puts(&sb, "SELECT registered_models.name FROM registered_models");
    if (q->workspace) {
        sb_cond(&sb);
        sb_puts(&sb, "registered_models.workspace = ");
        sb_text(&sb, str_c(q->workspace));
    }
    for (size_t j = 0; f && j < f->n; j++) {
        const struct filter_clause *fc = &f->clauses[j];
        if (fc->entity != FILTER_ATTRIBUTE)
            continue;
        if (fc->attr != FATTR_NAME)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid attribute name: %s",
                           fc->key.p);
        sb_cond(&sb);
        sb_cmp(&sb, "registered_models.name", fc);
    }
    registry_tags(&sb, f, "registered_models", "registered_model_tags", false);

    bool first = true, has_name = false;
    for (size_t j = 0; order_has(q->order) && j < q->order->n; j++) {
        const struct order_key *ok = &q->order->keys[j];
        const char *col;
        if (ok->attr == FATTR_NAME) {
            col = "registered_models.name";
            has_name = true;
        } else if (ok->attr == FATTR_LAST_UPDATED_TIMESTAMP) {
            col = "registered_models.last_updated_time";
        } else {
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid order by key '%s' specified",
                           ok->key.p);
        }
        sb_order_item(&sb, &first, col, !ok->ascending);
    }
    if (!has_name)
        sb_order_item(&sb, &first, "registered_models.name", false);
    sb_page(&sb, &q->page);
    return sb_finish(&sb, binds, nbinds, e);
}

static const char *mv_column(enum filter_attr attr)
{
    switch (attr) {
    case FATTR_NAME:
        return "model_versions.name";
    case FATTR_RUN_ID:
        return "model_versions.run_id";
    case FATTR_SOURCE_PATH:
        return "model_versions.source";
    case FATTR_VERSION_NUMBER:
        return "model_versions.version";
    case FATTR_CREATION_TIMESTAMP:
        return "model_versions.creation_time";
    case FATTR_LAST_UPDATED_TIMESTAMP:
        return "model_versions.last_updated_time";
    default:
        return NULL;
    }
}

int search_model_versions_sql(struct arena *a, enum db_kind k,
                              const struct search_model_versions_q *q, struct buf *sql,
                              struct sql_val **binds, size_t *nbinds, struct err *e)
{
    struct sb sb;
    sb_init(&sb, a, k, sql);
    const struct filter *f = filter_has(q->filter) ? q->filter : NULL;
    if (f && f->kind != SEARCH_MODEL_VERSIONS)
        return err_set(e, ERR_INTERNAL_ERROR, "search_model_versions_sql: wrong kind");
    sb_puts(&sb, "SELECT model_versions.name, model_versions.version FROM model_versions");
    if (q->workspace) {
        sb_cond(&sb);
        sb_puts(&sb, "model_versions.workspace = ");
        sb_text(&sb, str_c(q->workspace));
    }
    for (size_t j = 0; f && j < f->n; j++) {
        const struct filter_clause *fc = &f->clauses[j];
        if (fc->entity != FILTER_ATTRIBUTE)
            continue;
        const char *col = mv_column(fc->attr);
        if (!col)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid attribute name: %s",
                           fc->key.p);
        sb_cond(&sb);
        sb_cmp(&sb, col, fc);
    }
    sb_cond(&sb);
    sb_puts(&sb, "model_versions.current_stage != 'Deleted_Internal'");
    registry_tags(&sb, f, "model_versions", "model_version_tags", true);

    bool first = true, has_name = false, has_version = false;
    if (order_has(q->order)) {
        for (size_t j = 0; j < q->order->n; j++) {
            const struct order_key *ok = &q->order->keys[j];
            const char *col = mv_column(ok->attr);
            if (ok->entity != FILTER_ATTRIBUTE || !col)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid order by key '%s' specified", ok->key.p);
            has_name |= ok->attr == FATTR_NAME;
            has_version |= ok->attr == FATTR_VERSION_NUMBER;
            sb_order_item(&sb, &first, col, !ok->ascending);
        }
    } else {
        sb_order_item(&sb, &first, "model_versions.last_updated_time", true);
        has_name = has_version = false;
    }
    if (!has_name)
        sb_order_item(&sb, &first, "model_versions.name", false);
    if (!has_version)
        sb_order_item(&sb, &first, "model_versions.version", true);
    sb_page(&sb, &q->page);
    return sb_finish(&sb, binds, nbinds, e);
}

/* ---------------------------------------------------------------------------------------
 * Logged models */

static const char *lm_column(enum filter_attr attr)
{
    switch (attr) {
    case FATTR_NAME:
        return "logged_models.name";
    case FATTR_MODEL_ID:
        return "logged_models.model_id";
    case FATTR_MODEL_TYPE:
        return "logged_models.model_type";
    case FATTR_STATUS:
        return "logged_models.status";
    case FATTR_SOURCE_RUN_ID:
        return "logged_models.source_run_id";
    case FATTR_EXPERIMENT_ID:
        return "logged_models.experiment_id";
    case FATTR_ARTIFACT_LOCATION:
        return "logged_models.artifact_location";
    case FATTR_STATUS_MESSAGE:
        return "logged_models.status_message";
    case FATTR_CREATION_TIMESTAMP:
        return "logged_models.creation_timestamp_ms";
    case FATTR_LAST_UPDATED_TIMESTAMP:
        return "logged_models.last_updated_timestamp_ms";
    default:
        return NULL;
    }
}

/* (dataset_name = ? [AND dataset_digest = ?]) OR ... over the request's datasets. */
static void lm_dataset_cond(struct sb *sb, const struct search_logged_models_q *q)
{
    sb_puts(sb, "(");
    for (size_t j = 0; j < q->n_datasets; j++) {
        if (j)
            sb_puts(sb, " OR ");
        sb_puts(sb, "(lmm.dataset_name = ");
        sb_text(sb, q->datasets[j].name);
        if (q->datasets[j].digest.n) {
            sb_puts(sb, " AND lmm.dataset_digest = ");
            sb_text(sb, q->datasets[j].digest);
        }
        sb_puts(sb, ")");
    }
    sb_puts(sb, ")");
}

int search_logged_models_sql(struct arena *a, enum db_kind k,
                             const struct search_logged_models_q *q, struct buf *sql,
                             struct sql_val **binds, size_t *nbinds, struct err *e)
{
    struct sb sb;
    sb_init(&sb, a, k, sql);
    const struct filter *f = filter_has(q->filter) ? q->filter : NULL;
    const struct order_by *ob = order_has(q->order) ? q->order : NULL;
    if (f && f->kind != SEARCH_LOGGED_MODELS)
        return err_set(e, ERR_INTERNAL_ERROR, "search_logged_models_sql: wrong kind");
    for (size_t j = 0; j < q->n_datasets; j++)
        if (!q->datasets[j].name.n)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "`dataset_name` in the `datasets` clause must be specified.");

    sb_puts(&sb, "SELECT logged_models.model_id FROM logged_models");
    /* The latest value (by timestamp, step, run id) of each ordered metric. */
    for (size_t j = 0; ob && j < ob->n; j++) {
        const struct order_key *ok = &ob->keys[j];
        if (ok->entity != FILTER_METRIC)
            continue;
        char *alias = arena_printf(a, "o%zu", j);
        sb_puts(&sb, " LEFT JOIN (SELECT r.model_id, r.metric_value FROM (SELECT "
                     "lmm.model_id, lmm.metric_value, ROW_NUMBER() OVER (PARTITION BY "
                     "lmm.model_id, lmm.metric_name ORDER BY lmm.metric_timestamp_ms DESC, "
                     "lmm.metric_step DESC, lmm.run_id ASC) AS rn FROM logged_model_metrics "
                     "lmm WHERE lmm.metric_name = ");
        sb_text(&sb, ok->key);
        if (ok->dataset_name.n) {
            sb_puts(&sb, " AND lmm.dataset_name = ");
            sb_text(&sb, ok->dataset_name);
        }
        if (ok->dataset_digest.n) {
            sb_puts(&sb, " AND lmm.dataset_digest = ");
            sb_text(&sb, ok->dataset_digest);
        }
        sb_puts(&sb, ") r WHERE r.rn = 1) ");
        sb_puts(&sb, alias);
        sb_puts(&sb, " ON ");
        sb_puts(&sb, alias);
        sb_puts(&sb, ".model_id = logged_models.model_id");
    }

    sb_cond(&sb);
    sb_puts(&sb, "logged_models.lifecycle_stage != 'deleted'");
    sb_cond(&sb);
    if (q->n_experiment_ids == 0) {
        sb_puts(&sb, "0 = 1");
    } else {
        sb_puts(&sb, "logged_models.experiment_id IN ");
        sb_int_list(&sb, q->experiment_ids, q->n_experiment_ids);
    }
    bool has_metric = false;
    for (size_t j = 0; f && j < f->n; j++) {
        const struct filter_clause *fc = &f->clauses[j];
        sb_cond(&sb);
        switch (fc->entity) {
        case FILTER_ATTRIBUTE: {
            const char *col = lm_column(fc->attr);
            if (!col)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid logged model search key '%s'", fc->key.p);
            sb_cmp(&sb, col, fc);
            break;
        }
        case FILTER_METRIC:
            /* Any logged value matches, as in MLflow (not only the latest). */
            has_metric = true;
            sb_puts(&sb, "logged_models.model_id IN (SELECT lmm.model_id FROM "
                         "logged_model_metrics lmm WHERE lmm.metric_name = ");
            sb_text(&sb, fc->key);
            sb_puts(&sb, " AND ");
            sb_cmp(&sb, "lmm.metric_value", fc);
            if (q->n_datasets) {
                sb_puts(&sb, " AND ");
                lm_dataset_cond(&sb, q);
            }
            sb_puts(&sb, ")");
            break;
        case FILTER_PARAM:
            sb_puts(&sb, "logged_models.model_id IN (SELECT p.model_id FROM logged_model_params "
                         "p WHERE p.param_key = ");
            sb_text(&sb, fc->key);
            sb_puts(&sb, " AND ");
            sb_cmp(&sb, "p.param_value", fc);
            sb_puts(&sb, ")");
            break;
        case FILTER_TAG:
            sb_puts(&sb, "logged_models.model_id IN (SELECT t.model_id FROM logged_model_tags t "
                         "WHERE t.tag_key = ");
            sb_text(&sb, fc->key);
            sb_puts(&sb, " AND ");
            sb_cmp(&sb, "t.tag_value", fc);
            sb_puts(&sb, ")");
            break;
        default:
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid logged model search key");
        }
    }
    if (q->n_datasets && !has_metric) {
        sb_cond(&sb);
        sb_puts(&sb, "logged_models.model_id IN (SELECT lmm.model_id FROM logged_model_metrics "
                     "lmm WHERE ");
        lm_dataset_cond(&sb, q);
        sb_puts(&sb, ")");
    }

    bool first = true, has_created = false, has_id = false;
    for (size_t j = 0; ob && j < ob->n; j++) {
        const struct order_key *ok = &ob->keys[j];
        bool desc = !ok->ascending;
        if (ok->entity == FILTER_METRIC) {
            sb_order_nulls_last(&sb, &first, arena_printf(a, "o%zu.metric_value", j), desc);
            continue;
        }
        const char *col = lm_column(ok->attr);
        if (ok->entity != FILTER_ATTRIBUTE || !col)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid order by field name: %s",
                           ok->key.p);
        has_created |= ok->attr == FATTR_CREATION_TIMESTAMP;
        has_id |= ok->attr == FATTR_MODEL_ID;
        sb_order_nulls_last(&sb, &first, col, desc);
    }
    if (!has_created)
        sb_order_item(&sb, &first, "logged_models.creation_timestamp_ms", true);
    if (!has_id)
        sb_order_item(&sb, &first, "logged_models.model_id", false);
    sb_page(&sb, &q->page);
    return sb_finish(&sb, binds, nbinds, e);
}
