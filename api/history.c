/* The metric history reads: get-history (a long one is sent in pieces as the client takes
 * it), get-history-bulk and get-history-bulk-interval. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"
#include "api.h"
#include "page_token.h"

static void put_metrics(struct ctx *c, const struct metric *m, size_t n, bool with_run_id)
{
    if (!n)
        return;
    jw_key(&c->w, "metrics");
    jw_arr(&c->w);
    for (size_t i = 0; i < n; i++)
        put_metric(&c->w, &m[i], with_run_id);
    jw_arr_end(&c->w);
}


/* Writes one run's points into the "metrics" array of a bulk reply, the run id with each;
 * a NULL metric rewinds to the mark (see metric_history_each). */
struct emit {
    struct jw *w;
    struct arena *a;
    struct point_fmt fmt;
    struct jw mark;
    size_t mark_len;
};

static void emit_init(struct emit *em, struct ctx *c)
{
    memset(em, 0, sizeof *em);
    em->w = &c->w;
    em->a = c->s.a;
    em->mark = c->w;
    em->mark_len = c->w.b->len;
}

static int emit_metric(void *ctx, const struct metric *m)
{
    struct emit *em = ctx;
    if (!m) {
        *em->w = em->mark;
        em->w->b->len = em->mark_len;
        return 0;
    }
    put_point(em->w, &em->fmt, em->a, m, true);
    return 0;
}

/* ---- a long history, sent in pieces ---- */

/* Histories up to this many points are answered in one body; longer ones are kept in a
 * compact form and written a piece at a time as the client takes them. */
enum { HISTORY_PIECES_FROM = 16384 };

/* The points of one history, compact: per point the timestamp and step as zigzag varints
 * of their difference from the point before, then the value's 8 bytes. Metrics logged
 * once per step take about 11 bytes a point, against some 60 of JSON (malloc'd: they
 * outlive the handler, until the last piece). */
struct hist {
    struct buf bytes;
    size_t n;
    int64_t last_ts, last_step; /* of the last point added */
};

static void put_varint(struct buf *b, uint64_t v)
{
    char tmp[10];
    size_t k = 0;
    do {
        tmp[k++] = (char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    buf_append(b, tmp, k);
}

static uint64_t get_varint(const unsigned char **p)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        unsigned char c = *(*p)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            break;
    }
    return v;
}

/* Differences wrap in uint64 (no signed overflow); zigzag makes small negatives short. */
static uint64_t zigzag(int64_t now, int64_t before)
{
    uint64_t d = (uint64_t)now - (uint64_t)before;
    return (d << 1) ^ (0 - (d >> 63));
}

static int64_t unzigzag(uint64_t z, int64_t before)
{
    uint64_t d = (z >> 1) ^ (0 - (z & 1));
    return (int64_t)((uint64_t)before + d);
}

static int hist_add(void *ctx, const struct metric *m)
{
    struct hist *h = ctx;
    if (!m) { /* the store withdraws what it sent and starts again */
        buf_clear(&h->bytes);
        h->n = 0;
        h->last_ts = h->last_step = 0;
        return 0;
    }
    put_varint(&h->bytes, zigzag(m->timestamp, h->last_ts));
    put_varint(&h->bytes, zigzag(m->step, h->last_step));
    buf_append(&h->bytes, &m->value, sizeof m->value);
    h->last_ts = m->timestamp;
    h->last_step = m->step;
    h->n++;
    return buf_ok(&h->bytes) ? 0 : -1;
}

/* Writing a history reply, {"metrics": [...], "next_page_token": ...}: all at once into
 * the body, or from the pieces callback. */
struct hist_reply {
    struct hist h;
    struct metric proto; /* key and previous point, decoded */
    struct point_fmt fmt;
    struct arena *a;     /* the request's, alive while pieces are written */
    const char *token;   /* the next page's, or NULL */
    struct jw w;
    const unsigned char *at; /* the next point's bytes */
    size_t next;             /* its index */
    bool begun;
};

/* Writes up to `points` more points (and the reply's opening and close) with r->w. 1 while
 * more follows, 0 at the end. */
static int hist_write(struct hist_reply *r, size_t points)
{
    if (!r->begun) {
        r->begun = true;
        r->at = (const unsigned char *)r->h.bytes.ptr;
        jw_obj(&r->w);
        if (r->h.n) {
            jw_key(&r->w, "metrics");
            jw_arr(&r->w);
        }
    }
    size_t end = r->next + points < r->h.n ? r->next + points : r->h.n;
    for (; r->next < end; r->next++) {
        struct metric *m = &r->proto;
        m->timestamp = unzigzag(get_varint(&r->at), m->timestamp);
        m->step = unzigzag(get_varint(&r->at), m->step);
        memcpy(&m->value, r->at, sizeof m->value);
        r->at += sizeof m->value;
        put_point(&r->w, &r->fmt, r->a, m, false);
    }
    if (r->next < r->h.n)
        return 1;
    if (r->h.n)
        jw_arr_end(&r->w);
    if (r->token)
        jw_kstr(&r->w, "next_page_token", r->token);
    jw_obj_end(&r->w);
    return 0;
}

static int hist_next(void *ctx, struct buf *out, size_t want)
{
    struct hist_reply *r = ctx;
    r->w.b = out;
    int more = hist_write(r, want / 48 + 1); /* about a piece's worth of points */
    return buf_ok(out) ? more : -1;
}

/* The reply and its points are malloc'd: the glue may free the response after the
 * request's arena is gone. */
static void hist_free(void *ctx)
{
    struct hist_reply *r = ctx;
    buf_release(&r->h.bytes);
    free(r);
}

