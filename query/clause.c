/* MLflow's search filters validated per search kind, mirroring mlflow/utils/search_utils.py
 * and the SQL stores (which comparators for which entity, value types, aliases) including
 * their error wording. The scanner (scan.c) has split the text into raw clauses; the key
 * tables (keys.c) say what each name means. Python set reprs in messages use a fixed order
 * (MLflow's own order varies per process). */
#include "filter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "pylit.h"
#include "scan.h"

/* ---- comparators ---- */

static const char cmp_numeric_repr[] = "{'=', '!=', '<', '<=', '>', '>='}";
static const char cmp_string_attr_repr[] = "{'=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}";
static const char cmp_param_repr[] = "{'=', '!=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}";

/* The six comparisons come first, in this order (sb_cmp indexes its symbols by them). */
_Static_assert(FILTER_EQ == 0 && FILTER_NE == 1 && FILTER_LT == 2 && FILTER_LE == 3 &&
                   FILTER_GT == 4 && FILTER_GE == 5,
               "comparisons first");

static bool op_numeric(enum filter_op op)
{
    return op <= FILTER_GE;
}

static bool op_string(enum filter_op op)
{
    return op == FILTER_EQ || op == FILTER_NE || op == FILTER_LIKE || op == FILTER_ILIKE;
}

static bool op_null(enum filter_op op)
{
    return op == FILTER_IS_NULL || op == FILTER_IS_NOT_NULL;
}

static bool op_list(enum filter_op op)
{
    return op == FILTER_IN || op == FILTER_NOT_IN;
}

const char *filter_entity_name(enum filter_entity ent)
{
    switch (ent) {
    case FILTER_ATTRIBUTE:
        return "attribute";
    case FILTER_METRIC:
        return "metric";
    case FILTER_PARAM:
        return "parameter";
    case FILTER_TAG:
        return "tag";
    case FILTER_DATASET:
        return "dataset";
    case FILTER_METADATA:
        return "request_metadata";
    case FILTER_SPAN:
        return "span";
    case FILTER_FEEDBACK:
        return "feedback";
    case FILTER_EXPECTATION:
        return "expectation";
    case FILTER_ISSUE:
        return "issue";
    }
    return "?";
}

const char *filter_op_name(enum filter_op op)
{
    static const char *const names[] = {"=",     "!=", "<",      "<=",      ">",      ">=",
                                        "LIKE",  "ILIKE", "IN",  "NOT IN", "IS NULL",
                                        "IS NOT NULL", "RLIKE"};
    _Static_assert(sizeof names / sizeof *names == FILTER_RLIKE + 1, "a name each");
    return (size_t)op < sizeof names / sizeof names[0] ? names[op] : "?";
}


/* ---- values ---- */

static int err_not_quoted(struct err *e, struct str v)
{
    return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                   "Parameter value is either not quoted or unidentified quote types used for "
                   "string value %.*s. Use either single or double quotes.",
                   snip_len(v), v.p);
}

/* A quoted string value (single or double quotes), as MLflow's _strip_quotes leaves it.
 * Returns 1 if the value is a string, 0 if it is not a string token at all (the caller
 * reports), -1 with e set for an unquoted identifier. */
static int value_string(struct arena *a, const struct raw_clause *rc, struct filter_clause *fc,
                        struct err *e)
{
    if (rc->vk == RV_SSTR || rc->vk == RV_DSTR) {
        struct str in = str_sub(rc->vtext, 1, rc->vtext.n - 1);
        fc->vtype = FILTER_V_STRING;
        fc->s = arena_str(a, in.p, in.n);
        return 1;
    }
    if (rc->vk == RV_IDENT) {
        /* An Identifier: quoted only if it is wholly "..." (then it would be RV_DSTR). */
        if (is_quoted_by(rc->vtext, '\'') || is_quoted_by(rc->vtext, '"')) {
            struct str in = str_sub(rc->vtext, 1, rc->vtext.n - 1);
            fc->vtype = FILTER_V_STRING;
            fc->s = arena_str(a, in.p, in.n);
            return 1;
        }
        return err_not_quoted(e, rc->vtext);
    }
    return 0;
}

