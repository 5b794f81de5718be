/* MLflow's search grammar: the filter string ("metrics.acc > 0.9 AND tags.team = 'a'") and
 * order_by entries ("metrics.acc DESC"), parsed with a cursor into a small AST and
 * validated per search kind exactly as MLflow 3.x does, with MLflow's error messages (all
 * INVALID_PARAMETER_VALUE). The SQL is built from this AST by search_sql.h.
 *
 * Grammar (section 4 of the API reference):
 *   filter     := [AND]* clause ( AND+ clause )* [AND]*        AND is case-insensitive
 *   clause     := identifier comparator value | identifier IS [NOT] NULL
 *   identifier := part ( '.' part )*   part := word | "quoted" | `quoted`
 *                 split on the first '.' into entity and key; no dot: an attribute
 *   comparator := = != < <= > >= LIKE ILIKE RLIKE IN NOT IN  (keywords case-insensitive)
 *   value      := number | 'string' | "string" | ( 'a', "b", ... )
 * Limits: a filter is at most FILTER_MAX_LEN bytes with at most FILTER_MAX_CLAUSES clauses;
 * an IN list holds at most FILTER_MAX_LIST items.
 *
 * Everything returned is allocated from the arena passed in and lives as long as it. */
#ifndef MLT_FILTER_H
#define MLT_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/err.h"
#include "../base/util.h"

struct usage_match;

#define FILTER_MAX_LEN (64 * 1024)
#define FILTER_MAX_CLAUSES 100
#define FILTER_MAX_LIST 10000
#define FILTER_MAX_ORDER_BY 100

/* Which search API a filter belongs to; each has its own entities, keys and rules. */
enum search_kind {
    SEARCH_RUNS,
    SEARCH_EXPERIMENTS,
    SEARCH_REGISTERED_MODELS,
    SEARCH_MODEL_VERSIONS,
    SEARCH_LOGGED_MODELS,
    SEARCH_TRACES,
};

enum filter_entity {
    FILTER_ATTRIBUTE,
    FILTER_METRIC,
    FILTER_PARAM,
    FILTER_TAG,
    FILTER_DATASET,
    FILTER_METADATA, /* traces: request_metadata.<key> */
    FILTER_SPAN,     /* traces: span.<name|type|status|content|attributes.<a>> */
    FILTER_FEEDBACK,    /* traces: feedback.<name>, an assessment's value */
    FILTER_EXPECTATION, /* traces: expectation.<name> */
    FILTER_ISSUE,       /* traces: issue.id, an issue assessment's name */
};

/* Attribute keys after alias resolution ("created" -> START_TIME, "Run name" -> RUN_NAME,
 * "source_path" stays SOURCE_PATH, "creation_time" of a logged model -> CREATION_TIMESTAMP),
 * for the keys with rules of their own. Each key's SQL column comes with it from the key
 * tables (query/keys.c). */
enum filter_attr {
    FATTR_NONE = 0, /* metric, param and tag clauses */
    /* runs */
    FATTR_RUN_ID,
    FATTR_RUN_NAME,
    FATTR_STATUS,
    FATTR_USER_ID,
    FATTR_ARTIFACT_URI,
    FATTR_START_TIME,
    FATTR_END_TIME,
    /* experiments (NAME also for the registry and logged models) */
    FATTR_EXPERIMENT_ID,
    FATTR_NAME,
    FATTR_CREATION_TIME,
    FATTR_LAST_UPDATE_TIME,
    /* model registry */
    FATTR_VERSION_NUMBER,
    FATTR_SOURCE_PATH,
    FATTR_CREATION_TIMESTAMP,
    FATTR_LAST_UPDATED_TIMESTAMP, /* also "timestamp" in registered-model order_by */
    /* logged models (also NAME, STATUS, EXPERIMENT_ID, the two *_TIMESTAMP keys) */
    FATTR_MODEL_ID,
    FATTR_MODEL_TYPE,
    FATTR_SOURCE_RUN_ID,
    FATTR_ARTIFACT_LOCATION,
    FATTR_STATUS_MESSAGE,
    /* dataset.<key> of runs */
    FATTR_DATASET_NAME,
    FATTR_DATASET_DIGEST,
    FATTR_DATASET_CONTEXT,
    /* traces (also STATUS, NAME, RUN_ID, EXPERIMENT_ID) */
    FATTR_TRACE_ID,
    FATTR_TIMESTAMP_MS,
    FATTR_EXECUTION_TIME_MS,
    FATTR_END_TIME_MS,
    FATTR_CLIENT_REQUEST_ID,
    FATTR_PROMPT,         /* trace "prompt": the tag mlflow.linkedPrompts, an association */
    FATTR_SPAN_CONTENT,   /* span.content, and the trace attribute "text" */
    FATTR_SPAN_ATTRIBUTE, /* span.attributes.<a>: key holds <a>, backticks trimmed */
};

