/* Registry webhooks in MLflow's tables (see webhooks.h): create, read, list, update and
 * soft delete, the same rows MLflow's SqlAlchemyStore writes. */
#include "webhooks.h"

#include <string.h>

#include "../base/util.h"
#include "internal.h"

#define WH_COLS                                                                               \
    "webhook_id, name, description, url, status, secret, creation_timestamp, "               \
    "last_updated_timestamp"

static void read_row(struct sctx *c, struct db_stmt *st, struct webhook *w)
{
    memset(w, 0, sizeof *w);
    w->id = store_col(c, st, 0);
    w->name = store_col(c, st, 1);
    w->description = store_col(c, st, 2);
    w->url = store_col(c, st, 3);
    w->status = store_col(c, st, 4);
    w->secret = store_col(c, st, 5);
    w->creation_timestamp = db_col_null(st, 6) ? 0 : db_col_int(st, 6);
    w->last_updated_timestamp = db_col_null(st, 7) ? 0 : db_col_int(st, 7);
}

/* The events of w. MLflow reads them through a relationship without an order, which
 * SQLite serves from the primary key: by entity, then action. */
static int read_events(struct sctx *c, struct webhook *w)
{
    struct db_stmt *st = db_prepare(c->db, "SELECT entity, action FROM webhook_events WHERE "
                                           "webhook_id = ? ORDER BY entity, action");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, w->id);
    struct kv *kv;
    size_t n;
    int rc = store_read_kvs(c, st, &kv, &n);
    if (rc != 0)
        return -1;
    w->events = arena_calloc(c->a, n ? n : 1, sizeof *w->events);
    for (size_t i = 0; i < n; i++) {
        w->events[i].entity = kv[i].key;
        w->events[i].action = kv[i].value;
    }
    w->nevents = n;
    return 0;
}

static int not_found(struct sctx *c, const char *id)
{
    return err_set(c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Webhook with ID %s not found.", id);
}

/* Reads the live webhook id inside the caller's transaction. */
static int load(struct sctx *c, const char *id, struct webhook *out)
{
    struct db_stmt *st = db_prepare(c->db, "SELECT " WH_COLS " FROM webhooks WHERE "
                                           "webhook_id = ? AND deleted_timestamp IS NULL");
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, id);
    int found = store_lookup(c, st);
    if (found < 0)
        return -1;
    if (found == 0)
        return not_found(c, id);
    read_row(c, st, out);
    db_done(st);
    return read_events(c, out);
}

static int insert_events(struct sctx *c, const char *id, const struct webhook_event *ev,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* A repeated event is one row, as the primary key (webhook_id, entity, action)
         * allows. */
        struct db_stmt *st = db_prepare(
            c->db, "INSERT INTO webhook_events (webhook_id, entity, action) VALUES (?, ?, ?) "
                   "ON CONFLICT DO NOTHING");
        if (!st)
            return store_err(c);
        db_bind_str(st, 1, id);
        db_bind_str(st, 2, ev[i].entity);
        db_bind_str(st, 3, ev[i].action);
        if (store_exec(c, st) != 0)
            return -1;
    }
    return 0;
}

