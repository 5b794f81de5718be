/* Unit tests for a trace's token usage and cost: what a span's attributes and stored
 * content give (api/trace_usage.c), MLflow's tree-aware sum over spans
 * (store/trace_usage.c), and the metadata text to and from trace_info's columns. */
#include <string.h>

#include "api/trace_usage.h"
#include "base/arena.h"
#include "base/buf.h"
#include "query/filter.h"
#include "t.h"

static struct span_row span(const char *id, const char *parent, const char *usage,
                            const char *cost)
{
    struct span_row r;
    memset(&r, 0, sizeof r);
    r.span_id = id;
    r.parent_span_id = parent;
    if (usage)
        span_usage_from_attr(usage, strlen(usage), false, &r.usage);
    if (cost)
        span_usage_from_attr(cost, strlen(cost), true, &r.usage);
    return r;
}

static void test_span_attributes(void)
{
    struct span_usage u;
    memset(&u, 0, sizeof u);
    span_usage_from_attr("{\"input_tokens\": 3, \"cache_read_input_tokens\": 2.0}", 51, false,
                         &u);
    T_CHECK(u.has_tokens && !u.has_cost);
    T_CHECK(u.tokens[0] == 3 && u.tokens[1] == 0 && u.tokens[3] == 2);
    T_CHECK(u.token_given[0] && !u.token_given[1] && u.token_given[3]);
    memset(&u, 0, sizeof u);
    span_usage_from_attr("[1, 2]", 6, false, &u); /* no object: the span has no data */
    span_usage_from_attr("not json", 8, true, &u);
    T_CHECK(!u.has_tokens && !u.has_cost);
    /* From a stored content: the attribute is the JSON text of the object. */
    const char *content =
        "{\"name\": \"llm\", \"attributes\": {\"mlflow.chat.tokenUsage\": "
        "\"{\\\"input_tokens\\\": 10, \\\"output_tokens\\\": 5, \\\"total_tokens\\\": 15}\", "
        "\"mlflow.llm.cost\": \"{\\\"total_cost\\\": 0.5}\"}}";
    span_usage_from_content(content, strlen(content), &u);
    T_CHECK(u.has_tokens && u.tokens[0] == 10 && u.tokens[2] == 15);
    T_CHECK(u.has_cost && u.cost[2] == 0.5 && u.cost[0] == 0);
    const char *plain = "{\"name\": \"x\", \"attributes\": {\"k\": \"1\"}}";
    span_usage_from_content(plain, strlen(plain), &u);
    T_CHECK(!u.has_tokens && !u.has_cost);
}

static void test_tree_sum(void)
{
    struct arena a;
    arena_init(&a);
    const char *u4 = "{\"input_tokens\": 4, \"output_tokens\": 1, \"total_tokens\": 5}";
    const char *u6 = "{\"input_tokens\": 6, \"output_tokens\": 1, \"total_tokens\": 7, "
                     "\"cache_creation_input_tokens\": 9}";
    /* Two leaves under a parent without usage: both count; the cache count appears. */
    struct span_row flat[] = {span("r", NULL, NULL, NULL), span("a", "r", u4, NULL),
                              span("b", "r", u6, "{\"input_cost\": 0.25}")};
    struct trace_usage t;
    trace_usage_sum(&a, flat, 3, &t);
    T_CHECK(t.has_tokens[0] && t.tokens[0] == 10 && t.tokens[2] == 12);
    T_CHECK(t.has_tokens[4] && t.tokens[4] == 9 && !t.has_tokens[3]);
    T_CHECK(t.has_cost[0] && t.cost[0] == 0.25 && t.has_cost[2] && t.cost[2] == 0);
    /* A parent with usage holds its children's: they no longer count (tokens); cost is
     * deduplicated on its own, so the child's cost still counts. */
    struct span_row rollup[] = {span("r", NULL, u4, NULL), span("a", "r", u6, "{\"total_cost\": 1}")};
    trace_usage_sum(&a, rollup, 2, &t);
    T_CHECK(t.tokens[0] == 4 && !t.has_tokens[4]);
    T_CHECK(t.has_cost[2] && t.cost[2] == 1);
    /* A parent outside the spans makes its child a root; a cycle of parents ends. */
    struct span_row loop[] = {span("a", "b", u4, NULL), span("b", "a", u6, NULL)};
    trace_usage_sum(&a, loop, 2, &t);
    T_CHECK(!t.has_tokens[0]); /* each has an ancestor with usage, so none counts */
    struct span_row orphan[] = {span("a", "missing", u4, NULL)};
    trace_usage_sum(&a, orphan, 1, &t);
    T_CHECK(t.has_tokens[0] && t.tokens[0] == 4);
    struct span_row none[] = {span("a", NULL, NULL, NULL)};
    trace_usage_sum(&a, none, 1, &t);
    T_CHECK(!t.has_tokens[0] && !t.has_cost[0]);
    /* A sum that is no integer is no token count. */
    struct span_row half[] = {span("a", NULL, "{\"input_tokens\": 1.5}", NULL)};
    trace_usage_sum(&a, half, 1, &t);
    T_CHECK(!t.has_tokens[0] && t.has_tokens[1] && t.tokens[1] == 0);
    arena_release(&a);
}

