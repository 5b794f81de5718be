/* Loading a shared library on first use and binding its functions into a table (libpq and
 * libcurl are loaded so; see db/pq_load.c, artifacts/curl_load.c). */
#ifndef MLT_DL_H
#define MLT_DL_H

#include <stddef.h>

struct dl_sym {
    const char *name; /* the symbol */
    void *slot;       /* where its address goes: a function-pointer field */
};

/* dlopen(soname) and dlsym every name into its slot. 0, or -1 with a one-line reason in
 * err (e.g. "cannot load libpq.so.5 (...)", "libcurl.so.4 lacks curl_easy_init"). */
int dl_bind(const char *soname, const struct dl_sym *syms, size_t n, char *err, size_t errlen);

#endif
