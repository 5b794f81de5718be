/* Chooses the artifact backend for a destination URI. */
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
