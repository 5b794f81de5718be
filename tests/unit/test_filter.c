/* Unit tests for the search grammar (query/). The table of filters and expected
 * results was checked against MLflow 3.17.2 itself: every accepted filter yields the same
 * clauses as SearchUtils & co. (after the SQL store's own checks), every rejected one is
 * rejected by MLflow too, and the expected message is the part of MLflow's message that we
 * reproduce (Python set reprs vary per process, so the table stops before them). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "query/filter.h"
#include "t.h"

/* Renders a parsed filter as " [entity|key|OP|value]..." (s: string, n: number, l: list). */
static void render(const struct filter *f, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < f->n && k < cap; i++) {
        const struct filter_clause *c = &f->clauses[i];
        k += (size_t)snprintf(out + k, cap - k, " [%s|%s|%s|", filter_entity_name(c->entity),
                              c->key.p, filter_op_name(c->op));
        if (k >= cap)
            break;
        switch (c->vtype) {
        case FILTER_V_NONE:
            k += (size_t)snprintf(out + k, cap - k, "None");
            break;
        case FILTER_V_STRING:
            k += (size_t)snprintf(out + k, cap - k, "s:%s", c->s.p);
            break;
        case FILTER_V_INT:
            k += (size_t)snprintf(out + k, cap - k, "n:%g", (double)c->i);
            break;
        case FILTER_V_REAL:
            k += (size_t)snprintf(out + k, cap - k, "n:%g", c->d);
            break;
        case FILTER_V_STRLIST:
            k += (size_t)snprintf(out + k, cap - k, "l:");
            for (size_t j = 0; j < c->nlist && k < cap; j++)
                k += (size_t)snprintf(out + k, cap - k, "%s%s", j ? "," : "", c->list[j].p);
            break;
        case FILTER_V_INTLIST:
            k += (size_t)snprintf(out + k, cap - k, "l:");
            for (size_t j = 0; j < c->nlist && k < cap; j++)
                k += (size_t)snprintf(out + k, cap - k, "%s%lld", j ? "," : "",
                                      (long long)c->ilist[j]);
            break;
        }
        if (k < cap)
            k += (size_t)snprintf(out + k, cap - k, "]");
    }
}

struct fcase {
    enum search_kind kind;
    const char *filter;
    bool ok;
    const char *want; /* rendered clauses, or a substring of the error message */
};

