/* Opening a PostgreSQL connection (the driver table is db_pg_driver in db.h). */
#ifndef MLT_DB_PG_H
#define MLT_DB_PG_H

#include <stdbool.h>

#include "db.h"

/* True when uri names PostgreSQL: postgresql://, postgres://, or the SQLAlchemy spelling
 * with a driver part (postgresql+psycopg2://...). */
bool db_pg_is_uri(const char *uri);

/* Opens a connection for the calling thread. uri is a libpq connection URI, optionally
 * with a "+driver" part after the scheme (dropped); its query parameters (sslmode,
 * connect_timeout, options, ...) go to libpq as they are. The session gets a statement
 * timeout. NULL with e set (a one-line message without the password) on failure. */
struct db *db_pg_open(const char *uri, struct err *e);

/* Rewrites entity SQL for PostgreSQL (db/pg_rewrite.c): `?` -> $1, $2, ...; `?N` -> $N;
 * `json_each(?)` -> json_array_elements_text($n::json); `INDEXED BY <index>` dropped;
 * string literals, quoted identifiers and comments pass through. Returns malloc'd text
 * (caller frees) and the parameter count in *nparams, or NULL when out of memory. (Used by
 * the driver at prepare time; public for the unit tests.) */
char *db_pg_rewrite(const char *sql, int *nparams);

/* The driver's row batches (db/pg_batch.c). */
enum db_rc db_pg_batch(struct db *db, const struct db_batch_sql *spec, size_t n, db_row_fn row,
                       void *ctx);

#endif