static int value_number(const struct raw_clause *rc, struct filter_clause *fc)
{
    char tmp[512];
    if (rc->vtext.n >= sizeof tmp)
        return -1;
    memcpy(tmp, rc->vtext.p, rc->vtext.n);
    tmp[rc->vtext.n] = '\0';
    if (rc->vk == RV_INT && parse_i64(rc->vtext.p, rc->vtext.n, &fc->i)) {
        fc->vtype = FILTER_V_INT;
        fc->d = (double)fc->i;
        return 0;
    }
    /* A float, or an integer beyond int64 (Python's int is unbounded): a double. */
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end != tmp + rc->vtext.n)
        return -1;
    fc->vtype = FILTER_V_REAL;
    fc->d = d;
    return 0;
}

static int value_list(struct arena *a, const struct raw_clause *rc, struct filter_clause *fc,
                      struct err *e)
{
    if (parse_str_list(a, rc->vtext, &fc->list, &fc->nlist, e) < 0)
        return -1;
    fc->vtype = FILTER_V_STRLIST;
    return 0;
}

/* A list value is only meaningful with IN / NOT IN, and IN only takes lists. */
static int check_list_op(const struct raw_clause *rc, struct err *e)
{
    bool is_list = rc->vk == RV_LIST;
    if (is_list != op_list(rc->op))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid comparison clause '%.*s': only IN and NOT IN compare with a "
                       "list of quoted string values",
                       snip_len(rc->text), rc->text.p);
    return 0;
}

/* ---- per-kind validation of one raw clause ---- */

/* What a clause takes from its resolved identifier and comparator. */
static void clause_init(struct arena *a, const struct raw_clause *rc, const struct ident *id,
                        struct filter_clause *fc)
{
    fc->entity = id->entity;
    fc->key = arena_str(a, id->key.p, id->key.n);
    fc->attr = id->def ? id->def->attr : FATTR_NONE;
    fc->column = id->def ? id->def->column : NULL;
    fc->op = rc->op;
}

static int clause_runs(struct arena *a, const struct raw_clause *rc, struct filter_clause *fc,
                       struct err *e)
{
    struct ident id;
    if (ident_runs(a, rc->ident, KEY_FILTER, &id, e) < 0)
        return -1;
    clause_init(a, rc, &id, fc);
    const char *opn = op_text_upper(a, rc);
    if (op_null(rc->op)) {
        if (id.entity != FILTER_TAG && id.entity != FILTER_PARAM)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "IS NULL / IS NOT NULL is only supported for tags and params, not "
                           "for '%s' '%.*s'",
                           filter_entity_name(id.entity), snip_len(id.key), id.key.p);
        fc->vtype = FILTER_V_NONE;
        return 0;
    }
    int r;
    /* _get_value: the value's type per entity. */
    switch (id.entity) {
    case FILTER_METRIC:
        if ((rc->vk != RV_INT && rc->vk != RV_FLOAT) || value_number(rc, fc) < 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected numeric value type for metric. Found %.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        if (fc->vtype == FILTER_V_INT) {
            fc->vtype = FILTER_V_REAL; /* compared as float(value) */
        }
        break;
    case FILTER_PARAM:
    case FILTER_TAG:
        if ((r = value_string(a, rc, fc, e)) < 0)
            return -1;
        if (r == 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for %s (e.g. 'my-value'). Got value "
                           "%.*s",
                           filter_entity_name(id.entity), snip_len(rc->vtext), rc->vtext.p);
        break;
    case FILTER_ATTRIBUTE:
        if (id.def->numeric) {
            if ((rc->vk != RV_INT && rc->vk != RV_FLOAT) || value_number(rc, fc) < 0)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Expected numeric value type for numeric attribute: %.*s. Found "
                               "%.*s",
                               snip_len(id.key), id.key.p, snip_len(rc->vtext), rc->vtext.p);
        } else if ((r = value_string(a, rc, fc, e)) != 0) {
            if (r < 0)
                return -1;
        } else if (rc->vk == RV_LIST) {
            if (id.def->attr != FATTR_RUN_ID)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Only ['run_id'] attributes support comparison with a list of "
                               "quoted string values.");
            if (value_list(a, rc, fc, e) < 0)
                return -1;
        } else {
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for attributes. Got value %.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        }
        break;
    case FILTER_METADATA: /* traces only: never resolved for runs */
    case FILTER_SPAN:
    case FILTER_FEEDBACK:
    case FILTER_EXPECTATION:
    case FILTER_ISSUE:
        break;
    case FILTER_DATASET:
        if ((r = value_string(a, rc, fc, e)) != 0) {
            if (r < 0)
                return -1;
        } else if (rc->vk == RV_LIST) {
            if (value_list(a, rc, fc, e) < 0)
                return -1;
        } else {
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for dataset attributes. Got value "
                           "%.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        }
        break;
    }
    /* The SQL store's comparator checks (is_metric, is_param, ...). */
    bool ok = true;
    const char *set = NULL, *close = "";
    switch (id.entity) {
    case FILTER_METRIC:
        ok = rc->op_known && op_numeric(rc->op);
        set = cmp_numeric_repr;
        break;
    case FILTER_PARAM:
        ok = rc->op_known && op_string(rc->op);
        set = cmp_param_repr;
        close = "'";
        break;
    case FILTER_TAG:
        ok = rc->op_known && op_string(rc->op);
        set = cmp_param_repr;
        break;
    case FILTER_ATTRIBUTE:
        if (id.def->numeric) {
            ok = rc->op_known && op_numeric(rc->op);
            set = cmp_string_attr_repr; /* sic: MLflow prints the string set here */
        } else {
            ok = rc->op_known && (op_string(rc->op) || op_list(rc->op));
            set = cmp_string_attr_repr;
            close = "'";
        }
        break;
    case FILTER_METADATA: /* traces only: never resolved for runs */
    case FILTER_SPAN:
    case FILTER_FEEDBACK:
    case FILTER_EXPECTATION:
    case FILTER_ISSUE:
        break;
    case FILTER_DATASET:
        ok = rc->op_known && (op_string(rc->op) || op_list(rc->op));
        set = cmp_string_attr_repr;
        break;
    }
    if (!ok)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator '%s' not one of '%s%s",
                       opn, set, close);
    return check_list_op(rc, e);
}

