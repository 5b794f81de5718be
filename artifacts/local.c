/* The local-disk artifact backend. Every path is walked one segment at a time from a file
 * descriptor of the root with O_NOFOLLOW, so neither ".." nor a symlink planted inside the
 * root can lead outside it. Uploads go to a temporary file in the target directory, are
 * fsync'd and renamed into place: a cut upload leaves nothing at the final name.
 *
 * The destination's store holds its root open for the life of the process; an attached
 * store (a run's own artifact directory) opens its root afresh for every call, so it holds
 * no descriptor while cached and follows a root that was removed and created again. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/util.h"
#include "art.h"
#include "local.h"

struct local_store {
    struct art_store base; /* must be first */
    int rootfd;            /* -1 for an attached store */
    char *root;
};
_Static_assert(offsetof(struct local_store, base) == 0, "art_store first");

struct art_writer {
    int dirfd;
    int fd;
    char tmp[96];
    char *name;
};

struct art_reader {
    int fd;
};

static const char tmp_marker[] = ".mltrack-tmp-";

static int mkdirs(const char *path);

/* A descriptor of the root: the one held, or for an attached store the directory opened
 * now (created first when create); -1 with errno set. The caller closes it. */
static int root_fd(struct local_store *s, bool create)
{
    if (s->rootfd >= 0)
        return dup(s->rootfd);
    int fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create && mkdirs(s->root) == 0)
        fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd;
}

/* A failed system call, logged with errno and answered without it; a full disk is 503,
 * which clients retry (the upload left nothing behind: its temporary file is removed). */
static int io_err(struct err *e, const char *what, const char *path)
{
    int errnum = errno;
    log_error("artifact %s failed for '%s': %s", what, path, strerror(errnum));
    if (errnum == ENOSPC || errnum == EDQUOT)
        return err_set(e, ERR_TEMPORARILY_UNAVAILABLE,
                       "No space left on the artifact store's disk: cannot %s artifact '%s'. "
                       "Free space and try again.",
                       what, path);
    return err_set(e, ERR_INTERNAL_ERROR, "cannot %s artifact '%s'", what, path);
}

/* Opens the directory holding the last segment of relpath (creating the directories when
 * create), and points *leaf at that segment. relpath "" opens the root itself. */
static int walk_parent(struct local_store *s, const char *relpath, bool create, int *dirfd,
                       const char **leaf)
{
    int fd = root_fd(s, create);
    if (fd < 0)
        return -1;
    const char *p = relpath;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        char seg[256];
        size_t n = (size_t)(slash - p);
        if (n == 0 || n >= sizeof seg) {
            close(fd);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(seg, p, n);
        seg[n] = '\0';
        int next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && create) {
            if (mkdirat(fd, seg, 0755) != 0 && errno != EEXIST) {
                close(fd);
                return -1;
            }
            next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        close(fd);
        if (next < 0)
            return -1;
        fd = next;
        p = slash + 1;
    }
    *dirfd = fd;
    *leaf = p;
    return 0;
}

