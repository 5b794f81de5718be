/* The process's writer connection, for dialects with a single writer (SQLite admits one at
 * a time), with group commit.
 *
 * Every write transaction of the process runs on this one connection, taken in turn. The
 * first request to take it opens a batch transaction; each request's work runs inside it
 * under a savepoint, so a failing request rolls back its own work and nobody else's. A
 * request that finishes while others are queued for the connection hands it on and waits;
 * the last request of a burst (or the one that fills the batch) commits for all, and every
 * request is acknowledged only once the commit holding its work is durable (one fsync
 * serves the whole batch, and it runs after the connection has gone to the next batch
 * where the driver can sync apart from COMMIT). A lone request commits at once, as
 * without batching.
 *
 * Elsewhere (PostgreSQL) each worker writes on its own connection and db_writer_begin
 * returns NULL. */
#ifndef MLT_DB_WRITER_H
#define MLT_DB_WRITER_H

#include <stdbool.h>

#include "db.h"

/* A request's place in a batch, owned by the request (it lives on its stack or in its
 * context) from db_writer_begin until db_writer_end returns. */
struct db_ticket {
    struct db_ticket *next; /* the batch's members */
    enum db_rc rc;          /* the outcome of the batch's commit */
    bool done;              /* rc is set */
    bool savepoint;         /* the request's savepoint is open */
};

/* Makes db the writer when its dialect has a single writer: 1 (db now belongs to the
 * writer), 0 when it does not (db stays the caller's), -1 when the writer cannot start. */
int db_writer_adopt(struct db *db);

/* Takes the writer for one request's write transaction: waits for the connection, joins
 * (or opens) the batch and sets a savepoint. Returns the connection, or NULL with *rc = 0
 * when there is no writer (write on your own connection), or NULL with *rc a db_rc error
 * when the batch could not be opened. */
struct db *db_writer_begin(struct db_ticket *t, int *rc);

/* Ends the request's part: ok keeps its work (the savepoint is released), !ok rolls it
 * back. Then the connection goes to the next request, or the batch commits. With ok,
 * returns once the batch holding the work has committed: 0, or the db_rc error of the
 * failed commit (the work is then lost and the request must fail). With !ok, returns 0
 * without waiting. */
int db_writer_end(struct db_ticket *t, bool ok);

/* What the writer has done since it started: batches committed, requests whose work they
 * held, nanoseconds the connection was held and spent committing, the log syncs made after
 * COMMIT (writer_sync) and their time, the turns between batches (db_writer_between) and
 * their time, the nanoseconds requests waited for the connection and, their work done, for
 * their batch's COMMIT and sync (each summed over requests), and the requests waiting for
 * the connection now. */
struct db_writer_stats {
    uint64_t batches, requests;
    uint64_t busy_ns, commit_ns;
    uint64_t syncs, sync_ns;
    uint64_t turns, turn_ns;
    uint64_t wait_ns, durable_ns;
    int waiting;
};
struct db_writer_stats db_writer_stats(void);

/* Gives back the writer connection's caches when nobody is using it (an idle moment);
 * does nothing, without waiting, when a request holds it. */
void db_writer_release_memory(void);

/* Runs fn(arg) in a turn of its own between two batches: once the open batch (if any) has
 * committed and before the next one opens. Requests that arrive meanwhile wait for it, on
 * the writer's own queue, and the open batch commits at its next request's end. For work
 * that must not overlap a write transaction on the database but runs on another
 * connection (SQLite's blocking checkpoints). fn's return value is returned. */
int db_writer_between(int (*fn)(void *arg), void *arg);

/* Closes the writer (after the threads that use it have stopped). */
void db_writer_close(void);

#endif
