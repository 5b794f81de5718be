/* Opening a SQLite connection (the driver table is db_sqlite_driver in db.h). */
#ifndef MLT_DB_SQLITE_H
#define MLT_DB_SQLITE_H

#include "db.h"

/* Opens path read-write (creating it), in WAL mode. NULL with e set on failure. */
struct db *db_sqlite_open(const char *path, struct err *e);

#endif
