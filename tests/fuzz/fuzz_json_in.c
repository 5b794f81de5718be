/* libFuzzer target for the JSON request readers (api/in.c): every input is a request body
 * read as the handlers read it (in_init, then each kind of field, top-level and inside
 * objects of an array, both spellings), and also the query string of a GET read the same
 * way. Nothing may crash or leak, every error is INVALID_PARAMETER_VALUE, and a message about
 * well-formed input is well-formed UTF-8 (base/err.c and api/jw.c cut at characters).
 *   ./fuzz_json_in tests/fuzz/corpus/json_in
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/in.h"
#include "base/utf8.h"
#include "server/urlparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fields[] = {"run_id", "key", "value", "max_results", "step",
                                     "timestamp", "tags", "metrics", "experiment_ids",
                                     "order_by", "filter", "page_token", "run_uuid", "name"};
enum { NFIELDS = sizeof fields / sizeof *fields };

static void check(struct err *e, bool wellformed)
{
    if (e->code == ERR_OK)
        return;
    if (e->code != ERR_INVALID_PARAMETER_VALUE)
        abort();
    if (wellformed && !utf8_valid(e->msg, strlen(e->msg)))
        abort();
    err_clear(e);
}

/* Every reader on every field name, as the handlers call them. */
static void read_all(struct in *in, struct err *e, bool wellformed)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        const char *s, **list;
        int64_t n;
        double d;
        bool b, has;
        size_t cnt;
        json_t *arr;
        in_str(in, fields[i], &s);
        check(e, wellformed);
        in_str_req(in, fields[i], &s);
        check(e, wellformed);
        in_i64(in, fields[i], &n, &has);
        check(e, wellformed);
        in_double(in, fields[i], &d, &has);
        check(e, wellformed);
        in_bool(in, fields[i], &b, &has);
        check(e, wellformed);
        in_str_list(in, fields[i], &list, &cnt);
        check(e, wellformed);
        in_raw(in, fields[i]);
        if (in_array(in, fields[i], &arr) != 0 || !arr) {
            check(e, wellformed);
            continue;
        }
        for (size_t k = 0; k < json_array_size(arr) && k < 8; k++) {
            json_t *o = json_array_get(arr, k);
            obj_str(in, o, "x[0]", "key", k & 1, &s);
            check(e, wellformed);
            obj_i64(in, o, "x[0]", "step", k & 1, &n, &has);
            check(e, wellformed);
            obj_double(in, o, "x[0]", "value", k & 1, &d, &has);
            check(e, wellformed);
        }
    }
    in_run_id(in, &(const char *){NULL});
    check(e, wellformed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a);
    struct err e;
    err_clear(&e);
    bool wellformed = utf8_valid((const char *)data, size);

    /* As a POST body. */
    struct req r = {.arena = &a, .method = HTTP_POST, .path = "/",
                    .body = (const char *)data, .body_len = size};
    struct in in;
    if (in_init(&in, &r, &e) == 0)
        read_all(&in, &e, wellformed);
    check(&e, wellformed);
    in_release(&in);

    /* As the query string of a GET. */
    char *target = arena_alloc(&a, size + 3);
    target[0] = '/';
    target[1] = '?';
    memcpy(target + 2, data, size);
    target[size + 2] = '\0';
    struct req g = {.arena = &a, .method = HTTP_GET};
    if (strlen(target) == size + 2 &&
        url_parse_target(&a, target, &g.path, &g.query, &g.nquery) == URL_OK) {
        in_init_query(&in, &g, &e);
        /* Decoded query values need not be well-formed: only the shape is checked. */
        read_all(&in, &e, false);
    }
    arena_release(&a);
    return 0;
}
