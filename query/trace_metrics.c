/* Trace metrics' rules (see trace_metrics.h): MLflow's per-view tables of metrics, their
 * aggregations and dimensions, the checks with MLflow's messages, and the metrics filter
 * "view.entity[.key] = 'value'", split as MLflow's sqlparse-based parser splits it. */
#include "trace_metrics.h"

#include <string.h>

#include "../base/pystr.h"
#include "scan.h"

#define AGG(t) (1u << (t))
#define NUMERIC_AGGS (AGG(TM_SUM) | AGG(TM_AVG) | AGG(TM_MIN) | AGG(TM_MAX) | AGG(TM_PERCENTILE))
#define VALUE_AGGS (AGG(TM_AVG) | AGG(TM_MIN) | AGG(TM_MAX) | AGG(TM_PERCENTILE))

/* A view's dimensions: their names; a metric's dims is a bit set of them. */
static const char *const trace_dims[] = {"trace_name", "trace_status"};
static const char *const span_dims[] = {"span_name", "span_type", "span_status",
                                        "span_model_name", "span_model_provider"};
static const char *const assessment_dims[] = {"assessment_name", "assessment_value"};

struct metric {
    const char *name;
    unsigned aggs; /* AGG() bits */
    unsigned dims; /* bits of the view's dimension table */
};

/* In MLflow's order (its messages list them so). */
static const struct metric trace_metrics[] = {
    {"trace_count", AGG(TM_COUNT), 3},
    {"session_count", AGG(TM_COUNT), 0},
    {"latency", VALUE_AGGS, 1},
    {"input_tokens", NUMERIC_AGGS, 1},
    {"output_tokens", NUMERIC_AGGS, 1},
    {"total_tokens", NUMERIC_AGGS, 1},
    {"cache_read_input_tokens", NUMERIC_AGGS, 1},
    {"cache_creation_input_tokens", NUMERIC_AGGS, 1},
};
static const struct metric span_metrics[] = {
    {"span_count", AGG(TM_COUNT), 31},
    {"latency", VALUE_AGGS, 1 | 4},
    {"input_cost", NUMERIC_AGGS, 8 | 16},
    {"output_cost", NUMERIC_AGGS, 8 | 16},
    {"total_cost", NUMERIC_AGGS, 8 | 16},
};
static const struct metric assessment_metrics[] = {
    {"assessment_count", AGG(TM_COUNT), 3},
    {"assessment_value", VALUE_AGGS, 1},
};

struct view {
    const struct metric *metrics;
    size_t nmetrics;
    const char *const *dims;
    size_t ndims;
};
#define N(x) (sizeof x / sizeof *x)
static const struct view views[] = {
    [TM_TRACES] = {trace_metrics, N(trace_metrics), trace_dims, N(trace_dims)},
    [TM_SPANS] = {span_metrics, N(span_metrics), span_dims, N(span_dims)},
    [TM_ASSESSMENTS] = {assessment_metrics, N(assessment_metrics), assessment_dims,
                        N(assessment_dims)},
};

const char *tm_view_name(enum tm_view v)
{
    return v == TM_SPANS ? "SPANS" : v == TM_ASSESSMENTS ? "ASSESSMENTS" : "TRACES";
}

const char *tm_agg_type_name(enum tm_agg_type t)
{
    static const char *const names[] = {"?", "COUNT", "SUM", "AVG", "PERCENTILE", "MIN", "MAX"};
    return (size_t)t < N(names) ? names[t] : "?";
}

const char *tm_agg_label(struct arena *a, const struct tm_agg *g)
{
    if (g->type != TM_PERCENTILE)
        return tm_agg_type_name(g->type);
    return arena_printf(a, "P%s", py_repr_float(a, g->percentile));
}

const char *tm_dim_name(enum tm_view v, int dim)
{
    return views[v].dims[dim];
}

/* "['a', 'b']": Python's repr of a list of strings. */
static void put_list(struct arena *a, struct buf *b, const char *const *s, size_t n)
{
    buf_putc(b, '[');
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "%s%s", i ? ", " : "", py_repr(a, s[i]));
    buf_putc(b, ']');
}

static int err_buf(struct err *e, struct buf *b)
{
    err_set(e, ERR_INVALID_PARAMETER_VALUE, "%s", buf_ok(b) ? b->ptr : "invalid request");
    buf_release(b);
    return -1;
}

