/* The runs table as CSV (ours, not MLflow's): GET or POST /api/2.0/mltrack/runs/export-csv
 * takes what runs/search takes (experiment_ids, filter, order_by, run_view_type) plus the
 * columns to write, and streams every matching run, any number of them: the response goes
 * out in pieces (struct resp_pieces), each one page of EXPORT_PAGE runs fetched as the
 * client reads, so the server holds one page at a time, never the whole file. The request is checked, and
 * the first page fetched, before anything is sent, so bad input gets MLflow's JSON error.
 *
 * Pages are offsets into the search order, as MLflow's page tokens are: runs created or
 * deleted while the file streams can shift rows between pages. Documented in README. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/dtoa.h"
#include "mltrack.h"

enum { EXPORT_PAGE = 500, EXPORT_MAX_COLUMNS = 10000 };

enum col_kind { COL_ATTR, COL_PARAM, COL_METRIC, COL_TAG };

enum col_attr {
    A_RUN_ID,
    A_RUN_NAME,
    A_EXPERIMENT_ID,
    A_STATUS,
    A_USER_ID,
    A_START_TIME,
    A_END_TIME,
    A_DURATION,
    A_SOURCE,
    A_LIFECYCLE_STAGE,
    A_ARTIFACT_URI,
    A__COUNT
};

/* The header names; "attributes.<name>" asks for one. */
static const char *const attr_names[A__COUNT] = {
    "run_id",   "run_name", "experiment_id", "status",          "user_id",      "start_time",
    "end_time", "duration", "source",        "lifecycle_stage", "artifact_uri",
};

struct col {
    enum col_kind kind;
    enum col_attr attr;
    const char *key;    /* params/metrics/tags */
    const char *header; /* as written in the first line */
};

struct export {
    struct arena keep; /* the query and the columns, for the whole response */
    struct arena page; /* one page of runs; reset for each */
    struct search_runs_q q;
    struct filter f;
    struct order_by ob;
    struct col *cols;
    size_t ncols;
    int64_t offset;  /* of the next page */
    bool done;       /* the last page has been written */
    struct buf first; /* the header line and the first page, made in the handler */
};

static void ex_free(void *ctx)
{
    struct export *x = ctx;
    buf_release(&x->first);
    arena_release(&x->page);
    arena_release(&x->keep);
    free(x);
}

/* ---- columns ---- */

static int parse_column(struct arena *a, const char *spec, struct col *out, struct err *e)
{
    static const struct {
        const char *prefix;
        enum col_kind kind;
    } kinds[] = {{"attributes.", COL_ATTR}, {"params.", COL_PARAM}, {"metrics.", COL_METRIC},
                 {"tags.", COL_TAG}};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        size_t n = strlen(kinds[k].prefix);
        if (strncmp(spec, kinds[k].prefix, n) != 0 || !spec[n])
            continue;
        out->kind = kinds[k].kind;
        out->key = arena_strdup(a, spec + n);
        out->header = arena_strdup(a, spec);
        if (out->kind != COL_ATTR)
            return 0;
        for (int i = 0; i < A__COUNT; i++)
            if (strcmp(out->key, attr_names[i]) == 0) {
                out->attr = (enum col_attr)i;
                out->header = attr_names[i];
                return 0;
            }
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid column '%s': the attributes are run_id, run_name, "
                       "experiment_id, status, user_id, start_time, end_time, duration, source, "
                       "lifecycle_stage and artifact_uri.",
                       spec);
    }
    return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                   "Invalid column '%s': a column is attributes.<name>, params.<key>, "
                   "metrics.<key> or tags.<key>.",
                   spec);
}

/* A sorted set of keys, grown in the arena. */
struct keyset {
    const char **k;
    size_t n;
};

static void keyset_add(struct arena *a, struct keyset *s, const char *key)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->k[mid], key);
        if (c == 0)
            return;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    s->k = arena_grow(a, s->k, s->n, sizeof *s->k);
    memmove(&s->k[lo + 1], &s->k[lo], (s->n - lo) * sizeof *s->k);
    s->k[lo] = arena_strdup(a, key);
    s->n++;
}

/* Fetches the page at offset into x->page: *n runs, *more when another page follows. */
static int fetch_page(struct export *x, int64_t offset, struct run **runs, size_t *n,
                      bool *more, struct err *e)
{
    arena_reset(&x->page);
    struct sctx s = {.a = &x->page, .e = e};
    s.db = store_thread_db(e);
    if (!s.db)
        return -1;
    x->q.page.limit = EXPORT_PAGE + 1;
    x->q.page.offset = offset;
    if (run_search(&s, &x->q, runs, n) != 0)
        return -1;
    *more = *n > EXPORT_PAGE;
    if (*more)
        *n = EXPORT_PAGE;
    return 0;
}