static int h_get_history(struct ctx *c)
{
    const char *id, *key, *token;
    int64_t max = -1, offset = 0;
    bool has_max;
    if (in_run_id(&c->in, &id) != 0 || in_str_req(&c->in, "metric_key", &key) != 0 ||
        in_str(&c->in, "page_token", &token) != 0 ||
        in_i64(&c->in, "max_results", &max, &has_max) != 0)
        return -1;
    if (!has_max)
        max = -1;
    if (has_max && max < 0)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "max_results must be a non-negative integer, got %lld", (long long)max);
    if (token && *token &&
        page_token_parse_offset(c->s.a, token, strlen(token), &offset, &c->e) != 0)
        return -1;
    size_t n;
    bool more;
    struct hist_reply *r = calloc(1, sizeof *r);
    if (!r)
        return err_set(&c->e, ERR_INTERNAL_ERROR, "out of memory");
    buf_init(&r->h.bytes, (size_t)1 << 32);
    r->a = c->s.a;
    r->proto.key = arena_strdup(c->s.a, key);
    if (metric_history_each(&c->s, id, key, offset, max, hist_add, &r->h, &n, &more) != 0) {
        bool oom = !buf_ok(&r->h.bytes);
        hist_free(r);
        return oom ? err_set(&c->e, ERR_INTERNAL_ERROR, "out of memory") : -1;
    }
    if (more)
        r->token = page_token_format_offset(c->s.a, i64_add_sat(offset, (int64_t)n));
    if (r->h.n < HISTORY_PIECES_FROM) {
        r->w = c->w;
        hist_write(r, r->h.n);
        c->w = r->w;
        hist_free(r);
        return 0;
    }
    jw_init(&r->w, &c->out->body);
    c->out->pieces = (struct resp_pieces){hist_next, hist_free, r};
    return 0;
}

static int h_get_history_bulk_interval(struct ctx *c)
{
    const char **ids, *key;
    size_t nids;
    int64_t start = 0, end = 0, max = 2500;
    bool has_start, has_end, has_max;
    if (in_str_list(&c->in, "run_ids", &ids, &nids) != 0 ||
        in_str_req(&c->in, "metric_key", &key) != 0 ||
        in_i64(&c->in, "start_step", &start, &has_start) != 0 ||
        in_i64(&c->in, "end_step", &end, &has_end) != 0 ||
        in_i64(&c->in, "max_results", &max, &has_max) != 0)
        return -1;
    if (nids == 0)
        return err_missing(&c->e, "run_ids", true);
    if (nids > 100)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. "
                       "Received %zu run_ids.",
                       nids);
    if (!has_max)
        max = 2500;
    if (max < 1 || max > 2500)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "max_results must be between 1 and 2500. See the API docs for more "
                       "information about request parameters.");
    if (has_start != has_end)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "If either start step or end step are specified, both must be specified.");
    if (has_start && start > end)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "end_step must be greater than start_step. Found start_step=%lld and "
                       "end_step=%lld.",
                       (long long)start, (long long)end);
    struct metric *m;
    size_t n;
    if (metric_history_interval(&c->s, ids, nids, key, has_start, start, end, max, &m, &n) != 0)
        return -1;
    jw_obj(&c->w);
    put_metrics(c, m, n, true);
    jw_obj_end(&c->w);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int h_get_history_bulk(struct ctx *c)
{
    const char **ids, *key;
    size_t nids;
    int64_t max = 25000;
    bool has_max;
    if (in_str_list(&c->in, "run_id", &ids, &nids) != 0 ||
        in_str_req(&c->in, "metric_key", &key) != 0 ||
        in_i64(&c->in, "max_results", &max, &has_max) != 0)
        return -1;
    if (nids == 0)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "GetMetricHistoryBulk request must specify at least one run_id.");
    if (nids > 100)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "GetMetricHistoryBulk request cannot specify more than 100 run_ids. "
                       "Received %zu run_ids.",
                       nids);
    if (!has_max || max > 25000)
        max = 25000;
    if (max < 1)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "max_results must be positive, got %lld.", (long long)max);
    /* MLflow's store: WHERE run_uuid IN (...) ORDER BY run_uuid, timestamp, step, value, so
     * runs come in id order, each once, and a run that does not exist has no points. */
    qsort(ids, nids, sizeof *ids, cmp_str);
    jw_obj(&c->w);
    jw_key(&c->w, "metrics");
    jw_arr(&c->w);
    int64_t left = max;
    for (size_t i = 0; i < nids && left > 0; i++) {
        if (i > 0 && strcmp(ids[i], ids[i - 1]) == 0)
            continue;
        size_t n;
        bool more;
        struct emit em;
        emit_init(&em, c);
        if (metric_history_each(&c->s, ids[i], key, 0, left, emit_metric, &em, &n, &more) != 0) {
            if (c->e.code != ERR_RESOURCE_DOES_NOT_EXIST)
                return -1;
            err_clear(&c->e);
        }
        left -= (int64_t)n;
    }
    jw_arr_end(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

const struct route history_routes[] = {
    {HTTP_GET, "/metrics/get-history", h_get_history, 0, RF_TRACKING, NULL},
    {HTTP_GET, "/metrics/get-history-bulk", h_get_history_bulk, 0, RF_TRACKING, NULL},
    {HTTP_GET, "/metrics/get-history-bulk-interval", h_get_history_bulk_interval, 0,
     RF_TRACKING, NULL},
};
const size_t history_routes_n = sizeof history_routes / sizeof *history_routes;