/* A tag clause of experiments and the registry: a quoted string compared with a string
 * comparator. */
static int tag_value(struct arena *a, const struct raw_clause *rc, struct filter_clause *fc,
                     const char *opn, struct err *e)
{
    int r = value_string(a, rc, fc, e);
    if (r < 0)
        return -1;
    if (r == 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Expected a quoted string value for tag (e.g. 'my-value'). Got value %.*s",
                       snip_len(rc->vtext), rc->vtext.p);
    if (!rc->op_known || !op_string(rc->op))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator for tag: %s", opn);
    return 0;
}

static int clause_experiments(struct arena *a, const struct raw_clause *rc,
                              struct filter_clause *fc, struct err *e)
{
    struct ident id;
    if (ident_simple(a, rc->ident, query_experiment_keys, KEY_FILTER, false, &id, e) < 0)
        return -1;
    clause_init(a, rc, &id, fc);
    const char *opn = op_text_upper(a, rc);
    if (op_null(rc->op)) {
        if (id.entity != FILTER_TAG)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "IS NULL / IS NOT NULL is only supported for tags, not for attribute "
                           "'%.*s'",
                           snip_len(id.key), id.key.p);
        fc->vtype = FILTER_V_NONE;
        return 0;
    }
    int r;
    if (id.entity == FILTER_TAG)
        return tag_value(a, rc, fc, opn, e);
    if (id.def->numeric) {
        if ((rc->vk != RV_INT && rc->vk != RV_FLOAT) || value_number(rc, fc) < 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected numeric value type for numeric attribute: %.*s. Found %.*s",
                           snip_len(id.key), id.key.p, snip_len(rc->vtext), rc->vtext.p);
        if (!rc->op_known || !op_numeric(rc->op))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid comparator '%s' not one of '%s", opn, cmp_string_attr_repr);
        if (fc->vtype != FILTER_V_INT)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value for numeric attribute '%.*s': '%.*s'",
                           snip_len(id.key), id.key.p, snip_len(rc->vtext), rc->vtext.p);
        return 0;
    }
    if ((r = value_string(a, rc, fc, e)) < 0)
        return -1;
    if (r == 0) {
        if (rc->vk != RV_LIST)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for attributes. Got value %.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        if (id.def->attr != FATTR_EXPERIMENT_ID)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Only ['experiment_id'] attributes support comparison with a list of "
                           "quoted string values.");
        if (value_list(a, rc, fc, e) < 0)
            return -1;
    }
    if (id.def->attr == FATTR_EXPERIMENT_ID) {
        if (!rc->op_known || !(rc->op == FILTER_EQ || rc->op == FILTER_NE || op_list(rc->op)))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid comparator for experiment_id: %s", opn);
        if (check_list_op(rc, e) < 0)
            return -1;
        if (fc->vtype == FILTER_V_STRLIST) {
            fc->ilist = arena_calloc(a, fc->nlist, sizeof *fc->ilist);
            for (size_t k = 0; k < fc->nlist; k++)
                if (!py_int_of_str(fc->list[k], &fc->ilist[k]))
                    return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                                   "Invalid experiment ID '%.*s'. Experiment ID must be a valid "
                                   "integer.",
                                   snip_len(fc->list[k]), fc->list[k].p);
            fc->vtype = FILTER_V_INTLIST;
        } else {
            if (!py_int_of_str(fc->s, &fc->i))
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid experiment ID '%.*s'. Experiment ID must be a valid "
                               "integer.",
                               snip_len(fc->s), fc->s.p);
            fc->vtype = FILTER_V_INT;
            fc->d = (double)fc->i;
        }
        return 0;
    }
    /* name */
    if (!rc->op_known || !(op_string(rc->op) || op_list(rc->op)))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator '%s' not one of '%s'",
                       opn, cmp_string_attr_repr);
    if (!op_string(rc->op))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid comparator for string attribute: %s", opn);
    return 0;
}

