/* Metric history: full pages, and sampled series for charts. */
#include <math.h>
#include <string.h>

#include "../base/util.h"
#include "tracking.h"
#include "internal.h"

/* Columns: value, timestamp, step, is_nan. */
static void read_point(struct db_stmt *st, struct metric *m)
{
    m->value = db_col_int(st, 3) ? NAN : db_col_real(st, 0);
    m->timestamp = db_col_int(st, 1);
    m->step = db_col_int(st, 2);
}

/* MLflow orders a history by (timestamp, step, value), but the only index that fits a
 * (run, key) pair is (run_uuid, key, step), so that order costs a sort of the whole
 * series. Nearly always timestamps grow with steps and the two orders agree; then the
 * series can stream in index order with no sort (ORDER BY step alone: points sharing a
 * step come in insertion order, and the check below catches any that are out of order). optimistic_pass() tries that for a
 * page starting at row 0 and checks the order as it goes: if a point breaks it, or a
 * point past the page would sort into it, the points sent are withdrawn (fn(ctx, NULL))
 * and the caller falls back to the sorted query. Returns 1 when the page was served. */
static bool sorts_before(const struct metric *a, const struct metric *b)
{
    if (a->timestamp != b->timestamp)
        return a->timestamp < b->timestamp;
    if (a->step != b->step)
        return a->step < b->step;
    return a->value < b->value;
}

static int optimistic_pass(struct sctx *c, const char *run_id, const char *key, int64_t limit,
                           metric_fn fn, void *ctx, size_t *n, bool *more)
{
    struct db_stmt *st =
        db_prepare(c->db, "SELECT value, timestamp, step, is_nan FROM metrics INDEXED BY "
                          "index_metrics_run_uuid_key_step WHERE run_uuid = ? AND key = ? "
                          "ORDER BY step LIMIT ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, run_id);
    db_bind_str(st, 2, key);
    db_bind_limit(st, 3, limit < 0 ? -1 : i64_add_sat(limit, 1));
    struct metric m = {.key = key, .run_id = run_id}, prev = {0};
    enum db_rc rc;
    bool ordered = true, extra = false;
    while ((rc = db_step(st)) == DB_ROW) {
        if (limit >= 0 && (int64_t)*n == limit) {
            extra = true;
            break;
        }
        read_point(st, &m);
        if (*n > 0 && sorts_before(&m, &prev)) {
            ordered = false;
            break;
        }
        if (fn(ctx, &m) != 0) {
            db_done(st);
            return -1;
        }
        prev = m;
        (*n)++;
    }
    db_done(st);
    if (rc != DB_DONE && rc != DB_ROW)
        return store_err_step(c, rc);
    if (ordered && extra) {
        /* A point not sent would belong on this page if it sorts before the last one sent:
         * a later step with an earlier timestamp, or one of the last step's own points
         * (their order within a step is the database's; PostgreSQL's is arbitrary). A
         * point already sent may match too, which only costs the exact pass below. */
        st = db_prepare(c->db, "SELECT 1 FROM metrics WHERE run_uuid = ? AND key = ? AND "
                               "step >= ? AND (timestamp < ? OR (timestamp = ? AND "
                               "step = ? AND value < ?)) LIMIT 1");
        if (!st)
            return store_err(c);
        db_bind_str(st, 1, run_id);
        db_bind_str(st, 2, key);
        db_bind_int(st, 3, prev.step);
        db_bind_int(st, 4, prev.timestamp);
        db_bind_int(st, 5, prev.timestamp);
        db_bind_int(st, 6, prev.step);
        db_bind_real(st, 7, prev.value);
        rc = db_step(st);
        db_done(st);
        if (rc != DB_DONE && rc != DB_ROW)
            return store_err_step(c, rc);
        ordered = rc == DB_DONE;
    }
    if (ordered) {
        *more = extra;
        return 1;
    }
    if (*n > 0 && fn(ctx, NULL) != 0)
        return -1;
    *n = 0;
    return 0;
}

int metric_history_each(struct sctx *c, const char *run_id, const char *key, int64_t offset,
                        int64_t limit, metric_fn fn, void *ctx, size_t *n, bool *more)
{
    *n = 0;
    *more = false;
    if (txn_begin_read(c) != 0)
        return -1;
    if (run_check_exists(c, run_id) != 0)
        return txn_end_read(c, -1);
    if (offset == 0) {
        int r = optimistic_pass(c, run_id, key, limit, fn, ctx, n, more);
        if (r != 0)
            return txn_end_read(c, r < 0 ? -1 : 0);
    }
    /* INDEXED BY: SQLite would otherwise pick the primary key (key, timestamp, ...) for its
     * order and walk that key's points across every run. */
    struct db_stmt *st =
        db_prepare(c->db, "SELECT value, timestamp, step, is_nan FROM metrics INDEXED BY "
                          "index_metrics_run_uuid_key_step WHERE run_uuid = ? AND key = ? "
                          "ORDER BY timestamp, step, value LIMIT ? OFFSET ?");
    if (!st)
        return txn_end_read(c, store_err(c));
    db_bind_str(st, 1, run_id);
    db_bind_str(st, 2, key);
    db_bind_limit(st, 3, limit < 0 ? -1 : i64_add_sat(limit, 1));
    db_bind_int(st, 4, offset);
    struct metric m = {.key = key, .run_id = run_id};
    enum db_rc rc;
    int frc = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (limit >= 0 && (int64_t)*n == limit) {
            *more = true;
            break;
        }
        read_point(st, &m);
        if ((frc = fn(ctx, &m)) != 0)
            break;
        (*n)++;
    }
    db_done(st);
    if (frc != 0)
        return txn_end_read(c, -1);
    if (rc != DB_DONE && rc != DB_ROW)
        return txn_end_read(c, store_err_step(c, rc));
    return txn_end_read(c, 0);
}

