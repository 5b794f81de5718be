/* The SQL of search_traces (MLflow's SqlAlchemyStore.search_traces): trace_info restricted
 * to the experiments, attribute clauses on its columns, tags, metadata and spans through
 * EXISTS on their tables (each a probe of the (key, request_id) primary key or the spans'
 * (trace_id, span_id) one), newest first by default. */
#include <string.h>

#include "sql.h"

#define NAME_TAG "mlflow.traceName"
#define SOURCE_RUN_META "mlflow.sourceRun"

/* EXISTS / NOT EXISTS over a key-value table of traces. */
static void kv_clause(struct sb *sb, const char *table, struct str key,
                      const struct filter_clause *fc)
{
    bool absent = fc->op == FILTER_IS_NULL;
    sb_puts(sb, absent ? "NOT EXISTS (SELECT 1 FROM " : "EXISTS (SELECT 1 FROM ");
    sb_puts(sb, table);
    sb_puts(sb, " kv WHERE kv.request_id = trace_info.request_id AND kv.\"key\" = ");
    sb_text(sb, key);
    if (fc->op != FILTER_IS_NULL && fc->op != FILTER_IS_NOT_NULL) {
        sb_puts(sb, " AND ");
        sb_cmp(sb, "kv.value", fc);
    }
    sb_puts(sb, ")");
}

static void name_clause(struct sb *sb, const struct filter_clause *fc)
{
    sb_cmp(sb, "trace_info.trace_name", fc);
}

static int trace_clause(struct sb *sb, const struct filter_clause *fc, struct err *e)
{
    switch (fc->entity) {
    case FILTER_ATTRIBUTE:
        if (fc->attr == FATTR_RUN_ID) {
            kv_clause(sb, "trace_request_metadata", str_c(SOURCE_RUN_META), fc);
            return 0;
        }
        if (!fc->column)
            break;
        sb_cmp(sb, fc->column, fc);
        return 0;
    case FILTER_TAG:
        if (str_eq(fc->key, NAME_TAG)) {
            if (fc->op == FILTER_IS_NULL || fc->op == FILTER_IS_NOT_NULL)
                sb_puts(sb, fc->op == FILTER_IS_NULL ? "trace_info.trace_name IS NULL"
                                                     : "trace_info.trace_name IS NOT NULL");
            else
                name_clause(sb, fc);
            return 0;
        }
        kv_clause(sb, "trace_tags", fc->key, fc);
        return 0;
    case FILTER_METADATA:
        kv_clause(sb, "trace_request_metadata", fc->key, fc);
        return 0;
    case FILTER_SPAN:
        if (!fc->column)
            break;
        sb_puts(sb, "EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = trace_info.request_id "
                    "AND ");
        sb_cmp(sb, fc->column, fc);
        sb_puts(sb, ")");
        return 0;
    default:
        break;
    }
    return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid trace search key '%s'", fc->key.p);
}

int search_traces_sql(struct arena *a, const struct db_dialect *d, const struct search_traces_q *q,
                      struct buf *sql, struct sql_val **binds, size_t *nbinds, struct err *e)
{
    struct sb sb;
    sb_init(&sb, a, d, sql);
    const struct filter *f = filter_has(q->filter) ? q->filter : NULL;
    const struct order_by *ob = order_has(q->order) ? q->order : NULL;
    if (f && f->kind != SEARCH_TRACES)
        return err_set(e, ERR_INTERNAL_ERROR, "search_traces_sql: wrong kind");
    sb_puts(&sb, "SELECT trace_info.request_id FROM trace_info");
    sb_cond(&sb);
    if (q->n_experiment_ids == 0) {
        sb_puts(&sb, "0 = 1");
    } else {
        sb_puts(&sb, "trace_info.experiment_id IN ");
        sb_int_list(&sb, q->experiment_ids, q->n_experiment_ids);
    }
    for (size_t j = 0; f && j < f->n; j++) {
        sb_cond(&sb);
        if (trace_clause(&sb, &f->clauses[j], e) < 0)
            return -1;
    }
    bool first = true, has_ts = false, has_id = false;
    for (size_t j = 0; ob && j < ob->n; j++) {
        const struct order_key *ok = &ob->keys[j];
        const char *expr = ok->column;
        if (ok->entity == FILTER_TAG || (ok->entity == FILTER_ATTRIBUTE && ok->attr == FATTR_RUN_ID)) {
            bool tag = ok->entity == FILTER_TAG;
            if (tag && str_eq(ok->key, NAME_TAG)) {
                expr = "trace_info.trace_name";
            } else {
                /* A correlated lookup; the key is ours or a bound value. */
                sb_order_item(&sb, &first, "", false); /* " ORDER BY " or ", " */
                sb_puts(&sb, "CASE WHEN (SELECT kv.value FROM ");
                sb_puts(&sb, tag ? "trace_tags" : "trace_request_metadata");
                sb_puts(&sb, " kv WHERE kv.request_id = trace_info.request_id AND kv.\"key\" = ");
                sb_text(&sb, tag ? ok->key : str_c(SOURCE_RUN_META));
                sb_puts(&sb, ") IS NULL THEN 1 ELSE 0 END, (SELECT kv.value FROM ");
                sb_puts(&sb, tag ? "trace_tags" : "trace_request_metadata");
                sb_puts(&sb, " kv WHERE kv.request_id = trace_info.request_id AND kv.\"key\" = ");
                sb_text(&sb, tag ? ok->key : str_c(SOURCE_RUN_META));
                sb_puts(&sb, ok->ascending ? ")" : ") DESC");
                continue;
            }
        }
        if (!expr)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid order by key '%s'",
                           ok->key.p);
        has_ts |= ok->attr == FATTR_TIMESTAMP_MS;
        has_id |= ok->attr == FATTR_TRACE_ID;
        sb_order_nulls_last(&sb, &first, expr, !ok->ascending);
    }
    if (!has_ts)
        sb_order_item(&sb, &first, "trace_info.timestamp_ms", true);
    if (!has_id)
        sb_order_item(&sb, &first, "trace_info.request_id", false);
    sb_page(&sb, &q->page);
    return sb_finish(&sb, binds, nbinds, e);
}