static const struct fcase fcases[] = {
    {SEARCH_RUNS, "metrics.acc > 0.5", true, " [metric|acc|>|n:0.5]"},
    {SEARCH_RUNS, "metric.acc>1", true, " [metric|acc|>|n:1]"},
    {SEARCH_RUNS, "metrics.acc > -1.5e3", true, " [metric|acc|>|n:-1500]"},
    {SEARCH_RUNS, "metrics.acc > '1'", false, "Expected numeric value type for metric. Found '1'"},
    {SEARCH_RUNS, "params.lr = '0.1'", true, " [parameter|lr|=|s:0.1]"},
    {SEARCH_RUNS, "params.lr = \"0.1\"", true, " [parameter|lr|=|s:0.1]"},
    {SEARCH_RUNS, "params.lr = 0.1", false, "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 0.1"},
    {SEARCH_RUNS, "params.lr = abc", false, "Parameter value is either not quoted or unidentified quote types used for string value abc. Use either single or double quotes."},
    {SEARCH_RUNS, "params.lr = `abc`", false, "Parameter value is either not quoted or unidentified quote types used for string value `abc`. Use either single or double quotes."},
    {SEARCH_RUNS, "tags.mlflow.runName = 'x'", true, " [tag|mlflow.runName|=|s:x]"},
    {SEARCH_RUNS, "tags.`my key` = 'x'", true, " [tag|my key|=|s:x]"},
    {SEARCH_RUNS, "tags.\"my key\" = 'x'", true, " [tag|my key|=|s:x]"},
    {SEARCH_RUNS, "`tags`.k = 'x'", true, " [tag|k|=|s:x]"},
    {SEARCH_RUNS, "attributes.run_id IN ('a', 'b')", true, " [attribute|run_id|IN|l:a,b]"},
    {SEARCH_RUNS, "run_id in ('a','B')", true, " [attribute|run_id|IN|l:a,B]"},
    {SEARCH_RUNS, "run_id NOT IN ('a')", true, " [attribute|run_id|NOT IN|l:a]"},
    {SEARCH_RUNS, "run_id IN ()", false, "While parsing a list in the query, expected a non-empty list of string values, but got empty list"},
    {SEARCH_RUNS, "run_id IN (1,2)", false, "While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: (1,"},
    {SEARCH_RUNS, "status IN ('A')", false, "Only ['run_id'] attributes support comparison with a list of quoted string values."},
    {SEARCH_RUNS, "start_time > 5", true, " [attribute|start_time|>|n:5]"},
    {SEARCH_RUNS, "start_time > 5.5", true, " [attribute|start_time|>|n:5.5]"},
    {SEARCH_RUNS, "start_time > '5'", false, "Expected numeric value type for numeric attribute: start_time. Found '5'"},
    {SEARCH_RUNS, "created > 5", true, " [attribute|created|>|n:5]"},
    {SEARCH_RUNS, "`Run name` = 'x'", true, " [attribute|Run name|=|s:x]"},
    {SEARCH_RUNS, "run name = 'x'", false, "Invalid clause(s) in filter string: 'run"},
    {SEARCH_RUNS, "\"run name\" = 'x'", true, " [attribute|run name|=|s:x]"},
    {SEARCH_RUNS, "foo = 'x'", false, "Invalid attribute key 'foo' specified. Valid keys are '"},
    {SEARCH_RUNS, "metrics.a = 1 and params.b = 'x' AND tags.c LIKE '%x'", true, " [metric|a|=|n:1] [parameter|b|=|s:x] [tag|c|LIKE|s:%x]"},
    {SEARCH_RUNS, "metrics.a = 1 or params.b = 'x'", false, "Invalid clause(s) in filter string: '"},
    {SEARCH_RUNS, "metrics.a = 1 AND", true, " [metric|a|=|n:1]"},
    {SEARCH_RUNS, "metrics.a", false, "Invalid clause(s) in filter string: 'metrics.a'"},
    {SEARCH_RUNS, "metrics.a < 1 ;", false, "Invalid clause(s) in filter string: '"},
    {SEARCH_RUNS, "(metrics.a < 1)", false, "Invalid clause(s) in filter string: '(metrics.a"},
    {SEARCH_RUNS, "dataset.name = 'x'", true, " [dataset|name|=|s:x]"},
    {SEARCH_RUNS, "datasets.context IN ('train','eval')", true, " [dataset|context|IN|l:train,eval]"},
    {SEARCH_RUNS, "dataset.foo = 'x'", false, "Invalid dataset key 'foo' specified. Valid keys are '"},
    {SEARCH_RUNS, "foo.bar = 'x'", false, "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"},
    {SEARCH_RUNS, "tags.a IS NULL", true, " [tag|a|IS NULL|None]"},
    {SEARCH_RUNS, "params.a is not null", true, " [parameter|a|IS NOT NULL|None]"},
    {SEARCH_RUNS, "metrics.a IS NULL", false, "IS NULL / IS NOT NULL is only supported for tags and params, not for 'metric' 'a'"},
    {SEARCH_RUNS, "metrics.a LIKE 1", false, "Invalid comparator 'LIKE' not one of '"},
    {SEARCH_RUNS, "params.a > 'x'", false, "Invalid comparator '>' not one of '"},
    {SEARCH_RUNS, "tags.a ilike '%x%'", true, " [tag|a|ILIKE|s:%x%]"},
    {SEARCH_RUNS, "status = 'RUNNING'", true, " [attribute|status|=|s:RUNNING]"},
    {SEARCH_RUNS, "status LIKE 'R%'", true, " [attribute|status|LIKE|s:R%]"},
    {SEARCH_RUNS, "end_time != 0", true, " [attribute|end_time|!=|n:0]"},
    {SEARCH_RUNS, "metrics.a = 1e5", true, " [metric|a|=|n:100000]"},
    {SEARCH_RUNS, "metrics.a = .5", true, " [metric|a|=|n:0.5]"},
    {SEARCH_RUNS, "metrics.a = 5.", true, " [metric|a|=|n:5]"},
    {SEARCH_RUNS, "metrics.a = -5", true, " [metric|a|=|n:-5]"},
    {SEARCH_RUNS, "metrics.a = - 5", false, "Invalid clause(s) in filter string: 'metrics.a"},
    {SEARCH_RUNS, "metrics.a=1", true, " [metric|a|=|n:1]"},
    {SEARCH_RUNS, "tags.k='a''b'", true, " [tag|k|=|s:a''b]"},
    {SEARCH_RUNS, "tags.k='a\\'b'", true, " [tag|k|=|s:a\\'b]"},
    {SEARCH_RUNS, "tags.k=\"a\"\"b\"", true, " [tag|k|=|s:a\"\"b]"},
    {SEARCH_RUNS, "tags.\"k\"='v'", true, " [tag|k|=|s:v]"},
    {SEARCH_RUNS, "tags.a-b = 'x'", false, "Invalid clause(s) in filter string:"},
    {SEARCH_RUNS, "params.a.b.c = 'x'", true, " [parameter|a.b.c|=|s:x]"},
    {SEARCH_RUNS, "params.ключ = 'x'", true, " [parameter|ключ|=|s:x]"},
    {SEARCH_RUNS, "metrics.1a > 1", true, " [metric|1a|>|n:1]"},
    {SEARCH_RUNS, "attributes.`run_id` = 'a'", true, " [attribute|run_id|=|s:a]"},
    {SEARCH_RUNS, "tags.`k`.x = 'v'", true, " [tag|`k`.x|=|s:v]"},
    {SEARCH_RUNS, "metrics.a == 1", false, "Invalid comparator '==' not one of '"},
    {SEARCH_RUNS, "metrics.a <> 1", false, "Invalid comparator '<>' not one of '"},
    {SEARCH_RUNS, "run_id IN (\"a\", \"b\")", true, " [attribute|run_id|IN|l:a,b]"},
    {SEARCH_RUNS, "run_id IN ('a',)", true, " [attribute|run_id|IN|l:a]"},
    {SEARCH_RUNS, "run_id IN ('a' 'b')", true, " [attribute|run_id|IN|l:ab]"},
    {SEARCH_RUNS, "run_id IN (('a'))", true, " [attribute|run_id|IN|l:a]"},
    {SEARCH_RUNS, "run_id in('a')", true, " [attribute|run_id|IN|l:a]"},
    {SEARCH_RUNS, "run_id NOT  IN ('a')", true, " [attribute|run_id|NOT IN|l:a]"},
    {SEARCH_RUNS, "run_id not in ('a')", true, " [attribute|run_id|NOT IN|l:a]"},
    {SEARCH_RUNS, "metrics.a > 1 AND AND metrics.b > 1", true, " [metric|a|>|n:1] [metric|b|>|n:1]"},
    {SEARCH_RUNS, "AND metrics.a > 1", true, " [metric|a|>|n:1]"},
    {SEARCH_RUNS, "metrics.a > 1 and", true, " [metric|a|>|n:1]"},
    {SEARCH_RUNS, "tags.k = ''", true, " [tag|k|=|s:]"},
    {SEARCH_RUNS, "tags.k = 'x' extra", false, "Invalid clause(s) in filter string: 'tags.k = 'x' extra'"},
    {SEARCH_RUNS, "metrics.a > 1e", false, "Expected numeric value type for metric. Found 1e"},
    {SEARCH_RUNS, "metrics.a > 0x10", false, "Expected numeric value type for metric."},
    {SEARCH_RUNS, "metrics.a > +1", false, "Invalid clause(s) in filter string: 'metrics.a"},
    {SEARCH_RUNS, "metrics.a > 1.5.5", false, "Expected numeric value type for metric."},
    {SEARCH_RUNS, "params.p = 'a' AND params.p != 'b'", true, " [parameter|p|=|s:a] [parameter|p|!=|s:b]"},
    {SEARCH_RUNS, "tags.`a``b` = 'x'", true, " [tag|a``b|=|s:x]"},
    {SEARCH_RUNS, "`tags.a` = 'x'", false, "Invalid entity type '`tags'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"},
    {SEARCH_RUNS, "\"tags\".a = 'x'", false, "Invalid entity type '\"tags\"'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"},
    {SEARCH_RUNS, "tags.k LIKE \"x%\"", true, " [tag|k|LIKE|s:x%]"},
    {SEARCH_RUNS, "run_id = \"abc\"", true, " [attribute|run_id|=|s:abc]"},
    {SEARCH_RUNS, "metrics.`a` > 1", true, " [metric|a|>|n:1]"},
    {SEARCH_RUNS, "tags.k = 'v'--comment", false, "Invalid clause(s) in filter string: '"},
    {SEARCH_RUNS, "tags.k = 'v';", false, "Invalid clause(s) in filter string: '"},
    {SEARCH_RUNS, "tags.k= 'v'AND tags.j='w'", true, " [tag|k|=|s:v] [tag|j|=|s:w]"},
    {SEARCH_RUNS, "Tags.k = 'v'", false, "Invalid entity type 'Tags'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"},
    {SEARCH_RUNS, "METRICS.a > 1", false, "Invalid entity type 'METRICS'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"},
    {SEARCH_RUNS, "tags.k != 'v'", true, " [tag|k|!=|s:v]"},
    {SEARCH_RUNS, "params.select = 'x'", true, " [parameter|select|=|s:x]"},
    {SEARCH_RUNS, "tags.a = 'x' AND tags.b IS NULL", true, " [tag|a|=|s:x] [tag|b|IS NULL|None]"},
    {SEARCH_RUNS, "user_id = 'x'", true, " [attribute|user_id|=|s:x]"},
    {SEARCH_RUNS, "artifact_uri LIKE 'x'", true, " [attribute|artifact_uri|LIKE|s:x]"},
    {SEARCH_RUNS, "datasets.digest ILIKE 'x'", true, " [dataset|digest|ILIKE|s:x]"},
    {SEARCH_RUNS, "dataset.name = 1", false, "Expected a quoted string value for dataset attributes. Got value 1"},
    {SEARCH_RUNS, "run_id IN 'a'", false, "Invalid clause(s) in filter string: 'run_id"},
    {SEARCH_RUNS, "tags.k IN ('a')", false, "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('a')"},
    {SEARCH_RUNS, "metrics.a IN (1)", false, "Expected numeric value type for metric. Found (1)"},
    {SEARCH_RUNS, "tags.k = 'v' 'w'", false, "Invalid clause(s) in filter string: '"},
    {SEARCH_RUNS, "start_time = -5", true, " [attribute|start_time|=|n:-5]"},
    {SEARCH_RUNS, "start_time = 1e3", true, " [attribute|start_time|=|n:1000]"},
    {SEARCH_RUNS, "run_id IN ('a\\'b', \"c\\nd\")", true, " [attribute|run_id|IN|l:a'b,c\nd]"},
    {SEARCH_RUNS, "run_id IN ('a' , 'b' ,)", true, " [attribute|run_id|IN|l:a,b]"},
    {SEARCH_RUNS, "run_id IN ('a',,'b')", false, "While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list."},
    {SEARCH_RUNS, "tags.k IS NOT NULL AND tags.j = 'x'", true, " [tag|k|IS NOT NULL|None] [tag|j|=|s:x]"},
    {SEARCH_RUNS, "tags.k IS 'x'", false, "Invalid clause(s) in filter string: 'tags.k"},
    {SEARCH_RUNS, "params.`a b` = 'x'", true, " [parameter|a b|=|s:x]"},
    {SEARCH_RUNS, "status ILIKE 'run%'", true, " [attribute|status|ILIKE|s:run%]"},
    {SEARCH_RUNS, "run_id LIKE 'a%'", true, " [attribute|run_id|LIKE|s:a%]"},
    {SEARCH_RUNS, "run_name = 'x'", true, " [attribute|run_name|=|s:x]"},
    {SEARCH_RUNS, "attr.status = 'x'", true, " [attribute|status|=|s:x]"},
    {SEARCH_RUNS, "run.status = 'x'", true, " [attribute|status|=|s:x]"},
    {SEARCH_RUNS, "attribute.created < 10", true, " [attribute|created|<|n:10]"},
    {SEARCH_RUNS, "dataset.context = 'train'", true, " [dataset|context|=|s:train]"},
    {SEARCH_RUNS, "datasets.name NOT IN ('a')", true, " [dataset|name|NOT IN|l:a]"},
    {SEARCH_RUNS, "end_time LIKE 5", false, "Invalid comparator 'LIKE' not one of '"},
    {SEARCH_RUNS, "status > 'a'", false, "Invalid comparator '>' not one of '"},
    {SEARCH_RUNS, "metrics.a >= 1 AND metrics.b <= 2 AND metrics.c != 3", true, " [metric|a|>=|n:1] [metric|b|<=|n:2] [metric|c|!=|n:3]"},
    {SEARCH_RUNS, "run_id IN ('a', ('b'))", true, " [attribute|run_id|IN|l:a,b]"},
    {SEARCH_RUNS, "run_id IN (None)", false, "While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: (None"},
    {SEARCH_RUNS, "run_id IN (abc)", false, "While parsing a list in the query, expec"},
    {SEARCH_RUNS, "run_id IN ('a', 1)", false, "While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ('a', 1)"},
    {SEARCH_RUNS, "tags.k = \"x\" AND params.p = 'y'", true, " [tag|k|=|s:x] [parameter|p|=|s:y]"},
    {SEARCH_RUNS, "metrics.loss < 1e-3", true, " [metric|loss|<|n:0.001]"},
    {SEARCH_RUNS, "tags.t LIKE 'a_b%'", true, " [tag|t|LIKE|s:a_b%]"},
    {SEARCH_RUNS, "run_id NOT IN ()", false, "While parsing a list in the query, expected a non-empty list of string values, but got empty list"},
    {SEARCH_RUNS, "dataset.name IN ('a', \"b\")", true, " [dataset|name|IN|l:a,b]"},
    {SEARCH_RUNS, "start_time >= 1 AND end_time <= 2", true, " [attribute|start_time|>=|n:1] [attribute|end_time|<=|n:2]"},
    {SEARCH_RUNS, "metric.`x y` > 3", true, " [metric|x y|>|n:3]"},
    {SEARCH_RUNS, "parameter.a = 'b'", true, " [parameter|a|=|s:b]"},
    {SEARCH_RUNS, "parameters.a = 'b'", true, " [parameter|a|=|s:b]"},
    {SEARCH_RUNS, "tag.a = 'b'", true, " [tag|a|=|s:b]"},
    {SEARCH_RUNS, "attributes.user_id = 'u'", true, " [attribute|user_id|=|s:u]"},
    {SEARCH_RUNS, " metrics.a > 1 ", true, " [metric|a|>|n:1]"},
    {SEARCH_RUNS, "metrics.a > 1\tAND\ttags.b = 'c'", true, " [metric|a|>|n:1] [tag|b|=|s:c]"},
    {SEARCH_EXPERIMENTS, "name = 'x'", true, " [attribute|name|=|s:x]"},
    {SEARCH_EXPERIMENTS, "name = \"x\"", true, " [attribute|name|=|s:x]"},
    {SEARCH_EXPERIMENTS, "attribute.name LIKE 'x%'", true, " [attribute|name|LIKE|s:x%]"},
    {SEARCH_EXPERIMENTS, "attributes.name = 'x'", false, "Invalid entity type 'attributes'. Valid entity types are ('attribute', 'tag', 'tags')"},
    {SEARCH_EXPERIMENTS, "tags.k = 'v'", true, " [tag|k|=|s:v]"},
    {SEARCH_EXPERIMENTS, "tag.`k k` != \"v\"", true, " [tag|k k|!=|s:v]"},
    {SEARCH_EXPERIMENTS, "creation_time > 5", true, " [attribute|creation_time|>|n:5]"},
    {SEARCH_EXPERIMENTS, "creation_time > 5.5", false, "Invalid value for numeric attribute 'creation_time': '5.5'"},
    {SEARCH_EXPERIMENTS, "creation_time > '5'", false, "Expected numeric value type for numeric attribute: creation_time. Found '5'"},
    {SEARCH_EXPERIMENTS, "last_update_time <= 1", true, " [attribute|last_update_time|<=|n:1]"},
    {SEARCH_EXPERIMENTS, "experiment_id = '1'", true, " [attribute|experiment_id|=|n:1]"},
    {SEARCH_EXPERIMENTS, "experiment_id IN ('1','2')", true, " [attribute|experiment_id|IN|l:1,2]"},
    {SEARCH_EXPERIMENTS, "experiment_id = 1", false, "Expected a quoted string value for attributes. Got value 1"},
    {SEARCH_EXPERIMENTS, "experiment_id = 'abc'", false, "Invalid experiment ID 'abc'. Experiment ID must be a valid integer."},
    {SEARCH_EXPERIMENTS, "experiment_id IN ('1', 'x')", false, "Invalid experiment ID 'x'. Experiment ID must be a valid integer."},
    {SEARCH_EXPERIMENTS, "experiment_id LIKE '1'", false, "Invalid comparator for experiment_id: LIKE"},
    {SEARCH_EXPERIMENTS, "name IN ('a')", false, "Only ['experiment_id'] attributes support comparison with a list of quoted string values."},
    {SEARCH_EXPERIMENTS, "foo = 'x'", false, "Invalid attribute key 'foo' specified. Valid keys are '"},
    {SEARCH_EXPERIMENTS, "tags.k IS NULL", true, " [tag|k|IS NULL|None]"},
    {SEARCH_EXPERIMENTS, "tags.k IS NOT NULL", true, " [tag|k|IS NOT NULL|None]"},
    {SEARCH_EXPERIMENTS, "name IS NULL", false, "IS NULL / IS NOT NULL is only supported for tags, not for attribute 'name'"},
    {SEARCH_EXPERIMENTS, "metrics.a > 1", false, "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'tag', 'tags')"},
    {SEARCH_EXPERIMENTS, "name > 'a'", false, "Invalid comparator '>' not one of '"},
    {SEARCH_EXPERIMENTS, "experiment_id > '1'", false, "Invalid comparator for experiment_id: >"},
    {SEARCH_EXPERIMENTS, "creation_time LIKE 5", false, "Invalid comparator 'LIKE' not one of '"},
    {SEARCH_EXPERIMENTS, "tags.k > 'v'", false, "Invalid comparator for tag: >"},
    {SEARCH_EXPERIMENTS, "tags.k IN ('a')", false, "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('a')"},
    {SEARCH_EXPERIMENTS, "name ILIKE '%X%'", true, " [attribute|name|ILIKE|s:%X%]"},
    {SEARCH_EXPERIMENTS, "`tags`.k = 'v'", false, "Invalid entity type '`tags`'. Valid entity types are ('attribute', 'tag', 'tags')"},
    {SEARCH_EXPERIMENTS, "\"name\" = 'x'", true, " [attribute|name|=|s:x]"},
    {SEARCH_EXPERIMENTS, "`name` = 'x'", true, " [attribute|name|=|s:x]"},
    {SEARCH_EXPERIMENTS, "tags.k = v", false, "Parameter value is either not quoted or unidentified quote types used for string value v. Use either single or double quotes."},
    {SEARCH_EXPERIMENTS, "name = 'a' AND creation_time >= 0 AND tags.k LIKE 'v%'", true, " [attribute|name|=|s:a] [attribute|creation_time|>=|n:0] [tag|k|LIKE|s:v%]"},
    {SEARCH_EXPERIMENTS, "experiment_id NOT IN (' 7 ')", true, " [attribute|experiment_id|NOT IN|l:7]"},
    {SEARCH_REGISTERED_MODELS, "name = 'x'", true, " [attribute|name|=|s:x]"},
    {SEARCH_REGISTERED_MODELS, "name IN ('a','b')", true, " [attribute|name|IN|l:a,b]"},
    {SEARCH_REGISTERED_MODELS, "name = 1", false, "Expected a quoted string value or a list of quoted string values for attributes. Got value 1"},
    {SEARCH_REGISTERED_MODELS, "tags.k = 'v'", true, " [tag|k|=|s:v]"},
    {SEARCH_REGISTERED_MODELS, "tag.`mlflow.prompt.is_prompt` != 'true'", true, " [tag|mlflow.prompt.is_prompt|!=|s:true]"},
    {SEARCH_REGISTERED_MODELS, "name LIKE '%a' AND tag.`mlflow.prompt.is_prompt` != 'true'", true, " [attribute|name|LIKE|s:%a] [tag|mlflow.prompt.is_prompt|!=|s:true]"},
    {SEARCH_REGISTERED_MODELS, "attribute.name = 'x'", true, " [attribute|name|=|s:x]"},
    {SEARCH_REGISTERED_MODELS, "attributes.name = 'x'", false, "Invalid entity type 'attributes'. Valid entity types are ('attribute', 'tag', 'tags')"},
    {SEARCH_REGISTERED_MODELS, "foo = 'x'", false, "Invalid attribute key 'foo' specified. Valid keys are '"},
    {SEARCH_REGISTERED_MODELS, "tags.k > 'x'", false, "Invalid comparator for tag: >"},
    {SEARCH_REGISTERED_MODELS, "name > 'x'", false, "Invalid comparator for attribute: >"},
    {SEARCH_REGISTERED_MODELS, "`name` = 'x'", false, "Invalid attribute key '`name`' specified. Valid keys are '"},
    {SEARCH_REGISTERED_MODELS, "\"name\" = 'x'", false, "Invalid attribute key '\"name\"' specified. Valid keys are '"},
    {SEARCH_REGISTERED_MODELS, "params.a = 'x'", false, "Invalid entity type 'params'. Valid entity types are ('attribute', 'tag', 'tags')"},
    {SEARCH_REGISTERED_MODELS, "name NOT IN ('a')", true, " [attribute|name|NOT IN|l:a]"},
    {SEARCH_REGISTERED_MODELS, "name ILIKE 'A%'", true, " [attribute|name|ILIKE|s:A%]"},
    {SEARCH_REGISTERED_MODELS, "tags.k IN ('a')", false, "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('a')"},
    {SEARCH_REGISTERED_MODELS, "tags.k = 1", false, "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"},
    {SEARCH_REGISTERED_MODELS, "name = abc", false, "Parameter value is either not quoted or unidentified quote types used for string value abc. Use either single or double quotes."},
    {SEARCH_MODEL_VERSIONS, "name = 'x'", true, " [attribute|name|=|s:x]"},
    {SEARCH_MODEL_VERSIONS, "run_id IN ('a','b')", true, " [attribute|run_id|IN|l:a,b]"},
    {SEARCH_MODEL_VERSIONS, "name IN ('a','b')", true, " [attribute|name|IN|l:a,b]"},
    {SEARCH_MODEL_VERSIONS, "source_path = 'x'", true, " [attribute|source_path|=|s:x]"},
    {SEARCH_MODEL_VERSIONS, "version_number = 1", true, " [attribute|version_number|=|n:1]"},
    {SEARCH_MODEL_VERSIONS, "version_number > 1.5", false, "Invalid value for numeric attribute 'version_number': 1.5"},
    {SEARCH_MODEL_VERSIONS, "version_number = '1'", true, " [attribute|version_number|=|n:1]"},
    {SEARCH_MODEL_VERSIONS, "version_number = 'abc'", false, "Invalid value for numeric attribute 'version_number': 'abc'"},
    {SEARCH_MODEL_VERSIONS, "name = 1", false, "Only the"},
    {SEARCH_MODEL_VERSIONS, "tags.k = 'v'", true, " [tag|k|=|s:v]"},
    {SEARCH_MODEL_VERSIONS, "creation_timestamp > 1", false, "Invalid attribute key 'creation_timestamp' specified. Valid keys are '"},
    {SEARCH_MODEL_VERSIONS, "foo = 'x'", false, "Invalid attribute key 'foo' specified. Valid keys are '"},
    {SEARCH_MODEL_VERSIONS, "version_number LIKE 1", false, "Invalid comparator for attribute version_number: LIKE"},
    {SEARCH_MODEL_VERSIONS, "version_number IN ('1')", false, "Only ['name', 'run_id'] attributes support comparison with a list of quoted string values."},
    {SEARCH_MODEL_VERSIONS, "source_path IN ('a')", false, "Only ['name', 'run_id'] attributes support comparison with a list of quoted string values."},
    {SEARCH_MODEL_VERSIONS, "run_id > 'a'", false, "Invalid comparator for attribute: >"},
    {SEARCH_MODEL_VERSIONS, "run_id NOT IN ('a')", true, " [attribute|run_id|NOT IN|l:a]"},
    {SEARCH_MODEL_VERSIONS, "tags.k LIKE 'v%'", true, " [tag|k|LIKE|s:v%]"},
    {SEARCH_MODEL_VERSIONS, "tags.k > 'v'", false, "Invalid comparator for tag: >"},
    {SEARCH_MODEL_VERSIONS, "version_number >= 2 AND name = 'm'", true, " [attribute|version_number|>=|n:2] [attribute|name|=|s:m]"},
    {SEARCH_LOGGED_MODELS, "name = 'x'", true, " [attribute|name|=|s:x]"},
    {SEARCH_LOGGED_MODELS, "metrics.acc > 0.5", true, " [metric|acc|>|n:0.5]"},
    {SEARCH_LOGGED_MODELS, "params.a = 'x'", true, " [parameter|a|=|s:x]"},
    {SEARCH_LOGGED_MODELS, "tags.a = 'x'", true, " [tag|a|=|s:x]"},
    {SEARCH_LOGGED_MODELS, "attributes.name = 'x'", true, " [attribute|name|=|s:x]"},
    {SEARCH_LOGGED_MODELS, "attribute.name = 'x'", false, "Invalid entity type: 'attribute'. Expected one of ['attributes', 'metrics', 'params', 'tags']."},
    {SEARCH_LOGGED_MODELS, "creation_time > 5", true, " [attribute|creation_time|>|n:5]"},
    {SEARCH_LOGGED_MODELS, "model_id IN ('a')", true, " [attribute|model_id|IN|l:a]"},
    {SEARCH_LOGGED_MODELS, "status = 'READY'", true, " [attribute|status|=|s:READY]"},
    {SEARCH_LOGGED_MODELS, "foo = 'x'", false, "Invalid logged model search key"},
    {SEARCH_LOGGED_MODELS, "metric.acc > 1", false, "Invalid entity type: 'metric'. Expected one of ['attributes', 'metrics', 'params', 'tags']."},
    {SEARCH_LOGGED_MODELS, "dataset.name = 'x'", false, "Invalid entity type: 'dataset'. Expected one of ['attributes', 'metrics', 'params', 'tags']."},
    {SEARCH_LOGGED_MODELS, "name = \"x\"", true, " [attribute|name|=|s:\"x\"]"},
    {SEARCH_LOGGED_MODELS, "name = abc", true, " [attribute|name|=|s:abc]"},
    {SEARCH_LOGGED_MODELS, "name LIKE 'a%'", true, " [attribute|name|LIKE|s:a%]"},
    {SEARCH_LOGGED_MODELS, "metrics.acc LIKE 'a'", false, "Invalid comparison operator for metrics.acc: 'LIKE'. Expected one of ('<', '<=', '>', '>=', '=', '!=')."},
    {SEARCH_LOGGED_MODELS, "name > 'a'", false, "Invalid comparison operator for attributes.name: '>'. Expected one of ('=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN')."},
    {SEARCH_LOGGED_MODELS, "metrics.acc > 'x'", false, "Invalid filter string: could not convert"},
    {SEARCH_LOGGED_MODELS, "tags.`a b` = 'x'", true, " [tag|a b|=|s:x]"},
    {SEARCH_LOGGED_MODELS, "Tags.k = 'x'", false, "Invalid logged model search key"},
    {SEARCH_LOGGED_MODELS, "name IS NULL", false, "Invalid comparison: name"},
    {SEARCH_LOGGED_MODELS, "source_run_id = 'r' AND metrics.m >= 1", true, " [attribute|source_run_id|=|s:r] [metric|m|>=|n:1]"},
    {SEARCH_LOGGED_MODELS, "last_updated_timestamp < 5", true, " [attribute|last_updated_timestamp|<|n:5]"},
    {SEARCH_LOGGED_MODELS, "creation_timestamp >= 1", true, " [attribute|creation_timestamp|>=|n:1]"},
    /* RLIKE exists in the grammar; only traces take it. */
    {SEARCH_RUNS, "params.a RLIKE 'x'", false, "Invalid comparator 'RLIKE' not one of '{'=', '!=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}'"},
    {SEARCH_EXPERIMENTS, "name RLIKE 'x'", false, "Invalid comparator 'RLIKE' not one of"},
    /* Traces (SearchTraceUtils and the SQL store's checks). */
    {SEARCH_TRACES, "span.attributes.model = 'x'", true, " [span|model|=|s:x]"},
    {SEARCH_TRACES, "span.attributes.`a.b` RLIKE '^x'", true, " [span|a.b|RLIKE|s:^x]"},
    {SEARCH_TRACES, "span.attributes.mlflow.spanType LIKE '%LLM%'", true, " [span|mlflow.spanType|LIKE|s:%LLM%]"},
    {SEARCH_TRACES, "span.attributes.m IN ('a')", false, "span.attributes.m does not take IN"},
    {SEARCH_TRACES, "span.attributes.m > 'a'", false, "span.attributes.m comparator '>' not one of '{'=', '!=', 'LIKE', 'ILIKE', 'RLIKE', 'IN', 'NOT IN'}'"},
    {SEARCH_TRACES, "span.attributes.`` = 'a'", true, " [span||=|s:a]"},
    {SEARCH_TRACES, "span.\"attributes.\" = 'a'", false, "Span attribute name cannot be empty after 'attributes.'"},
    {SEARCH_TRACES, "span.content ILIKE '%x%'", true, " [span|content|ILIKE|s:%x%]"},
    {SEARCH_TRACES, "span.content = 'x'", false, "span.content comparator '=' not one of '{'LIKE', 'ILIKE'}'"},
    {SEARCH_TRACES, "trace.text LIKE '%x%'", true, " [span|text|LIKE|s:%x%]"},
    {SEARCH_TRACES, "text RLIKE 'x'", false, "span.content comparator 'RLIKE' not one of"},
    {SEARCH_TRACES, "span.foo = 'x'", false, "Invalid span attribute 'foo'. Supported attributes: name, status, type, attributes.<attribute_name>."},
    {SEARCH_TRACES, "span.name RLIKE 'a.b'", true, " [span|name|RLIKE|s:a.b]"},
    {SEARCH_TRACES, "span.name like '%x%'", false, "span.name comparator 'like' not one of"},
    {SEARCH_TRACES, "span.attributes.a Rlike 'x'", false, "span.attributes.a comparator 'Rlike' not one of"},
    {SEARCH_TRACES, "span.content ilike '%x%'", false, "span.content comparator 'ilike' not one of '{'LIKE', 'ILIKE'}'"},
    {SEARCH_TRACES, "trace.text ilike '%x%'", true, " [span|text|ILIKE|s:%x%]"},
    {SEARCH_TRACES, "span.name in ('a')", false, "span.name comparator 'in' not one of"},
    {SEARCH_TRACES, "span.name IS NULL", false, "span.name comparator 'IS NULL' not one of"},
    {SEARCH_TRACES, "span.type = 5", false, "Expected a quoted string value for span (e.g. 'my-value'). Got value 5"},
    {SEARCH_TRACES, "trace.status rlike 'O.'", true, " [attribute|status|RLIKE|s:O.]"},
    {SEARCH_TRACES, "tags.t RLIKE 'x' AND metadata.m RLIKE 'y'", true, " [tag|t|RLIKE|s:x] [request_metadata|m|RLIKE|s:y]"},
    {SEARCH_TRACES, "trace.timestamp_ms RLIKE '1'", false, "Invalid comparator 'RLIKE' not one of '{'=', '!=', 'LIKE', 'ILIKE', 'RLIKE', 'IN', 'NOT IN'}"},
    {SEARCH_TRACES, "feedback.rel > 0.5", true, " [feedback|rel|>|n:0.5]"},
    {SEARCH_TRACES, "feedback.rel <= 1", true, " [feedback|rel|<=|n:1]"},
    {SEARCH_TRACES, "feedback.rel = 'yes'", true, " [feedback|rel|=|s:yes]"},
    {SEARCH_TRACES, "feedback.`a b` != 'x'", true, " [feedback|a b|!=|s:x]"},
    {SEARCH_TRACES, "expectation.e IS NOT NULL", true, " [expectation|e|IS NOT NULL|None]"},
    {SEARCH_TRACES, "expectation.e RLIKE '^\"x'", true, " [expectation|e|RLIKE|s:^\"x]"},
    {SEARCH_TRACES, "feedback.rel > '0.5'", false, "Expected a numeric value for feedback when using comparator '>'. Got value '0.5'"},
    {SEARCH_TRACES, "feedback.rel = 5", false, "Expected a quoted string value for feedback (e.g. 'my-value'). Got value 5"},
    {SEARCH_TRACES, "feedback.rel IN ('a')", false, "Expected a quoted string value for feedback (e.g. 'my-value'). Got value ('a')"},
    {SEARCH_TRACES, "feedback.rel = yes", false, "Parameter value is either not quoted"},
    {SEARCH_TRACES, "feedback.`` = 'x'", false, "Assessment field name cannot be empty"},
    {SEARCH_TRACES, "issue.id = 'i-1'", true, " [issue|id|=|s:i-1]"},
    {SEARCH_TRACES, "issue.foo = 'x'", false, "Invalid issue attribute 'foo'. Supported attributes: id"},
    {SEARCH_TRACES, "issue.id != 'x'", false, "issue.id comparator '!=' not one of '{'='}'"},
    {SEARCH_TRACES, "issue.id = 1", false, "Expected a quoted string value for issue (e.g. 'my-value'). Got value 1"},
    {SEARCH_TRACES, "prompt = 'qa/1'", true, " [tag|mlflow.linkedPrompts|=|s:qa/1]"},
    {SEARCH_TRACES, "trace.prompt = 'qa'", false, "Invalid prompts filter value 'qa'. Expected format: prompt = \"name/version\""},
    {SEARCH_TRACES, "prompt LIKE 'qa/%'", false, "Invalid comparator 'LIKE' for prompts filter. Only '=' is supported with format: prompt = \"name/version\""},
    {SEARCH_TRACES, "tags.`mlflow.linkedPrompts` = 'a/b/c'", false, "Invalid prompts filter value 'a/b/c'"},
    {SEARCH_TRACES, "nosuch.k = 'x'", false, "Invalid entity type 'nosuch'"},
};

