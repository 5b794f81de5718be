/* GenAI traces on MLflow's tables: trace_info with its tags (trace_tags) and metadata
 * (trace_request_metadata), the spans table (one row per span, its MLflow JSON in
 * `content`), and links from traces to runs (entity_associations). A trace is created by
 * the client's start-trace call or by its first spans, whichever comes first; the other
 * merges into it, as MLflow's SqlAlchemyStore does. */
#ifndef MLT_STORE_TRACES_H
#define MLT_STORE_TRACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../query/filter.h"
#include "../query/trace_metrics.h"
#include "model.h"
#include "store.h"

/* Tag and metadata keys with meaning to the store (MLflow's TraceTagKey/TraceMetadataKey). */
#define TRACE_TAG_NAME "mlflow.traceName"
#define TRACE_TAG_ARTIFACT_LOCATION "mlflow.artifactLocation"
#define TRACE_TAG_SPANS_LOCATION "mlflow.trace.spansLocation"
#define TRACE_META_FINALIZED "mlflow.trace.infoFinalized"
#define TRACE_META_SOURCE_RUN "mlflow.sourceRun"
#define TRACE_META_MODEL_ID "mlflow.modelId"
#define TRACE_META_SIZE_STATS "mlflow.trace.sizeStats"

#define TRACE_META_SESSION "mlflow.trace.session"
#define TRACE_SESSION_MAX 250 /* characters (MAX_CHARS_IN_TRACE_INFO_METADATA) */
#define TRACE_META_TOKEN_USAGE "mlflow.trace.tokenUsage"
#define TRACE_META_COST "mlflow.trace.cost"

struct assessment;

/* The token counts and costs of a trace. MLflow 3.17 keeps what the client sends as the
 * metadata mlflow.trace.tokenUsage and mlflow.trace.cost ({"input_tokens": 10, ...}) in
 * trace_info's columns, not as metadata rows, and gives them back as that metadata. The
 * keys are the column names. */
enum { TRACE_TOKEN_KINDS = 6, TRACE_COST_KINDS = 3 };
extern const char *const trace_token_keys[TRACE_TOKEN_KINDS];
extern const char *const trace_cost_keys[TRACE_COST_KINDS];
struct trace_usage {
    bool has_tokens[TRACE_TOKEN_KINDS];
    int64_t tokens[TRACE_TOKEN_KINDS];
    bool has_cost[TRACE_COST_KINDS];
    double cost[TRACE_COST_KINDS]; /* finite */
};

struct trace_info {
    const char *trace_id; /* "tr-<32 hex>" */
    int64_t experiment_id;
    int64_t request_time; /* ms */
    bool has_execution_duration;
    int64_t execution_duration; /* ms */
    const char *state;          /* OK, ERROR, IN_PROGRESS, STATE_UNSPECIFIED */
    const char *client_request_id, *request_preview, *response_preview; /* may be NULL */
    struct kv *tags, *metadata; /* metadata without tokenUsage and cost (usage has them) */
    size_t ntags, nmetadata;
    struct trace_usage usage;
    struct assessment *assessments; /* read with the info; written by trace_start */
    size_t nassessments;
};

/* What one span says of its trace's token usage and cost: its mlflow.chat.tokenUsage and
 * mlflow.llm.cost attributes when they hold JSON objects (MLflow's SpanAggregationNode). */
struct span_usage {
    bool has_tokens, has_cost;
    bool token_given[TRACE_TOKEN_KINDS];
    double tokens[TRACE_TOKEN_KINDS]; /* numbers only; anything else counts 0 */
    double cost[TRACE_COST_KINDS];
};
/* Reads a stored span's content for its usage (the API layer parses JSON). */
typedef void (*span_usage_reader)(const char *content, size_t n, struct span_usage *out);

/* One span as stored. */
struct span_row {
    const char *trace_id;       /* the MLflow trace id */
    const char *span_id;        /* 16 hex */
    const char *parent_span_id; /* NULL for a root span */
    const char *name, *type;
    const char *status; /* OK, ERROR, UNSET */
    int64_t start_ns;
    bool has_end;
    int64_t end_ns;
    const char *content; /* MLflow's Span.to_dict() as JSON */
    size_t content_n;
    struct span_usage usage; /* of a span being logged */
    /* The columns MLflow 3.17's log_spans fills for its trace analytics: the span's own cost
     * (NULL where not given), model and provider (NULL when the span names none). */
    bool cost_given[TRACE_COST_KINDS];
    double cost[TRACE_COST_KINDS];
    const char *model_name, *model_provider;
};

