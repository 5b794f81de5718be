/* The Range header (see range.h). */
#include "range.h"

#include <stddef.h>

/* Reads the digits at *p as a uint64; false when there are none. A number too large for
 * 64 bits saturates: it is past the end of any file. */
static bool digits(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
        s++;
    }
    if (s == *p)
        return false;
    *p = s;
    *out = v;
    return true;
}

bool http_range_parse(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
    static const char unit[] = "bytes=";
    if (!h || size == 0)
        return false;
    for (size_t i = 0; unit[i]; i++)
        if (h[i] != unit[i])
            return false;
    const char *p = h + sizeof unit - 1;
    uint64_t a = 0, b = 0; /* set when has_a, has_b; gcc -O3 cannot tell */
    bool has_a = digits(&p, &a);
    if (*p++ != '-')
        return false;
    bool has_b = digits(&p, &b);
    if (*p != '\0' || (!has_a && !has_b))
        return false;
    if (!has_a) { /* suffix: the last b bytes */
        if (b == 0)
            return false;
        *from = b >= size ? 0 : size - b;
        *to = size - 1;
        return true;
    }
    if (a >= size || (has_b && b < a))
        return false;
    *from = a;
    *to = !has_b || b >= size ? size - 1 : b;
    return true;
}
