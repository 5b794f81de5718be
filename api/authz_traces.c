/* Access rules for GenAI traces and their assessments, as MLflow 3.17's basic-auth app has
 * them (validate_can_*_trace*, validate_can_*_assessment, the OTLP validator), and what
 * trace replies leave out for the caller (its response filters).
 *
 * A trace belongs to its experiment: every rule needs READ there, and the action itself on
 * the trace tier, which falls back to the experiment when the caller holds no trace grant.
 * Creating (start-trace, OTLP export) needs EDIT on the experiment with the trace tier not
 * denied. Assessments have a tier of their own inheriting the experiment. A trace id that
 * does not exist denies, so the answer tells nothing of which ids exist. */
#include <string.h>

#include "../base/util.h"
#include "../query/filter.h"
#include "../query/trace_metrics.h"
#include "../store/traces.h"
#include "api.h"
#include "authz.h"
#include "authz_rules.h"

static const char *exp_text(struct ctx *c, int64_t id)
{
    return arena_printf(c->r->arena, "%lld", (long long)id);
}

/* The requirement every rule on an existing trace starts with, and the action on the trace
 * tier falling back to the experiment. */
static void trace_reqs(struct perm_req r[2], const char *eid, enum perm_action a)
{
    r[0] = (struct perm_req){.type = "experiment", .id = eid, .action = ACT_READ};
    r[1] = (struct perm_req){.type = "trace", .action = a, .fb_type = "experiment", .fb_id = eid};
}

/* The experiment of the trace the route names, as text; NULL (deny) when it has none or
 * the trace does not exist. */
static int trace_exp(struct ctx *c, const char **eid)
{
    const char *id = c->r->params[0] ? c->r->params[0] : authz_field(c, "trace_id");
    if (!id)
        id = authz_field(c, "request_id");
    *eid = NULL;
    if (!id)
        return 0;
    int64_t exp;
    int found = trace_experiment_of(&c->s, id, &exp);
    if (found > 0)
        *eid = exp_text(c, exp);
    return found < 0 ? -1 : 0;
}

/* _authorize_create_in_experiment(eid, trace): EDIT on the experiment, the trace tier not
 * denied, and the assessment tier not denied when assessments ride along. */
static int can_create(struct ctx *c, const char *eid, bool with_assessments)
{
    if (!eid || !*eid)
        return 0;
    eid = authz_canon_exp(c, eid);
    struct perm_req r[3] = {
        {.type = "experiment", .id = eid, .action = ACT_UPDATE},
        {.type = "trace", .action = ACT_NOT_DENIED},
        {.type = "assessment", .action = ACT_NOT_DENIED},
    };
    return authz_allowed(c, r, with_assessments ? 3 : 2);
}

/* StartTraceV3's trace.trace_info: its experiment and whether it carries assessments. */
static int check_start(struct ctx *c)
{
    json_t *tr = in_raw(&c->in, "trace");
    json_t *ti = json_is_object(tr) ? json_object_get(tr, "trace_info") : NULL;
    json_t *loc = json_is_object(ti) ? json_object_get(ti, "trace_location") : NULL;
    json_t *me = json_is_object(loc) ? json_object_get(loc, "mlflow_experiment") : NULL;
    json_t *id = json_is_object(me) ? json_object_get(me, "experiment_id") : NULL;
    json_t *as = json_is_object(ti) ? json_object_get(ti, "assessments") : NULL;
    return can_create(c, json_is_string(id) ? json_string_value(id) : NULL,
                      json_is_array(as) && json_array_size(as) > 0);
}

/* READ on each experiment and on the trace tier, plus READ on the extra tiers (assessment,
 * run, logged_model: bits of tiers) falling back to each experiment. */
enum { TIER_ASSESSMENT = 1, TIER_RUN = 2, TIER_LOGGED_MODEL = 4 };
static int can_read_in(struct ctx *c, const char **eids, size_t n, unsigned tiers)
{
    static const struct {
        unsigned bit;
        const char *type;
    } tier_types[] = {
        {TIER_ASSESSMENT, "assessment"}, {TIER_RUN, "run"}, {TIER_LOGGED_MODEL, "logged_model"}};
    if (n == 0)
        return 0; /* an unscoped bulk request denies */
    for (size_t i = 0; i < n; i++) {
        struct perm_req r[2 + 3];
        trace_reqs(r, eids[i], ACT_READ);
        size_t m = 2;
        for (size_t k = 0; k < 3; k++)
            if (tiers & tier_types[k].bit)
                r[m++] = (struct perm_req){.type = tier_types[k].type, .action = ACT_READ,
                                           .fb_type = "experiment", .fb_id = eids[i]};
        if (!authz_allowed(c, r, m))
            return 0;
    }
    return 1;
}