/* Registered models and model versions (SearchModelUtils / SearchModelVersionUtils and
 * the registry SQL store). */
static int clause_registry(struct arena *a, enum search_kind kind, const struct raw_clause *rc,
                           struct filter_clause *fc, struct err *e)
{
    bool mv = kind == SEARCH_MODEL_VERSIONS;
    struct ident id;
    if (ident_simple(a, rc->ident, mv ? query_model_version_keys : query_registered_model_keys,
                     KEY_FILTER, true, &id, e) < 0)
        return -1;
    clause_init(a, rc, &id, fc);
    const char *opn = op_text_upper(a, rc);
    int r;
    if (id.entity == FILTER_TAG) {
        if (op_null(rc->op))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator for tag: %s", opn);
        return tag_value(a, rc, fc, opn, e);
    }
    if (op_null(rc->op))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator for attribute: %s",
                       opn);
    if ((r = value_string(a, rc, fc, e)) < 0)
        return -1;
    if (r == 0) {
        if (rc->vk == RV_LIST) {
            bool ok = mv ? (id.def->attr == FATTR_NAME || id.def->attr == FATTR_RUN_ID)
                         : id.def->attr == FATTR_NAME;
            if (!ok)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Only %s attributes support comparison with a list of quoted "
                               "string values.",
                               mv ? "['name', 'run_id']" : "['name']");
            if (value_list(a, rc, fc, e) < 0)
                return -1;
        } else if (mv && (rc->vk == RV_INT || rc->vk == RV_FLOAT)) {
            if (!id.def->numeric)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Only the '{'version_number', 'creation_timestamp', "
                               "'last_updated_timestamp'}' attributes support comparison with "
                               "numeric values.");
            if (value_number(rc, fc) < 0)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid value for numeric attribute '%.*s': %.*s",
                               snip_len(id.key), id.key.p, snip_len(rc->vtext), rc->vtext.p);
        } else {
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value or a list of quoted string values for "
                           "attributes. Got value %.*s",
                           snip_len(rc->vtext), rc->vtext.p);
        }
    }
    if (mv && id.def->numeric) {
        if (!rc->op_known || !op_numeric(rc->op))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid comparator for attribute %.*s: %s", snip_len(id.key),
                           id.key.p, opn);
        if (fc->vtype == FILTER_V_REAL)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid value for numeric attribute '%.*s': %.*s", snip_len(id.key),
                           id.key.p, snip_len(rc->vtext), rc->vtext.p);
        if (fc->vtype == FILTER_V_STRING) {
            if (!py_int_of_str(fc->s, &fc->i))
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Invalid value for numeric attribute '%.*s': '%.*s'",
                               snip_len(id.key), id.key.p, snip_len(fc->s), fc->s.p);
            fc->vtype = FILTER_V_INT;
            fc->d = (double)fc->i;
        }
        return 0;
    }
    if (!rc->op_known || !(op_string(rc->op) || op_list(rc->op)))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator for attribute: %s",
                       opn);
    return check_list_op(rc, e);
}