static void test_filter_table(void)
{
    for (size_t i = 0; i < sizeof fcases / sizeof fcases[0]; i++) {
        const struct fcase *c = &fcases[i];
        struct arena a;
        arena_init(&a);
        struct err e;
        err_clear(&e);
        struct filter f;
        int r = filter_parse(&a, c->kind, c->filter, strlen(c->filter), &f, &e);
        char got[2048];
        if (c->ok) {
            if (r != 0) {
                fprintf(stderr, "  [%zu] %s: unexpected error: %s\n", i, c->filter, e.msg);
                t_cur_failed = 1;
            } else {
                render(&f, got, sizeof got);
                if (strcmp(got, c->want) != 0) {
                    fprintf(stderr, "  [%zu] %s\n    got:  %s\n    want: %s\n", i, c->filter,
                            got, c->want);
                    t_cur_failed = 1;
                }
            }
        } else if (r == 0) {
            fprintf(stderr, "  [%zu] %s: accepted, want error %s\n", i, c->filter, c->want);
            t_cur_failed = 1;
        } else if (e.code != ERR_INVALID_PARAMETER_VALUE || !strstr(e.msg, c->want)) {
            fprintf(stderr, "  [%zu] %s\n    got error:  %s\n    want error: %s\n", i,
                    c->filter, e.msg, c->want);
            t_cur_failed = 1;
        }
        arena_release(&a);
    }
}

