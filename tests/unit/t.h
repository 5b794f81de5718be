/* A tiny unit-test harness: each test file defines test functions, lists them in main with
 * T_RUN, and ends with T_DONE(), which prints "N passed, N failed" and sets the exit code. */
#ifndef MLT_T_H
#define MLT_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_pass, t_fail, t_cur_failed;

#define T_CHECK(cond)                                                                     \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
            t_cur_failed = 1;                                                              \
        }                                                                                  \
    } while (0)

#define T_STREQ(a, b)                                                                      \
    do {                                                                                   \
        const char *t_a = (a), *t_b = (b);                                                 \
        if (!t_a || !t_b || strcmp(t_a, t_b) != 0) {                                       \
            fprintf(stderr, "  %s:%d: %s == %s\n    got:  %s\n    want: %s\n", __FILE__,    \
                    __LINE__, #a, #b, t_a ? t_a : "(null)", t_b ? t_b : "(null)");          \
            t_cur_failed = 1;                                                              \
        }                                                                                  \
    } while (0)

#define T_RUN(fn)                                                                          \
    do {                                                                                   \
        t_cur_failed = 0;                                                                  \
        fn();                                                                              \
        if (t_cur_failed) {                                                                \
            t_fail++;                                                                      \
            fprintf(stderr, "FAIL %s\n", #fn);                                             \
        } else {                                                                           \
            t_pass++;                                                                      \
        }                                                                                  \
    } while (0)

/* Removes a scratch directory a test made (under /tmp). */
static inline void t_rmtree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

#define T_DONE()                                                                           \
    do {                                                                                   \
        printf("%d passed, %d failed\n", t_pass, t_fail);                                  \
        return t_fail ? 1 : 0;                                                             \
    } while (0)

#endif
