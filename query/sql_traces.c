/* The SQL of search_traces (MLflow's SqlAlchemyStore.search_traces): trace_info restricted
 * to the experiments, attribute clauses on its columns, a tag clause as a join of the
 * trace's row of that tag, metadata, assessments, linked prompts and absent tags through
 * EXISTS on their tables (each a probe of an index by trace), every span clause in one
 * EXISTS over the trace's spans (the same span must satisfy them all, as in MLflow),
 * newest first by default. */
#include <string.h>

#include "../base/pystr.h"
#include "sql.h"
#include "text.h"

#define NAME_TAG "mlflow.traceName"
#define PROMPTS_TAG "mlflow.linkedPrompts"
#define SOURCE_RUN_META "mlflow.sourceRun"
#define SESSION_META "mlflow.trace.session"

/* "<table> <alias> <on> <alias>.request_id = trace_info.request_id AND <alias>.key = ", for
 * a probe of the trace's row of a key in trace_tags (tags) or trace_request_metadata.
 * trace_tags is read through mltrack_trace_tags_request, an index of ours (created at every
 * start) that holds the probe whole: named, for SQLite's planner would take the primary key
 * (key, request_id) for being unique and fetch each row for its value, and partial (no
 * name rows, which live in trace_info), so that MLflow's own searches on the same database
 * never see it; the probe says so, or SQLite could not use it. PostgreSQL's driver drops
 * the hint. */
static void kv_row(struct sb *sb, bool tags, const char *alias, const char *on)
{
    sb_puts(sb, tags ? "trace_tags " : "trace_request_metadata ");
    sb_puts(sb, alias);
    if (tags)
        sb_puts(sb, " INDEXED BY mltrack_trace_tags_request");
    sb_puts(sb, on);
    sb_puts(sb, alias);
    sb_puts(sb, ".request_id = trace_info.request_id AND ");
    if (tags) {
        sb_puts(sb, alias);
        sb_puts(sb, ".\"key\" <> '" NAME_TAG "' AND ");
    }
    sb_puts(sb, alias);
    sb_puts(sb, ".\"key\" = ");
}

/* EXISTS / NOT EXISTS over a key-value table of traces. */
static void kv_clause(struct sb *sb, bool tags, struct str key, const struct filter_clause *fc)
{
    bool absent = fc->op == FILTER_IS_NULL;
    sb_puts(sb, absent ? "NOT EXISTS (SELECT 1 FROM " : "EXISTS (SELECT 1 FROM ");
    kv_row(sb, tags, "kv", " WHERE ");
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

/* One span predicate, inside the EXISTS over the trace's spans that holds them all (MLflow
 * puts every span clause on the same span). span.attributes.<a> reads the span's content,
 * where an attribute is `"<a>": "<its JSON text as a JSON string>"`: RLIKE searches a
 * pattern anchored there, the other comparators take MLflow's `%"<a>"<value>%`. */
static void span_pred(struct sb *sb, const struct filter_clause *fc)
{
    if (fc->attr != FATTR_SPAN_ATTRIBUTE) {
        sb_cmp(sb, fc->column, fc);
        return;
    }
    struct filter_clause t = *fc;
    struct buf v;
    buf_init(&v, FILTER_MAX_LEN * 2 + 64);
    if (fc->op == FILTER_RLIKE) {
        struct str x = fc->s;
        const char *prefix = "\"\\\\\".*", *suffix = "";
        if (x.n && x.p[0] == '^') {
            x.p++;
            x.n--;
            prefix = "\"\\\\\"";
        }
        if (x.n && x.p[x.n - 1] == '$') {
            x.n--;
            suffix = "\\\\\"";
        }
        buf_printf(&v, "\"%.*s\": %s%.*s%s", (int)fc->key.n, fc->key.p, prefix, (int)x.n, x.p,
                   suffix);
    } else {
        buf_printf(&v, "%%\"%.*s\"%.*s%%", (int)fc->key.n, fc->key.p, (int)fc->s.n, fc->s.p);
    }
    t.s = buf_ok(&v) ? arena_str(sb->a, v.ptr, v.len) : str_c("");
    buf_release(&v);
    sb_cmp(sb, "s.content", &t);
}

/* The conditions on one assessment row `a` of a feedback/expectation clause. A string
 * compared with = or != matches the stored JSON either as written (true, 5) or as the JSON
 * string it would be ("yes" is stored "\"yes\""); < <= > >= compare the numeric value. */
static void assessment_conds(struct sb *sb, const struct filter_clause *fc, bool with_value)
{
    sb_puts(sb, fc->entity == FILTER_FEEDBACK ? "a.assessment_type = 'feedback'"
                                              : "a.assessment_type = 'expectation'");
    sb_puts(sb, " AND a.name = ");
    sb_text(sb, fc->key);
    sb_puts(sb, " AND a.valid");
    if (!with_value)
        return;
    sb_puts(sb, " AND ");
    switch (fc->op) {
    case FILTER_EQ:
    case FILTER_NE: {
        sb_puts(sb, fc->op == FILTER_NE ? "NOT (a.value = " : "(a.value = ");
        sb_text(sb, fc->s);
        sb_puts(sb, " OR a.value = ");
        sb_text(sb, str_c(py_json_str(sb->a, fc->s.p)));
        sb_puts(sb, ")");
        break;
    }
    case FILTER_LT:
    case FILTER_LE:
    case FILTER_GT:
    case FILTER_GE: {
        struct filter_clause t = *fc;
        t.vtype = FILTER_V_REAL; /* float(value) */
        sb_puts(sb, "a.is_numeric_value AND ");
        sb_cmp(sb, "a.aggregate_value", &t);
        break;
    }
    default:
        sb_cmp(sb, "a.value", fc);
    }
}


/* get_trace_analytics_metadata_filter: the token usage and the cost are trace_info's
 * columns in MLflow 3.17's schema, not metadata rows. IS [NOT] NULL asks whether any column
 * is set; = wants the value's columns exactly; != any set, and not those. */
static int usage_clause(struct sb *sb, enum usage_kind u, const struct filter_clause *fc,
                        struct err *e)
{
    switch (fc->op) {
    case FILTER_IS_NULL:
        sb_puts(sb, "NOT ");
        sb_usage_present(sb, u);
        return 0;
    case FILTER_IS_NOT_NULL:
        sb_usage_present(sb, u);
        return 0;
    case FILTER_EQ:
        sb_usage_match(sb, u, fc->usage);
        return 0;
    case FILTER_NE:
        sb_puts(sb, "(");
        sb_usage_present(sb, u);
        sb_puts(sb, " AND NOT ");
        sb_usage_match(sb, u, fc->usage);
        sb_puts(sb, ")");
        return 0;
    default:
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Comparator '%s' is not supported for reserved metadata '%s'. Only '=', "
                       "'!=', 'IS NULL', and 'IS NOT NULL' are supported.",
                       filter_op_name(fc->op), fc->key.p);
    }
}