static int parse1(struct arena *a, enum search_kind kind, const char *s, struct filter *f,
                  struct err *e)
{
    err_clear(e);
    return filter_parse(a, kind, s, strlen(s), f, e);
}

static void test_filter_attrs(void)
{
    struct arena a;
    arena_init(&a);
    struct err e;
    struct filter f;
    T_CHECK(parse1(&a, SEARCH_RUNS, "", &f, &e) == 0 && f.n == 0);
    T_CHECK(parse1(&a, SEARCH_RUNS, "   ", &f, &e) == 0 && f.n == 0);
    T_CHECK(parse1(&a, SEARCH_RUNS,
                   "created > 5 AND `Run name` = 'x' AND attr.run_id IN ('a') AND "
                   "datasets.context = 'train' AND metrics.m < 1",
                   &f, &e) == 0);
    T_CHECK(f.n == 5);
    if (f.n == 5) {
        T_CHECK(f.clauses[0].attr == FATTR_START_TIME && f.clauses[0].vtype == FILTER_V_INT &&
                f.clauses[0].i == 5);
        T_CHECK(f.clauses[1].attr == FATTR_RUN_NAME);
        T_CHECK(f.clauses[2].attr == FATTR_RUN_ID && f.clauses[2].op == FILTER_IN);
        T_CHECK(f.clauses[3].entity == FILTER_DATASET && f.clauses[3].attr == FATTR_DATASET_CONTEXT);
        T_CHECK(f.clauses[4].entity == FILTER_METRIC && f.clauses[4].attr == FATTR_NONE &&
                f.clauses[4].vtype == FILTER_V_REAL && f.clauses[4].d == 1.0);
    }
    /* experiment ids become integers; Python's int() accepts spaces and a sign */
    T_CHECK(parse1(&a, SEARCH_EXPERIMENTS, "experiment_id IN (' 7 ', '+8') AND experiment_id = '9'",
                   &f, &e) == 0);
    T_CHECK(f.n == 2 && f.clauses[0].vtype == FILTER_V_INTLIST && f.clauses[0].ilist[0] == 7 &&
            f.clauses[0].ilist[1] == 8 && f.clauses[1].vtype == FILTER_V_INT &&
            f.clauses[1].i == 9);
    /* model versions: '1' is an integer version */
    T_CHECK(parse1(&a, SEARCH_MODEL_VERSIONS, "version_number = '12'", &f, &e) == 0);
    T_CHECK(f.n == 1 && f.clauses[0].vtype == FILTER_V_INT && f.clauses[0].i == 12);
    /* logged models: aliases resolve to one attribute */
    T_CHECK(parse1(&a, SEARCH_LOGGED_MODELS, "creation_time > 1 AND attributes.`model_id` = 'm'",
                   &f, &e) == 0);
    T_CHECK(f.n == 2 && f.clauses[0].attr == FATTR_CREATION_TIMESTAMP &&
            f.clauses[1].attr == FATTR_MODEL_ID);
    /* an integer beyond int64 is still a number (Python ints are unbounded) */
    T_CHECK(parse1(&a, SEARCH_RUNS, "metrics.m > 99999999999999999999999", &f, &e) == 0);
    T_CHECK(f.n == 1 && f.clauses[0].vtype == FILTER_V_REAL && f.clauses[0].d > 9e22);
    arena_release(&a);
}

