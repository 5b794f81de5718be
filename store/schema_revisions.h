/* MLflow schema revisions other than the pinned head (store/schema_revisions.c): which ones
 * mltrack knows, and whether a database at one of them can be used as it is. Internal to
 * store/ (store.c's set-up). */
#ifndef MLT_STORE_SCHEMA_REVISIONS_H
#define MLT_STORE_SCHEMA_REVISIONS_H

#include "../base/err.h"
#include "../db/db.h"

/* The alembic head of the pinned mlflow version (see store/schema/sqlite.sql). */
#define ALEMBIC_HEAD "dc11669786a5"

/* For a database at revision rev (not the head): 0 when rev is a known later revision whose
 * migrations since the head leave every table and column mltrack uses as they are, and the
 * database indeed has all of those columns; the database is only read. Otherwise -1 with e
 * set (INVALID_STATE) to a message that says why, naming the revision, the MLflow version
 * and the table or column; shown is the database URI for messages. *known_as gets the
 * MLflow version that introduced rev (for the log). */
int schema_accept_revision(struct db *db, const char *rev, const char *shown,
                           const char **known_as, struct err *e);

#endif
