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
        /* A later step with an earlier timestamp would belong on this page. */
        st = db_prepare(c->db, "SELECT 1 FROM metrics WHERE run_uuid = ? AND key = ? AND "
                               "step > ? AND timestamp < ? LIMIT 1");
        if (!st)
            return store_err(c);
        db_bind_str(st, 1, run_id);
        db_bind_str(st, 2, key);
        db_bind_int(st, 3, prev.step);
        db_bind_int(st, 4, prev.timestamp);
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

/* Samples one run's series into out[*len..]. When the series has at most max points it is
 * returned whole; otherwise max step targets evenly spaced over [lo, hi] are each resolved
 * to the first point at or after them through the (run_uuid, key, step) index, so the cost
 * follows the points returned, not the length of the history. The first and last points
 * are always kept. */
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
    /* Too many points: find the step range, then seek. */
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
    if (max == 1) {
        out[start] = lastm;
        *len = start + 1;
        return 0;
    }
    /* Step targets at NTILE's bucket starts as if every step in [first, last] held one
     * point: for such dense series (one point per step, the common case) this picks the
     * very rows MLflow's NTILE picks; for sparse ones it is an even spread over steps. */
    int64_t first_step = out[start].step, last_step = lastm.step;
    uint64_t span = (uint64_t)last_step - (uint64_t)first_step + 1;
    uint64_t q = span / (uint64_t)max, r = span % (uint64_t)max;
    size_t n = 1; /* out[start] is the first point */
    int64_t prev_step = first_step;
    for (uint64_t i = 1; i < (uint64_t)max; i++) {
        uint64_t b = i * q + (i < r ? i : r);
        if (b >= span)
            break;
        int64_t target = (int64_t)((uint64_t)first_step + b);
        if (target <= prev_step)
            continue;
        st = db_prepare(c->db,
                        "SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? "
                        "AND key = ? AND step >= ? ORDER BY step, timestamp, value, is_nan "
                        "LIMIT 1");
        if (!st)
            return store_err(c);
        db_bind_str(st, 1, run_id);
        db_bind_str(st, 2, key);
        db_bind_int(st, 3, target);
        rc = db_step(st);
        struct metric m = {.key = k, .run_id = rid};
        if (rc == DB_ROW)
            read_point(st, &m);
        db_done(st);
        if (rc != DB_ROW)
            return store_err_step(c, rc);
        if (m.step >= last_step)
            break;
        out[start + n++] = m;
        prev_step = m.step;
    }
    /* The last point closes the series, replacing the last sample when full (as MLflow). */
    if ((int64_t)n >= max)
        n--;
    out[start + n++] = lastm;
    *len = start + n;
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
    for (size_t i = 0; i < nruns; i++)
        if (run_check_exists(c, run_ids[i]) != 0)
            return txn_end_read(c, -1);
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