/* Logged models: mlflow/utils/search_logged_model_utils.py. */
static int clause_logged_models(struct arena *a, const struct raw_clause *rc,
                                struct filter_clause *fc, struct err *e)
{
    if (op_null(rc->op))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid comparison: %.*s. Expected a comparison with 3 tokens.",
                       snip_len(rc->text), rc->text.p);
    /* Entity.from_str: ^([a-z]+)\.(.+)$ */
    struct str raw = rc->ident, key = raw, ent = {raw.p, 0};
    size_t k = 0;
    while (k < raw.n && raw.p[k] >= 'a' && raw.p[k] <= 'z')
        k++;
    fc->entity = FILTER_ATTRIBUTE;
    if (k > 0 && k + 1 < raw.n && raw.p[k] == '.') {
        ent = str_sub(raw, 0, k);
        key = str_sub(raw, k + 1, raw.n);
        if (str_eq(ent, "metrics"))
            fc->entity = FILTER_METRIC;
        else if (str_eq(ent, "params"))
            fc->entity = FILTER_PARAM;
        else if (str_eq(ent, "tags"))
            fc->entity = FILTER_TAG;
        else if (!str_eq(ent, "attributes"))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid entity type: '%.*s'. Expected one of ['attributes', "
                           "'metrics', 'params', 'tags'].",
                           snip_len(ent), ent.p);
    }
    /* .strip("`") */
    while (key.n && key.p[0] == '`')
        key = str_sub(key, 1, key.n);
    while (key.n && key.p[key.n - 1] == '`')
        key.n--;
    fc->key = arena_str(a, key.p, key.n);
    const struct query_key *def = NULL;
    if (fc->entity == FILTER_ATTRIBUTE) {
        def = query_key_find(query_logged_model_keys, key, KEY_FILTER);
        if (!def)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid logged model search key '%.*s'", snip_len(key), key.p);
        fc->attr = def->attr;
        fc->column = def->column;
    }
    bool numeric = fc->entity == FILTER_METRIC || (def && def->numeric);
    fc->op = rc->op;
    const char *opn = op_text_upper(a, rc);
    bool ok = rc->op_known && (numeric ? op_numeric(rc->op) : (op_string(rc->op) ||
                                                               op_list(rc->op)));
    if (!ok) {
        const char *ename = fc->entity == FILTER_METRIC  ? "metrics"
                            : fc->entity == FILTER_PARAM ? "params"
                            : fc->entity == FILTER_TAG   ? "tags"
                                                         : "attributes";
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid comparison operator for %s.%.*s: '%s'. Expected one of %s.",
                       ename, snip_len(key), key.p, opn,
                       numeric ? "('<', '<=', '>', '>=', '=', '!=')"
                               : "('=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN')");
    }
    if (numeric) {
        if ((rc->vk != RV_INT && rc->vk != RV_FLOAT) || value_number(rc, fc) < 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid filter string: could not convert %.*s to a number",
                           snip_len(rc->vtext), rc->vtext.p);
        if (fc->vtype == FILTER_V_INT)
            fc->vtype = FILTER_V_REAL; /* float(value) */
        return 0;
    }
    if (rc->vk == RV_LIST) {
        if (value_list(a, rc, fc, e) < 0)
            return -1;
        return check_list_op(rc, e);
    }
    if (check_list_op(rc, e) < 0)
        return -1;
    /* value.strip("'"): any token, single quotes trimmed from both ends. */
    struct str v = rc->vtext;
    while (v.n && v.p[0] == '\'')
        v = str_sub(v, 1, v.n);
    while (v.n && v.p[v.n - 1] == '\'')
        v.n--;
    fc->vtype = FILTER_V_STRING;
    fc->s = arena_str(a, v.p, v.n);
    return 0;
}

/* Traces (SearchTraceUtils and the SQL store's _get_filter_clauses_for_search_traces). */

static const char cmp_trace_str_repr[] = "{'=', '!=', 'LIKE', 'ILIKE', 'RLIKE', 'IN', 'NOT IN'}";
static const char cmp_assessment_repr[] = "{'=', '!=', '>', '>=', '<', '<=', 'LIKE', 'ILIKE', "
                                          "'RLIKE', 'IS NULL', 'IS NOT NULL'}";

#define LINKED_PROMPTS_TAG "mlflow.linkedPrompts"

static bool value_is_string_token(const struct raw_clause *rc)
{
    return rc->vk == RV_SSTR || rc->vk == RV_DSTR || rc->vk == RV_IDENT;
}