/* The experiments of every trace in trace_ids; a missing trace denies. 1, 0 or -1. */
static int trace_ids_exps(struct ctx *c, const char ***eids, size_t *n)
{
    const char **ids;
    struct err saved = c->e;
    if (in_str_list(&c->in, "trace_ids", &ids, n) != 0) {
        c->e = saved;
        return 0;
    }
    *eids = arena_calloc(c->r->arena, *n ? *n : 1, sizeof **eids);
    for (size_t i = 0; i < *n; i++) {
        int64_t exp;
        int found = trace_experiment_of(&c->s, ids[i], &exp);
        if (found <= 0)
            return found;
        (*eids)[i] = exp_text(c, exp);
    }
    return 1;
}

/* _trace_search_selects_on_tiers: the tiers a search reaches through its filter or its
 * order: assessments (feedback., expectation.), the source run (run_id,
 * request_metadata.mlflow.sourceRun), the logged model (request_metadata.mlflow.modelId).
 * A filter or order that does not parse reaches every tier, as in MLflow. */
static unsigned metadata_tier(enum filter_entity ent, enum filter_attr attr, struct str key)
{
    if (ent == FILTER_ATTRIBUTE && attr == FATTR_RUN_ID)
        return TIER_RUN;
    if (ent != FILTER_METADATA)
        return 0;
    if (str_eq(key, TRACE_META_SOURCE_RUN))
        return TIER_RUN;
    if (str_eq(key, TRACE_META_MODEL_ID))
        return TIER_LOGGED_MODEL;
    return 0;
}

static unsigned search_tiers(struct ctx *c, const char *const *filters, size_t nfilters,
                             bool with_order)
{
    const unsigned every = TIER_ASSESSMENT | TIER_RUN | TIER_LOGGED_MODEL;
    const char **order = NULL;
    size_t norder = 0;
    struct err saved = c->e;
    if (with_order && in_str_list(&c->in, "order_by", &order, &norder) != 0) {
        c->e = saved;
        return every;
    }
    unsigned tiers = 0;
    for (size_t j = 0; j < nfilters; j++) {
        const char *filter = filters[j] ? filters[j] : "";
        struct filter f;
        if (filter_parse(c->r->arena, SEARCH_TRACES, filter, strlen(filter), &f, &c->e) != 0) {
            c->e = saved;
            return every;
        }
        for (size_t i = 0; i < f.n; i++) {
            const struct filter_clause *cl = &f.clauses[i];
            if (cl->entity == FILTER_FEEDBACK || cl->entity == FILTER_EXPECTATION)
                tiers |= TIER_ASSESSMENT;
            tiers |= metadata_tier(cl->entity, cl->attr, cl->key);
        }
    }
    struct str *items = arena_calloc(c->r->arena, norder ? norder : 1, sizeof *items);
    for (size_t i = 0; i < norder; i++)
        items[i] = str_c(order[i]);
    struct order_by ob;
    if (filter_parse_order_by(c->r->arena, SEARCH_TRACES, items, norder, &ob, &c->e) != 0) {
        c->e = saved;
        return every;
    }
    for (size_t i = 0; i < ob.n; i++)
        tiers |= metadata_tier(ob.keys[i].entity, ob.keys[i].attr, ob.keys[i].key);
    return tiers;
}

/* SearchTracesV3: READ on the experiment of every mlflow_experiment location. */
static int check_search(struct ctx *c)
{
    json_t *locs = in_raw(&c->in, "locations");
    size_t n = json_is_array(locs) ? json_array_size(locs) : 0;
    const char **eids = arena_calloc(c->r->arena, n ? n : 1, sizeof *eids);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *l = json_array_get(locs, i);
        json_t *me = json_is_object(l) ? json_object_get(l, "mlflow_experiment") : NULL;
        json_t *id = json_is_object(me) ? json_object_get(me, "experiment_id") : NULL;
        if (json_is_string(id) && *json_string_value(id))
            eids[m++] = authz_canon_exp(c, json_string_value(id));
    }
    const char *filter = authz_field(c, "filter");
    return can_read_in(c, eids, m, search_tiers(c, &filter, 1, true));
}


