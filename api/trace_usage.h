/* A trace's token usage and cost as the metadata MLflow's client sends and reads
 * (mlflow.trace.tokenUsage, mlflow.trace.cost: json.dumps of {"input_tokens": 10, ...}) and
 * as trace_info's columns keep them (struct trace_usage), after MLflow 3.17's
 * store/tracking/utils/trace_analytics.py. */
#ifndef MLT_API_TRACE_USAGE_H
#define MLT_API_TRACE_USAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "../query/filter.h"
#include "../query/usage_match.h"
#include "../store/model.h"
#include "../store/traces.h"
#include "jw.h"

/* analytics_columns_from_metadata: the counts and costs the metadata gives. A value that
 * is no JSON object gives nothing; a count that is no integer within int64 and a cost that
 * is no finite number stay unset. */
void trace_usage_from_metadata(const struct kv *md, size_t n, struct trace_usage *u);

/* compatibility_metadata_from_columns: the two metadata entries' values, each NULL when it
 * has none. */
void trace_usage_metadata(struct arena *a, const struct trace_usage *u, const char **tokens,
                          const char **cost);
/* The same, written into the open object of w (a is for the text). */
void trace_usage_put_metadata(struct jw *w, struct arena *a, const struct trace_usage *u);

/* get_trace_analytics_metadata_filter's reading of a filter's value for a kind's columns,
 * into m: canonical when text is exactly the metadata MLflow would write for some of them,
 * and then each column's value. */
void trace_usage_canonical(struct arena *a, const char *text, size_t n, enum usage_kind kind,
                           struct usage_match *m);

/* The same reading for every = and != clause of a trace search filter on the two keys
 * (filter_clause.usage), before the SQL is built. */
void trace_usage_filter_read(struct arena *a, struct filter *f);

/* A span's mlflow.chat.tokenUsage (cost false) or mlflow.llm.cost (cost true) attribute,
 * as its stored text, into u (_span_aggregation_node): counted when it is a JSON object. */
void span_usage_from_attr(const char *text, size_t n, bool cost, struct span_usage *u);
/* A span's cost columns from its mlflow.llm.cost text: each key's finite_float_or_none
 * (given[k] false where MLflow stores NULL). */
void span_cost_columns(const char *text, size_t n, bool given[TRACE_COST_KINDS],
                       double cost[TRACE_COST_KINDS]);
/* Both, from a stored span's content (a span_usage_reader for trace_log_spans). */
void span_usage_from_content(const char *content, size_t n, struct span_usage *u);

#endif