static void test_metadata_round_trip(void)
{
    struct kv md[] = {
        {"mlflow.trace.tokenUsage",
         "{\"input_tokens\": 7, \"output_tokens\": \"3\", \"total_tokens\": true, "
         "\"cache_read_input_tokens\": 2.0}"},
        {"mlflow.trace.cost", "{\"input_cost\": 0.1, \"total_cost\": NaN, \"output_cost\": \"2\"}"},
    };
    struct trace_usage u;
    trace_usage_from_metadata(md, 2, &u);
    T_CHECK(u.has_tokens[0] && u.tokens[0] == 7);
    T_CHECK(u.has_tokens[1] && u.tokens[1] == 3); /* a numeric string, as Decimal() reads it */
    T_CHECK(!u.has_tokens[2]);                    /* a bool is no count */
    T_CHECK(u.has_tokens[3] && u.tokens[3] == 2);
    T_CHECK(u.has_cost[0] && u.cost[0] == 0.1 && u.has_cost[1] && u.cost[1] == 2);
    T_CHECK(!u.has_cost[2]); /* NaN is not finite */
    struct arena a;
    arena_init(&a);
    struct buf b;
    buf_init(&b, 1 << 16);
    struct jw w;
    jw_init(&w, &b);
    jw_obj(&w);
    trace_usage_put_metadata(&w, &a, &u);
    jw_obj_end(&w);
    T_STREQ(b.ptr, "{\"mlflow.trace.tokenUsage\":\"{\\\"input_tokens\\\": 7, \\\"output_tokens\\\": "
                   "3, \\\"cache_read_input_tokens\\\": 2}\",\"mlflow.trace.cost\":\"{\\\"input_"
                   "cost\\\": 0.1, \\\"output_cost\\\": 2.0}\"}");
    struct trace_usage empty;
    memset(&empty, 0, sizeof empty);
    buf_clear(&b);
    jw_init(&w, &b);
    jw_obj(&w);
    trace_usage_put_metadata(&w, &a, &empty);
    jw_obj_end(&w);
    T_STREQ(b.ptr, "{}");
    buf_release(&b);
    arena_release(&a);
}

/* A search filter's usage values, read as MLflow's get_trace_analytics_metadata_filter
 * reads them: canonical only for the exact text json.dumps gives, for = and != alike. */
static void test_filter_read(void)
{
    struct arena a;
    arena_init(&a);
    struct err e;
    struct filter f;
    const char *s = "metadata.`mlflow.trace.tokenUsage` = '{\"input_tokens\": 10, "
                    "\"total_tokens\": 12}' AND metadata.`mlflow.trace.cost` != "
                    "'{\"total_cost\": 1e-05}' AND metadata.`mlflow.trace.cost` = "
                    "'{\"total_cost\": 0.00001}' AND metadata.env = 'x' AND "
                    "metadata.`mlflow.trace.tokenUsage` IS NULL";
    T_CHECK(filter_parse(&a, SEARCH_TRACES, s, strlen(s), &f, &e) == 0);
    T_CHECK(f.n == 5);
    trace_usage_filter_read(&a, &f);
    const struct usage_match *m = f.clauses[0].usage;
    T_CHECK(m && m->canonical);
    T_CHECK(m->given[0] && m->col[0].i == 10 && !m->given[1] && m->given[2] &&
            m->col[2].i == 12 && !m->given[3]);
    m = f.clauses[1].usage;
    T_CHECK(m && m->canonical && !m->given[0] && !m->given[1] && m->given[2] &&
            m->col[2].type == SQL_REAL && m->col[2].d == 1e-05);
    T_CHECK(f.clauses[2].usage && !f.clauses[2].usage->canonical); /* Python writes 1e-05 */
    T_CHECK(f.clauses[3].usage == NULL);
    T_CHECK(f.clauses[4].usage == NULL);
    arena_release(&a);
}

int main(void)
{
    T_RUN(test_span_attributes);
    T_RUN(test_tree_sum);
    T_RUN(test_metadata_round_trip);
    T_RUN(test_filter_read);
    T_DONE();
}
