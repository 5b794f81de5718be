/* SQL for the search APIs, built from a parsed filter and order_by (filter.h): SELECT
 * statements over MLflow's own schema that return the ids of the matching rows in MLflow's
 * order; the caller binds the values, steps the statement and loads the entities by id.
 *
 * Every piece of user text (keys, values, patterns, ids) is a bound parameter: the SQL
 * text holds only `?` placeholders and constants of our own. What differs between SQLite
 * and PostgreSQL (LIKE as GLOB, ILIKE, an unlimited LIMIT) comes from the dialect table
 * (db/dialect.h); the columns of attribute keys come from the key tables (query/keys.c).
 *
 * Semantics (MLflow's SQL stores): a clause on a key the row lacks is false, even for !=;
 * metric clauses compare the run's latest value (latest_metrics) and NaN only satisfies
 * !=; order_by puts missing values (and NaN metrics, before the missing ones) last in
 * either direction; ties break on the id. Index use: metric/param/tag clauses are
 * `run_uuid IN (SELECT run_uuid FROM <t> WHERE "key" = ? AND ...)`, a range scan of the
 * (key, run_uuid) primary key; order_by joins probe the same primary key per run.
 * runs has no index on experiment_id, so the experiment restriction is a scan of runs
 * (as it is for MLflow); the IN-subqueries let SQLite drive from the filter instead.
 *
 * Output: the SQL is appended to a caller-owned struct buf (check buf_ok; a query past the
 * buffer's cap fails with INVALID_PARAMETER_VALUE), the binds are an array from the arena
 * whose text pointers borrow from the parsed filter (so from the same arena) or from the
 * query struct. Placeholders are `?`, numbered in text order; the PostgreSQL driver
 * rewrites them to $n. */
#ifndef MLT_SEARCH_SQL_H
#define MLT_SEARCH_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/err.h"
#include "../db/db.h"
#include "filter.h"

/* MLflow's ViewType values, as they arrive on the wire. */
enum search_view {
    SEARCH_VIEW_ACTIVE_ONLY = 1,
    SEARCH_VIEW_DELETED_ONLY = 2,
    SEARCH_VIEW_ALL = 3,
};

/* At most this many bound values in one statement (SQLite's default limit is 32766). */
#define SEARCH_MAX_BINDS 32000

/* Paging: LIMIT ? OFFSET ?. limit < 0 means no LIMIT (MLflow's max_results=None). Callers
 * that emit a next-page token only when more rows exist pass max_results + 1. */
struct search_page {
    int64_t limit;
    int64_t offset;
};

/* A row restriction from access control (api/authz.c): with allow_only, only rows whose
 * key is in ids are returned; without it, rows whose key is in ids are left out. ids is a
 * JSON array of strings (bound to json_each). NULL in a query: no restriction. */
struct search_acl {
    bool allow_only;
    const char *ids_json;
};

/* search_runs: selects runs.run_uuid (one column). */
struct search_runs_q {
    const int64_t *experiment_ids; /* borrowed; none -> no rows (MLflow's empty IN) */
    size_t n_experiment_ids;
    enum search_view view;
    const struct filter *filter;    /* SEARCH_RUNS; NULL or empty for none */
    const struct order_by *order;   /* SEARCH_RUNS; NULL or empty for the default */
    struct search_page page;
};
int search_runs_sql(struct arena *a, const struct db_dialect *d, const struct search_runs_q *q,
                    struct buf *sql, struct sql_val **binds, size_t *nbinds, struct err *e);

/* search_experiments: selects experiments.experiment_id (one integer column). */
struct search_experiments_q {
    enum search_view view;
    const struct filter *filter;  /* SEARCH_EXPERIMENTS */
    const struct order_by *order; /* SEARCH_EXPERIMENTS; empty: creation_time DESC,
                                     experiment_id ASC */
    const char *workspace;        /* NULL: no workspace restriction */
    struct search_page page;
    const struct search_acl *acl; /* NULL: every experiment */
};
int search_experiments_sql(struct arena *a, const struct db_dialect *d,
                           const struct search_experiments_q *q, struct buf *sql,
                           struct sql_val **binds, size_t *nbinds, struct err *e);

/* search_registered_models: selects registered_models.name. Prompts (models tagged
 * mlflow.prompt.is_prompt = 'true') are excluded unless the filter asks for them. */
struct search_registered_models_q {
    const struct filter *filter;  /* SEARCH_REGISTERED_MODELS */
    const struct order_by *order; /* SEARCH_REGISTERED_MODELS; tie-break name ASC */
    const char *workspace;        /* NULL: no workspace restriction */
    struct search_page page;
    const struct search_acl *acl; /* on the model's name; NULL: every model */
};
int search_registered_models_sql(struct arena *a, const struct db_dialect *d,
                                 const struct search_registered_models_q *q, struct buf *sql,
                                 struct sql_val **binds, size_t *nbinds, struct err *e);

/* search_model_versions: selects model_versions.name, model_versions.version. Versions in
 * stage Deleted_Internal are never returned; prompt versions as for registered models. */
struct search_model_versions_q {
    const struct filter *filter;  /* SEARCH_MODEL_VERSIONS */
    const struct order_by *order; /* SEARCH_MODEL_VERSIONS; default last_updated_timestamp
                                     DESC, name ASC, version_number DESC */
    const char *workspace;
    struct search_page page;
    const struct search_acl *acl; /* on the model's name; NULL: every version */
};
int search_model_versions_sql(struct arena *a, const struct db_dialect *d,
                              const struct search_model_versions_q *q, struct buf *sql,
                              struct sql_val **binds, size_t *nbinds, struct err *e);

/* search_logged_models: selects logged_models.model_id. datasets restrict metric clauses
 * (and, with no metric clause, require a metric on one of them). */
struct search_dataset_ref {
    struct str name;   /* required */
    struct str digest; /* n == 0: any digest */
};
struct search_logged_models_q {
    const int64_t *experiment_ids;
    size_t n_experiment_ids;
    const struct filter *filter; /* SEARCH_LOGGED_MODELS */
    const struct search_dataset_ref *datasets;
    size_t n_datasets;
    const struct order_by *order; /* from filter_parse_logged_model_order_by */
    struct search_page page;
};
int search_logged_models_sql(struct arena *a, const struct db_dialect *d,
                             const struct search_logged_models_q *q, struct buf *sql,
                             struct sql_val **binds, size_t *nbinds, struct err *e);

/* The GLOB pattern equivalent to a case-sensitive LIKE pattern (from the arena). Exposed
 * for tests. */
struct str search_like_to_glob(struct arena *a, struct str like);

/* search_traces: selects trace_info.request_id (one column). */
struct search_traces_q {
    const int64_t *experiment_ids; /* none -> no rows */
    size_t n_experiment_ids;
    const struct filter *filter;  /* SEARCH_TRACES */
    const struct order_by *order; /* SEARCH_TRACES; then timestamp_ms DESC, request_id */
    struct search_page page;
    const char *columns; /* what each row selects (trace_info's); NULL: its request_id */
};
int search_traces_sql(struct arena *a, const struct db_dialect *d, const struct search_traces_q *q,
                      struct buf *sql, struct sql_val **binds, size_t *nbinds, struct err *e);

#endif