/* The body's experiment_ids, each as the experiment's canonical id; false when the field
 * is no list of strings. */
static bool experiment_ids_of(struct ctx *c, const char ***eids, size_t *n)
{
    const char **ids;
    if (authz_list(c, "experiment_ids", &ids, n) != 0)
        return false;
    *eids = arena_calloc(c->r->arena, *n ? *n : 1, sizeof **eids);
    for (size_t i = 0; i < *n; i++)
        (*eids)[i] = authz_canon_exp(c, ids[i]);
    return true;
}

/* SearchTraces (MLflow 2, a GET): READ on every experiment of experiment_ids, and the tiers
 * its filter and order_by reach (validate_can_search_traces). */
static int check_search_v2(struct ctx *c)
{
    const char **eids;
    size_t n;
    if (!experiment_ids_of(c, &eids, &n))
        return 0;
    const char *filter = authz_field(c, "filter");
    return can_read_in(c, eids, n, search_tiers(c, &filter, 1, true));
}

/* CalculateTraceFilterCorrelation: READ on every experiment of experiment_ids, and the
 * tiers any of its three filters reaches (validate_can_read_traces_by_experiment_ids). */
static int check_correlation(struct ctx *c)
{
    const char **eids;
    size_t n;
    if (!experiment_ids_of(c, &eids, &n))
        return 0;
    const char *filters[3] = {authz_field(c, "filter_string1"), authz_field(c, "filter_string2"),
                              authz_field(c, "base_filter")};
    return can_read_in(c, eids, n, search_tiers(c, filters, 3, false));
}

/* QueryTraceMetrics: READ on every experiment of experiment_ids and its traces, and on its
 * assessments for the ASSESSMENTS view (validate_can_query_trace_metrics). */
static int check_metrics(struct ctx *c)
{
    const char **eids;
    size_t n;
    if (!experiment_ids_of(c, &eids, &n))
        return 0;
    bool assessments = trace_metrics_view_of(in_raw(&c->in, "view_type")) == TM_ASSESSMENTS;
    return can_read_in(c, eids, n, assessments ? TIER_ASSESSMENT : 0);
}

/* DeleteTracesV3: READ on the experiment; DELETE on the trace tier, or without a trace grant
 * the experiment's DELETE; and the assessments the cascade removes: DELETE on their tier, or
 * without a grant there the experiment's EDIT. */
static int check_delete(struct ctx *c)
{
    const char *eid = authz_canon_exp(c, authz_field(c, "experiment_id"));
    if (!eid)
        return 0;
    struct perm_req r[3] = {
        {.type = "experiment", .id = eid, .action = ACT_READ},
        {.type = "trace", .action = ACT_DELETE, .fb_type = "experiment", .fb_id = eid},
        {.type = "assessment", .action = ACT_DELETE, .fb_type = "experiment", .fb_id = eid,
         .fb_own_action = true, .fb_action = ACT_UPDATE},
    };
    return authz_allowed(c, r, 3);
}

/* LinkTracesToRun: EDIT on the run, READ on every trace. */
static int check_link(struct ctx *c)
{
    const char *run = authz_field(c, "run_id");
    bool ok;
    if (!run)
        return 0;
    if (authz_can_run(c, run, ACT_UPDATE, &ok) != 0)
        return -1;
    if (!ok)
        return 0;
    const char **eids;
    size_t n;
    int r = trace_ids_exps(c, &eids, &n);
    return r <= 0 ? r : can_read_in(c, eids, n, 0);
}

/* The assessment routes address the assessment through its trace: READ on the experiment
 * and the trace; then the assessment tier's action, inheriting the experiment (deleting
 * inherits the experiment's EDIT). Creating: the assessment tier not denied, and EDIT on the
 * experiment or on the trace tier; a trace grant may confer the write but never takes away
 * what the experiment gives. */
