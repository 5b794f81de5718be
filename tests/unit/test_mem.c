/* Unit tests for the memory policy (server/mem.c): after a burst leaves the heap full of
 * free chunks between live ones, the sweeper gives those pages back once requests stop,
 * and not while one is running. Reads the process's own RssAnon; skipped under
 * AddressSanitizer, whose allocator is not glibc's. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/mem.h"
#include "t.h"

#if !defined(__SANITIZE_ADDRESS__)
enum { CHUNKS = 160000, CHUNK = 240, KEEP_EVERY = 64 };

static atomic_int running;

static int fake_inflight(void)
{
    return atomic_load(&running);
}

static long anon_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

/* Polls up to ms for RssAnon to fall below kb. */
static bool falls_below(long kb, int ms)
{
    for (int t = 0; t < ms; t += 100) {
        if (anon_kb() < kb)
            return true;
        usleep(100 * 1000);
    }
    return anon_kb() < kb;
}

static void test_sweeps_when_idle(void)
{
    /* ~37 MB of small blocks, one in 64 kept: every page but a few stays in the heap,
     * free, and glibc keeps it (only its top is returned at free()). */
    static char *p[CHUNKS];
    for (int i = 0; i < CHUNKS; i++) {
        p[i] = malloc(CHUNK);
        if (p[i])
            memset(p[i], 1, CHUNK);
    }
    long before = anon_kb();
    for (int i = 0; i < CHUNKS; i++)
        if (i % KEEP_EVERY) {
            free(p[i]);
            p[i] = NULL;
        }
    long full = anon_kb();
    T_CHECK(full > before * 3 / 4); /* free() kept the pages */

    atomic_store(&running, 1);
    T_CHECK(mem_sweeper_start(fake_inflight) == 0);
    mem_after_request(0);
    /* A request is running: two ticks pass and nothing is swept. */
    T_CHECK(!falls_below(full / 2, 2500));
    atomic_store(&running, 0);
    mem_after_request(0);
    /* Quiet now: within a few ticks the free pages go back. */
    T_CHECK(falls_below(full / 2, 5000));
    if (t_cur_failed)
        fprintf(stderr, "  RssAnon kB: %ld with the blocks, %ld after free, %ld now\n", before,
                full, anon_kb());
    mem_sweeper_stop();
    for (int i = 0; i < CHUNKS; i++)
        free(p[i]);
}

int main(void)
{
    mem_init();
    T_RUN(test_sweeps_when_idle);
    T_DONE();
}
#else
int main(void)
{
    (void)t_cur_failed;
    puts("skipped under AddressSanitizer (not glibc's allocator)");
    T_DONE();
}
#endif
