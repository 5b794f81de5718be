/* The webhooks' outbox (mltrack_webhook_deliveries, see webhooks.h): rows written in the
 * registry change's own transaction, claimed by a lease, deleted when done. */
#include <string.h>

#include "../base/util.h"
#include "internal.h"
#include "webhooks.h"

int whq_emit(struct sctx *c, const char *entity, const char *action, const char *data)
{
    /* Most registry writes have no subscriber: one indexed lookup, then nothing. */
    static const char subscribers_sql[] =
        "SELECT count(*) FROM webhooks w JOIN webhook_events e ON e.webhook_id = w.webhook_id "
        "WHERE e.entity = ? AND e.action = ? AND w.status = 'ACTIVE' AND "
        "w.deleted_timestamp IS NULL AND w.workspace = 'default'";
    struct db_stmt *st = db_prepare(c->db, subscribers_sql);
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, entity);
    db_bind_str(st, 2, action);
    if (store_lookup(c, st) <= 0)
        return -1; /* count(*) always gives a row */
    int64_t subscribers = db_col_int(st, 0);
    db_done(st);
    if (subscribers == 0)
        return 0;
    st = db_prepare(c->db, "SELECT count(*) FROM mltrack_webhook_deliveries");
    if (!st)
        return store_err(c);
    if (store_lookup(c, st) <= 0)
        return -1;
    int64_t queued = db_col_int(st, 0);
    db_done(st);
    if (queued + subscribers > WHQ_CAP) {
        log_error("webhooks: the outbox holds %lld deliveries (cap %d); %s.%s not queued for "
                  "its %lld webhook(s)",
                  (long long)queued, WHQ_CAP, entity, action, (long long)subscribers);
        return 0;
    }
    int64_t now = now_ms();
    st = db_prepare(
        c->db, "INSERT INTO mltrack_webhook_deliveries (webhook_id, entity, action, payload, "
               "created, attempts, next_attempt, lease_until) SELECT w.webhook_id, "
               "CAST(? AS VARCHAR(50)), CAST(? AS VARCHAR(50)), CAST(? AS TEXT), "
               "CAST(? AS BIGINT), 0, CAST(? AS BIGINT), 0 FROM webhooks w JOIN webhook_events "
               "e ON e.webhook_id = w.webhook_id WHERE e.entity = ? AND e.action = ? AND "
               "w.status = 'ACTIVE' AND w.deleted_timestamp IS NULL AND w.workspace = 'default' "
               "ORDER BY w.creation_timestamp DESC, w.webhook_id");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, entity);
    db_bind_str(st, 2, action);
    db_bind_str(st, 3, data);
    db_bind_int(st, 4, now);
    db_bind_int(st, 5, now);
    db_bind_str(st, 6, entity);
    db_bind_str(st, 7, action);
    if (store_exec(c, st) != 0)
        return -1;
    c->hooks_queued += (int)db_changes(c->db);
    return 0;
}

int whq_next_due(struct sctx *c, int64_t now, int64_t *when, bool *any)
{
    struct db_stmt *st = db_prepare(
        c->db, "SELECT min(CASE WHEN lease_until > next_attempt THEN lease_until ELSE "
               "next_attempt END) FROM mltrack_webhook_deliveries");
    if (!st)
        return store_err(c);
    int found = store_lookup(c, st);
    if (found <= 0)
        return found < 0 ? -1 : 0;
    *any = !db_col_null(st, 0);
    *when = *any ? db_col_int(st, 0) : now;
    db_done(st);
    return 0;
}

int whq_claim(struct sctx *c, int64_t now, int64_t lease_ms, struct whq_item *out, bool *got)
{
    char did[33];
    uuid4_hex(did);
    /* The uuid in MLflow's spelling (str(uuid.uuid4())): 8-4-4-4-12. */
    const char *delivery_id = arena_printf(c->a, "%.8s-%.4s-%.4s-%.4s-%.12s", did, did + 8,
                                           did + 12, did + 16, did + 20);
    *got = false;
    if (txn_begin(c) != 0)
        return -1;
    /* A concurrent claimer of the same row waits for our row lock (PostgreSQL) and then
     * re-checks lease_until <= now on the row as we left it: false, so it takes nothing. */
    struct db_stmt *st = db_prepare(
        c->db, "UPDATE mltrack_webhook_deliveries SET lease_until = ?, delivery_id = "
               "COALESCE(delivery_id, ?) WHERE id = (SELECT id FROM mltrack_webhook_deliveries "
               "WHERE next_attempt <= ? AND lease_until <= ? ORDER BY next_attempt, id LIMIT 1) "
               "AND lease_until <= ? RETURNING id, webhook_id, entity, action, payload, "
               "attempts, delivery_id");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_int(st, 1, now + lease_ms);
    db_bind_str(st, 2, delivery_id);
    db_bind_int(st, 3, now);
    db_bind_int(st, 4, now);
    db_bind_int(st, 5, now);
    int found = store_lookup(c, st);
    if (found < 0)
        return txn_fail(c, -1);
    if (found == 0)
        return txn_fail(c, 0);
    memset(out, 0, sizeof *out);
    out->id = db_col_int(st, 0);
    out->webhook_id = store_col(c, st, 1);
    out->entity = store_col(c, st, 2);
    out->action = store_col(c, st, 3);
    out->data = store_col(c, st, 4);
    out->attempts = db_col_int(st, 5);
    out->delivery_id = store_col(c, st, 6);
    /* Stepped to the end so that SQLite finishes the UPDATE. */
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return txn_fail(c, store_err_step(c, rc));
    st = db_prepare(c->db, "SELECT url, secret FROM webhooks WHERE webhook_id = ? AND "
                           "status = 'ACTIVE' AND deleted_timestamp IS NULL");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, out->webhook_id);
    found = store_lookup(c, st);
    if (found < 0)
        return txn_fail(c, -1);
    if (found > 0) {
        out->url = store_col(c, st, 0);
        out->secret = store_col(c, st, 1);
        db_done(st);
    }
    if (txn_commit(c) != 0)
        return -1;
    *got = true;
    return 0;
}

int whq_delete(struct sctx *c, int64_t id)
{
    if (txn_begin(c) != 0)
        return -1;
    struct db_stmt *st = db_prepare(c->db, "DELETE FROM mltrack_webhook_deliveries WHERE id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_int(st, 1, id);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int whq_retry(struct sctx *c, int64_t id, int64_t attempts, int64_t next_attempt)
{
    if (txn_begin(c) != 0)
        return -1;
    struct db_stmt *st = db_prepare(c->db, "UPDATE mltrack_webhook_deliveries SET attempts = ?, "
                                           "next_attempt = ?, lease_until = 0 WHERE id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_int(st, 1, attempts);
    db_bind_int(st, 2, next_attempt);
    db_bind_int(st, 3, id);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}