static void test_filter_lists(void)
{
    struct arena a;
    arena_init(&a);
    struct err e;
    struct filter f;
    /* Python literal rules: escapes, adjacent literals, grouping parentheses, trailing comma */
    T_CHECK(parse1(&a, SEARCH_RUNS,
                   "run_id IN ('a\\'b', \"c\\nd\", 'e' 'f', ('g'), '\\x41\\u00e9', 'h\\d',)", &f,
                   &e) == 0);
    T_CHECK(f.n == 1 && f.clauses[0].nlist == 6);
    if (f.n == 1 && f.clauses[0].nlist == 6) {
        T_STREQ(f.clauses[0].list[0].p, "a'b");
        T_STREQ(f.clauses[0].list[1].p, "c\nd");
        T_STREQ(f.clauses[0].list[2].p, "ef");
        T_STREQ(f.clauses[0].list[3].p, "g");
        T_STREQ(f.clauses[0].list[4].p, "A\xc3\xa9");
        T_STREQ(f.clauses[0].list[5].p, "h\\d");
    }
    T_CHECK(parse1(&a, SEARCH_RUNS, "run_id IN (('a', 'b'))", &f, &e) == 0 &&
            f.clauses[0].nlist == 2);
    T_CHECK(parse1(&a, SEARCH_RUNS, "run_id IN (('a',), 'b')", &f, &e) < 0);
    T_CHECK(strstr(e.msg, "different type in list") != NULL);
    T_CHECK(parse1(&a, SEARCH_RUNS, "run_id IN ('a", &f, &e) < 0);
    T_CHECK(parse1(&a, SEARCH_RUNS, "run_id = ('a')", &f, &e) < 0);
    /* the cap on IN lists */
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "run_id IN (");
    for (int i = 0; i <= FILTER_MAX_LIST; i++)
        buf_puts(&b, i ? ",'x'" : "'x'");
    buf_puts(&b, ")");
    T_CHECK(filter_parse(&a, SEARCH_RUNS, b.ptr, b.len, &f, &e) < 0);
    T_CHECK(strstr(e.msg, "at most") != NULL);
    buf_release(&b);
    arena_release(&a);
}

