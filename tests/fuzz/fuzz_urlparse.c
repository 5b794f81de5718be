/* libFuzzer target for request targets (server/urlparse.c): every input is a raw
 * request-target as a client sends it on the request line. Nothing may crash or leak; an
 * accepted target gives a path that starts with '/' and holds no NUL, and at most
 * URL_MAX_QUERY_PAIRS pairs whose lengths are what was decoded.
 *   ./fuzz_urlparse tests/fuzz/corpus/urlparse
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/urlparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a);
    /* The glue hands over a C string: what follows a NUL never reaches the parser. */
    char *raw = arena_strndup(&a, (const char *)data, size);
    const char *path;
    struct http_kv *q;
    size_t n;
    if (url_parse_target(&a, raw, &path, &q, &n) == URL_OK) {
        if (path[0] != '/' || n > URL_MAX_QUERY_PAIRS)
            abort();
        for (size_t i = 0; i < n; i++) {
            if (!q[i].key || !q[i].value || q[i].value[q[i].vlen] != '\0')
                abort();
            /* Decoding never lengthens. */
            if (q[i].vlen > size || strlen(q[i].key) > size)
                abort();
        }
    }
    arena_release(&a);
    return 0;
}
