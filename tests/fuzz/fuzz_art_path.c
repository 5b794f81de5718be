/* libFuzzer target for artifact paths (artifacts/path.c, the one check every path from the
 * wire goes through): every input is a decoded path, checked with and without the root
 * allowed. An accepted path must be safe to join under a root: relative, no empty, "." or
 * ".." segment, no backslash, NUL or control byte, no segment over 255 bytes, and already
 * in normal form (checking it again gives it back unchanged).
 *   ./fuzz_art_path tests/fuzz/corpus/art_path
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "artifacts/art.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_safe(const char *p)
{
    if (p[0] == '/')
        abort();
    size_t seg = 0;
    for (const char *c = p;; c++) {
        if (*c == '/' || *c == '\0') {
            const char *s = c - seg;
            if (*p && (seg == 0 || (seg == 1 && s[0] == '.') ||
                       (seg == 2 && s[0] == '.' && s[1] == '.') || seg > 255))
                abort();
            if (*c == '\0')
                break;
            seg = 0;
            continue;
        }
        if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
            abort();
        seg++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a);
    char *path = arena_strndup(&a, (const char *)data, size);
    for (int root = 0; root < 2; root++) {
        struct err e;
        const char *out;
        if (art_path_check(&a, path, root, &out, &e) != 0) {
            if (e.code != ERR_INVALID_PARAMETER_VALUE)
                abort();
            continue;
        }
        if (!root && !*out)
            abort();
        check_safe(out);
        const char *again;
        if (art_path_check(&a, out, true, &again, &e) != 0 || strcmp(again, out) != 0)
            abort();
    }
    arena_release(&a);
    return 0;
}
