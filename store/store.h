/* The store: process-wide set-up and the per-thread database connection that entity
 * modules use. Entity functions take a struct sctx: the connection, the request arena and
 * the error to fill. */
#ifndef MLT_STORE_H
#define MLT_STORE_H

#include <stdbool.h>

#include "../base/arena.h"
#include "../base/err.h"
#include "../db/db.h"
#include "../db/writer.h"

struct store_config {
    const char *backend_uri;           /* "sqlite:///path" (also "sqlite:////abs/path") */
    const char *default_artifact_root; /* root for new experiments' artifact_location */
};

/* Validates the URI, opens the database once, creates MLflow's schema on an empty database
 * (or checks the alembic head of an existing one) and the Default experiment "0".
 * Returns 0, or -1 with a one-line message in e. cfg is copied. */
int store_global_init(const struct store_config *cfg, struct err *e);
/* Closes every connection that is not owned by a live thread; call after the HTTP
 * threads have stopped. */
void store_global_shutdown(void);
const struct store_config *store_config(void);

/* The calling thread's connection, opened on first use; closed when the thread exits.
 * NULL with e set if it cannot be opened. The connection counts as in use from then until
 * store_thread_done (the end of the request). */
struct db *store_thread_db(struct err *e);
void store_thread_done(void);
/* Gives back the caches of the calling thread's connection, if it has one. */
void store_thread_release_memory(void);
/* From any thread: gives back the caches of every thread's connection not in use now. */
void store_release_idle_memory(void);

struct sctx {
    struct db *db;     /* the thread's connection; the writer's inside a write transaction */
    struct db *reader; /* the thread's own connection, kept while db is the writer */
    struct arena *a;   /* results are allocated here */
    struct err *e;
    struct db_ticket ticket; /* the request's place in the writer's batch */
    int hooks_queued;        /* webhook deliveries this request's writes queued */
};

#endif