int tm_metric_find(enum tm_view v, const char *name, struct err *e)
{
    const struct view *vw = &views[v];
    for (size_t i = 0; i < vw->nmetrics; i++)
        if (strcmp(vw->metrics[i].name, name) == 0)
            return (int)i;
    struct arena a;
    arena_init(&a);
    const char **names = arena_calloc(&a, vw->nmetrics, sizeof *names);
    for (size_t i = 0; i < vw->nmetrics; i++)
        names[i] = vw->metrics[i].name;
    struct buf b;
    buf_init(&b, sizeof e->msg);
    buf_puts(&b, "metric_name must be one of ");
    put_list(&a, &b, names, vw->nmetrics);
    buf_printf(&b, ", got %s", py_repr(&a, name));
    err_buf(e, &b);
    arena_release(&a);
    return -1;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Sorts s[0..n) and drops repeats: Python's sorted(set(...)). Returns the new count. */
static size_t sorted_set(const char **s, size_t n)
{
    qsort(s, n, sizeof *s, cmp_str);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || strcmp(s[m - 1], s[i]) != 0)
            s[m++] = s[i];
    return m;
}

/* "Found invalid <what>(s): [...]. Supported <what2>: [...]" */
static int err_invalid(struct err *e, struct arena *a, const char *what, const char **bad,
                       size_t nbad, const char *what2, const char **ok, size_t nok)
{
    struct buf b;
    buf_init(&b, sizeof e->msg);
    buf_printf(&b, "Found invalid %s(s): ", what);
    put_list(a, &b, bad, sorted_set(bad, nbad));
    buf_printf(&b, ". Supported %s: ", what2);
    put_list(a, &b, ok, sorted_set(ok, nok));
    return err_buf(e, &b);
}

int tm_check(enum tm_view v, int metric, const struct tm_agg *aggs, size_t naggs,
             const char *const *dims, size_t ndims, int *dim_ix, struct err *e)
{
    const struct view *vw = &views[v];
    const struct metric *m = &vw->metrics[metric];
    struct arena a;
    arena_init(&a);
    int rc = 0;
    const char **bad = arena_calloc(&a, (naggs > ndims ? naggs : ndims) + 1, sizeof *bad);
    const char *ok[8];
    size_t nbad = 0, nok = 0;
    for (size_t i = 0; i < naggs; i++)
        if (!(m->aggs & AGG(aggs[i].type)))
            bad[nbad++] = tm_agg_type_name(aggs[i].type);
    if (nbad) {
        for (int t = TM_COUNT; t <= TM_MAX; t++)
            if (m->aggs & AGG(t))
                ok[nok++] = tm_agg_type_name((enum tm_agg_type)t);
        rc = err_invalid(e, &a, "aggregation_type", bad, nbad, "aggregation types", ok, nok);
        goto out;
    }
    for (size_t i = 0; i < ndims; i++) {
        dim_ix[i] = -1;
        for (size_t j = 0; j < vw->ndims; j++)
            if ((m->dims & (1u << j)) && strcmp(vw->dims[j], dims[i]) == 0)
                dim_ix[i] = (int)j;
        if (dim_ix[i] < 0)
            bad[nbad++] = dims[i];
    }
    if (nbad) {
        for (size_t j = 0; j < vw->ndims; j++)
            if (m->dims & (1u << j))
                ok[nok++] = vw->dims[j];
        rc = err_invalid(e, &a, "dimension", bad, nbad, "dimensions", ok, nok);
    }
out:
    arena_release(&a);
    return rc;
}

/* ---- the metrics filter ---- */

struct entity {
    const char *view, *name;
    bool key; /* required, else refused */
    enum tm_filter_what what;
};
static const struct entity entities[] = {
    {"trace", "status", false, TMF_TRACE_STATUS},
    {"trace", "tag", true, TMF_TRACE_TAG},
    {"trace", "metadata", true, TMF_TRACE_METADATA},
    {"span", "name", false, TMF_SPAN_NAME},
    {"span", "status", false, TMF_SPAN_STATUS},
    {"span", "type", false, TMF_SPAN_TYPE},
    {"assessment", "name", false, TMF_ASSESSMENT_NAME},
    {"assessment", "type", false, TMF_ASSESSMENT_TYPE},
};

static int err_ident(struct err *e, struct str id)
{
    return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                   "Invalid identifier '%.*s'. Columns should be specified as 'trace.<key>', "
                   "'span.<key>', 'assessment.<key>'.",
                   snip_len(id), id.p);
}

