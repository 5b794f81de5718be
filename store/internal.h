/* Helpers shared by the store's entity modules (not part of the store's public API):
 * transactions that report MLflow errors, the few ways a statement is stepped, and copying
 * columns into the arena. */
#ifndef MLT_STORE_INTERNAL_H
#define MLT_STORE_INTERNAL_H

#include <stdio.h>

#include "../base/buf.h"
#include "../db/db.h"
#include "model.h"
#include "store.h"

/* ---- transactions (store/txn.c) ---- */

/* A write transaction; -1 with c->e set (TEMPORARILY_UNAVAILABLE when locked). */
int txn_begin(struct sctx *c);
/* A read transaction, so that several SELECTs see one snapshot. */
int txn_begin_read(struct sctx *c);
int txn_commit(struct sctx *c);
/* Rolls back and returns rc, so callers write `return txn_fail(c, err_set(...))`. */
int txn_fail(struct sctx *c, int rc);
/* Ends a read transaction (commit of nothing); returns rc. */
int txn_end_read(struct sctx *c, int rc);

/* ---- statements and rows (store/rows.c) ---- */

/* Sets c->e for a failed prepare or unexpected database error (details are logged). */
int store_err(struct sctx *c);
/* Sets c->e for a failed step: busy -> TEMPORARILY_UNAVAILABLE, a value too large for its
 * column -> BAD_REQUEST, else INTERNAL_ERROR. */
int store_err_step(struct sctx *c, enum db_rc rc);

/* Steps a statement that returns no rows and finishes it: 0, or -1 with c->e set. */
int store_exec(struct sctx *c, struct db_stmt *st);
/* The same for a write that may hit a UNIQUE / PRIMARY KEY constraint: 1 then, for the
 * caller to word. */
int store_exec_unique(struct sctx *c, struct db_stmt *st);
/* Steps a lookup once. 1: a row, which the caller reads and then finishes with db_done;
 * 0: no row; -1: a database error (c->e set). On 0 and -1 st is already finished. */
int store_lookup(struct sctx *c, struct db_stmt *st);
/* The integer the one-parameter query sql finds for key (its first column): 1 found, 0 no
 * row, -1 error. For "which experiment holds this run / model / trace". */
int store_lookup_int(struct sctx *c, const char *sql, const char *key, int64_t *out);

/* A copy of a text column in the arena; NULL for SQL NULL. */
const char *store_col(struct sctx *c, struct db_stmt *st, int col);
/* Reads all (key, value) rows of st into an arena array, and finishes st. */
int store_read_kvs(struct sctx *c, struct db_stmt *st, struct kv **out, size_t *n);
/* The search statement sql (its text is the search's own: prepared once, not cached) with
 * binds bound, for the caller to step and db_done; NULL with the error set. */
struct db_stmt *store_search_stmt(struct sctx *c, struct buf *sql, const struct sql_val *binds,
                                  size_t nb);
/* Runs a search statement built by query/search_sql.h inside the caller's read transaction
 * and collects the first ncols columns of every row as text, from the arena, row after row
 * (cells[r * ncols + k]); NULLs come back as NULL. */
int store_run_search(struct sctx *c, struct buf *sql, const struct sql_val *binds, size_t nb,
                     int ncols, const char ***cells, size_t *nrows);
/* The JSON array ["id", ...] bound to json_each(?) in bulk child queries, from the arena.
 * Ids may come from an old database, so they are escaped properly. */
const char *store_ids_json(struct arena *a, const char *const *ids, size_t n);

/* ---- the schema (store/store.c) ---- */

/* The database's alembic revision into buf: "" when it has no alembic_version table, NULL
 * on error. */
const char *store_alembic_revision(struct db *db, char *buf, size_t cap);
/* Creates mltrack's own tables where they are missing (the start-up's statements, in a
 * transaction of their own): for a process that uses a database without having set it up,
 * as `mltrack gc`. 0, or -1 (logged). */
int store_ensure_own_tables(struct db *db);

/* ---- lookups other modules share ---- */

/* RESOURCE_DOES_NOT_EXIST "Run with id=... not found" unless the run exists (any stage). */
int run_check_exists(struct sctx *c, const char *run_id);

#endif
