/* The SQL of search_runs and search_experiments, mirroring MLflow's SQLAlchemy store
 * (sqlalchemy_store.py _search_runs, _search_experiments); see search_sql.h for the
 * semantics. */
#include <string.h>

#include "sql.h"

/* ---- runs ---- */

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
        if (!fc->column)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid attribute key '%s'",
                           fc->key.p);
        sb_cmp(sb, fc->column, fc);
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
    case FILTER_METADATA: /* traces only: never resolved for runs */
    case FILTER_SPAN:
    case FILTER_FEEDBACK:
    case FILTER_EXPECTATION:
    case FILTER_ISSUE:
        break;
    case FILTER_DATASET:
        sb_puts(sb, "runs.run_uuid IN (SELECT i.destination_id FROM datasets d JOIN inputs i "
                    "ON i.source_type = 'DATASET' AND i.source_id = d.dataset_uuid "
                    "AND i.destination_type = 'RUN'");
        if (fc->attr == FATTR_DATASET_CONTEXT)
            sb_puts(sb, " JOIN input_tags it ON it.input_uuid = i.input_uuid AND "
                        "it.name = 'mlflow.data.context'");
        sb_puts(sb, " WHERE ");
        sb_cmp(sb, fc->column, fc);
        sb_puts(sb, ")");
        return 0;
    }
    return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid search expression type");
}

int search_runs_sql(struct arena *a, const struct db_dialect *d, const struct search_runs_q *q,
                    struct buf *sql, struct sql_val **binds, size_t *nbinds, struct err *e)
{
    struct sb sb;
    sb_init(&sb, a, d, sql);
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
            const char *col = ok->column;
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

/* ---- experiments ---- */

int search_experiments_sql(struct arena *a, const struct db_dialect *d,
                           const struct search_experiments_q *q, struct buf *sql,
                           struct sql_val **binds, size_t *nbinds, struct err *e)
{
    struct sb sb;
    sb_init(&sb, a, d, sql);
    if (filter_has(q->filter) && q->filter->kind != SEARCH_EXPERIMENTS)
        return err_set(e, ERR_INTERNAL_ERROR, "search_experiments_sql: filter of another kind");

    sb_puts(&sb, "SELECT experiments.experiment_id FROM experiments");
    sb_lifecycle(&sb, "experiments.lifecycle_stage", q->view);
    if (q->workspace) {
        sb_cond(&sb);
        sb_puts(&sb, "experiments.workspace = ");
        sb_text(&sb, str_c(q->workspace));
    }
    if (q->acl) {
        sb_cond(&sb);
        /* Compared as text, as the grants' patterns are: a pattern "01" is no grant on 1. */
        sb_puts(&sb, q->acl->allow_only
                         ? "CAST(experiments.experiment_id AS TEXT) IN (SELECT value FROM "
                           "json_each("
                         : "CAST(experiments.experiment_id AS TEXT) NOT IN (SELECT value FROM "
                           "json_each(");
        sb_text(&sb, str_c(q->acl->ids_json));
        sb_puts(&sb, "))");
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
        const char *col = fc->column;
        if (fc->entity != FILTER_ATTRIBUTE || !col)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid token type: %s",
                           filter_entity_name(fc->entity));
        sb_cmp(&sb, col, fc);
    }

    bool first = true, has_id = false;
    if (order_has(q->order)) {
        for (size_t j = 0; j < q->order->n; j++) {
            const struct order_key *ok = &q->order->keys[j];
            const char *col = ok->column;
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