static int check_assessment(struct ctx *c, enum trace_rule rule, const char *eid)
{
    struct perm_req r[3];
    trace_reqs(r, eid, ACT_READ);
    if (rule == TR_ASSESS_CREATE) {
        r[2] = (struct perm_req){.type = "assessment", .action = ACT_NOT_DENIED};
        if (!authz_allowed(c, r, 3))
            return 0;
        struct perm_req by_exp = {.type = "experiment", .id = eid, .action = ACT_UPDATE};
        struct perm_req by_trace = {.type = "trace", .action = ACT_UPDATE};
        return authz_allowed(c, &by_exp, 1) || authz_allowed(c, &by_trace, 1);
    }
    enum perm_action a = rule == TR_ASSESS_READ     ? ACT_READ
                         : rule == TR_ASSESS_UPDATE ? ACT_UPDATE
                                                    : ACT_DELETE;
    r[2] = (struct perm_req){.type = "assessment", .action = a, .fb_type = "experiment",
                             .fb_id = eid, .fb_own_action = rule == TR_ASSESS_DELETE,
                             .fb_action = ACT_UPDATE};
    return authz_allowed(c, r, 3);
}

/* _authorize_trace(id, action): the action on the trace tier, falling back to the trace's
 * experiment; a trace that does not exist denies. */
static int can_on_trace(struct ctx *c, enum perm_action a)
{
    const char *eid;
    if (trace_exp(c, &eid) != 0)
        return -1;
    if (!eid)
        return 0;
    struct perm_req r[2];
    trace_reqs(r, eid, a);
    return authz_allowed(c, r, 2);
}

int authz_trace_check(struct ctx *c, enum trace_rule rule)
{
    const char *eid;
    switch (rule) {
    case TR_NONE:
        return 0;
    case TR_START:
        return check_start(c);
    case TR_START_V2:
        return can_create(c, authz_field(c, "experiment_id"), false);
    case TR_SEARCH_V2:
        return check_search_v2(c);
    case TR_OTLP: {
        const char *h = c->r->header ? c->r->header(c->r->hctx, "x-mlflow-experiment-id") : NULL;
        if (!h || !*h)
            return 1; /* the handler answers the missing header with a 400 */
        return can_create(c, h, false);
    }
    case TR_ARTIFACT:
        if (!authz_field(c, "request_id"))
            return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                           "Request must specify request_id parameter");
        return can_on_trace(c, ACT_READ);
    case TR_READ:
        return can_on_trace(c, ACT_READ);
    case TR_UPDATE:
        return can_on_trace(c, ACT_UPDATE);
    case TR_BATCH: {
        const char **eids;
        size_t n;
        int r = trace_ids_exps(c, &eids, &n);
        return r <= 0 ? r : can_read_in(c, eids, n, 0);
    }
    case TR_SEARCH:
        return check_search(c);
    case TR_CORRELATION:
        return check_correlation(c);
    case TR_METRICS:
        return check_metrics(c);
    case TR_DELETE:
        return check_delete(c);
    case TR_LINK:
        return check_link(c);
    case TR_ASSESS_CREATE:
    case TR_ASSESS_READ:
    case TR_ASSESS_UPDATE:
    case TR_ASSESS_DELETE:
        if (trace_exp(c, &eid) != 0)
            return -1;
        return eid ? check_assessment(c, rule, eid) : 0;
    }
    return 0;
}

unsigned authz_trace_hidden(struct ctx *c, int64_t experiment_id)
{
    if (authz_is_admin(c))
        return 0;
    unsigned hide = 0;
    /* _denied_sibling_tiers: the metadata naming a run or a logged model goes when the
     * caller's tier of that kind is denied. */
    struct perm_req run = {.type = "run", .action = ACT_NOT_DENIED};
    struct perm_req model = {.type = "logged_model", .action = ACT_NOT_DENIED};
    struct perm_req as = {.type = "assessment", .action = ACT_READ, .fb_type = "experiment",
                          .fb_id = exp_text(c, experiment_id)};
    if (!authz_allowed(c, &run, 1))
        hide |= AZ_HIDE_SOURCE_RUN;
    if (!authz_allowed(c, &model, 1))
        hide |= AZ_HIDE_MODEL_ID;
    if (!authz_allowed(c, &as, 1))
        hide |= AZ_HIDE_ASSESSMENTS;
    return hide;
}