static int l_open_write(struct art_store *st, const char *relpath, struct art_writer **out,
                        struct err *e)
{
    struct local_store *s = (struct local_store *)st;
    int dirfd;
    const char *leaf;
    if (!*relpath)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid path");
    if (walk_parent(s, relpath, true, &dirfd, &leaf) != 0) {
        if (errno == ENOTDIR || errno == ELOOP)
            return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                           "cannot write '%s': a parent is a file", relpath);
        return io_err(e, "create directories for", relpath);
    }
    struct art_writer *w = calloc(1, sizeof *w);
    if (!w) {
        close(dirfd);
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    }
    char rnd[33];
    uuid4_hex(rnd);
    snprintf(w->tmp, sizeof w->tmp, "%s%.16s", tmp_marker, rnd);
    w->dirfd = dirfd;
    w->name = strdup(leaf);
    w->fd = openat(dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (w->fd < 0 || !w->name) {
        io_err(e, "create", relpath);
        if (w->fd >= 0)
            close(w->fd);
        close(dirfd);
        free(w->name);
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

static int l_write(struct art_writer *w, const void *p, size_t n, struct err *e)
{
    const char *c = p;
    while (n) {
        ssize_t r = write(w->fd, c, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return io_err(e, "write", w->name);
        }
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

static void writer_free(struct art_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    close(w->dirfd);
    free(w->name);
    free(w);
}

static void l_abort(struct art_writer *w)
{
    if (unlinkat(w->dirfd, w->tmp, 0) != 0 && errno != ENOENT)
        log_error("cannot remove the aborted upload %s of '%s': %s", w->tmp, w->name,
                  strerror(errno));
    writer_free(w);
}

static int l_commit(struct art_writer *w, struct err *e)
{
    /* The data reaches the disk before the name does; then the directory entry. */
    if (fsync(w->fd) != 0) {
        io_err(e, "sync", w->name);
        l_abort(w);
        return -1;
    }
    close(w->fd);
    w->fd = -1;
    struct stat sb;
    if (fstatat(w->dirfd, w->name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode)) {
        err_set(e, ERR_INVALID_PARAMETER_VALUE, "cannot write '%s': it is a directory",
                w->name);
        l_abort(w);
        return -1;
    }
    if (renameat(w->dirfd, w->tmp, w->dirfd, w->name) != 0) {
        io_err(e, "rename", w->name);
        l_abort(w);
        return -1;
    }
    fsync(w->dirfd);
    writer_free(w);
    return 0;
}

static int not_found(struct err *e, const char *relpath)
{
    return err_set(e, ERR_RESOURCE_DOES_NOT_EXIST, "Artifact '%s' does not exist", relpath);
}

static int l_open_read(struct art_store *st, const char *relpath, struct art_reader **out,
                       int64_t *size, struct err *e)
{
    struct local_store *s = (struct local_store *)st;
    int dirfd;
    const char *leaf;
    if (!*relpath || walk_parent(s, relpath, false, &dirfd, &leaf) != 0)
        return not_found(e, relpath);
    int fd = openat(dirfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    close(dirfd);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        return not_found(e, relpath);
    }
    struct art_reader *r = malloc(sizeof *r);
    if (!r) {
        close(fd);
        return err_set(e, ERR_INTERNAL_ERROR, "out of memory");
    }
    r->fd = fd;
    *size = sb.st_size;
    *out = r;
    return 0;
}

static ssize_t l_read(struct art_reader *r, uint64_t offset, void *buf, size_t n,
                      struct err *e)
{
    for (;;) {
        ssize_t got = pread(r->fd, buf, n, (off_t)offset);
        if (got >= 0)
            return got;
        if (errno != EINTR) {
            err_set(e, ERR_INTERNAL_ERROR, "cannot read artifact");
            return -1;
        }
    }
}

static void l_close_read(struct art_reader *r)
{
    close(r->fd);
    free(r);
}

static int open_dir(struct local_store *s, const char *relpath)
{
    if (!*relpath)
        return root_fd(s, false);
    int dirfd;
    const char *leaf;
    if (walk_parent(s, relpath, false, &dirfd, &leaf) != 0)
        return -1;
    int fd = openat(dirfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(dirfd);
    return fd;
}

static int l_list(struct art_store *st, const char *relpath, struct arena *a,
                  struct art_entry **out, size_t *n, struct err *e)
{
    struct local_store *s = (struct local_store *)st;
    *out = NULL;
    *n = 0;
    int fd = open_dir(s, relpath);
    if (fd < 0)
        return 0; /* missing, or a file: no entries, as MLflow answers */
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return io_err(e, "list", relpath);
    }
    size_t cap = 16, len = 0;
    struct art_entry *v = arena_calloc(a, cap, sizeof *v);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
            strstr(de->d_name, tmp_marker) == de->d_name)
            continue;
        struct stat sb;
        if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
            continue; /* symlinks and devices are never served */
        if (len == cap) {
            struct art_entry *nv = arena_calloc(a, cap * 2, sizeof *v);
            memcpy(nv, v, len * sizeof *v);
            v = nv;
            cap *= 2;
        }
        v[len].name = arena_strdup(a, de->d_name);
        v[len].is_dir = S_ISDIR(sb.st_mode);
        v[len].size = S_ISDIR(sb.st_mode) ? 0 : sb.st_size;
        len++;
    }
    closedir(d);
    *out = v;
    *n = len;
    return 0;
}

/* Removes the entry name in dirfd, recursing into directories (never following links). */
static int remove_at(int parent, const char *name)
{
    struct stat sb;
    if (fstatat(parent, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(sb.st_mode))
        return unlinkat(parent, name, 0) == 0 || errno == ENOENT ? 0 : -1;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            rc |= remove_at(dirfd(d), de->d_name);
    closedir(d);
    if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

static int l_remove(struct art_store *st, const char *relpath, struct err *e)
{
    struct local_store *s = (struct local_store *)st;
    if (!*relpath)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Invalid path");
    int dirfd;
    const char *leaf;
    if (walk_parent(s, relpath, false, &dirfd, &leaf) != 0)
        return 0;
    int rc = remove_at(dirfd, leaf);
    close(dirfd);
    return rc == 0 ? 0 : io_err(e, "delete", relpath);
}

static void l_free(struct art_store *st)
{
    struct local_store *s = (struct local_store *)st;
    if (s->rootfd >= 0)
        close(s->rootfd);
    free(s->root);
    free(s);
}

static const struct art_backend local_backend = {
    .name = "local",
    .open_write = l_open_write,
    .write = l_write,
    .commit = l_commit,
    .abort = l_abort,
    .open_read = l_open_read,
    .read = l_read,
    .close_read = l_close_read,
    .list = l_list,
    .remove = l_remove,
    .free = l_free,
};

/* mkdir -p for the root itself (a trusted path: the command line's, or a location the
 * database holds). */
static int mkdirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    for (char *c = p + 1; *c; c++) {
        if (*c == '/') {
            *c = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *c = '/';
        }
    }
    int rc = mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

struct art_store *art_local_open(const char *root, struct err *e)
{
    if (mkdirs(root) != 0) {
        err_set(e, ERR_INVALID_PARAMETER_VALUE, "cannot create artifact directory '%s': %s",
                root, strerror(errno));
        return NULL;
    }
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || faccessat(fd, ".", W_OK, 0) != 0) {
        err_set(e, ERR_INVALID_PARAMETER_VALUE, "artifact directory '%s' is not writable: %s",
                root, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct local_store *s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    s->base.be = &local_backend;
    s->rootfd = fd;
    s->root = strdup(root);
    return &s->base;
}

struct art_store *art_local_attach(const char *root, struct err *e)
{
    if (root[0] != '/') {
        err_set(e, ERR_INVALID_PARAMETER_VALUE, "artifact directory '%s' is not absolute", root);
        return NULL;
    }
    struct local_store *s = calloc(1, sizeof *s);
    if (!s || !(s->root = strdup(root))) {
        free(s);
        err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    s->base.be = &local_backend;
    s->rootfd = -1;
    return &s->base;
}