/* Per trace of a batch of spans: what MLflow derives for trace_info (log_spans). */
struct span_trace_agg {
    const char *trace_id;
    int64_t min_start_ms;
    bool has_max_end;
    int64_t max_end_ms;
    const char *root_status;     /* trace state from the root span, or NULL without one */
    const char *request_preview; /* from the root span's inputs/outputs; may be NULL */
    const char *response_preview;
    const char *trace_name; /* a root-span mlflow.traceTag.mlflow.traceName, or NULL */
    struct kv *tags;        /* from the resource and the root span's mlflow.traceTag.* */
    size_t ntags;
    const char *session_id; /* the first span's session.id or gen_ai.conversation.id */
    const char *user_id;    /* the first span's user.id (metadata mlflow.trace.user) */
    bool has_tokens, has_cost; /* a span of the batch has token usage / cost */
};

/* MLflow's start_trace (v3): inserts the trace, or merges into one its spans created.
 * in->tags may include mlflow.traceName (kept in trace_info.trace_name). finalized: the
 * info is final (mlflow.trace.infoFinalized: spans logged later keep its times and state),
 * as start_trace says and MLflow 2's start (deprecated_start_trace_v2) does not. out is the
 * trace as stored. NOT_FOUND / INVALID_STATE for a missing or deleted experiment. */
int trace_start(struct sctx *c, const struct trace_info *in, bool finalized,
                struct trace_info *out);

/* MLflow 2's end of a trace (deprecated_end_trace_v2): the execution time up to end_ms, the
 * state, and the tags and metadata merged in (the name, the session and the usage into
 * trace_info's columns). NOT_FOUND for a missing trace. */
struct trace_end {
    int64_t end_ms;
    const char *state;
    const struct kv *tags, *metadata;
    size_t ntags, nmetadata;
    struct trace_usage usage; /* of the metadata's tokenUsage and cost */
};
int trace_end_v2(struct sctx *c, const char *trace_id, const struct trace_end *in,
                 struct trace_info *out);

/* The trace's info with tags and metadata; RESOURCE_DOES_NOT_EXIST "Trace with ID '...' not
 * found." otherwise (or with not_found_msg's wording when given: "%s" takes the id). */
int trace_get_info(struct sctx *c, const char *trace_id, struct trace_info *out);

/* Every stored span of the trace, root first then by start time, as MLflow returns them:
 * their ids, start and content (what get-trace sends; the other fields are left unset). */
int trace_get_spans(struct sctx *c, const char *trace_id, struct span_row **out, size_t *n);

/* Whether the trace's spans are in the spans table (tag mlflow.trace.spansLocation is
 * TRACKING_STORE), not in its artifact location. */
bool trace_spans_in_store(const struct trace_info *t);

/* The stored spans of one trace of a batch. */
struct trace_spans {
    struct span_row *rows;
    size_t n;
};
/* trace_get_infos and, for each trace found whose spans are in the store and that
 * wanted(trace, arg) accepts (every one when wanted is NULL; the caller leaves the others
 * out), trace_get_spans (spans[i] goes with out[i]), all read in one transaction: one
 * snapshot of the batch. */
int trace_get_with_spans(struct sctx *c, const char *const *ids, size_t n,
                         bool (*wanted)(const struct trace_info *t, void *arg), void *arg,
                         struct trace_info **out, size_t *nout, struct trace_spans **spans);

/* The experiment of a trace, for access rules: 1 found, 0 no such trace, -1 error. */
int trace_experiment_of(struct sctx *c, const char *trace_id, int64_t *experiment_id);

/* The infos of the given traces that exist, in the order asked (duplicates once). */
int trace_get_infos(struct sctx *c, const char *const *ids, size_t n, struct trace_info **out,
                    size_t *nout);

int trace_set_tag(struct sctx *c, const char *trace_id, const char *key, const char *value);
int trace_delete_tag(struct sctx *c, const char *trace_id, const char *key);

/* MLflow's _delete_traces: by ids, or those older than max_timestamp_ms (at most max_traces
 * of the oldest when > 0), within one experiment. *deleted gets the count. */
int trace_delete(struct sctx *c, int64_t experiment_id, const char *const *ids, size_t nids,
                 bool has_max_ts, int64_t max_ts, int64_t max_traces, int64_t *deleted);

/* Links traces to a run (entity_associations trace -> run), as link_traces_to_run. */
int trace_link_to_run(struct sctx *c, const char *const *ids, size_t n, const char *run_id);
/* Links a trace to prompt versions ("name/version": entity_associations trace ->
 * prompt_version), as link_prompts_to_trace: the ones it has stay; NOT_FOUND for a missing
 * trace, unless there is nothing to link. */
int trace_link_prompts(struct sctx *c, const char *trace_id, const char *const *prompt_ids,
                       size_t n);

/* Writes a batch of spans of experiment_id in one transaction: creates the traces that do
 * not exist (from aggs), upserts the spans, and updates the traces' derived fields as
 * MLflow's log_spans does. */
int trace_log_spans(struct sctx *c, int64_t experiment_id, const struct span_row *spans,
                    size_t n, const struct span_trace_agg *aggs, size_t naggs,
                    span_usage_reader usage_of);

