/* Registry webhooks in MLflow's own tables (webhooks, webhook_events), with the semantics of
 * MLflow 3.17.2's SqlAlchemyStore: soft deletes (deleted_timestamp), newest first in lists,
 * the workspace 'default'. And the outbox (mltrack_webhook_deliveries): the events registry
 * writes queue in their own transaction (store/registry_write.c) and hooks/ sends.
 * Every function returns 0, or -1 with c->e set; results are from c->a. Names, URLs and
 * events are validated by the caller (api/webhooks.c with hooks/); the secret is stored as
 * given (the caller encrypts it as MLflow does, hooks/fernet.h). */
#ifndef MLT_STORE_WEBHOOKS_H
#define MLT_STORE_WEBHOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct webhook_event {
    const char *entity; /* MLflow's lowercase names: "model_version_tag" */
    const char *action; /* "set" */
};

struct webhook {
    const char *id;
    const char *name;
    const char *description; /* NULL: none */
    const char *url;
    const char *status;      /* "ACTIVE" or "DISABLED" */
    const char *secret;      /* as stored (a Fernet token); NULL: none. Never sent out. */
    int64_t creation_timestamp, last_updated_timestamp;
    struct webhook_event *events;
    size_t nevents;
};

/* Inserts in (id, timestamps and events included) as one transaction. */
int wh_create(struct sctx *c, const struct webhook *in);
/* RESOURCE_DOES_NOT_EXIST "Webhook with ID x not found." for a missing or deleted one. */
int wh_get(struct sctx *c, const char *id, struct webhook *out);
/* Rows [offset, offset + limit) of the live webhooks, newest first. */
int wh_list(struct sctx *c, int64_t offset, int64_t limit, struct webhook **out, size_t *n);

/* What an update changes: NULL (or !has_events) keeps the field. */
struct wh_update {
    const char *name, *description, *url, *secret, *status;
    const struct webhook_event *events;
    size_t nevents;
    bool has_events;
};
/* Applies u and sets last_updated_timestamp; the webhook as it is now in out. */
int wh_update(struct sctx *c, const char *id, const struct wh_update *u, struct webhook *out);
/* Soft delete; RESOURCE_DOES_NOT_EXIST as wh_get. Its queued deliveries are dropped. */
int wh_delete(struct sctx *c, const char *id);

/* ---- the outbox ---- */

/* At most this many rows wait; an event that finds the outbox full is not queued (and
 * logged): the registry write it belongs to still succeeds. */
enum { WHQ_CAP = 10000 };

/* Inside the caller's write transaction: one row for each active, live webhook subscribed
 * to entity.action, with data (the payload's JSON) due now. c->hooks_queued counts them. */
int whq_emit(struct sctx *c, const char *entity, const char *action, const char *data);

struct whq_item {
    int64_t id;
    const char *webhook_id, *entity, *action, *data;
    const char *delivery_id; /* fixed at the first claim, the same for every retry */
    int64_t attempts;        /* made before this one */
    const char *url, *secret; /* the webhook's now; url NULL when it is gone or disabled */
};
/* The earliest next_attempt of a row not claimed by anyone (*any false when none). A read
 * on the thread's own connection, so that an idle sender writes nothing. */
int whq_next_due(struct sctx *c, int64_t now, int64_t *when, bool *any);
/* Claims one due row until now + lease_ms; *got false when there is none. Safe with any
 * number of senders on one database: the claim is one UPDATE whose condition a concurrent
 * claimer re-checks. */
int whq_claim(struct sctx *c, int64_t now, int64_t lease_ms, struct whq_item *out, bool *got);
/* Delivered or given up. */
int whq_delete(struct sctx *c, int64_t id);
/* One more failed attempt; due again at next_attempt, claim released. */
int whq_retry(struct sctx *c, int64_t id, int64_t attempts, int64_t next_attempt);

#endif
