/* A 64-bit hash of bytes for in-memory tables (FNV-1a): short keys, no adversary that a
 * collision could help (every user compares the keys on a hash match). */
#ifndef MLT_BASE_HASH_H
#define MLT_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

#endif
