/* The analytics columns of the reserved metadata keys, and the SQL that compares them
 * (see usage_match.h). */
#include "usage_match.h"

#include "sql.h"

#define N(x) (sizeof x / sizeof *x)

static const char *const token_columns[] = {
    "input_tokens",      "output_tokens", "total_tokens", "cache_read_input_tokens",
    "cache_creation_input_tokens", "cache_creation_input_tokens_above_1hr"};
static const char *const cost_columns[] = {"input_cost", "output_cost", "total_cost"};

enum usage_kind usage_kind_of(struct str key)
{
    return str_eq(key, "mlflow.trace.tokenUsage") ? USAGE_TOKENS
           : str_eq(key, "mlflow.trace.cost")     ? USAGE_COST
                                                  : USAGE_NONE;
}

const char *const *usage_columns(enum usage_kind u, size_t *n)
{
    *n = u == USAGE_TOKENS ? N(token_columns) : u == USAGE_COST ? N(cost_columns) : 0;
    return u == USAGE_TOKENS ? token_columns : u == USAGE_COST ? cost_columns : NULL;
}

void sb_usage_match(struct sb *sb, enum usage_kind u, const struct usage_match *m)
{
    if (!m || !m->canonical) {
        sb_puts(sb, "1 = 0");
        return;
    }
    size_t n;
    const char *const *cols = usage_columns(u, &n);
    sb_puts(sb, "(");
    for (size_t i = 0; i < n; i++) {
        buf_printf(sb->b, "%strace_info.%s", i ? " AND " : "", cols[i]);
        if (!m->given[i]) {
            sb_puts(sb, " IS NULL");
            continue;
        }
        /* guarded: the whole is never NULL, for the NOT of a != */
        buf_printf(sb->b, " IS NOT NULL AND trace_info.%s = ", cols[i]);
        *sb_bind(sb) = m->col[i];
    }
    sb_puts(sb, ")");
}

void sb_usage_present(struct sb *sb, enum usage_kind u)
{
    size_t n;
    const char *const *cols = usage_columns(u, &n);
    sb_puts(sb, "(");
    for (size_t i = 0; i < n; i++)
        buf_printf(sb->b, "%strace_info.%s IS NOT NULL", i ? " OR " : "", cols[i]);
    sb_puts(sb, ")");
}
