/* The artifact store's front: choosing the backend for a destination URI, and the one
 * wrapper per backend call, where a test build injects faults. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "art.h"
#include "local.h"
#include "s3.h"

struct art_store *art_open(const char *dest, struct err *e)
{
    if (strncmp(dest, "s3://", 5) == 0) {
        return art_s3_open(dest, e);
    }
    const char *path = dest;
    if (strncmp(dest, "file://", 7) == 0)
        path = dest + 7;
    else if (strstr(dest, "://")) {
        err_set(e, ERR_INVALID_PARAMETER_VALUE, "unsupported artifact destination '%s'", dest);
        return NULL;
    }
    if (!*path) {
        err_set(e, ERR_INVALID_PARAMETER_VALUE, "empty artifact destination");
        return NULL;
    }
    char *abs = realpath(".", NULL);
    if (!abs) {
        err_set(e, ERR_INTERNAL_ERROR, "cannot resolve the working directory");
        return NULL;
    }
    size_t need = strlen(abs) + strlen(path) + 2;
    char *full = malloc(need);
    if (!full) {
        free(abs);
        err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    if (path[0] == '/')
        snprintf(full, need, "%s", path);
    else
        snprintf(full, need, "%s/%s", abs, path);
    free(abs);
    struct art_store *s = art_local_open(full, e);
    free(full);
    return s;
}

struct art_store *art_attach(const char *key, struct err *e)
{
    if (strncmp(key, "s3://", 5) == 0)
        return art_s3_open(key, e);
    return art_local_attach(key, e);
}

/* ---- fault injection ---- */

#ifdef MLT_FAULT_INJECTION
static atomic_long fault_countdown;
static _Atomic enum err_code fault_code;
static atomic_bool fault_fired;

void art_fault_arm(long nth, enum err_code code)
{
    atomic_store(&fault_code, code);
    atomic_store(&fault_fired, false);
    atomic_store(&fault_countdown, nth > 0 ? nth : 0);
}

bool art_fault_fired(void)
{
    return atomic_load(&fault_fired);
}

/* True (with e set as the backend would set it) when this call is the one to fail. */
static bool fault(const char *what, struct err *e)
{
    if (atomic_load_explicit(&fault_countdown, memory_order_relaxed) <= 0 ||
        atomic_fetch_sub(&fault_countdown, 1) != 1)
        return false;
    atomic_store(&fault_fired, true);
    err_set(e, atomic_load(&fault_code), "injected fault in the artifact store's %s", what);
    return true;
}
#else
void art_fault_arm(long nth, enum err_code code)
{
    (void)nth;
    (void)code;
}

bool art_fault_fired(void)
{
    return false;
}

static bool fault(const char *what, struct err *e)
{
    (void)what;
    (void)e;
    return false;
}
#endif

/* ---- the calls ---- */

int art_open_write(struct art_store *s, const char *relpath, struct art_writer **w,
                   struct err *e)
{
    return fault("open", e) ? -1 : s->be->open_write(s, relpath, w, e);
}

int art_write(struct art_store *s, struct art_writer *w, const void *p, size_t n,
              struct err *e)
{
    return fault("write", e) ? -1 : s->be->write(w, p, n, e);
}

int art_commit(struct art_store *s, struct art_writer *w, struct err *e)
{
    /* A failed commit frees the writer, as the backends' own failures do. */
    if (fault("commit", e)) {
        s->be->abort(w);
        return -1;
    }
    return s->be->commit(w, e);
}

void art_abort(struct art_store *s, struct art_writer *w)
{
    s->be->abort(w);
}

int art_open_read(struct art_store *s, const char *relpath, struct art_reader **r,
                  int64_t *size, struct err *e)
{
    return fault("open", e) ? -1 : s->be->open_read(s, relpath, r, size, e);
}

ssize_t art_read(struct art_store *s, struct art_reader *r, uint64_t offset, void *buf,
                 size_t n, struct err *e)
{
    return fault("read", e) ? -1 : s->be->read(r, offset, buf, n, e);
}

void art_close_read(struct art_store *s, struct art_reader *r)
{
    s->be->close_read(r);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct art_entry *)a)->name, ((const struct art_entry *)b)->name);
}

int art_list(struct art_store *s, const char *relpath, struct arena *a, struct art_entry **out,
             size_t *n, struct err *e)
{
    if (fault("list", e) || s->be->list(s, relpath, a, out, n, e) != 0)
        return -1;
    if (*n > 1)
        qsort(*out, *n, sizeof **out, by_name);
    return 0;
}

int art_remove(struct art_store *s, const char *relpath, struct err *e)
{
    return fault("remove", e) ? -1 : s->be->remove(s, relpath, e);
}

void art_close(struct art_store *s)
{
    if (s)
        s->be->free(s);
}
