/* Unit tests for the JSON of entities (api/serialize.c): the fast writer of history points
 * writes exactly the bytes of put_metric, whatever the key, run id and value. */
#include <math.h>
#include <string.h>

#include "api/api.h"
#include "t.h"

static void test_point_bytes(void)
{
    struct arena a;
    arena_init(&a);
    static const char *const keys[] = {"loss", "a \"quoted\" \\ key", "\xc3\xa9t\xc3\xa9", "x\ny"};
    static const char *const runs[] = {"0123456789abcdef0123456789abcdef", "r\"1", NULL};
    const double values[] = {0.5, -0.0, 1e300, 5e-324, NAN, INFINITY, -INFINITY, 3.0};
    for (int with_run = 0; with_run < 2; with_run++) {
        struct buf fast, slow;
        buf_init(&fast, 1 << 20);
        buf_init(&slow, 1 << 20);
        struct jw wf, ws;
        jw_init(&wf, &fast);
        jw_init(&ws, &slow);
        jw_arr(&wf);
        jw_arr(&ws);
        struct point_fmt f;
        memset(&f, 0, sizeof f);
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            for (size_t r = 0; r < sizeof runs / sizeof *runs; r++)
                for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
                    struct metric m = {.key = keys[k], .value = values[v],
                                       .timestamp = (int64_t)v * -7, .step = INT64_MAX - (int64_t)v,
                                       .run_id = runs[r]};
                    put_point(&wf, &f, &a, &m, with_run);
                    put_metric(&ws, &m, with_run);
                }
        jw_arr_end(&wf);
        jw_arr_end(&ws);
        T_CHECK(fast.len == slow.len && memcmp(fast.ptr, slow.ptr, fast.len) == 0);
        if (fast.len != slow.len || memcmp(fast.ptr, slow.ptr, fast.len) != 0)
            fprintf(stderr, "  fast: %.300s\n  slow: %.300s\n", fast.ptr, slow.ptr);
        buf_release(&fast);
        buf_release(&slow);
    }
    arena_release(&a);
}

int main(void)
{
    T_RUN(test_point_bytes);
    T_DONE();
}
