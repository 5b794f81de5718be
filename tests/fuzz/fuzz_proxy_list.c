/* libFuzzer target for the trusted-proxy lists (auth/proxy.c): any bytes as
 * --auth-trusted-proxies, and as an address checked against a fixed list. Nothing may
 * crash or read past the input; a list that validates must trust each of its own plain
 * addresses; a bare address trusts itself. Linked with replay.c instead of libFuzzer, it
 * replays its corpus as a normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/proxy.h"
#include "base/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a);
    char *s = arena_strndup(&a, (const char *)data, size);
    char err[128];
    if (proxy_list_valid(s, err, sizeof err)) {
        /* Every entry without a '/' is an address the list must trust. */
        for (const char *p = s; *p;) {
            size_t n = strcspn(p, ",");
            char *e = arena_strndup(&a, p, n);
            char *b = e;
            while (*b == ' ' || *b == '\t')
                b++;
            size_t m = strlen(b);
            while (m && (b[m - 1] == ' ' || b[m - 1] == '\t'))
                b[--m] = '\0';
            if (!strchr(b, '/') && !proxy_addr_trusted(s, b))
                abort();
            p += n;
            if (*p == ',')
                p++;
        }
    }
    (void)proxy_addr_trusted("127.0.0.1,10.0.0.0/8,fd00::/8", s);
    arena_release(&a);
    return 0;
}
