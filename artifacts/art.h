/* The artifact store: one interface (a table of function pointers, as redis' ConnectionType)
 * with two backends, local disk and S3-compatible object storage. Paths handed to a backend
 * are relative, already decoded once and checked by art_path_check(); nothing else in the
 * program joins user paths to a root. Bytes stream through in bounded chunks both ways:
 * no operation holds a whole file in memory. */
#ifndef MLT_ART_H
#define MLT_ART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/arena.h"
#include "../base/err.h"

struct art_store;  /* a backend rooted at a destination (a folder, or s3://bucket/prefix) */
struct art_writer; /* an upload in progress */
struct art_reader; /* an open download */

struct art_entry {
    const char *name; /* the basename, from the arena */
    bool is_dir;
    int64_t size; /* files only */
};

struct art_backend {
    const char *name;
    /* Starts writing relpath. Nothing is visible at relpath until commit succeeds. */
    int (*open_write)(struct art_store *s, const char *relpath, struct art_writer **w,
                      struct err *e);
    int (*write)(struct art_writer *w, const void *p, size_t n, struct err *e);
    /* Makes the object visible (atomically replacing an old one) and frees w. */
    int (*commit)(struct art_writer *w, struct err *e);
    /* Discards everything written and frees w; safe after a failed write. */
    void (*abort)(struct art_writer *w);
    /* Opens relpath for reading; RESOURCE_DOES_NOT_EXIST when it is absent or a directory.
     * *size gets the object's length. */
    int (*open_read)(struct art_store *s, const char *relpath, struct art_reader **r,
                     int64_t *size, struct err *e);
    /* Reads up to n bytes at offset; returns the count (0 at the end) or -1 with e set.
     * Offsets only move forward, one call after another, except after art_reader_seek. */
    ssize_t (*read)(struct art_reader *r, uint64_t offset, void *buf, size_t n, struct err *e);
    void (*close_read)(struct art_reader *r);
    /* The immediate children of relpath ("" is the root), from the arena. A missing
     * directory, or a file, gives no entries (as MLflow's list does). */
    int (*list)(struct art_store *s, const char *relpath, struct arena *a,
                struct art_entry **out, size_t *n, struct err *e);
    /* Deletes relpath, recursively when it is a directory; a missing path is not an error. */
    int (*remove)(struct art_store *s, const char *relpath, struct err *e);
    void (*free)(struct art_store *s);
};

struct art_store {
    const struct art_backend *be;
};

/* Every call into a backend goes through these (SQLite's sqlite3OsRead): one place to read
 * and the point where a test build injects faults. They do what the backend entries above
 * say. */
int art_open_write(struct art_store *s, const char *relpath, struct art_writer **w,
                   struct err *e);
int art_write(struct art_store *s, struct art_writer *w, const void *p, size_t n,
              struct err *e);
int art_commit(struct art_store *s, struct art_writer *w, struct err *e);
void art_abort(struct art_store *s, struct art_writer *w);
int art_open_read(struct art_store *s, const char *relpath, struct art_reader **r,
                  int64_t *size, struct err *e);
ssize_t art_read(struct art_store *s, struct art_reader *r, uint64_t offset, void *buf,
                 size_t n, struct err *e);
void art_close_read(struct art_store *s, struct art_reader *r);
/* ... sorted by name (byte order, which is Python's code point order: MLflow's repositories
 * sort their listings by path, files and directories mixed). */
int art_list(struct art_store *s, const char *relpath, struct arena *a, struct art_entry **out,
             size_t *n, struct err *e);
int art_remove(struct art_store *s, const char *relpath, struct err *e);
/* Frees the store (NULL is fine). */
void art_close(struct art_store *s);

/* Fault injection (builds with -Dfault_injection=true): the nth fallible call from now
 * (open, write, commit, read, list, remove; 1 = the next) fails with code, as the backend
 * would fail it; 0 disarms. art_fault_fired() tells whether it has happened. Without the
 * option both do nothing. */
void art_fault_arm(long nth, enum err_code code);
bool art_fault_fired(void);

/* Opens the store for a destination URI: a local path or file:// URI, or s3://bucket[/prefix]
 * (credentials and endpoint from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_DEFAULT_REGION/AWS_REGION, MLFLOW_S3_ENDPOINT_URL). NULL with e set
 * on a bad URI or an unusable destination. */
struct art_store *art_open(const char *dest_uri, struct err *e);
/* Opens the store of an artifact location the server reads and writes on a client's behalf
 * (a run's or a model's own location): "s3://bucket" (the server's S3 settings, as for
 * art_open), or an absolute local directory that need not exist (art_local_attach). NULL
 * with e set otherwise. */
struct art_store *art_attach(const char *key, struct err *e);

/* Checks a path that came from the wire (already percent-decoded once) and returns its
 * normal form from the arena: no empty, "." or ".." segments, not absolute, no drive
 * letters or UNC prefixes, no backslashes, no NUL or control characters, no remaining
 * percent-encoded traversal, no segment over 255 bytes. INVALID_PARAMETER_VALUE otherwise.
 * "" (the root) is allowed only when allow_root. */
int art_path_check(struct arena *a, const char *path, bool allow_root, const char **out,
                   struct err *e);

#endif