static void test_filter_limits(void)
{
    struct arena a;
    arena_init(&a);
    struct err e;
    struct filter f;
    struct buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i <= FILTER_MAX_CLAUSES; i++)
        buf_printf(&b, "%smetrics.m%d > 1", i ? " AND " : "", i);
    T_CHECK(filter_parse(&a, SEARCH_RUNS, b.ptr, b.len, &f, &e) < 0);
    T_CHECK(strstr(e.msg, "too many clauses") != NULL);
    buf_clear(&b);
    for (int i = 0; i < FILTER_MAX_LEN; i++)
        buf_putc(&b, ' ');
    buf_puts(&b, "metrics.m > 1");
    T_CHECK(filter_parse(&a, SEARCH_RUNS, b.ptr, b.len, &f, &e) < 0);
    T_CHECK(strstr(e.msg, "too long") != NULL);
    T_CHECK(filter_parse(&a, SEARCH_RUNS, "tags.a = 'x\0y'", 14, &f, &e) < 0);
    /* unterminated strings and identifiers */
    T_CHECK(parse1(&a, SEARCH_RUNS, "tags.a = 'x", &f, &e) < 0);
    T_CHECK(parse1(&a, SEARCH_RUNS, "tags.`a = 'x'", &f, &e) < 0);
    T_CHECK(parse1(&a, SEARCH_RUNS, "tags.\"a = 'x'", &f, &e) < 0);
    buf_release(&b);
    arena_release(&a);
}

