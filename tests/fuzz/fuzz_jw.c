/* libFuzzer target for the JSON writer's strings (api/jw.c), the one place every response
 * body is written: every input is a string value and a key. Whatever the bytes, the body
 * must be valid UTF-8 and valid JSON, and well-formed input must come back unchanged.
 *   ./fuzz_jw tests/fuzz/corpus/jw
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/jw.h"
#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char *key = malloc(size + 1);
    if (!key)
        return 0;
    memcpy(key, s, size);
    key[size] = '\0';
    struct buf b;
    buf_init(&b, 1 << 26);
    struct jw w;
    jw_init(&w, &b);
    jw_obj(&w);
    jw_key(&w, key);
    jw_arr(&w);
    jw_strn(&w, s, size);
    jw_str(&w, key);
    jw_arr_end(&w);
    jw_obj_end(&w);
    if (!buf_ok(&b) || !utf8_valid(b.ptr, b.len))
        abort();
    json_error_t je;
    json_t *j = json_loadb(b.ptr, b.len, JSON_ALLOW_NUL, &je);
    if (!j)
        abort();
    if (utf8_valid(s, size)) {
        json_t *v = json_array_get(json_object_get(j, key), 0);
        if (!v || json_string_length(v) != size || memcmp(json_string_value(v), s, size) != 0)
            abort();
    }
    json_decref(j);
    buf_release(&b);
    free(key);
    return 0;
}