enum filter_op {
    FILTER_EQ,
    FILTER_NE,
    FILTER_LT,
    FILTER_LE,
    FILTER_GT,
    FILTER_GE,
    FILTER_LIKE,
    FILTER_ILIKE,
    FILTER_IN,
    FILTER_NOT_IN,
    FILTER_IS_NULL,     /* runs: params and tags; experiments: tags */
    FILTER_IS_NOT_NULL, /* idem */
    FILTER_RLIKE,       /* traces: a regular expression, searched (Python's re.search) */
};

enum filter_vtype {
    FILTER_V_NONE, /* IS [NOT] NULL */
    FILTER_V_STRING,
    FILTER_V_INT,
    FILTER_V_REAL,
    FILTER_V_STRLIST, /* IN / NOT IN of strings */
    FILTER_V_INTLIST, /* IN / NOT IN of experiment ids */
};

/* One validated clause. Strings are from the arena, NUL-terminated, quotes removed; string
 * values are the raw text between the quotes, as MLflow keeps it (no unescaping), list items
 * are Python string literals evaluated as MLflow does (escapes applied). */
struct filter_clause {
    enum filter_entity entity;
    enum filter_attr attr; /* FILTER_ATTRIBUTE and FILTER_DATASET; FATTR_NONE otherwise */
    const char *column;    /* the SQL column of attribute and dataset keys; else NULL */
    struct str key;        /* the key as written, unquoted (metric/param/tag name) */
    enum filter_op op;
    enum filter_vtype vtype;
    struct str s;          /* FILTER_V_STRING */
    int64_t i;             /* FILTER_V_INT */
    double d;              /* FILTER_V_REAL, and FILTER_V_INT converted */
    struct str *list;      /* FILTER_V_STRLIST: nlist items */
    int64_t *ilist;        /* FILTER_V_INTLIST: nlist items */
    size_t nlist;
    /* Traces: an = or != on a reserved usage key (usage_match.h), its value as the API read
     * it (trace_usage_filter_read); NULL matches nothing. */
    const struct usage_match *usage;
};

struct filter {
    enum search_kind kind;
    struct filter_clause *clauses; /* from the arena; NULL when n == 0 */
    size_t n;
};

/* Parses and validates s[0..n) for the given kind. An empty filter (n == 0) is valid and
 * yields no clauses. Returns 0, or -1 with e set to INVALID_PARAMETER_VALUE and MLflow's
 * message. out->clauses is from the arena. */
int filter_parse(struct arena *a, enum search_kind kind, const char *s, size_t n,
                 struct filter *out, struct err *e);

/* One order_by entry. For logged models, dataset_name/dataset_digest restrict a metric key
 * (both may be empty). */
struct order_key {
    enum filter_entity entity; /* ATTRIBUTE, METRIC, PARAM or TAG */
    enum filter_attr attr;     /* for ATTRIBUTE */
    const char *column;        /* for ATTRIBUTE: its SQL column */
    struct str key;            /* metric/param/tag name; for attributes the key as written */
    bool ascending;
    struct str dataset_name;
    struct str dataset_digest;
};

struct order_by {
    struct order_key *keys; /* from the arena; NULL when n == 0 */
    size_t n;
};

/* Parses the order_by list of runs, experiments, registered models or model versions:
 * each item "<identifier> [ASC|DESC]". Applies MLflow's key sets per kind, rejects
 * duplicate fields where MLflow does (runs, registered models, model versions). No items is
 * valid (the SQL builder applies the default order). Returns 0 or -1 with e set. */
int filter_parse_order_by(struct arena *a, enum search_kind kind, const struct str *items,
                          size_t n, struct order_by *out, struct err *e);

/* A logged-model order_by entry as it arrives in JSON ({field_name, ascending,
 * dataset_name, dataset_digest}). Absent strings are {NULL, 0}; a missing field_name is
 * an error. Strings are borrowed for the call and copied into the arena. */
struct logged_model_order_in {
    struct str field_name;
    bool ascending;
    struct str dataset_name;
    struct str dataset_digest;
};
int filter_parse_logged_model_order_by(struct arena *a, const struct logged_model_order_in *items,
                                       size_t n, struct order_by *out, struct err *e);

/* Names for messages and tests: "attribute", "metric", "parameter", "tag", "dataset"
 * (MLflow's canonical entity names), and "=", "!=", ..., "NOT IN", "IS NULL". */
const char *filter_entity_name(enum filter_entity ent);
const char *filter_op_name(enum filter_op op);

#endif
