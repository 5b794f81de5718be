/* Opening a SQLite connection (the driver table is db_sqlite_driver in db.h), and what the
 * rest of db/ needs to reach below the interface. */
#ifndef MLT_DB_SQLITE_H
#define MLT_DB_SQLITE_H

#include "db.h"

/* Opens path read-write (creating it), in WAL mode. A "file:" name with a uri=true
 * parameter is a SQLite URI filename (as SQLAlchemy reads sqlite:///file:...&uri=true), so
 * file:x?mode=memory&cache=shared&uri=true is a shared in-memory database. NULL with e set
 * on failure. */
struct db *db_sqlite_open(const char *path, struct err *e);

/* Inside db/ only (sqlite3.h is included by SQLite's files alone): the connection's
 * sqlite3 handle and, in *path and *flags, the file and sqlite3_open_v2 flags it was
 * opened with; NULL when db is not a SQLite connection. */
struct sqlite3;
struct sqlite3 *db_sqlite_handle(struct db *db, const char **path, int *flags);

/* Defines regexp(pattern, s) on conn (db/sqlite_regexp.c): Python's re.search as MLflow
 * registers it, for RLIKE. 0, or -1 when SQLite refuses. */
int db_sqlite_regexp_register(struct sqlite3 *conn);

/* Defines the aggregate percentile(x, p) on conn (db/sqlite_percentile.c), as MLflow's store
 * registers it for trace metrics. 0, or -1 when SQLite refuses. */
int db_sqlite_percentile_register(struct sqlite3 *conn);

/* The checkpointer (db/sqlite_checkpoint.c): db becomes the process's writer, with no
 * auto-checkpoints on the request path; a background thread checkpoints on its own
 * connection instead. 0, or -1 when the thread cannot start. */
int db_sqlite_checkpointer_start(struct db *db);
/* Stops it after a final TRUNCATE checkpoint. */
void db_sqlite_checkpointer_stop(struct db *db);

/* The writer's log sync (db/sqlite_walsync.c): db's COMMITs stop syncing the WAL
 * (synchronous=NORMAL), and db_sqlite_walsync fdatasyncs it instead, from any thread.
 * 0, or -1. */
int db_sqlite_walsync_start(struct db *db);
int db_sqlite_walsync(struct db *db);
void db_sqlite_walsync_stop(void);

#endif