/* MLflow's tree-aware sum (_aggregate_from_nodes, store/trace_usage.c): a span's usage
 * counts unless one of its ancestors among the n spans has usage too (a rollup parent
 * already holds its children's), and so for cost, each on its own. The three main token
 * counts and the three costs are set once any span counts; a cache count only when a
 * counted span gives it. A sum that is no integer within int64 stays unset. */
void trace_usage_sum(struct arena *a, const struct span_row *spans, size_t n,
                     struct trace_usage *out);

struct trace_search_q {
    const int64_t *experiment_ids;
    size_t nexp;
    const struct filter *filter;     /* SEARCH_TRACES */
    const struct order_by *order_by; /* SEARCH_TRACES; default timestamp DESC */
    int64_t offset, limit;
};

/* One page of trace infos (with tags and metadata). *more is set when rows remain. */
int trace_search(struct sctx *c, const struct trace_search_q *q, struct trace_info **out,
                 size_t *n, bool *more);

/* The counts of MLflow's calculate_trace_filter_correlation (_get_trace_correlation_counts),
 * over the traces of the experiments: total, those universe selects (every trace when it is
 * NULL); n1 and n2, those f1 and f2 select; joint, those both select. The caller folds the
 * base filter into universe, f1 and f2 as MLflow does ("<base> and <filter>", one parse, so
 * that span clauses of the two hold on one span); all four come from one statement. */
struct trace_correlation_counts {
    int64_t total, n1, n2, joint;
};
int trace_correlation_counts(struct sctx *c, const int64_t *experiment_ids, size_t nexp,
                             const struct filter *universe, const struct filter *f1,
                             const struct filter *f2, struct trace_correlation_counts *out);

/* MLflow 3.17's query_trace_metrics over the raw rows (store/trace_metrics.c; the query and
 * its rules are query/trace_metrics.h's): one data point a group, in the groups' order, at
 * most q->limit. A group with a NULL dimension or no value at all is no data point. */
struct trace_metric_point {
    double bucket_ms;   /* the time bucket's start, when q->interval_s */
    const char **dims;  /* q->ndims, in q->dims' order */
    double *value;      /* q->naggs, in q->aggs' order; has[i] false for a NULL */
    bool *has;
};
int trace_metrics_query(struct sctx *c, const struct tm_query *q, struct trace_metric_point **out,
                        size_t *n);

/* ---- assessments (store/assessments.c): feedback and expectations on a trace ---- */

struct assessment {
    const char *assessment_id; /* "a-<32 hex>" */
    const char *trace_id, *name;
    const char *type;       /* "feedback" or "expectation" */
    const char *value_json; /* json.dumps of the value, as MLflow stores it */
    const char *error_json; /* feedback only; NULL without an error */
    int64_t created, updated;
    const char *source_type, *source_id;
    const char *run_id, *span_id, *rationale, *overrides, *metadata_json; /* may be NULL */
    bool valid;
    bool has_aggregate; /* assessment_aggregate of the value */
    double aggregate;
    bool numeric;
};

/* create_assessment: the trace must exist (NOT_FOUND otherwise), overrides an assessment of
 * that trace (which becomes invalid) when set. in->assessment_id, created and updated are
 * filled in when missing. out is the row as stored. */
int assess_create(struct sctx *c, const struct assessment *in, struct assessment *out);
/* Inside trace_start's transaction: in (on the trace in->trace_id of experiment exp, started
 * at ts) written valid, replacing a row of the same id, as MLflow's start_trace merges the
 * assessments a trace info carries (nothing else is checked, overrides included). */
int assess_put_for_trace(struct sctx *c, const struct assessment *in, int64_t exp, int64_t ts);
int assess_get(struct sctx *c, const char *trace_id, const char *id, struct assessment *out);
/* Every assessment of the traces in trace_ids_json (a JSON array), by trace, oldest first. */
int assess_list_many(struct sctx *c, const char *trace_ids_json, struct assessment **out,
                     size_t *n);

/* What update_assessment changes; NULL fields are kept. */
struct assessment_update {
    const char *name, *rationale;
    const char *value_json; /* with set_value; error_json goes with it for feedback */
    const char *error_json;
    bool set_value;
    bool is_expectation; /* the value given is an expectation's (else feedback's) */
    const char *metadata_json; /* the whole new metadata (the caller merged it) */
    int64_t expect_updated;    /* the row's last_updated_timestamp the caller read */
    bool has_aggregate;
    double aggregate;
    bool numeric;
};
/* 1 when the row changed since the caller read it (nothing written: read and merge again). */
int assess_update(struct sctx *c, const char *trace_id, const char *id,
                  const struct assessment_update *u, struct assessment *out);
/* Deletes it (nothing when it does not exist, as MLflow); an assessment it overrode is valid
 * again. */
int assess_delete(struct sctx *c, const char *trace_id, const char *id);

#endif