/* feedback.<name> and expectation.<name>: a quoted string with =, !=, LIKE, ILIKE, RLIKE
 * (the stored JSON value), a number with < <= > >= (the numeric value), or IS [NOT] NULL
 * (whether the trace has one). */
static int clause_assessment(struct arena *a, const struct raw_clause *rc,
                             struct filter_clause *fc, const char *opn, struct err *e)
{
    const char *ent = filter_entity_name(fc->entity);
    if (op_null(rc->op)) {
        fc->vtype = FILTER_V_NONE;
    } else {
        bool numeric = rc->op == FILTER_LT || rc->op == FILTER_LE || rc->op == FILTER_GT ||
                       rc->op == FILTER_GE;
        bool is_str = value_is_string_token(rc);
        bool is_num = rc->vk == RV_INT || rc->vk == RV_FLOAT;
        if (numeric ? !is_num : !is_str) {
            if (numeric)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Expected a numeric value for %s when using comparator '%s'. "
                               "Got value %.*s",
                               ent, opn, snip_len(rc->vtext), rc->vtext.p);
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for %s (e.g. 'my-value'). Got value "
                           "%.*s",
                           ent, snip_len(rc->vtext), rc->vtext.p);
        }
        if (is_num) {
            if (value_number(rc, fc) < 0)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Expected a numeric value for %s when using comparator '%s'. "
                               "Got value %.*s",
                               ent, opn, snip_len(rc->vtext), rc->vtext.p);
        } else if (value_string(a, rc, fc, e) < 0) {
            return -1;
        }
    }
    if (fc->key.n == 0)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Assessment field name cannot be empty");
    if (op_list(rc->op))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "assessment.%.*s comparator '%s' not one of '%s'", snip_len(fc->key),
                       fc->key.p, opn, cmp_assessment_repr);
    return 0;
}

/* issue.id = '<issue id>': the trace has an issue assessment of that name. */
static int clause_issue(struct arena *a, const struct raw_clause *rc, struct filter_clause *fc,
                        const char *opn, struct err *e)
{
    if (!op_null(rc->op)) {
        int r = value_string(a, rc, fc, e);
        if (r < 0)
            return -1;
        if (r == 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for issue (e.g. 'my-value'). Got value "
                           "%.*s",
                           snip_len(rc->vtext), rc->vtext.p);
    }
    if (!str_eq(fc->key, "id"))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid issue attribute '%.*s'. Supported attributes: id",
                       snip_len(fc->key), fc->key.p);
    if (rc->op != FILTER_EQ)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "issue.id comparator '%s' not one of '{'='}'", opn);
    return 0;
}

/* span.<name|type|status|content|attributes.<a>> and the attribute "text". The value is
 * checked before the comparator, as MLflow's parser does. */
static int clause_span(struct arena *a, const struct raw_clause *rc, struct filter_clause *fc,
                       const char *opn, struct err *e)
{
    /* How MLflow names the key in its messages: "content" for text too. */
    const char *shown = fc->attr == FATTR_SPAN_CONTENT     ? "content"
                        : fc->attr == FATTR_SPAN_ATTRIBUTE ? NULL
                                                           : fc->key.p;
    if (!op_null(rc->op)) {
        int r = value_string(a, rc, fc, e);
        if (r < 0)
            return -1;
        if (r == 0) {
            if (rc->vk != RV_LIST)
                return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                               "Expected a quoted string value for span (e.g. 'my-value'). Got "
                               "value %.*s",
                               snip_len(rc->vtext), rc->vtext.p);
            if (value_list(a, rc, fc, e) < 0)
                return -1;
        }
    }
    bool ok;
    const char *set = cmp_trace_str_repr;
    /* MLflow's parser checks a span key's comparator as written, before upper-casing it:
     * `span.name like 'x'` is refused (trace.text, checked later, is not). */
    bool via_text = fc->attr == FATTR_SPAN_CONTENT && str_eq(fc->key, "text");
    bool lower = false;
    for (size_t k = 0; k < rc->op_text.n && !via_text; k++)
        lower |= rc->op_text.p[k] >= 'a' && rc->op_text.p[k] <= 'z';
    if (lower)
        opn = arena_strndup(a, rc->op_text.p, rc->op_text.n);
    if (fc->attr == FATTR_SPAN_CONTENT) {
        ok = !lower && (rc->op == FILTER_LIKE || rc->op == FILTER_ILIKE);
        set = "{'LIKE', 'ILIKE'}";
    } else {
        ok = !lower && (op_string(rc->op) || op_list(rc->op) || rc->op == FILTER_RLIKE);
    }
    if (!ok) {
        if (shown)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "span.%s comparator '%s' not one of '%s'", shown, opn, set);
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "span.attributes.%.*s comparator '%s' not one of '%s'", snip_len(fc->key),
                       fc->key.p, opn, set);
    }
    /* MLflow 3.17 pastes the value into a LIKE pattern over the content, which a list
     * cannot be: its store fails. */
    if (fc->attr == FATTR_SPAN_ATTRIBUTE && op_list(rc->op))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "span.attributes.%.*s does not take %s: compare with =, !=, LIKE, ILIKE "
                       "or RLIKE",
                       snip_len(fc->key), fc->key.p, opn);
    return check_list_op(rc, e);
}