int wh_create(struct sctx *c, const struct webhook *in)
{
    if (txn_begin(c) != 0)
        return -1;
    struct db_stmt *st = db_prepare(
        c->db, "INSERT INTO webhooks (webhook_id, name, description, url, status, secret, "
               "creation_timestamp, last_updated_timestamp, deleted_timestamp, workspace) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 'default')");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, in->id);
    db_bind_str(st, 2, in->name);
    db_bind_str(st, 3, in->description);
    db_bind_str(st, 4, in->url);
    db_bind_str(st, 5, in->status);
    db_bind_str(st, 6, in->secret);
    db_bind_int(st, 7, in->creation_timestamp);
    db_bind_int(st, 8, in->last_updated_timestamp);
    if (store_exec(c, st) != 0 || insert_events(c, in->id, in->events, in->nevents) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int wh_get(struct sctx *c, const char *id, struct webhook *out)
{
    if (txn_begin_read(c) != 0)
        return -1;
    return txn_end_read(c, load(c, id, out));
}

int wh_list(struct sctx *c, int64_t offset, int64_t limit, struct webhook **out, size_t *n)
{
    if (txn_begin_read(c) != 0)
        return -1;
    struct db_stmt *st = db_prepare(
        c->db, "SELECT " WH_COLS " FROM webhooks WHERE deleted_timestamp IS NULL AND "
               "workspace = 'default' ORDER BY creation_timestamp DESC, webhook_id LIMIT ? "
               "OFFSET ?");
    if (!st)
        return txn_end_read(c, store_err(c));
    db_bind_limit(st, 1, limit);
    db_bind_int(st, 2, offset);
    struct webhook *v = NULL;
    size_t len = 0;
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        v = arena_grow(c->a, v, len, sizeof *v);
        read_row(c, st, &v[len++]);
    }
    db_done(st);
    if (rc != DB_DONE)
        return txn_end_read(c, store_err_step(c, rc));
    for (size_t i = 0; i < len; i++)
        if (read_events(c, &v[i]) != 0)
            return txn_end_read(c, -1);
    *out = v;
    *n = len;
    return txn_end_read(c, 0);
}

static int set_col(struct sctx *c, const char *sql, const char *value, const char *id)
{
    struct db_stmt *st = db_prepare(c->db, sql);
    if (!st)
        return store_err(c);
    db_bind_str(st, 1, value);
    db_bind_str(st, 2, id);
    return store_exec(c, st);
}

int wh_update(struct sctx *c, const char *id, const struct wh_update *u, struct webhook *out)
{
    if (txn_begin(c) != 0)
        return -1;
    struct webhook cur;
    if (load(c, id, &cur) != 0)
        return txn_fail(c, -1);
    /* One statement per field: the SQL stays constant (prepared once, cached). */
    if ((u->name && set_col(c, "UPDATE webhooks SET name = ? WHERE webhook_id = ?", u->name,
                            id) != 0) ||
        (u->url && set_col(c, "UPDATE webhooks SET url = ? WHERE webhook_id = ?", u->url,
                           id) != 0) ||
        (u->description && set_col(c, "UPDATE webhooks SET description = ? WHERE "
                                      "webhook_id = ?",
                                   u->description, id) != 0) ||
        (u->secret && set_col(c, "UPDATE webhooks SET secret = ? WHERE webhook_id = ?",
                              u->secret, id) != 0) ||
        (u->status && set_col(c, "UPDATE webhooks SET status = ? WHERE webhook_id = ?",
                              u->status, id) != 0))
        return txn_fail(c, -1);
    if (u->has_events) {
        struct db_stmt *st = db_prepare(c->db, "DELETE FROM webhook_events WHERE webhook_id = ?");
        if (!st)
            return txn_fail(c, store_err(c));
        db_bind_str(st, 1, id);
        if (store_exec(c, st) != 0 || insert_events(c, id, u->events, u->nevents) != 0)
            return txn_fail(c, -1);
    }
    struct db_stmt *st =
        db_prepare(c->db, "UPDATE webhooks SET last_updated_timestamp = ? WHERE webhook_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_int(st, 1, now_ms());
    db_bind_str(st, 2, id);
    if (store_exec(c, st) != 0 || load(c, id, out) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}

int wh_delete(struct sctx *c, const char *id)
{
    if (txn_begin(c) != 0)
        return -1;
    struct webhook cur;
    if (load(c, id, &cur) != 0)
        return txn_fail(c, -1);
    int64_t now = now_ms();
    struct db_stmt *st = db_prepare(c->db, "UPDATE webhooks SET deleted_timestamp = ?, "
                                           "last_updated_timestamp = ? WHERE webhook_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_int(st, 1, now);
    db_bind_int(st, 2, now);
    db_bind_str(st, 3, id);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    st = db_prepare(c->db, "DELETE FROM mltrack_webhook_deliveries WHERE webhook_id = ?");
    if (!st)
        return txn_fail(c, store_err(c));
    db_bind_str(st, 1, id);
    if (store_exec(c, st) != 0)
        return txn_fail(c, -1);
    return txn_commit(c);
}