/* MLflow's sample (NTILE(max) over the rows in (step, timestamp, value, is_nan) order, the
 * first row of each bucket, the last of them replaced by the series' last row) keeps the
 * rows at ranks 0, b(1), ..., b(max-2) and the last one, where b(i) is where NTILE's bucket
 * i starts among n rows. */
static int64_t bucket_start(int64_t n, int64_t max, int64_t i)
{
    int64_t q = n / max, r = n % max;
    return i * q + (i < r ? i : r);
}

/* One sample row: the first at or after target in the series' order. With after_key, only
 * rows past *prev (a row of the series) count, skipping skip of them first. raw_value gets
 * the stored value (NaN rows keep theirs), for the next row's key. */
static enum db_rc seek_row(struct sctx *c, const char *run_id, const char *key, int64_t target,
                           int64_t hi, const struct metric *prev, double prev_raw, int64_t skip,
                           struct metric *m, double *raw_value)
{
    struct db_stmt *st =
        prev ? db_prepare(c->db, "SELECT value, timestamp, step, is_nan FROM metrics WHERE "
                                 "run_uuid = ? AND key = ? AND step >= ? AND step <= ? AND "
                                 "(step, timestamp, value, is_nan) > (?, ?, ?, ?) ORDER BY "
                                 "step, timestamp, value, is_nan LIMIT 1 OFFSET ?")
             : db_prepare(c->db, "SELECT value, timestamp, step, is_nan FROM metrics WHERE "
                                 "run_uuid = ? AND key = ? AND step >= ? AND step <= ? ORDER BY "
                                 "step, timestamp, value, is_nan LIMIT 1");
    if (!st)
        return DB_ERROR;
    db_bind_str(st, 1, run_id);
    db_bind_str(st, 2, key);
    db_bind_int(st, 3, prev ? prev->step : target);
    db_bind_int(st, 4, hi);
    if (prev) {
        db_bind_int(st, 5, prev->step);
        db_bind_int(st, 6, prev->timestamp);
        db_bind_real(st, 7, prev_raw);
        db_bind_int(st, 8, isnan(prev->value));
        db_bind_int(st, 9, skip);
    }
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW) {
        read_point(st, m);
        *raw_value = db_col_real(st, 0);
    }
    db_done(st);
    return rc;
}

/* Rows of the run's series with lo <= step < hi; -1 on error. */
static int64_t count_steps(struct sctx *c, const char *run_id, const char *key, int64_t lo,
                           int64_t hi, bool hi_inclusive)
{
    struct db_stmt *st =
        hi_inclusive ? db_prepare(c->db, "SELECT COUNT(*) FROM metrics WHERE run_uuid = ? AND "
                                         "key = ? AND step >= ? AND step <= ?")
                     : db_prepare(c->db, "SELECT COUNT(*) FROM metrics WHERE run_uuid = ? AND "
                                         "key = ? AND step >= ? AND step < ?");
    if (!st)
        return -1;
    db_bind_str(st, 1, run_id);
    db_bind_str(st, 2, key);
    db_bind_int(st, 3, lo);
    db_bind_int(st, 4, hi);
    enum db_rc rc = db_step(st);
    int64_t n = rc == DB_ROW ? db_col_int(st, 0) : -1;
    db_done(st);
    return n;
}

/* The common case, one point per step over [first, last]: the row at rank b is the first
 * one with step first + b, found by one index seek. Each pick is proven by counting the
 * rows before it (one pass over the (run_uuid, key, step) index in all, never a sort), and
 * the whole series must hold last - first + 1 rows. 1 when out[1..max-2] were filled, 0
 * when the series is not like that, -1 on error. */
static int sample_dense(struct sctx *c, const char *run_id, const char *key, int64_t hi,
                        int64_t first_step, int64_t last_step, int64_t max, struct metric *out)
{
    uint64_t span = (uint64_t)last_step - (uint64_t)first_step + 1;
    if (span == 0 || span > (uint64_t)INT64_MAX || (int64_t)span <= max)
        return 0;
    int64_t n = (int64_t)span, before = 0, prev_target = first_step;
    for (int64_t i = 1; i <= max - 2; i++) {
        int64_t b = bucket_start(n, max, i), target = first_step + b;
        int64_t k = count_steps(c, run_id, key, prev_target, target, false);
        if (k < 0)
            return store_err(c);
        before += k;
        if (before != b)
            return 0;
        double raw;
        enum db_rc rc = seek_row(c, run_id, key, target, hi, NULL, 0, 0, &out[i], &raw);
        if (rc != DB_ROW)
            return rc == DB_DONE ? 0 : store_err_step(c, rc);
        prev_target = target;
    }
    int64_t rest = count_steps(c, run_id, key, prev_target, hi, true);
    if (rest < 0)
        return store_err(c);
    return before + rest == n ? 1 : 0;
}