/* A feedback/expectation clause: the trace has a matching valid assessment, or shares its
 * session with a trace that has a matching session-level one (an assessment whose
 * metadata names the session), among the searched experiments. IS NULL is the negation of
 * IS NOT NULL. */
static void assessment_clause(struct sb *sb, const struct search_traces_q *q,
                              const struct filter_clause *fc)
{
    bool with_value = fc->op != FILTER_IS_NULL && fc->op != FILTER_IS_NOT_NULL;
    sb_puts(sb, fc->op == FILTER_IS_NULL ? "NOT (" : "(");
    sb_puts(sb, "EXISTS (SELECT 1 FROM assessments a WHERE a.trace_id = trace_info.request_id "
                "AND ");
    assessment_conds(sb, fc, with_value);
    sb_puts(sb, ") OR (trace_info.session_id IS NOT NULL AND trace_info.session_id IN (SELECT "
                "t2.session_id FROM trace_info t2 JOIN assessments a ON a.trace_id = "
                "t2.request_id WHERE t2.experiment_id IN ");
    if (q->n_experiment_ids)
        sb_int_list(sb, q->experiment_ids, q->n_experiment_ids);
    else
        sb_puts(sb, "(NULL)"); /* no experiments: no sessions (and no rows anyway) */
    sb_puts(sb, " AND t2.session_id IS NOT NULL AND ");
    assessment_conds(sb, fc, with_value);
    sb_puts(sb, " AND a.assessment_metadata IS NOT NULL AND a.assessment_metadata LIKE "
                "'%\"" SESSION_META "\":%')))");
}

