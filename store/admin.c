/* `mltrack db` operations (see admin.h). */
#include "admin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/buf.h"
#include "../db/db.h"
#include "internal.h"
#include "schema_revisions.h"

static void check_revision(struct db *db, const char *uri, struct store_check *out)
{
    if (!out->revision[0]) {
        snprintf(out->why, sizeof out->why, "no MLflow schema (no alembic_version table)");
        return;
    }
    if (strcmp(out->revision, ALEMBIC_HEAD) == 0) {
        out->usable = true;
        return;
    }
    const char *newer = NULL;
    struct err e;
    err_clear(&e);
    out->usable = schema_accept_revision(db, out->revision, uri, &newer, &e) == 0;
    snprintf(out->why, sizeof out->why, "%s",
             out->usable ? (newer ? newer : "") : e.msg);
}

static void check_integrity(struct db *db, struct store_check *out)
{
    const char *sql = db_dialect(db)->integrity_check_sql;
    if (!sql)
        return;
    out->checked = true;
    struct db_stmt *st = db_prepare_once(db, sql);
    if (!st) {
        snprintf(out->problems, sizeof out->problems, "the check could not run");
        return;
    }
    struct buf b;
    buf_init(&b, sizeof out->problems - 1);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        size_t n;
        const char *t = db_col_text(st, 0, &n);
        if (t && !(n == 2 && memcmp(t, "ok", 2) == 0)) {
            buf_append(&b, t, n);
            buf_putc(&b, '\n');
        }
    }
    db_done(st);
    out->sound = rc == DB_DONE && b.len == 0;
    if (rc != DB_DONE)
        buf_puts(&b, "the check stopped with a database error\n");
    snprintf(out->problems, sizeof out->problems, "%.*s", (int)b.len, b.ptr ? b.ptr : "");
    buf_release(&b);
}

int store_db_check(const char *uri, struct store_check *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct db *db = db_open_existing(uri, e);
    if (!db)
        return -1;
    char *shown = db_uri_redacted(uri);
    const char *r = store_alembic_revision(db, out->revision, sizeof out->revision);
    int rc = 0;
    if (!r) {
        rc = err_set(e, ERR_INTERNAL_ERROR, "cannot read the database '%s'",
                     shown ? shown : "?");
    } else {
        if (r != out->revision)
            snprintf(out->revision, sizeof out->revision, "%s", r);
        check_revision(db, shown ? shown : "?", out);
        check_integrity(db, out);
    }
    free(shown);
    db_close(db);
    return rc;
}

/* fsync of path, and of its directory so that its name is durable too. */
static int sync_file_and_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
             slash ? path : ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        rc |= fsync(dfd);
        close(dfd);
    }
    return rc;
}

int store_db_backup(const char *uri, const char *dest, struct store_check *after,
                    struct err *e)
{
    struct stat sb;
    if (lstat(dest, &sb) == 0)
        return err_set(e, ERR_RESOURCE_ALREADY_EXISTS,
                       "'%s' exists: a backup is written to a new file", dest);
    struct db *db = db_open_existing(uri, e);
    if (!db)
        return -1;
    const char *sql = db_dialect(db)->backup_into_sql;
    if (!sql) {
        db_close(db);
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "mltrack copies SQLite databases only; for PostgreSQL use pg_dump "
                       "(or pg_basebackup for the whole cluster)");
    }
    struct db_stmt *st = db_prepare_once(db, sql);
    enum db_rc rc = DB_ERROR;
    if (st) {
        db_bind_str(st, 1, dest);
        rc = db_step(st);
        db_done(st);
    }
    db_close(db);
    if (rc != DB_DONE) {
        unlink(dest);
        return err_set(e, ERR_INTERNAL_ERROR, "the copy into '%s' failed (see the log)", dest);
    }
    if (sync_file_and_dir(dest) != 0) {
        int err = errno;
        unlink(dest);
        return err_set(e, ERR_INTERNAL_ERROR, "cannot sync '%s' to disk: %s", dest,
                       strerror(err));
    }
    char copy_uri[4200];
    snprintf(copy_uri, sizeof copy_uri, "sqlite:///%s", dest);
    return store_db_check(copy_uri, after, e);
}