/* _get_identifier: identifier.split(".", 2) into view, entity and key. */
static int identifier(struct str id, struct tm_filter *out, struct err *e)
{
    const char *d1 = memchr(id.p, '.', id.n);
    if (!d1)
        return err_ident(e, id);
    struct str view = trim_backticks(str_sub(id, 0, (size_t)(d1 - id.p)));
    struct str rest = str_sub(id, (size_t)(d1 - id.p) + 1, id.n);
    const char *d2 = memchr(rest.p, '.', rest.n);
    struct str entity = d2 ? str_sub(rest, 0, (size_t)(d2 - rest.p)) : rest;
    bool has_key = d2 != NULL;
    struct str key = d2 ? str_sub(rest, (size_t)(d2 - rest.p) + 1, rest.n) : (struct str){0};
    const struct entity *found = NULL;
    bool view_ok = false;
    for (size_t i = 0; i < N(entities); i++) {
        if (!str_eq(view, entities[i].view))
            continue;
        view_ok = true;
        if (str_eq(entity, entities[i].name))
            found = &entities[i];
    }
    if (!view_ok)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid view type '%.*s'. Valid values are dict_keys(['trace', 'span', "
                       "'assessment'])",
                       snip_len(view), view.p);
    if (!found) {
        const char *list = view.p[0] == 't'   ? "['status', 'tag', 'metadata']"
                           : view.p[0] == 's' ? "['name', 'status', 'type']"
                                              : "['name', 'type']";
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid entity '%.*s' specified for view type '%.*s'. Valid entities "
                       "are %s",
                       snip_len(entity), entity.p, (int)view.n, view.p, list);
    }
    /* An empty key ("trace.tag.") is a key all the same, as for MLflow. */
    if (found->key && !has_key)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Filtering by %s requires a key, e.g. '%.*s.%s.<key> = <value>'",
                       found->name, (int)view.n, view.p, found->name);
    if (!found->key && has_key)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Filtering by %s does not require a key, use '%.*s.%s' instead",
                       found->name, (int)view.n, view.p, found->name);
    out->what = found->what;
    out->key = has_key ? trim_backticks(strip_quotes(key)) : (struct str){0};
    return 0;
}

/* Each whitespace-separated word of t, joined by ", " (sqlparse's tokens, nearly). */
static int err_clauses(struct err *e, struct str t)
{
    struct buf b;
    buf_init(&b, sizeof e->msg);
    buf_puts(&b, "Invalid clause(s) in filter string: ");
    bool first = true;
    for (size_t i = 0; i < t.n;) {
        while (i < t.n && is_ws((unsigned char)t.p[i]))
            i++;
        size_t j = i;
        while (j < t.n && !is_ws((unsigned char)t.p[j]))
            j++;
        if (j > i) {
            buf_printf(&b, "%s%.*s", first ? "" : ", ", (int)(j - i), t.p + i);
            first = false;
        }
        i = j;
    }
    return err_buf(e, &b);
}

int tm_filter_parse(struct arena *a, const char *s, size_t n, struct tm_filter *out,
                    struct err *e)
{
    memset(out, 0, sizeof *out);
    struct str all = {s, n};
    if (n > 64 * 1024)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Filter string is too long: %zu bytes (at most %d)", n, 64 * 1024);
    if (memchr(s, '\0', n))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Filter string contains a NUL byte");
    struct cur c = {s, n, 0};
    skip_ws(&c);
    if (c.i >= n)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid filter: '%.*s'. Expected one filter clause.", snip_len(all),
                       all.p);
    struct raw_clause rc;
    struct str bad;
    size_t at = c.i;
    if (!scan_clause(&c, &rc, &bad))
        return err_clauses(e, str_sub(all, at, n));
    skip_ws(&c);
    if (c.i < n) { /* "a = 'x' AND b = 'y'": sqlparse leaves the AND (or all that follows) */
        struct str rest = str_sub(all, c.i, n);
        if (at_keyword(s, n, c.i, "AND") || at_keyword(s, n, c.i, "OR")) {
            size_t j = c.i;
            while (j < n && is_wordc((unsigned char)s[j]))
                j++;
            rest = str_sub(all, c.i, j);
        }
        return err_clauses(e, rest);
    }
    if (rc.vk == RV_NONE) /* IS [NOT] NULL: no comparison for sqlparse */
        return err_clauses(e, rc.text);
    if (identifier(rc.ident, out, e) != 0)
        return -1;
    if (!rc.op_known || rc.op != FILTER_EQ)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid comparator: '%s', only '=' operator is supported",
                       op_text_upper(a, &rc));
    struct str v = rc.vtext;
    if (rc.vk == RV_SSTR || rc.vk == RV_DSTR) {
        out->value = str_sub(v, 1, v.n - 1);
    } else if (rc.vk == RV_IDENT) {
        if (!is_quoted_by(v, '\'') && !is_quoted_by(v, '"'))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Parameter value is either not quoted or unidentified quote types "
                           "used for string value %.*s. Use either single or double quotes.",
                           snip_len(v), v.p);
        out->value = str_sub(v, 1, v.n - 1);
    } else {
        const struct entity *en = NULL;
        for (size_t i = 0; i < N(entities); i++)
            if (entities[i].what == out->what)
                en = &entities[i];
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Expected a quoted string value for %s value (e.g. 'my-value'). Got value "
                       "%.*s",
                       en->name, snip_len(v), v.p);
    }
    if (out->what == TMF_TRACE_METADATA)
        out->usage = usage_kind_of(out->key);
    return 0;
}
