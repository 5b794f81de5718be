/* The SQL of the registry searches (registered models, model versions), mirroring
 * MLflow's SQLAlchemy registry store, prompts excluded as it excludes them. */
#include <string.h>

#include "sql.h"


#define IS_PROMPT_TAG "mlflow.prompt.is_prompt"

/* MLflow's _is_querying_prompt: the first filter on the prompt tag decides. */
static bool querying_prompt(const struct filter *f)
{
    for (size_t j = 0; f && j < f->n; j++) {
        const struct filter_clause *fc = &f->clauses[j];
        if (fc->entity != FILTER_TAG || !str_eq(fc->key, IS_PROMPT_TAG))
            continue;
        return (fc->op == FILTER_EQ && str_eq_nocase(fc->s, "true")) ||
               (fc->op == FILTER_NE && str_eq_nocase(fc->s, "false"));
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

int search_registered_models_sql(struct arena *a, const struct db_dialect *d,
                                 const struct search_registered_models_q *q, struct buf *sql,
                                 struct sql_val **binds, size_t *nbinds, struct err *e)
{
    struct sb sb;
    sb_init(&sb, a, d, sql);
    const struct filter *f = filter_has(q->filter) ? q->filter : NULL;
    if (f && f->kind != SEARCH_REGISTERED_MODELS)
        return err_set(e, ERR_INTERNAL_ERROR, "search_registered_models_sql: wrong kind");
    sb_puts(&sb, "SELECT registered_models.name FROM registered_models");
    if (q->workspace) {
        sb_cond(&sb);
        sb_puts(&sb, "registered_models.workspace = ");
        sb_text(&sb, str_c(q->workspace));
    }
    if (q->acl) {
        sb_cond(&sb);
        sb_puts(&sb, q->acl->allow_only ? "registered_models.name IN (SELECT value FROM json_each("
                                        : "registered_models.name NOT IN (SELECT value FROM json_each(");
        sb_text(&sb, str_c(q->acl->ids_json));
        sb_puts(&sb, "))");
    }
    for (size_t j = 0; f && j < f->n; j++) {
        const struct filter_clause *fc = &f->clauses[j];
        if (fc->entity != FILTER_ATTRIBUTE)
            continue;
        if (fc->attr != FATTR_NAME || !fc->column)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid attribute name: %s",
                           fc->key.p);
        sb_cond(&sb);
        sb_cmp(&sb, fc->column, fc);
    }
    registry_tags(&sb, f, "registered_models", "registered_model_tags", false);

    bool first = true, has_name = false;
    for (size_t j = 0; order_has(q->order) && j < q->order->n; j++) {
        const struct order_key *ok = &q->order->keys[j];
        if (!ok->column)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid order by key '%s' specified",
                           ok->key.p);
        has_name |= ok->attr == FATTR_NAME;
        sb_order_item(&sb, &first, ok->column, !ok->ascending);
    }
    if (!has_name)
        sb_order_item(&sb, &first, "registered_models.name", false);
    sb_page(&sb, &q->page);
    return sb_finish(&sb, binds, nbinds, e);
}

int search_model_versions_sql(struct arena *a, const struct db_dialect *d,
                              const struct search_model_versions_q *q, struct buf *sql,
                              struct sql_val **binds, size_t *nbinds, struct err *e)
{
    struct sb sb;
    sb_init(&sb, a, d, sql);
    const struct filter *f = filter_has(q->filter) ? q->filter : NULL;
    if (f && f->kind != SEARCH_MODEL_VERSIONS)
        return err_set(e, ERR_INTERNAL_ERROR, "search_model_versions_sql: wrong kind");
    sb_puts(&sb, "SELECT model_versions.name, model_versions.version FROM model_versions");
    if (q->workspace) {
        sb_cond(&sb);
        sb_puts(&sb, "model_versions.workspace = ");
        sb_text(&sb, str_c(q->workspace));
    }
    if (q->acl) {
        sb_cond(&sb);
        sb_puts(&sb, q->acl->allow_only ? "model_versions.name IN (SELECT value FROM json_each("
                                        : "model_versions.name NOT IN (SELECT value FROM json_each(");
        sb_text(&sb, str_c(q->acl->ids_json));
        sb_puts(&sb, "))");
    }
    for (size_t j = 0; f && j < f->n; j++) {
        const struct filter_clause *fc = &f->clauses[j];
        if (fc->entity != FILTER_ATTRIBUTE)
            continue;
        const char *col = fc->column;
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
            const char *col = ok->column;
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

