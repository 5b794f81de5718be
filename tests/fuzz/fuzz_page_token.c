/* libFuzzer target for MLflow's page tokens: every input is read as an offset token and as a
 * logged-model token for a fixed request; neither may crash, leak or accept a token that
 * does not round-trip. Linked with replay.c instead of libFuzzer, it replays its corpus
 * as a normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/page_token.h"
#include "base/arena.h"
#include "base/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a);
    struct err e;
    const char *s = (const char *)data;
    int64_t off = -1;
    if (page_token_parse_offset(&a, s, size, &off, &e) == 0 && size > 0) {
        /* An accepted token names a positive offset, and ours for it parses back. */
        if (off <= 0)
            abort();
        const char *t = page_token_format_offset(&a, off);
        int64_t again = -1;
        if (page_token_parse_offset(&a, t, strlen(t), &again, &e) != 0 || again != off)
            abort();
    }
    char *tok = arena_strndup(&a, s, size);
    struct page_token_lm req = {json_pack("[s]", "1"), json_null(), json_null()};
    page_token_lm_decode(&a, tok, &req, &off, &e);
    page_token_lm_release(&req);
    arena_release(&a);
    return 0;
}