/* Traces: numeric attributes take numbers; string attributes, tags and metadata take
 * quoted strings (and IN lists where MLflow allows them); spans, assessments and issues
 * have their own rules above. RLIKE is a regular expression (Python's re.search). */
static int clause_traces(struct arena *a, const struct raw_clause *rc, struct filter_clause *fc,
                         struct err *e)
{
    struct ident id;
    if (ident_traces(a, rc->ident, KEY_FILTER, &id, e) < 0)
        return -1;
    clause_init(a, rc, &id, fc);
    if (id.entity == FILTER_TAG && id.def && id.def->attr == FATTR_PROMPT)
        fc->key = str_c(LINKED_PROMPTS_TAG);
    const char *opn = op_text_upper(a, rc);
    bool kv = id.entity == FILTER_TAG || id.entity == FILTER_METADATA;
    if (!rc->op_known)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator '%s' for %s '%.*s'",
                       opn, filter_entity_name(id.entity), snip_len(id.key), id.key.p);
    switch (id.entity) {
    case FILTER_FEEDBACK:
    case FILTER_EXPECTATION:
        return clause_assessment(a, rc, fc, opn, e);
    case FILTER_ISSUE:
        return clause_issue(a, rc, fc, opn, e);
    case FILTER_SPAN:
        return clause_span(a, rc, fc, opn, e);
    default:
        break;
    }
    bool prompt = id.entity == FILTER_TAG && str_eq(fc->key, LINKED_PROMPTS_TAG);
    if (op_null(rc->op)) {
        if (!kv)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "IS NULL / IS NOT NULL is only supported for tags and "
                           "request_metadata, not for '%s' '%.*s'",
                           filter_entity_name(id.entity), snip_len(id.key), id.key.p);
        if (prompt)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid comparator '%s' for prompts filter. Only '=' is supported "
                           "with format: prompt = \"name/version\"",
                           opn);
        fc->vtype = FILTER_V_NONE;
        return 0;
    }
    if (id.entity == FILTER_ATTRIBUTE && id.def->numeric) {
        /* A string comparator is refused first, with the string set (sic, and no closing
         * quote, as MLflow's is_numeric_attribute writes it). */
        if (!op_numeric(rc->op) && (op_string(rc->op) || rc->op == FILTER_RLIKE))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator '%s' not one of '%s",
                           opn, cmp_trace_str_repr);
        if ((rc->vk != RV_INT && rc->vk != RV_FLOAT) || value_number(rc, fc) < 0)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected numeric value type for numeric attribute: %.*s. Found %.*s",
                           snip_len(id.key), id.key.p, snip_len(rc->vtext), rc->vtext.p);
        if (!op_numeric(rc->op))
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid comparator '%s' not one of '%s'", opn, cmp_numeric_repr);
        return 0;
    }
    int r = value_string(a, rc, fc, e);
    if (r < 0)
        return -1;
    bool list_ok = id.entity == FILTER_ATTRIBUTE &&
                   (id.def->attr == FATTR_NAME || id.def->attr == FATTR_STATUS ||
                    id.def->attr == FATTR_TRACE_ID || id.def->attr == FATTR_RUN_ID ||
                    id.def->attr == FATTR_CLIENT_REQUEST_ID);
    if (r == 0) {
        if (rc->vk != RV_LIST || !list_ok)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Expected a quoted string value for %s (e.g. 'my-value'). Got value "
                           "%.*s",
                           filter_entity_name(id.entity), snip_len(rc->vtext), rc->vtext.p);
        if (value_list(a, rc, fc, e) < 0)
            return -1;
    }
    if (prompt) {
        if (rc->op != FILTER_EQ)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid comparator '%s' for prompts filter. Only '=' is supported "
                           "with format: prompt = \"name/version\"",
                           opn);
        size_t slashes = 0;
        for (size_t k = 0; k < fc->s.n; k++)
            slashes += fc->s.p[k] == '/';
        if (slashes != 1)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Invalid prompts filter value '%.*s'. Expected format: prompt = "
                           "\"name/version\"",
                           snip_len(fc->s), fc->s.p);
        return 0;
    }
    bool textual = op_string(rc->op) || rc->op == FILTER_RLIKE;
    if (!(textual || (list_ok && op_list(rc->op))))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid comparator '%s' for %s '%.*s'",
                       opn, filter_entity_name(id.entity), snip_len(id.key), id.key.p);
    return check_list_op(rc, e);
}

