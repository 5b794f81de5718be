/* libFuzzer target for the request-framing checker (server/framing.c): every input is fed
 * whole and again in pieces whose sizes come from the input's first byte, and both runs
 * must agree on the outcome (the checker works on a stream, whatever the reads). As a
 * libFuzzer binary (tests/fuzz/run.py builds and runs it):
 *   ./fuzz_framing tests/fuzz/corpus/framing
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned step = data[0] % 17 + 1; /* piece sizes 1..17, varied below */
    const char *p = (const char *)data + 1;
    size_t n = size - 1;

    struct framing whole, pieces;
    framing_init(&whole);
    framing_init(&pieces);
    size_t start = 0;
    enum framing_error e1 = framing_feed(&whole, p, n, &start);
    if (start > n)
        abort();
    (void)framing_awaiting_head(&whole);

    enum framing_error e2 = FR_OK;
    for (size_t off = 0, k = 0; off < n && e2 == FR_OK; k++) {
        size_t len = (step + k) % 17 + 1;
        if (len > n - off)
            len = n - off;
        size_t st;
        e2 = framing_feed(&pieces, p + off, len, &st);
        if (st > len)
            abort();
        off += len;
    }
    if (e1 != e2)
        abort();
    if (e1 != FR_OK) {
        char out[1024];
        if (framing_response(out, sizeof out, framing_error_status(e1), "BAD_REQUEST",
                             framing_error_message(e1), NULL) == 0)
            abort();
    }
    return 0;
}
