/* Opening a SQLite connection (the driver table is db_sqlite_driver in db.h). */
#ifndef MLT_DB_SQLITE_H
#define MLT_DB_SQLITE_H

#include "db.h"

/* Opens path read-write (creating it), in WAL mode. NULL with e set on failure. */
struct db *db_sqlite_open(const char *path, struct err *e);

/* Makes db the process's writer: no auto-checkpoints on the request path, a background
 * thread checkpoints instead (on its own connection to path). */
int db_sqlite_make_writer(struct db *db, const char *path);
/* Stops the checkpointer after a final TRUNCATE checkpoint. */
void db_sqlite_stop_checkpointer(void);

#endif