/* No columns asked for: every attribute, then every param, metric and tag key of the
 * matching runs, sorted (a first pass over the pages, keeping only the keys). */
static int default_columns(struct export *x, struct err *e)
{
    struct keyset sets[3] = {{0}};
    bool more = true;
    for (int64_t off = 0; more; off += EXPORT_PAGE) {
        struct run *runs;
        size_t n;
        if (fetch_page(x, off, &runs, &n, &more, e) != 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < runs[i].nparams; k++)
                keyset_add(&x->keep, &sets[0], runs[i].params[k].key);
            for (size_t k = 0; k < runs[i].nmetrics; k++)
                keyset_add(&x->keep, &sets[1], runs[i].metrics[k].key);
            for (size_t k = 0; k < runs[i].ntags; k++)
                keyset_add(&x->keep, &sets[2], runs[i].tags[k].key);
        }
    }
    static const char *const prefix[3] = {"params.", "metrics.", "tags."};
    static const enum col_kind kind[3] = {COL_PARAM, COL_METRIC, COL_TAG};
    x->ncols = A__COUNT + sets[0].n + sets[1].n + sets[2].n;
    x->cols = arena_calloc(&x->keep, x->ncols, sizeof *x->cols);
    size_t c = 0;
    for (int i = 0; i < A__COUNT; i++)
        x->cols[c++] = (struct col){COL_ATTR, (enum col_attr)i, attr_names[i], attr_names[i]};
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < sets[s].n; i++)
            x->cols[c++] = (struct col){kind[s], A_RUN_ID, sets[s].k[i],
                                        arena_printf(&x->keep, "%s%s", prefix[s], sets[s].k[i])};
    return 0;
}

/* ---- CSV ---- */

/* One field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void put_field(struct buf *b, const char *s)
{
    if (!s)
        return;
    if (!s[strcspn(s, ",\"\r\n")]) {
        buf_puts(b, s);
        return;
    }
    buf_putc(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            buf_putc(b, '"');
        buf_putc(b, *p);
    }
    buf_putc(b, '"');
}

static void put_double(struct buf *b, double v)
{
    if (v != v) {
        buf_puts(b, "NaN");
        return;
    }
    if (v > 1.7976931348623157e308 || v < -1.7976931348623157e308) {
        buf_puts(b, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    char tmp[32];
    buf_append(b, tmp, dtoa_shortest(v, tmp));
}

/* Milliseconds since the epoch as ISO 8601 UTC: 2026-01-05T09:00:00.000Z. */
static void put_time(struct buf *b, int64_t ms)
{
    /* Floor division without negating ms (INT64_MIN has no negation). */
    int64_t sec = ms / 1000, rem = ms % 1000;
    if (rem < 0) {
        rem += 1000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        buf_put_i64(b, ms);
        return;
    }
    buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
               tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)rem);
}

static const char *kv_find(const struct kv *v, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].key, key) == 0)
            return v[i].value ? v[i].value : "";
    return NULL;
}

static void put_attr(struct buf *b, const struct run *r, enum col_attr a)
{
    const struct run_info *ri = &r->info;
    switch (a) {
    case A_RUN_ID:
        put_field(b, ri->run_id);
        break;
    case A_RUN_NAME:
        put_field(b, ri->run_name);
        break;
    case A_EXPERIMENT_ID:
        buf_put_i64(b, ri->experiment_id);
        break;
    case A_STATUS:
        put_field(b, ri->status);
        break;
    case A_USER_ID:
        put_field(b, ri->user_id);
        break;
    case A_START_TIME:
        if (ri->has_start_time)
            put_time(b, ri->start_time);
        break;
    case A_END_TIME:
        if (ri->has_end_time)
            put_time(b, ri->end_time);
        break;
    case A_DURATION: /* seconds, to the millisecond */
        if (ri->has_start_time && ri->has_end_time && ri->end_time >= ri->start_time) {
            int64_t d = ri->end_time - ri->start_time;
            buf_printf(b, "%lld.%03lld", (long long)(d / 1000), (long long)(d % 1000));
        }
        break;
    case A_SOURCE:
        put_field(b, kv_find(r->tags, r->ntags, "mlflow.source.name"));
        break;
    case A_LIFECYCLE_STAGE:
        put_field(b, ri->lifecycle_stage);
        break;
    case A_ARTIFACT_URI:
        put_field(b, ri->artifact_uri);
        break;
    case A__COUNT:
        break;
    }
}