/* ---- filter_parse ---- */

static int err_clause(struct err *e, enum search_kind kind, struct str all, struct str bad)
{
    switch (kind) {
    case SEARCH_RUNS:
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid clause(s) in filter string: '%.*s'", snip_len(bad), bad.p);
    case SEARCH_LOGGED_MODELS:
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid filter string: '%.*s'. Expected a list of comparisons separated "
                       "by 'AND' (e.g. 'metrics.loss > 0.1 AND params.lr = 0.01').",
                       snip_len(all), all.p);
    default:
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid clause(s) in filter string: %.*s",
                       snip_len(bad), bad.p);
    }
}

int filter_parse(struct arena *a, enum search_kind kind, const char *s, size_t n,
                 struct filter *out, struct err *e)
{
    out->kind = kind;
    out->clauses = NULL;
    out->n = 0;
    if (n > FILTER_MAX_LEN)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Filter string is too long: %zu bytes (at most %d)", n, FILTER_MAX_LEN);
    if (n == 0)
        return 0;
    if (memchr(s, '\0', n))
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Filter string contains a NUL byte");
    struct cur c = {s, n, 0};
    struct str all = {s, n};
    size_t cap = 0;
    for (;;) {
        skip_ws(&c);
        if (c.i >= n)
            break;
        /* AND separates clauses; MLflow tolerates leading, trailing and repeated ANDs. */
        if (at_keyword(s, n, c.i, "AND")) {
            c.i += 3;
            continue;
        }
        struct raw_clause rc;
        struct str bad;
        if (!scan_clause(&c, &rc, &bad))
            return err_clause(e, kind, all, bad);
        /* After a clause: the end, or AND. */
        skip_ws(&c);
        if (c.i < n && !at_keyword(s, n, c.i, "AND")) {
            size_t j = c.i;
            while (j < n && !is_ws((unsigned char)s[j]))
                j++;
            return err_clause(e, kind, all, (struct str){rc.text.p, j - (size_t)(rc.text.p - s)});
        }
        if (out->n == FILTER_MAX_CLAUSES)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "Filter string has too many clauses (at most %d)", FILTER_MAX_CLAUSES);
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct filter_clause *v = arena_calloc(a, ncap, sizeof *v);
            if (out->n)
                memcpy(v, out->clauses, out->n * sizeof *v);
            out->clauses = v;
            cap = ncap;
        }
        struct filter_clause *fc = &out->clauses[out->n];
        memset(fc, 0, sizeof *fc);
        int r;
        switch (kind) {
        case SEARCH_RUNS:
            r = clause_runs(a, &rc, fc, e);
            break;
        case SEARCH_EXPERIMENTS:
            r = clause_experiments(a, &rc, fc, e);
            break;
        case SEARCH_REGISTERED_MODELS:
        case SEARCH_MODEL_VERSIONS:
            r = clause_registry(a, kind, &rc, fc, e);
            break;
        case SEARCH_LOGGED_MODELS:
            r = clause_logged_models(a, &rc, fc, e);
            break;
        case SEARCH_TRACES:
            r = clause_traces(a, &rc, fc, e);
            break;
        default:
            r = err_set(e, ERR_INTERNAL_ERROR, "unknown search kind");
        }
        if (r < 0) {
            out->n = 0;
            return -1;
        }
        out->n++;
    }
    return 0;
}

