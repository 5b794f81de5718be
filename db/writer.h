/* The process's writer connection, for dialects with a single writer (SQLite admits one at
 * a time): every write transaction of the process runs on it, taken in turn, so its page
 * cache stays warm instead of being invalidated in every worker's connection by every
 * commit. Elsewhere (PostgreSQL) each worker writes on its own connection. */
#ifndef MLT_DB_WRITER_H
#define MLT_DB_WRITER_H

#include "db.h"

/* Makes db the writer when its dialect has a single writer: 1 (db now belongs to the
 * writer), 0 when it does not (db stays the caller's), -1 when the writer cannot start. */
int db_writer_adopt(struct db *db);
/* The writer, locked for the caller until db_writer_release; NULL when there is none. */
struct db *db_writer_acquire(void);
void db_writer_release(struct db *w);
/* Closes the writer (after the threads that use it have stopped). */
void db_writer_close(void);

#endif