static void put_row(struct buf *b, const struct export *x, const struct run *r)
{
    for (size_t c = 0; c < x->ncols; c++) {
        const struct col *col = &x->cols[c];
        if (c)
            buf_putc(b, ',');
        switch (col->kind) {
        case COL_ATTR:
            put_attr(b, r, col->attr);
            break;
        case COL_PARAM:
            put_field(b, kv_find(r->params, r->nparams, col->key));
            break;
        case COL_TAG:
            put_field(b, kv_find(r->tags, r->ntags, col->key));
            break;
        case COL_METRIC:
            for (size_t i = 0; i < r->nmetrics; i++)
                if (strcmp(r->metrics[i].key, col->key) == 0) {
                    put_double(b, r->metrics[i].value);
                    break;
                }
            break;
        }
    }
    buf_puts(b, "\r\n");
}

/* Appends the next page's rows to b. */
static int next_page(struct export *x, struct buf *b, struct err *e)
{
    struct run *runs;
    size_t n;
    bool more;
    if (fetch_page(x, x->offset, &runs, &n, &more, e) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        put_row(b, x, &runs[i]);
    x->offset += EXPORT_PAGE;
    x->done = !more;
    return buf_ok(b) ? 0 : err_set(e, ERR_INTERNAL_ERROR, "out of memory");
}

/* resp_pieces.next: the part made in the handler, then one page a call. */
static int ex_next(void *ctx, struct buf *out, size_t want)
{
    (void)want; /* a page is the piece */
    struct export *x = ctx;
    if (x->first.len) {
        buf_append(out, x->first.ptr, x->first.len);
        buf_release(&x->first);
        return x->done ? 0 : 1;
    }
    if (x->done)
        return 0;
    struct err e;
    err_clear(&e);
    if (next_page(x, out, &e) != 0) {
        log_error("runs CSV export stopped after %lld runs: %s", (long long)x->offset, e.msg);
        return -1;
    }
    return x->done ? 0 : 1;
}

static int h_export(struct ctx *c)
{
    struct export *x = calloc(1, sizeof *x);
    if (!x)
        return err_set(&c->e, ERR_INTERNAL_ERROR, "out of memory");
    arena_init(&x->keep);
    arena_init(&x->page);
    buf_init(&x->first, 256 * MB);
    /* The query is read into the export's own arena: it outlives the handler. */
    struct arena *req_arena = c->s.a;
    c->s.a = &x->keep;
    c->in.a = &x->keep;
    const char **specs;
    size_t nspecs;
    int rc = read_runs_query(c, &x->q, &x->f, &x->ob, &x->offset);
    if (rc == 0)
        rc = in_str_list(&c->in, "columns", &specs, &nspecs);
    c->s.a = req_arena;
    c->in.a = req_arena;
    if (rc == 0 && nspecs > EXPORT_MAX_COLUMNS)
        rc = err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                     "Too many columns: %zu, at most %d.", nspecs, (int)EXPORT_MAX_COLUMNS);
    if (rc == 0 && nspecs) {
        x->ncols = nspecs;
        x->cols = arena_calloc(&x->keep, nspecs, sizeof *x->cols);
        for (size_t i = 0; rc == 0 && i < nspecs; i++)
            rc = parse_column(&x->keep, specs[i], &x->cols[i], &c->e);
    }
    if (rc == 0 && !nspecs)
        rc = default_columns(x, &c->e);
    if (rc == 0) {
        /* The header line, then the first page, before the status line goes out. */
        for (size_t i = 0; i < x->ncols; i++) {
            if (i)
                buf_putc(&x->first, ',');
            put_field(&x->first, x->cols[i].header);
        }
        buf_puts(&x->first, "\r\n");
        rc = next_page(x, &x->first, &c->e);
    }
    if (rc != 0) {
        ex_free(x);
        return -1;
    }
    c->out->content_type = "text/csv; charset=utf-8";
    resp_header(c->out, "Content-Disposition", "attachment; filename=\"runs.csv\"");
    resp_header(c->out, "Cache-Control", "no-store");
    c->out->pieces = (struct resp_pieces){ex_next, ex_free, x};
    return 0;
}

const struct route mltrack_export_routes[] = {
    {HTTP_GET, "/runs/export-csv", h_export, 0, RF_TRACKING | RF_RAW, NULL},
    {HTTP_POST, "/runs/export-csv", h_export, 4 * MB, RF_TRACKING | RF_RAW | RF_JSON, NULL},
};
const size_t mltrack_export_routes_n = sizeof mltrack_export_routes / sizeof *mltrack_export_routes;
