/* Token usage and cost between metadata text and trace_info's columns (see trace_usage.h). */
#include "trace_usage.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/util.h"
#include "pyjson.h"
#include "trace_json.h"

/* token_count_or_none: an integer, or a real or a numeric string of integral value, within
 * int64; never a bool. */
static bool token_count(const json_t *v, int64_t *out)
{
    double d;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_string(v)) {
        struct str t = str_strip(json_string_value(v), json_string_length(v));
        if (parse_i64(t.p, t.n, out))
            return true;
        if (!parse_double(t.p, t.n, &d))
            return false;
    } else if (json_is_real(v)) {
        d = json_real_value(v);
    } else {
        return false;
    }
    return i64_of_double(d, out);
}

/* finite_float_or_none: a number, or a string float() reads, when finite; never a bool. */
static bool finite_cost(const json_t *v, double *out)
{
    if (json_is_number(v))
        *out = json_number_value(v);
    else if (!json_is_string(v) ||
             !parse_double(json_string_value(v), json_string_length(v), out))
        return false;
    return isfinite(*out);
}

static json_t *object_of(const struct kv *md, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(md[i].key, key) != 0 || !md[i].value)
            continue;
        json_t *j = trace_json_load(md[i].value, strlen(md[i].value));
        if (json_is_object(j))
            return j;
        json_decref(j);
        return NULL;
    }
    return NULL;
}

void trace_usage_from_metadata(const struct kv *md, size_t n, struct trace_usage *u)
{
    memset(u, 0, sizeof *u);
    json_t *tok = object_of(md, n, TRACE_META_TOKEN_USAGE);
    for (int k = 0; tok && k < TRACE_TOKEN_KINDS; k++) {
        json_t *v = json_object_get(tok, trace_token_keys[k]);
        u->has_tokens[k] = v && token_count(v, &u->tokens[k]);
    }
    json_decref(tok);
    json_t *cost = object_of(md, n, TRACE_META_COST);
    for (int k = 0; cost && k < TRACE_COST_KINDS; k++) {
        json_t *v = json_object_get(cost, trace_cost_keys[k]);
        u->has_cost[k] = v && finite_cost(v, &u->cost[k]);
    }
    json_decref(cost);
}

/* json.dumps of {key: value} for the keys that have one; NULL when none has. */
static const char *dumps(struct arena *a, const char *const *keys, int nkeys, const bool *has,
                         const int64_t *ints, const double *reals)
{
    struct buf b;
    buf_init(&b, 4096);
    bool any = false;
    for (int k = 0; k < nkeys; k++) {
        if (!has[k])
            continue;
        buf_puts(&b, any ? ", " : "{");
        pyjson_str(&b, keys[k], strlen(keys[k]));
        buf_puts(&b, ": ");
        if (ints)
            buf_put_i64(&b, ints[k]);
        else
            pyjson_double(&b, reals[k]);
        any = true;
    }
    buf_puts(&b, "}");
    const char *s = any && buf_ok(&b) ? arena_strndup(a, b.ptr, b.len) : NULL;
    buf_release(&b);
    return s;
}

void trace_usage_metadata(struct arena *a, const struct trace_usage *u, const char **tokens,
                          const char **cost)
{
    *tokens = dumps(a, trace_token_keys, TRACE_TOKEN_KINDS, u->has_tokens, u->tokens, NULL);
    *cost = dumps(a, trace_cost_keys, TRACE_COST_KINDS, u->has_cost, NULL, u->cost);
}

void trace_usage_put_metadata(struct jw *w, struct arena *a, const struct trace_usage *u)
{
    const char *tok, *cost;
    trace_usage_metadata(a, u, &tok, &cost);
    if (tok)
        jw_kstr(w, TRACE_META_TOKEN_USAGE, tok);
    if (cost)
        jw_kstr(w, TRACE_META_COST, cost);
}

