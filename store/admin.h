/* Operations on a database outside the server (`mltrack db`): what revision it is at and
 * whether it is sound, and an online copy. Each opens its own connection. */
#ifndef MLT_STORE_ADMIN_H
#define MLT_STORE_ADMIN_H

#include <stdbool.h>

#include "../base/err.h"

struct store_check {
    char revision[64];   /* alembic revision; "" for a database without MLflow's schema */
    bool usable;         /* mltrack serves it as it is (the pinned head or a known later one) */
    char why[1024];      /* when not usable, or the MLflow version of a later revision */
    bool checked;        /* the database has an integrity check mltrack runs (SQLite) */
    bool sound;          /* it found nothing */
    char problems[1024]; /* its first findings, one a line */
};

/* Reads the revision and runs the integrity check of the database at uri, changing
 * nothing: 0 with out filled (whatever it found), -1 with e set when it cannot be read. */
int store_db_check(const char *uri, struct store_check *out, struct err *e);

/* Copies the database at uri into the new file dest while others read and write it: a
 * consistent snapshot, synced to disk, then checked like store_db_check (into *after). 0,
 * or -1 with e set (dest exists, the database has no such copy, or the copy failed; a
 * failed copy is removed). */
int store_db_backup(const char *uri, const char *dest, struct store_check *after,
                    struct err *e);

#endif
