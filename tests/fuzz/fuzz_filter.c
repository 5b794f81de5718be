/* libFuzzer target for the search grammar: every input is parsed as a filter of each search
 * kind, as order_by items (one per line) and as a trace metrics filter; accepted filters
 * are also turned into SQL for both dialects, and the message about a refused one is well-formed UTF-8 when the input
 * was. The input is also an RLIKE pattern: translated from Python's re into POSIX
 * (base/pyre.c) and, when accepted, compiled and run by glibc as SQLite's regexp() does.
 * As a libFuzzer binary (tests/fuzz/run.py builds and runs it):
 *   ./fuzz_filter tests/fuzz/corpus/filter
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <stddef.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/pyre.h"
#include "base/utf8.h"
#include "query/filter.h"
#include "query/search_sql.h"
#include "query/trace_metrics.h"
#include "query/usage_match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void build_sql(struct arena *a, const struct filter *f, const struct order_by *ob)
{
    static const int64_t ids[] = {0, 1};
    for (int k = 0; k < 2; k++) {
        const struct db_dialect *kind = k ? &db_dialect_postgresql : &db_dialect_sqlite;
        struct buf sql;
        buf_init(&sql, 1 << 22);
        struct sql_val *v;
        size_t n;
        struct err e;
        struct search_page pg = {10, 5};
        switch (f->kind) {
        case SEARCH_RUNS: {
            struct search_runs_q q = {ids, 2, SEARCH_VIEW_ALL, f, ob, pg};
            search_runs_sql(a, kind, &q, &sql, &v, &n, &e);
            break;
        }
        case SEARCH_EXPERIMENTS: {
            struct search_experiments_q q = {SEARCH_VIEW_ACTIVE_ONLY, f, ob, "default", pg, NULL};
            search_experiments_sql(a, kind, &q, &sql, &v, &n, &e);
            break;
        }
        case SEARCH_REGISTERED_MODELS: {
            struct search_registered_models_q q = {f, ob, NULL, pg, NULL};
            search_registered_models_sql(a, kind, &q, &sql, &v, &n, &e);
            break;
        }
        case SEARCH_MODEL_VERSIONS: {
            struct search_model_versions_q q = {f, ob, NULL, pg, NULL};
            search_model_versions_sql(a, kind, &q, &sql, &v, &n, &e);
            break;
        }
        case SEARCH_LOGGED_MODELS: {
            struct search_dataset_ref ds[] = {{{"d", 1}, {NULL, 0}}};
            struct search_logged_models_q q = {ids, 2, f, ds, 1, NULL, pg};
            search_logged_models_sql(a, kind, &q, &sql, &v, &n, &e);
            break;
        }
        case SEARCH_TRACES: {
            struct search_traces_q q = {ids, 2, f, ob, pg, NULL};
            search_traces_sql(a, kind, &q, &sql, &v, &n, &e);
            break;
        }
        }
        buf_release(&sql);
    }
}

/* The input as one trace metrics filter (query/trace_metrics.h); when accepted, the SQL of
 * every view with it, bucketed and not, in both dialects. */
static void metrics_filter(struct arena *a, const char *s, size_t size, bool wellformed)
{
    struct tm_filter f;
    struct err e;
    err_clear(&e);
    if (tm_filter_parse(a, s, size, &f, &e) != 0) {
        if (wellformed && !utf8_valid(e.msg, strlen(e.msg)))
            abort();
        return;
    }
    f.match.canonical = f.usage != USAGE_NONE;
    static const int64_t ids[] = {1, 2};
    static const int dims[] = {0};
    static const struct tm_agg aggs[] = {{TM_COUNT, 0}, {TM_PERCENTILE, 50}};
    for (int view = TM_TRACES; view <= TM_ASSESSMENTS; view++)
        for (int k = 0; k < 4; k++) {
            struct tm_query q = {ids, 2, (enum tm_view)view, 0, aggs, 2, dims, 1, &f, 1,
                                 k & 1 ? 60 : 0, true, true, INT64_MIN, INT64_MAX, 10};
            struct buf sql;
            buf_init(&sql, 1 << 20);
            struct sql_val *v;
            size_t n;
            tm_sql(a, k & 2 ? &db_dialect_postgresql : &db_dialect_sqlite, &q, &sql, &v, &n, &e);
            buf_release(&sql);
        }
}

static void rlike_pattern(const char *s, size_t size)
{
    struct buf ere;
    buf_init(&ere, 64 * 1024);
    struct pyre_flags fl;
    if (pyre_to_ere(s, size, &ere, &fl) == 0) {
        regex_t re;
        if (regcomp(&re, ere.ptr ? ere.ptr : "", REG_EXTENDED | REG_NOSUB |
                                                     (fl.icase ? REG_ICASE : 0)) == 0) {
            /* The subject NUL-terminated, as SQLite hands it over (and as ASan's regexec
             * interceptor reads it, whatever REG_STARTEND says). */
            char *subject = malloc(size + 1);
            if (subject) {
                memcpy(subject, s, size);
                subject[size] = '\0';
                regmatch_t m[1] = {{0, (regoff_t)size}};
                regexec(&re, subject, 1, m, REG_STARTEND);
                free(subject);
            }
            regfree(&re);
        }
    }
    buf_release(&ere);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    bool wellformed = utf8_valid(s, size);
    struct arena a;
    arena_init(&a);
    struct err e;

    /* order_by items: one per line */
    struct str items[FILTER_MAX_ORDER_BY];
    size_t nitems = 0, start = 0;
    for (size_t i = 0; i <= size && nitems < FILTER_MAX_ORDER_BY; i++) {
        if (i == size || s[i] == '\n') {
            items[nitems].p = s + start;
            items[nitems].n = i - start;
            nitems++;
            start = i + 1;
        }
    }

    static const enum search_kind kinds[] = {SEARCH_RUNS, SEARCH_EXPERIMENTS,
                                             SEARCH_REGISTERED_MODELS, SEARCH_MODEL_VERSIONS,
                                             SEARCH_LOGGED_MODELS, SEARCH_TRACES};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        struct filter f;
        struct order_by ob = {0};
        err_clear(&e);
        if (kinds[k] != SEARCH_LOGGED_MODELS &&
            filter_parse_order_by(&a, kinds[k], items, nitems, &ob, &e) != 0)
            ob.n = 0;
        err_clear(&e);
        if (filter_parse(&a, kinds[k], s, size, &f, &e) == 0) {
            build_sql(&a, &f, &ob);
            /* Trace clauses on the usage keys once more, as read canonical by the API
             * (trace_usage_filter_read): their columns bound. */
            static const struct usage_match canonical = {
                .canonical = true, .given = {true, false, true}, .col = {{.type = SQL_INT}}};
            bool usage = false;
            for (size_t i = 0; i < f.n; i++)
                if (kinds[k] == SEARCH_TRACES && usage_kind_of(f.clauses[i].key) != USAGE_NONE) {
                    f.clauses[i].usage = &canonical;
                    usage = true;
                }
            if (usage)
                build_sql(&a, &f, &ob);
        }
        /* Messages quote the input cut at characters (query/text.h snip_len). */
        else if (wellformed && !utf8_valid(e.msg, strlen(e.msg)))
            abort();
    }
    metrics_filter(&a, s, size, wellformed);
    arena_release(&a);
    rlike_pattern(s, size);
    return 0;
}
