/* A trace's token usage and cost from its spans (see trace_usage_sum in traces.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"
#include "traces.h"

struct by_id {
    const char *id;
    size_t i;
};

static int by_id_cmp(const void *a, const void *b)
{
    return strcmp(((const struct by_id *)a)->id, ((const struct by_id *)b)->id);
}

/* Whether an ancestor of span i among the spans has data of the kind (cost or tokens). The
 * walk stops after n steps, so a cycle of parent ids ends. */
static bool ancestor_has(const struct span_row *spans, size_t n, const struct by_id *ids,
                         size_t i, bool cost)
{
    const char *parent = spans[i].parent_span_id;
    for (size_t steps = 0; parent && steps < n; steps++) {
        struct by_id key = {parent, 0};
        const struct by_id *hit = bsearch(&key, ids, n, sizeof *ids, by_id_cmp);
        if (!hit)
            return false;
        const struct span_usage *u = &spans[hit->i].usage;
        if (cost ? u->has_cost : u->has_tokens)
            return true;
        parent = spans[hit->i].parent_span_id;
    }
    return false;
}

void trace_usage_sum(struct arena *a, const struct span_row *spans, size_t n,
                     struct trace_usage *out)
{
    memset(out, 0, sizeof *out);
    struct by_id *ids = arena_calloc(a, n ? n : 1, sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = (struct by_id){spans[i].span_id, i};
    qsort(ids, n, sizeof *ids, by_id_cmp);
    double tokens[TRACE_TOKEN_KINDS] = {0}, cost[TRACE_COST_KINDS] = {0};
    bool any_tokens = false, any_cost = false, given[TRACE_TOKEN_KINDS] = {false};
    for (size_t i = 0; i < n; i++) {
        const struct span_usage *u = &spans[i].usage;
        if (u->has_tokens && !ancestor_has(spans, n, ids, i, false)) {
            any_tokens = true;
            for (int k = 0; k < TRACE_TOKEN_KINDS; k++) {
                tokens[k] += u->tokens[k];
                given[k] |= u->token_given[k];
            }
        }
        if (u->has_cost && !ancestor_has(spans, n, ids, i, true)) {
            any_cost = true;
            for (int k = 0; k < TRACE_COST_KINDS; k++)
                cost[k] += u->cost[k];
        }
    }
    for (int k = 0; any_tokens && k < TRACE_TOKEN_KINDS; k++)
        if (k < 3 || given[k]) /* input, output and total always; cache counts when given */
            out->has_tokens[k] = i64_of_double(tokens[k], &out->tokens[k]);
    for (int k = 0; any_cost && k < TRACE_COST_KINDS; k++) {
        out->cost[k] = cost[k];
        out->has_cost[k] = isfinite(cost[k]);
    }
}