void trace_usage_canonical(struct arena *a, const char *text, size_t n, enum usage_kind kind,
                           struct usage_match *m)
{
    memset(m, 0, sizeof *m);
    bool cost = kind == USAGE_COST;
    struct kv md = {cost ? TRACE_META_COST : TRACE_META_TOKEN_USAGE, arena_strndup(a, text, n)};
    struct trace_usage u;
    trace_usage_from_metadata(&md, 1, &u);
    const char *canon = cost ? dumps(a, trace_cost_keys, TRACE_COST_KINDS, u.has_cost, NULL,
                                     u.cost)
                             : dumps(a, trace_token_keys, TRACE_TOKEN_KINDS, u.has_tokens,
                                     u.tokens, NULL);
    if (!canon || strlen(canon) != n || memcmp(canon, text, n) != 0)
        return;
    m->canonical = true;
    int kinds = cost ? TRACE_COST_KINDS : TRACE_TOKEN_KINDS;
    for (int k = 0; k < kinds; k++) {
        m->given[k] = cost ? u.has_cost[k] : u.has_tokens[k];
        m->col[k] = cost ? (struct sql_val){.type = SQL_REAL, .d = u.cost[k]}
                         : (struct sql_val){.type = SQL_INT, .i = u.tokens[k]};
    }
}

void trace_usage_filter_read(struct arena *a, struct filter *f)
{
    for (size_t i = 0; i < f->n; i++) {
        struct filter_clause *fc = &f->clauses[i];
        enum usage_kind u = usage_kind_of(fc->key);
        if (fc->entity != FILTER_METADATA || u == USAGE_NONE || fc->vtype != FILTER_V_STRING)
            continue;
        struct usage_match *m = arena_alloc(a, sizeof *m);
        trace_usage_canonical(a, fc->s.p, fc->s.n, u, m);
        fc->usage = m;
    }
}

/* A value as Python's sum takes it: numbers, and bools as 0 or 1; anything else counts 0
 * (MLflow's sum would fail the request). */
static double addend(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : json_is_true(v) ? 1 : 0;
}

static void usage_from_object(const json_t *o, bool cost, struct span_usage *u)
{
    if (!json_is_object(o))
        return;
    if (cost) {
        u->has_cost = true;
        for (int k = 0; k < TRACE_COST_KINDS; k++)
            u->cost[k] = addend(json_object_get(o, trace_cost_keys[k]));
        return;
    }
    u->has_tokens = true;
    for (int k = 0; k < TRACE_TOKEN_KINDS; k++) {
        const json_t *v = json_object_get(o, trace_token_keys[k]);
        u->token_given[k] = v != NULL;
        u->tokens[k] = v ? addend(v) : 0;
    }
}

void span_cost_columns(const char *text, size_t n, bool given[TRACE_COST_KINDS],
                       double cost[TRACE_COST_KINDS])
{
    json_t *j = trace_json_load(text, n);
    for (int k = 0; k < TRACE_COST_KINDS; k++) {
        json_t *v = json_is_object(j) ? json_object_get(j, trace_cost_keys[k]) : NULL;
        given[k] = v && finite_cost(v, &cost[k]);
    }
    json_decref(j);
}

void span_usage_from_attr(const char *text, size_t n, bool cost, struct span_usage *u)
{
    json_t *j = trace_json_load(text, n);
    usage_from_object(j, cost, u);
    json_decref(j);
}

static const char CHAT_USAGE[] = "mlflow.chat.tokenUsage", LLM_COST[] = "mlflow.llm.cost";

void span_usage_from_content(const char *content, size_t n, struct span_usage *u)
{
    memset(u, 0, sizeof *u);
    /* Most spans have neither: no need to parse them. */
    if (!memmem(content, n, CHAT_USAGE, sizeof CHAT_USAGE - 1) &&
        !memmem(content, n, LLM_COST, sizeof LLM_COST - 1))
        return;
    json_t *j = trace_json_load(content, n);
    json_t *attrs = json_is_object(j) ? json_object_get(j, "attributes") : NULL;
    for (int cost = 0; cost < 2 && json_is_object(attrs); cost++) {
        json_t *v = json_object_get(attrs, cost ? LLM_COST : CHAT_USAGE);
        if (json_is_string(v))
            span_usage_from_attr(json_string_value(v), json_string_length(v), cost, u);
        else
            usage_from_object(v, cost, u);
    }
    json_decref(j);
}
