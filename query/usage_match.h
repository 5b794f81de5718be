/* trace_info's analytics columns that two reserved metadata keys stand for (MLflow's
 * TRACE_ANALYTICS_COLUMNS_BY_METADATA_KEY): mlflow.trace.tokenUsage, the token counts, and
 * mlflow.trace.cost, the costs. A filter on either compares the columns, and its value
 * matches only when it is exactly the JSON MLflow writes for some of them (reading that
 * JSON is the API's part: api/trace_usage.c). Trace search and trace metrics share this. */
#ifndef MLT_QUERY_USAGE_MATCH_H
#define MLT_QUERY_USAGE_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/util.h"
#include "../db/db.h"

enum usage_kind { USAGE_NONE, USAGE_TOKENS, USAGE_COST };
#define USAGE_COLUMNS_MAX 6 /* the most columns one kind has */

/* A filter value read against the columns: canonical when it is the exact text MLflow would
 * write (else nothing matches), and then each column's value (given false: NULL). */
struct usage_match {
    bool canonical;
    bool given[USAGE_COLUMNS_MAX];
    struct sql_val col[USAGE_COLUMNS_MAX];
};

/* The kind a metadata key stands for, USAGE_NONE for any other key. */
enum usage_kind usage_kind_of(struct str key);
/* The trace_info columns of a kind, in MLflow's order (trace_token_keys', trace_cost_keys');
 * their number in *n. */
const char *const *usage_columns(enum usage_kind u, size_t *n);

#endif
