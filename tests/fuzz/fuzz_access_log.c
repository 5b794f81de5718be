/* libFuzzer target for the access log's line (server/access_log.c): the input is a
 * request-target. The line is one line whatever the target (no newline before its end, no
 * raw control byte or quote inside the quoted request), and a value under a credential's
 * name never appears in it.
 *   ./fuzz_access_log tests/fuzz/corpus/access_log
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/access_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t)
        return 0;
    memcpy(t, data, size);
    t[size] = '\0';
    struct access_entry e = {.client = "127.0.0.1", .method = "GET", .target = t,
                             .version = "HTTP/1.1", .status = 200, .bytes = 1, .ns = 1};
    for (int fmt = ACCESS_COMMON; fmt <= ACCESS_JSON; fmt++) {
        struct buf line;
        buf_init(&line, 1 << 20);
        access_log_format(&line, (enum access_format)fmt, &e, 0);
        if (buf_ok(&line)) {
            if (!line.len || line.ptr[line.len - 1] != '\n' ||
                memchr(line.ptr, '\n', line.len - 1))
                abort();
            for (size_t i = 0; i < line.len - 1; i++)
                if ((unsigned char)line.ptr[i] < 0x20 && line.ptr[i] != '\t')
                    abort();
        }
        buf_release(&line);
    }
    /* The target's path with "?token=SECRETVALUE" appended comes out ending "?token=REDACTED". */
    static const char secret[] = "token=SECRETVALUE";
    if (size < 4096) {
        char *t2 = malloc(size + sizeof secret + 2);
        if (t2) {
            size_t n = strcspn(t, "?#&=");
            memcpy(t2, t, n);
            memcpy(t2 + n, "?", 1);
            memcpy(t2 + n + 1, secret, sizeof secret);
            struct buf out;
            buf_init(&out, 1 << 20);
            access_redact_target(&out, t2);
            /* The prefix has no '?', so the query is exactly ours: its value must go. */
            static const char want[] = "?token=REDACTED";
            if (buf_ok(&out) && (out.len < sizeof want - 1 ||
                                 memcmp(out.ptr + out.len - (sizeof want - 1), want,
                                        sizeof want - 1) != 0))
                abort();
            buf_release(&out);
            free(t2);
        }
    }
    free(t);
    return 0;
}