/* Any other series: the rows at the bucket starts, each reached from the previous pick by
 * skipping the rows between them in the series' order (one pass over the series in all). */
static int sample_exact(struct sctx *c, const char *run_id, const char *key, int64_t lo,
                        int64_t hi, int64_t max, struct metric *out)
{
    int64_t n = count_steps(c, run_id, key, lo, hi, true);
    if (n < 0)
        return store_err(c);
    double raw;
    enum db_rc rc = seek_row(c, run_id, key, lo, hi, NULL, 0, 0, &out[0], &raw);
    int64_t rank = 0;
    for (int64_t i = 1; i <= max - 2 && rc == DB_ROW; i++) {
        int64_t b = bucket_start(n, max, i);
        double next_raw;
        rc = seek_row(c, run_id, key, lo, hi, &out[i - 1], raw, b - rank - 1, &out[i],
                      &next_raw);
        raw = next_raw;
        rank = b;
    }
    if (rc != DB_ROW)
        return store_err_step(c, rc == DB_DONE ? DB_ERROR : rc);
    return 0;
}

/* Samples one run's series into out[*len..]: the whole series when it has at most max
 * points, else MLflow's max points (see bucket_start). */
static int sample_run(struct sctx *c, const char *run_id, const char *key, bool has_range,
                      int64_t lo, int64_t hi, int64_t max, struct metric *out, size_t *len)
{
    const char *rid = arena_strdup(c->a, run_id), *k = arena_strdup(c->a, key);
    if (!has_range) {
        lo = INT64_MIN;
        hi = INT64_MAX;
    }
    struct db_stmt *st = db_prepare(
        c->db, "SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND "
               "key = ? AND step >= ? AND step <= ? ORDER BY step, timestamp, value, is_nan "
               "LIMIT ?");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, run_id);
    db_bind_str(st, 2, key);
    db_bind_int(st, 3, lo);
    db_bind_int(st, 4, hi);
    db_bind_int(st, 5, max + 1);
    size_t start = *len, got = 0;
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if ((int64_t)got == max)
            break; /* one more than max: sample instead */
        struct metric *m = &out[start + got++];
        m->key = k;
        m->run_id = rid;
        read_point(st, m);
    }
    db_done(st);
    if (rc != DB_DONE && rc != DB_ROW)
        return store_err_step(c, rc);
    if (rc == DB_DONE) {
        *len = start + got;
        return 0;
    }
    struct db_stmt *last = db_prepare(
        c->db, "SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND "
               "key = ? AND step >= ? AND step <= ? "
               "ORDER BY step DESC, timestamp DESC, value DESC, is_nan DESC LIMIT 1");
    if (!last)
        return store_err(c);
    db_bind_str(last, 1, run_id);
    db_bind_str(last, 2, key);
    db_bind_int(last, 3, lo);
    db_bind_int(last, 4, hi);
    struct metric lastm = {.key = k, .run_id = rid};
    rc = db_step(last);
    if (rc == DB_ROW)
        read_point(last, &lastm);
    db_done(last);
    if (rc != DB_ROW)
        return store_err_step(c, rc);
    struct metric *v = &out[start];
    int dense = max > 1 ? sample_dense(c, run_id, key, hi, v[0].step, lastm.step, max, v) : 1;
    if (dense < 0 || (dense == 0 && sample_exact(c, run_id, key, lo, hi, max, v) != 0))
        return -1;
    for (int64_t i = 0; i < max - 1; i++) {
        v[i].key = k;
        v[i].run_id = rid;
    }
    v[max - 1] = lastm;
    *len = start + (size_t)max;
    return 0;
}

int metric_history_interval(struct sctx *c, const char *const *run_ids, size_t nruns,
                            const char *key, bool has_range, int64_t start_step,
                            int64_t end_step, int64_t max_results, struct metric **out,
                            size_t *n)
{
    if (max_results < 1)
        max_results = 1;
    if (txn_begin_read(c) != 0)
        return -1;
    /* max + 1 per run: the probe may read one extra row before deciding to sample. */
    struct metric *v = arena_calloc(c->a, nruns * (size_t)(max_results + 1) + 1, sizeof *v);
    size_t len = 0;
    for (size_t i = 0; i < nruns; i++)
        if (sample_run(c, run_ids[i], key, has_range, start_step, end_step, max_results, v,
                       &len) != 0)
            return txn_end_read(c, -1);
    *out = v;
    *n = len;
    return txn_end_read(c, 0);
}
