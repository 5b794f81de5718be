/* The keys each search may name, in one table per entity (inside query/ only): what a name
 * means, the SQL column it reads and its type. Making a column searchable is one row here.
 * Also the resolution of a written identifier ("metrics.acc", "attributes.status",
 * "`tags`.x") into an entity and a key, with MLflow's messages. */
#ifndef MLT_QUERY_KEYS_H
#define MLT_QUERY_KEYS_H

#include <stdbool.h>

#include "../base/arena.h"
#include "../base/err.h"
#include "filter.h"

enum key_use {
    KEY_FILTER = 1 << 0, /* may appear in a filter */
    KEY_ORDER = 1 << 1,  /* may appear in order_by */
};

struct query_key {
    const char *name;      /* as written in the search string */
    enum filter_attr attr; /* what it means, for keys with rules of their own */
    const char *column;    /* the SQL it reads, over the search's tables */
    bool numeric;          /* compared as a number */
    unsigned use;          /* enum key_use */
};

/* The tables, each ended by a row with a NULL name. The order of the rows is the order in
 * which MLflow lists the valid keys in its messages. */
extern const struct query_key query_run_keys[];
extern const struct query_key query_dataset_keys[]; /* dataset.<key> of runs */
extern const struct query_key query_experiment_keys[];
extern const struct query_key query_registered_model_keys[];
extern const struct query_key query_model_version_keys[];
extern const struct query_key query_logged_model_keys[];
extern const struct query_key query_trace_keys[];
extern const struct query_key query_span_keys[]; /* span.<key> of traces */

/* The row named name usable in use (KEY_FILTER or KEY_ORDER), or NULL. */
const struct query_key *query_key_find(const struct query_key *t, struct str name, unsigned use);
/* "{'a', 'b'}": the names usable in use, in table order, as MLflow prints the set. From
 * the arena. */
const char *query_keys_repr(struct arena *a, const struct query_key *t, unsigned use);

/* An identifier resolved: its entity, the key as written (unquoted), and for attributes
 * and dataset keys the table row. */
struct ident {
    enum filter_entity entity;
    struct str key;
    const struct query_key *def;
};

/* Runs (SearchUtils._get_identifier): entity aliases metric(s), param(s)/parameter(s),
 * tag(s), attribute(s)/attr/run, dataset(s); no entity means an attribute. */
int ident_runs(struct arena *a, struct str raw, unsigned use, struct ident *out, struct err *e);
/* Experiments, registered models and model versions: entity "attribute", "tag" or "tags"
 * exactly. The registry checks attribute keys before removing quotes (check_raw). */
int ident_simple(struct arena *a, struct str raw, const struct query_key *keys, unsigned use,
                 bool check_raw, struct ident *out, struct err *e);
/* Traces (SearchTraceUtils): tag(s), attribute(s)/trace, request_metadata/metadata, span;
 * no entity means an attribute. */
int ident_traces(struct arena *a, struct str raw, unsigned use, struct ident *out,
                 struct err *e);

#endif
