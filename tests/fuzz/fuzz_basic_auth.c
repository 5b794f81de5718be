/* libFuzzer target for the Authorization header (auth/basic.c): any bytes as the header
 * value. It may not crash or read past the input; what it accepts splits into a user
 * without ':' and a password whose length is what it says, and the same credentials
 * encoded again parse to the same pair. Linked with replay.c instead of libFuzzer, it
 * replays its corpus as a normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/basic.h"
#include "base/arena.h"
#include "base/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a);
    char *hdr = arena_strndup(&a, (const char *)data, size);
    const char *u, *p;
    size_t n;
    if (basic_parse(&a, hdr, &u, &p, &n) == 0) {
        if (strchr(u, ':') || strlen(p) != n)
            abort();
        char *pair = arena_printf(&a, "%s:%s", u, p);
        char *again = arena_printf(&a, "Basic %s", base64_encode(&a, pair, strlen(pair)));
        const char *u2, *p2;
        size_t n2;
        if (basic_parse(&a, again, &u2, &p2, &n2) != 0 || strcmp(u, u2) != 0 ||
            strcmp(p, p2) != 0 || n2 != n)
            abort();
    }
    arena_release(&a);
    return 0;
}
