/* percentile(x, p) on every SQLite connection: the aggregate MLflow's store registers for
 * its trace metrics (mlflow/store/db/utils.py), PERCENTILE_CONT with linear interpolation
 * over the non-NULL x, p in 0..100 taken from the first row that gives one. NULL when no
 * row gives an x or none gives a p. The values are kept and sorted at the end, as MLflow's
 * does; db_dialect.percentile_cont says where PostgreSQL's own aggregate is used instead. */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>

#include "sqlite.h"

#define VALUES_MAX (1u << 25) /* 256 MB of doubles: a bound for one group */

struct pct {
    double *v;
    size_t n, cap;
    double p;
    bool have_p;
};

static void step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct pct *s = sqlite3_aggregate_context(ctx, sizeof *s);
    if (!s) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (!s->have_p && sqlite3_value_type(argv[1]) != SQLITE_NULL) {
        s->p = sqlite3_value_double(argv[1]);
        s->have_p = true;
    }
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        if (cap > VALUES_MAX) {
            sqlite3_result_error(ctx, "percentile(): too many values in one group", -1);
            return;
        }
        double *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = sqlite3_value_double(argv[0]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void final(sqlite3_context *ctx)
{
    struct pct *s = sqlite3_aggregate_context(ctx, 0);
    if (!s || !s->n || !s->have_p) {
        if (s)
            free(s->v);
        sqlite3_result_null(ctx);
        return;
    }
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    /* MLflow's: index = ratio * (n - 1), then between its floor and the next value. */
    double index = s->p / 100.0 * (double)(s->n - 1);
    size_t lo = !(index >= 1) ? 0 : index >= (double)(s->n - 1) ? s->n - 1 : (size_t)index;
    size_t hi = lo + 1 < s->n ? lo + 1 : s->n - 1;
    double frac = index - (double)lo;
    sqlite3_result_double(ctx, s->v[lo] + frac * (s->v[hi] - s->v[lo]));
    free(s->v);
}

int db_sqlite_percentile_register(struct sqlite3 *conn)
{
    return sqlite3_create_function_v2(conn, "percentile", 2,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL, step,
                                      final, NULL) == SQLITE_OK
               ? 0
               : -1;
}
