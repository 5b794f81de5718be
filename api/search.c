/* Search endpoints for experiments and runs: parse the filter and order_by (query/filter.h),
 * page with MLflow's offset tokens, and write the entities. */
#include <string.h>

#include "../query/filter.h"
#include "api.h"
#include "page_token.h"

enum { SEARCH_MAX_RESULTS_THRESHOLD = 50000 };

/* A ViewType given by name or number; absent means ACTIVE_ONLY. */
static int read_view_type(struct ctx *c, const char *field, enum search_view *out)
{
    const char *s;
    *out = SEARCH_VIEW_ACTIVE_ONLY;
    json_t *v = in_raw(&c->in, field);
    if (v && json_is_integer(v)) {
        int64_t n = json_integer_value(v);
        if (n < 1 || n > 3)
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value %lld for parameter '%s' supplied.", (long long)n,
                           field);
        *out = (enum search_view)n;
        return 0;
    }
    if (in_str(&c->in, field, &s) != 0)
        return -1;
    if (!s || !*s || strcmp(s, "ACTIVE_ONLY") == 0 || strcmp(s, "1") == 0)
        *out = SEARCH_VIEW_ACTIVE_ONLY;
    else if (strcmp(s, "DELETED_ONLY") == 0 || strcmp(s, "2") == 0)
        *out = SEARCH_VIEW_DELETED_ONLY;
    else if (strcmp(s, "ALL") == 0 || strcmp(s, "3") == 0)
        *out = SEARCH_VIEW_ALL;
    else
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value \"%s\" for parameter '%s' supplied.", s, field);
    return 0;
}

static int read_max_results(struct ctx *c, int64_t dflt, bool required, int64_t *out)
{
    bool has;
    if (in_i64(&c->in, "max_results", out, &has) != 0)
        return -1;
    if (!has) {
        /* An absent proto field reads as 0, which MLflow's store then refuses. */
        if (required)
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value 0 for parameter 'max_results' supplied. It must be "
                           "a positive integer");
        *out = dflt;
    }
    if (*out < 1)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value %lld for parameter 'max_results' supplied. It must be a "
                       "positive integer",
                       (long long)*out);
    if (*out > SEARCH_MAX_RESULTS_THRESHOLD)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid value %lld for parameter 'max_results' supplied. It must be at "
                       "most %d",
                       (long long)*out, SEARCH_MAX_RESULTS_THRESHOLD);
    return 0;
}

int read_search_query(struct ctx *c, enum search_kind kind, struct filter *f,
                      struct order_by *ob, int64_t *offset)
{
    const char *filter, *token, **order;
    size_t norder;
    if (in_str(&c->in, "filter", &filter) != 0 || in_str(&c->in, "page_token", &token) != 0 ||
        in_str_list(&c->in, "order_by", &order, &norder) != 0)
        return -1;
    if (filter_parse(c->s.a, kind, filter ? filter : "", filter ? strlen(filter) : 0, f,
                     &c->e) != 0)
        return -1;
    struct str *items = arena_calloc(c->s.a, norder ? norder : 1, sizeof *items);
    for (size_t i = 0; i < norder; i++)
        items[i] = str_c(order[i]);
    if (filter_parse_order_by(c->s.a, kind, items, norder, ob, &c->e) != 0)
        return -1;
    *offset = 0;
    if (token && *token &&
        page_token_parse_offset(c->s.a, token, strlen(token), offset, &c->e) != 0)
        return -1;
    return 0;
}

static void put_experiment_item(struct jw *w, const void *item)
{
    put_experiment(w, (const struct experiment *)item);
}

static void put_run_item(struct jw *w, const void *item)
{
    put_run(w, (const struct run *)item);
}

static int h_search_experiments(struct ctx *c)
{
    struct search_experiments_q q = {0};
    struct filter f;
    struct order_by ob;
    int64_t max, offset;
    if (read_max_results(c, 0, true, &max) != 0 ||
        read_view_type(c, "view_type", &q.view) != 0 ||
        read_search_query(c, SEARCH_EXPERIMENTS, &f, &ob, &offset) != 0)
        return -1;
    q.filter = &f;
    q.order = &ob;
    q.workspace = "default";
    q.acl = authz_acl(c, "experiment");
    q.page.limit = max + 1;
    q.page.offset = offset;
    struct experiment *x;
    size_t n;
    if (exp_search(&c->s, &q, &x, &n) != 0)
        return -1;
    return reply_page(c, "experiments", x, n, sizeof *x, put_experiment_item, max, offset);
}

int read_runs_query(struct ctx *c, struct search_runs_q *q, struct filter *f,
                    struct order_by *ob, int64_t *offset)
{
    const char **exp_ids;
    size_t nexp;
    memset(q, 0, sizeof *q);
    if (in_str_list(&c->in, "experiment_ids", &exp_ids, &nexp) != 0)
        return -1;
    /* Read before the filter, as MLflow reports a bad max_results first. */
    int64_t max;
    if (read_max_results(c, 1000, false, &max) != 0 ||
        read_view_type(c, "run_view_type", &q->view) != 0 ||
        read_search_query(c, SEARCH_RUNS, f, ob, offset) != 0)
        return -1;
    int64_t *ids = arena_calloc(c->s.a, nexp ? nexp : 1, sizeof *ids);
    size_t kept = 0;
    for (size_t i = 0; i < nexp; i++) {
        if (exp_parse_id(&c->s, exp_ids[i], &ids[kept]) != 0)
            return -1;
        /* MLflow's filter_experiment_ids: what the caller cannot read is left out (of
         * searches and exports alike). */
        if (authz_can_read(c, "run_experiment", exp_ids[i]))
            kept++;
    }
    q->experiment_ids = ids;
    q->n_experiment_ids = kept;
    q->filter = f;
    q->order = ob;
    q->page.limit = max + 1;
    q->page.offset = *offset;
    return 0;
}

static int h_search_runs(struct ctx *c)
{
    struct search_runs_q q;
    struct filter f;
    struct order_by ob;
    int64_t offset;
    if (read_runs_query(c, &q, &f, &ob, &offset) != 0)
        return -1;
    struct run *runs;
    size_t n;
    if (run_search(&c->s, &q, &runs, &n) != 0)
        return -1;
    return reply_page(c, "runs", runs, n, sizeof *runs, put_run_item, q.page.limit - 1, offset);
}

const struct route search_routes[] = {
    {HTTP_POST, "/experiments/search", h_search_experiments, 1 * MB, RF_TRACKING | RF_JSON, NULL},
    {HTTP_GET, "/experiments/search", h_search_experiments, 0, RF_TRACKING, NULL},
    {HTTP_POST, "/runs/search", h_search_runs, 4 * MB, RF_TRACKING | RF_JSON, NULL},
};
const size_t search_routes_n = sizeof search_routes / sizeof *search_routes;
