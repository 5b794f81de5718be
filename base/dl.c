/* dlopen + dlsym into a function table (see dl.h). */
#include "dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>


int dl_bind(const char *soname, const struct dl_sym *syms, size_t n, char *err, size_t errlen)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(err, errlen, "cannot load %s (%s)", soname, why ? why : "unknown");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        void *p = dlsym(h, syms[i].name);
        if (!p) {
            snprintf(err, errlen, "%s lacks %s", soname, syms[i].name);
            return -1;
        }
        /* ISO C has no conversion from void * to a function pointer; POSIX guarantees the
         * representations agree, so the bytes are copied. */
        memcpy(syms[i].slot, &p, sizeof p);
    }
    return 0;
}
