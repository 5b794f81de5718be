/* Helpers shared by the store's entity modules (not part of the store's public API):
 * transactions that report MLflow errors, and copying columns into the arena. */
#ifndef MLT_TXN_H
#define MLT_TXN_H

#include <stdio.h>

#include "../base/buf.h"
#include "db.h"
#include "model.h"
#include "store.h"

/* A write transaction; -1 with c->e set (TEMPORARILY_UNAVAILABLE when locked). */
int txn_begin(struct sctx *c);
/* A read transaction, so that several SELECTs see one snapshot. */
int txn_begin_read(struct sctx *c);
int txn_commit(struct sctx *c);
/* Rolls back and returns rc, so callers write `return txn_fail(c, err_set(...))`. */
int txn_fail(struct sctx *c, int rc);
/* Ends a read transaction (commit of nothing); returns rc. */
int txn_end_read(struct sctx *c, int rc);

/* Sets c->e for a failed prepare or unexpected database error (details are logged). */
int err_db(struct sctx *c);
/* Sets c->e for a failed step: busy -> TEMPORARILY_UNAVAILABLE, else INTERNAL_ERROR. */
int err_step(struct sctx *c, enum db_rc rc);

/* A copy of a text column in the arena; NULL for SQL NULL. */
const char *col_dup(struct sctx *c, struct db_stmt *st, int col);
/* Reads all (key, value) rows of st into an arena array. */
int read_kvs(struct sctx *c, struct db_stmt *st, struct kv **out, size_t *n);
/* Runs a search statement built by search_sql.h inside the caller's read transaction and
 * collects the first ncols columns of every row as text, from the arena, row after row
 * (cells[r * ncols + k]); NULLs come back as NULL. */
int search_collect(struct sctx *c, struct buf *sql, const struct sql_val *binds, size_t nb,
                   int ncols, const char ***cells, size_t *nrows);
/* The JSON array ["id", ...] bound to json_each(?) in bulk child queries, from the arena.
 * Ids may come from an old database, so they are escaped properly. */
const char *ids_json(struct arena *a, const char *const *ids, size_t n);
/* root + "/" + seg without doubling the slash (MLflow's append_to_uri_path). */
const char *uri_join(struct arena *a, const char *root, const char *seg);

#endif
