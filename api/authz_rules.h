/* What api/authz.c's route rules and api/authz_traces.c's trace rules share: deciding a set
 * of requirements for the caller, and reading the request's fields without reporting their
 * errors (the handler reports those with its own messages). Internal to api/authz*.c. */
#ifndef MLT_API_AUTHZ_RULES_H
#define MLT_API_AUTHZ_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "../auth/perm.h"

struct ctx;

/* The trace rules (MLflow's validate_can_*_trace*, *_assessment, the OTLP validator). */
enum trace_rule {
    TR_NONE = 0,
    TR_START,     /* StartTraceV3: create in the body's experiment */
    TR_START_V2,  /* StartTrace (MLflow 2): create in the body's experiment_id */
    TR_OTLP,      /* /v1/traces: create in the x-mlflow-experiment-id experiment */
    TR_READ,      /* one trace, by the path's or the query's id */
    TR_ARTIFACT,  /* get-trace-artifact: read on the trace of request_id, which must be sent */
    TR_UPDATE,
    TR_BATCH,     /* every trace of trace_ids */
    TR_SEARCH,    /* every experiment of locations, and the tiers the filter reaches */
    TR_SEARCH_V2, /* SearchTraces (MLflow 2): the same, of the query's experiment_ids */
    TR_CORRELATION, /* every experiment of experiment_ids, the tiers its filters reach */
    TR_METRICS,   /* every experiment of experiment_ids; assessments for their view */
    TR_DELETE,    /* delete-traces in experiment_id */
    TR_LINK,      /* link-to-run: update on the run, read on every trace */
    TR_ASSESS_CREATE, TR_ASSESS_READ, TR_ASSESS_UPDATE, TR_ASSESS_DELETE,
};

/* Whether the (non-admin) caller passes the trace rule: 1 yes, 0 no, -1 error (c->e). */
int authz_trace_check(struct ctx *c, enum trace_rule rule);

bool authz_allowed(struct ctx *c, const struct perm_req *reqs, size_t n);
/* An experiment id as grants spell it ("01" -> "1"); text that is no number stays. */
const char *authz_canon_exp(struct ctx *c, const char *s);
/* A string field of the query or body; NULL when absent or not a string. */
const char *authz_field(struct ctx *c, const char *name);
/* A repeated string field (*n = 0 when absent); -1 when malformed, c->e untouched. */
int authz_list(struct ctx *c, const char *name, const char ***out, size_t *n);
/* _run_requirement: READ on the run's experiment and the action on the run tier falling
 * back to it; a missing run denies. 0 with *ok set, or -1. */
int authz_can_run(struct ctx *c, const char *run_id, enum perm_action a, bool *ok);

#endif
