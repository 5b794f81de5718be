/* Metric history: full pages, and sampled series for charts. */
#include <math.h>
#include <string.h>

#include "tracking.h"
#include "txn.h"
#include "../base/banned.h"

static int check_run_exists(struct sctx *c, const char *run_id)
{
    struct db_stmt *st = db_prepare(c->db, "SELECT 1 FROM runs WHERE run_uuid = ?");
    if (!st)
        return err_db(c);
    db_bind_str(st, 1, run_id);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc == DB_DONE)
        return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Run with id=%s not found", run_id);
    return rc == DB_ROW ? 0 : err_step(c, rc);
}

/* Columns: value, timestamp, step, is_nan. */
static void read_point(struct db_stmt *st, struct metric *m)
{
    m->value = db_col_int(st, 3) ? NAN : db_col_real(st, 0);
    m->timestamp = db_col_int(st, 1);
    m->step = db_col_int(st, 2);
}

int metric_history(struct sctx *c, const char *run_id, const char *key, int64_t offset,
                   int64_t limit, struct metric **out, size_t *n, bool *more)
{
    if (txn_begin_read(c) != 0)
        return -1;
    if (check_run_exists(c, run_id) != 0)
        return txn_end_read(c, -1);
    struct db_stmt *st = db_prepare(
        c->db, "SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND "
               "key = ? ORDER BY timestamp, step, value LIMIT ? OFFSET ?");
    if (!st)
        return txn_end_read(c, err_db(c));
    db_bind_str(st, 1, run_id);
    db_bind_str(st, 2, key);
    db_bind_int(st, 3, limit < 0 ? -1 : limit + 1);
    db_bind_int(st, 4, offset);
    size_t cap = 256, len = 0;
    struct metric *v = arena_calloc(c->a, cap, sizeof *v);
    const char *k = arena_strdup(c->a, key);
    enum db_rc rc;
    *more = false;
    while ((rc = db_step(st)) == DB_ROW) {
        if (limit >= 0 && (int64_t)len == limit) {
            *more = true;
            break;
        }
        if (len == cap) {
            struct metric *nv = arena_calloc(c->a, cap * 2, sizeof *v);
            memcpy(nv, v, len * sizeof *v);
            v = nv;
            cap *= 2;
        }
        v[len].key = k;
        read_point(st, &v[len]);
        len++;
    }
    db_done(st);
    if (rc != DB_DONE && rc != DB_ROW)
        return txn_end_read(c, err_step(c, rc));
    *out = v;
    *n = len;
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
        return err_db(c);
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
        return err_step(c, rc);
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
        return err_db(c);
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
        return err_step(c, rc);
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
            return err_db(c);
        db_bind_str(st, 1, run_id);
        db_bind_str(st, 2, key);
        db_bind_int(st, 3, target);
        rc = db_step(st);
        struct metric m = {.key = k, .run_id = rid};
        if (rc == DB_ROW)
            read_point(st, &m);
        db_done(st);
        if (rc != DB_ROW)
            return err_step(c, rc);
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
        if (check_run_exists(c, run_ids[i]) != 0)
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
