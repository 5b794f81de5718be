/* The writer's commits made durable apart from COMMIT (see db_sqlite_walsync_* in
 * sqlite.h).
 *
 * With synchronous=FULL, SQLite's COMMIT writes the transaction's frames to the WAL and
 * fsyncs it, all while the write lock is held: nobody can write during the fsync. The
 * writer connection runs with synchronous=NORMAL instead, whose COMMIT only writes the
 * frames, and the group-commit writer (db/writer.c) fdatasyncs the WAL itself after
 * handing the connection on, acknowledging a request only once a sync that began after its
 * commit has returned. That is FULL's guarantee for every acknowledged write: frames reach
 * the log in commit order and each sync covers everything written before it, so a durable
 * commit implies every earlier one, and recovery stops at the first incomplete frame. WAL
 * mode stays safe from corruption with NORMAL (SQLite's documentation); what NORMAL gives
 * up, durability of the last commits, the writer gets back with the sync. The next batch
 * runs while the disk syncs the previous one.
 *
 * A commit's rows are visible to readers before the sync returns; readers of an
 * acknowledged write see it, which is what durability promises.
 *
 * The WAL lives as long as the writer connection is open (SQLite deletes it only when the
 * last connection closes), so one descriptor, opened at the first sync, serves the
 * process. A failed fdatasync leaves the kernel's page state unknown (a later call may
 * succeed without the lost pages being written), so after one every later sync fails too,
 * and writes fail until the server is restarted. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/util.h"
#include "sqlite.h"

static pthread_mutex_t ws_mu = PTHREAD_MUTEX_INITIALIZER; /* the fields below */
static char *ws_path;   /* the WAL's file name; NULL: nothing to sync (in memory) */
static int ws_fd = -1;
static bool ws_broken;  /* a sync failed */

/* The directory of path, fsynced so that a newly made WAL's name survives a power loss
 * (SQLite does this on its first sync of a new file under FULL). */
static int sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir)
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int db_sqlite_walsync_start(struct db *db)
{
    sqlite3 *conn = db_sqlite_handle(db, NULL, NULL);
    if (!conn || sqlite3_exec(conn, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    const char *main = sqlite3_db_filename(conn, "main");
    pthread_mutex_lock(&ws_mu);
    free(ws_path);
    ws_path = NULL;
    ws_broken = false;
    if (main && *main) { /* "" for a memory or temporary database */
        ws_path = strdup(sqlite3_filename_wal(main));
        if (!ws_path) {
            pthread_mutex_unlock(&ws_mu);
            return -1;
        }
    }
    pthread_mutex_unlock(&ws_mu);
    return 0;
}

int db_sqlite_walsync(struct db *db)
{
    (void)db;
    pthread_mutex_lock(&ws_mu);
    int fd = ws_fd;
    bool ok = !ws_broken;
    if (ok && fd < 0 && ws_path) {
        fd = open(ws_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || sync_dir(ws_path) != 0) {
            log_error("cannot open the WAL %s to sync it: %s", ws_path, strerror(errno));
            if (fd >= 0)
                close(fd);
            fd = -1;
            ok = false;
        }
        ws_fd = fd;
    }
    pthread_mutex_unlock(&ws_mu);
    if (!ok)
        return -1;
    if (fd < 0) /* nothing on disk */
        return 0;
    /* Outside the mutex: one sync at a time is the writer's business, not ours. */
    if (fdatasync(fd) == 0)
        return 0;
    int err = errno;
    pthread_mutex_lock(&ws_mu);
    if (!ws_broken)
        log_error("fdatasync of the WAL failed (%s): acknowledged writes can no longer be "
                  "made durable; writes fail until mltrack is restarted",
                  strerror(err));
    ws_broken = true;
    pthread_mutex_unlock(&ws_mu);
    return -1;
}

void db_sqlite_walsync_stop(void)
{
    pthread_mutex_lock(&ws_mu);
    if (ws_fd >= 0)
        close(ws_fd);
    ws_fd = -1;
    free(ws_path);
    ws_path = NULL;
    pthread_mutex_unlock(&ws_mu);
}