struct ocase {
    enum search_kind kind;
    const char *items; /* " || " separated */
    bool ok;
    const char *want; /* " [entity|key|asc]..." or an error substring */
};

/* Checked against MLflow 3.17.2's stores (search_* with these order_by lists). */
static const struct ocase ocases[] = {
    {SEARCH_RUNS, "metrics.acc DESC", true, " [metric|acc|0]"},
    {SEARCH_RUNS, "metrics.acc desc", true, " [metric|acc|0]"},
    {SEARCH_RUNS, "metrics.`my key` ASC", true, " [metric|my key|1]"},
    {SEARCH_RUNS, "metrics.\"my key\" ASC", true, " [metric|my key|1]"},
    {SEARCH_RUNS, "tags.mlflow.runName asc", true, " [tag|mlflow.runName|1]"},
    {SEARCH_RUNS, "attribute.start_time DESC", true, " [attribute|start_time|0]"},
    {SEARCH_RUNS, "`metrics`.x DESC || params.p", true, " [metric|x|0] [parameter|p|1]"},
    {SEARCH_RUNS, "run name", false, "Invalid ordering key in order_by clause 'run name'."},
    {SEARCH_RUNS, "`Run name`", false, "Invalid attribute key 'Run name' specified."},
    {SEARCH_RUNS, "experiment_id", false, "Invalid attribute key 'experiment_id' specified."},
    {SEARCH_RUNS, "metrics.acc DESC ASC", false,
     "Invalid order_by clause 'metrics.acc DESC ASC'. Could not be parsed."},
    {SEARCH_RUNS, "metrics.acc, params.b", false, "Could not be parsed."},
    {SEARCH_RUNS, " metrics.acc", false, "Could not be parsed."},
    {SEARCH_RUNS, "metrics.acc UP", false, "Invalid ordering key in order_by clause"},
    {SEARCH_RUNS, "dataset.name", false, "Invalid identifier type 'dataset'"},
    {SEARCH_RUNS, "metrics.a || metrics.a DESC", false,
     "`order_by` contains duplicate fields: ['metrics.a', 'metrics.a DESC']"},
    {SEARCH_RUNS, "created || start_time", false, "`order_by` contains duplicate fields"},
    {SEARCH_RUNS, "tags.t || tag.t", false, "`order_by` contains duplicate fields"},
    {SEARCH_RUNS, "metrics.a || params.a", true, " [metric|a|1] [parameter|a|1]"},
    {SEARCH_EXPERIMENTS, "name DESC || experiment_id asc", true,
     " [attribute|name|0] [attribute|experiment_id|1]"},
    {SEARCH_EXPERIMENTS, "tags.k", false, "Invalid order_by entity: tag"},
    {SEARCH_EXPERIMENTS, "foo", false, "Invalid attribute key 'foo' specified."},
    {SEARCH_EXPERIMENTS, "name || name", true, " [attribute|name|1] [attribute|name|1]"},
    {SEARCH_REGISTERED_MODELS, "timestamp DESC || name", true,
     " [attribute|timestamp|0] [attribute|name|1]"},
    {SEARCH_REGISTERED_MODELS, "creation_timestamp", false,
     "Invalid order by key 'creation_timestamp' specified. Valid keys are "},
    {SEARCH_REGISTERED_MODELS, "attribute.name", false, "Invalid order by key 'attribute.name'"},
    {SEARCH_REGISTERED_MODELS, "timestamp || last_updated_timestamp", false,
     "`order_by` contains duplicate fields"},
    {SEARCH_MODEL_VERSIONS, "version_number DESC || creation_timestamp", true,
     " [attribute|version_number|0] [attribute|creation_timestamp|1]"},
    {SEARCH_MODEL_VERSIONS, "timestamp", false, "Invalid attribute key 'timestamp' specified."},
    {SEARCH_MODEL_VERSIONS, "run_id", false, "Invalid attribute key 'run_id' specified."},
    {SEARCH_MODEL_VERSIONS, "name || name", false, "`order_by` contains duplicate fields"},
};

