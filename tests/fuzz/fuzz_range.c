/* libFuzzer target for the Range header of downloads (api/range.c): the first 8 bytes of
 * an input are the file size, the rest the header value. An accepted range lies inside
 * the file; a header the parser refuses means the whole file is sent.
 *   ./fuzz_range tests/fuzz/corpus/range
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t fsize = 0;
    if (size >= 8) {
        memcpy(&fsize, data, 8);
        data += 8;
        size -= 8;
    }
    char *h = malloc(size + 1);
    if (!h)
        return 0;
    memcpy(h, data, size);
    h[size] = '\0';
    /* A small size as often as a huge one: both ends of the arithmetic. */
    uint64_t sizes[] = {fsize, fsize % 1000, UINT64_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        uint64_t from = 1, to = 0;
        if (http_range_parse(h, sizes[i], &from, &to) && !(from <= to && to < sizes[i]))
            abort();
    }
    free(h);
    return 0;
}
