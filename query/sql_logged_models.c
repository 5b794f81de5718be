/* The SQL of search_logged_models (MLflow's SQLAlchemy store): attribute, metric, param
 * and tag clauses, dataset restrictions, and ordering by a metric's latest value. */
#include <string.h>

#include "sql.h"


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

int search_logged_models_sql(struct arena *a, const struct db_dialect *d,
                             const struct search_logged_models_q *q, struct buf *sql,
                             struct sql_val **binds, size_t *nbinds, struct err *e)
{
    struct sb sb;
    sb_init(&sb, a, d, sql);
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
            const char *col = fc->column;
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
        const char *col = ok->column;
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