static void test_order_by_table(void)
{
    for (size_t i = 0; i < sizeof ocases / sizeof ocases[0]; i++) {
        const struct ocase *c = &ocases[i];
        struct arena a;
        arena_init(&a);
        struct str items[8];
        size_t n = 0;
        const char *p = c->items;
        for (;;) {
            const char *sep = strstr(p, " || ");
            items[n].p = p;
            items[n].n = sep ? (size_t)(sep - p) : strlen(p);
            n++;
            if (!sep || n == 8)
                break;
            p = sep + 4;
        }
        struct err e;
        err_clear(&e);
        struct order_by ob;
        int r = filter_parse_order_by(&a, c->kind, items, n, &ob, &e);
        if (c->ok) {
            char got[512];
            size_t k = 0;
            got[0] = '\0';
            for (size_t j = 0; r == 0 && j < ob.n && k < sizeof got; j++)
                k += (size_t)snprintf(got + k, sizeof got - k, " [%s|%s|%d]",
                                      filter_entity_name(ob.keys[j].entity), ob.keys[j].key.p,
                                      ob.keys[j].ascending);
            if (r != 0 || strcmp(got, c->want) != 0) {
                fprintf(stderr, "  [%zu] %s\n    got:  %s%s\n    want: %s\n", i, c->items, got,
                        r ? e.msg : "", c->want);
                t_cur_failed = 1;
            }
        } else if (r == 0 || !strstr(e.msg, c->want)) {
            fprintf(stderr, "  [%zu] %s\n    got error:  %s\n    want error: %s\n", i, c->items,
                    r ? e.msg : "(accepted)", c->want);
            t_cur_failed = 1;
        }
        arena_release(&a);
    }
}

static void test_order_by_attrs(void)
{
    struct arena a;
    arena_init(&a);
    struct err e;
    struct order_by ob;
    struct str items[] = {STR_LIT("created DESC"), STR_LIT("run_name")};
    T_CHECK(filter_parse_order_by(&a, SEARCH_RUNS, items, 2, &ob, &e) == 0);
    T_CHECK(ob.n == 2 && ob.keys[0].attr == FATTR_START_TIME && !ob.keys[0].ascending &&
            ob.keys[1].attr == FATTR_RUN_NAME);
    struct str rm[] = {STR_LIT("timestamp")};
    T_CHECK(filter_parse_order_by(&a, SEARCH_REGISTERED_MODELS, rm, 1, &ob, &e) == 0);
    T_CHECK(ob.n == 1 && ob.keys[0].attr == FATTR_LAST_UPDATED_TIMESTAMP);
    T_CHECK(filter_parse_order_by(&a, SEARCH_RUNS, NULL, 0, &ob, &e) == 0 && ob.n == 0);

    struct logged_model_order_in lm[] = {
        {STR_LIT("metrics.acc"), false, STR_LIT("ds"), STR_LIT("")},
        {STR_LIT("creation_time"), true, {NULL, 0}, {NULL, 0}},
    };
    T_CHECK(filter_parse_logged_model_order_by(&a, lm, 2, &ob, &e) == 0);
    T_CHECK(ob.n == 2 && ob.keys[0].entity == FILTER_METRIC && !ob.keys[0].ascending &&
            str_eq(ob.keys[0].dataset_name, "ds") && ob.keys[1].attr == FATTR_CREATION_TIMESTAMP);
    struct logged_model_order_in bad1[] = {{STR_LIT("params.p"), true, {NULL, 0}, {NULL, 0}}};
    err_clear(&e);
    T_CHECK(filter_parse_logged_model_order_by(&a, bad1, 1, &ob, &e) < 0);
    T_CHECK(strstr(e.msg, "Invalid order by field name: params.p. Only metrics are supported.") !=
            NULL);
    struct logged_model_order_in bad2[] = {{STR_LIT("metrics.m"), true, {NULL, 0}, STR_LIT("d")}};
    T_CHECK(filter_parse_logged_model_order_by(&a, bad2, 1, &ob, &e) < 0);
    T_CHECK(strstr(e.msg, "`dataset_digest` can only be specified") != NULL);
    struct logged_model_order_in bad3[] = {{STR_LIT("nope"), true, {NULL, 0}, {NULL, 0}}};
    T_CHECK(filter_parse_logged_model_order_by(&a, bad3, 1, &ob, &e) < 0);
    T_CHECK(strstr(e.msg, "Invalid order by field name: nope") != NULL);
    arena_release(&a);
}

int main(void)
{
    T_RUN(test_filter_table);
    T_RUN(test_filter_attrs);
    T_RUN(test_filter_lists);
    T_RUN(test_filter_limits);
    T_RUN(test_order_by_table);
    T_RUN(test_order_by_attrs);
    T_DONE();
}