static int trace_clause(struct sb *sb, const struct search_traces_q *q,
                        const struct filter_clause *fc, struct err *e)
{
    switch (fc->entity) {
    case FILTER_ATTRIBUTE:
        if (fc->attr == FATTR_RUN_ID) {
            /* run_id = x also takes traces linked to the run (entity_associations). */
            if (fc->op == FILTER_EQ) {
                sb_puts(sb, "(EXISTS (SELECT 1 FROM entity_associations ea WHERE ea.source_id = "
                            "trace_info.request_id AND ea.source_type = 'trace' AND "
                            "ea.destination_type = 'run' AND ea.destination_id = ");
                sb_text(sb, fc->s);
                sb_puts(sb, ") OR ");
                kv_clause(sb, false, str_c(SOURCE_RUN_META), fc);
                sb_puts(sb, ")");
                return 0;
            }
            kv_clause(sb, false, str_c(SOURCE_RUN_META), fc);
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
        if (str_eq(fc->key, PROMPTS_TAG)) {
            sb_puts(sb, "EXISTS (SELECT 1 FROM entity_associations ea WHERE ea.source_id = "
                        "trace_info.request_id AND ea.source_type = 'trace' AND "
                        "ea.destination_type = 'prompt_version' AND ea.destination_id = ");
            sb_text(sb, fc->s);
            sb_puts(sb, ")");
            return 0;
        }
        kv_clause(sb, true, fc->key, fc);
        return 0;
    case FILTER_METADATA:
        if (usage_kind_of(fc->key) != USAGE_NONE)
            return usage_clause(sb, usage_kind_of(fc->key), fc, e);
        /* The session is a column of trace_info in MLflow 3.17's schema, not a row. */
        if (str_eq(fc->key, SESSION_META)) {
            if (fc->op == FILTER_IS_NULL || fc->op == FILTER_IS_NOT_NULL)
                sb_puts(sb, fc->op == FILTER_IS_NULL ? "trace_info.session_id IS NULL"
                                                     : "trace_info.session_id IS NOT NULL");
            else
                sb_cmp(sb, "trace_info.session_id", fc);
            return 0;
        }
        kv_clause(sb, false, fc->key, fc);
        return 0;
    case FILTER_FEEDBACK:
    case FILTER_EXPECTATION:
        assessment_clause(sb, q, fc);
        return 0;
    case FILTER_ISSUE:
        sb_puts(sb, "EXISTS (SELECT 1 FROM assessments a WHERE a.trace_id = "
                    "trace_info.request_id AND a.assessment_type = 'issue' AND a.name = ");
        sb_text(sb, fc->s);
        sb_puts(sb, ")");
        return 0;
    default:
        break;
    }
    return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid trace search key '%s'", fc->key.p);
}

/* A tag clause that a trace passes or fails by its one row of that key (the primary key is
 * (key, request_id)): written as a join of that row, which SQLite runs as a step of the
 * search's loop rather than a subquery per trace. IS NULL, the name and the linked prompts
 * are not rows of trace_tags to join. */
static bool tag_join(const struct filter_clause *fc)
{
    return fc->entity == FILTER_TAG && fc->op != FILTER_IS_NULL && !str_eq(fc->key, NAME_TAG) &&
           !str_eq(fc->key, PROMPTS_TAG);
}

/* " JOIN trace_tags tgN ON ..." for clause j (tag_join). */
static void tag_join_sql(struct sb *sb, size_t j, const struct filter_clause *fc)
{
    const char *t = arena_printf(sb->a, "tg%zu", j);
    sb_puts(sb, " JOIN ");
    kv_row(sb, true, t, " ON ");
    sb_text(sb, fc->key);
    if (fc->op != FILTER_IS_NOT_NULL) {
        sb_puts(sb, " AND ");
        sb_cmp(sb, arena_printf(sb->a, "%s.value", t), fc);
    }
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
    sb_puts(&sb, "SELECT ");
    sb_puts(&sb, q->columns ? q->columns : "trace_info.request_id");
    sb_puts(&sb, " FROM trace_info");
    for (size_t j = 0; f && j < f->n; j++)
        if (tag_join(&f->clauses[j]))
            tag_join_sql(&sb, j, &f->clauses[j]);
    sb_cond(&sb);
    if (q->n_experiment_ids == 0) {
        sb_puts(&sb, "0 = 1");
    } else {
        sb_puts(&sb, "trace_info.experiment_id IN ");
        sb_int_list(&sb, q->experiment_ids, q->n_experiment_ids);
    }
    bool spans = false;
    for (size_t j = 0; f && j < f->n; j++) {
        if (f->clauses[j].entity == FILTER_SPAN) {
            spans = true;
            continue;
        }
        if (tag_join(&f->clauses[j]))
            continue;
        sb_cond(&sb);
        if (trace_clause(&sb, q, &f->clauses[j], e) < 0)
            return -1;
    }
    if (spans) {
        sb_cond(&sb);
        sb_puts(&sb, "EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = trace_info.request_id");
        for (size_t j = 0; j < f->n; j++) {
            if (f->clauses[j].entity != FILTER_SPAN)
                continue;
            if (!f->clauses[j].column)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid trace search key '%s'",
                               f->clauses[j].key.p);
            sb_puts(&sb, " AND ");
            span_pred(&sb, &f->clauses[j]);
        }
        sb_puts(&sb, ")");
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
                kv_row(&sb, tag, "kv", " WHERE ");
                sb_text(&sb, tag ? ok->key : str_c(SOURCE_RUN_META));
                sb_puts(&sb, ") IS NULL THEN 1 ELSE 0 END, (SELECT kv.value FROM ");
                kv_row(&sb, tag, "kv", " WHERE ");
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
