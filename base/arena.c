/* Bump allocator with geometrically growing blocks. */
#include "arena.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
    struct arena_block *prev;
    size_t cap;
    size_t used;
    _Alignas(16) unsigned char data[];
};

enum { ARENA_FIRST = 8192, ARENA_ALIGN = 16 };

/* Blocks that arenas give up wait in a small pool for the next arena that grows. Blocks of
 * 128 KiB and more are mmapped (server/mem.c), so a fresh one costs a page fault and a
 * zeroed page per 4 KiB touched, and its munmap a TLB flush: the faults alone were 5% of
 * the CPU of an OTLP ingest, whose requests fill half a megabyte each. Smaller blocks come from malloc's
 * heap, which reuses them at no cost, so they are not kept. The pool holds at most
 * POOL_BLOCKS blocks of at most POOL_MAX bytes; arena_pool_drain frees them (the memory
 * sweeper, once requests pause). Under AddressSanitizer a pooled block is poisoned, so that
 * a pointer kept past its arena's reset still faults there. */
enum { POOL_BLOCKS = 16, POOL_MIN = 128 << 10, POOL_MAX = 1 << 20 };
static struct {
    pthread_mutex_t mu;
    struct arena_block *b[POOL_BLOCKS];
    int n;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER};

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(b) ASAN_POISON_MEMORY_REGION((b)->data, (b)->cap)
#define UNPOISON(b) ASAN_UNPOISON_MEMORY_REGION((b)->data, (b)->cap)
#else
#define POISON(b) ((void)(b))
#define UNPOISON(b) ((void)(b))
#endif

static void block_free(struct arena_block *b)
{
    if (b->cap >= POOL_MIN && b->cap <= POOL_MAX) {
        pthread_mutex_lock(&pool.mu);
        bool kept = pool.n < POOL_BLOCKS;
        if (kept) {
            POISON(b);
            pool.b[pool.n++] = b;
        }
        pthread_mutex_unlock(&pool.mu);
        if (kept)
            return;
    }
    free(b);
}

/* The largest pooled block that holds need bytes, or NULL. */
static struct arena_block *block_from_pool(size_t need)
{
    if (need > POOL_MAX)
        return NULL;
    struct arena_block *b = NULL;
    pthread_mutex_lock(&pool.mu);
    int best = -1;
    for (int i = 0; i < pool.n; i++)
        if (pool.b[i]->cap >= need && (best < 0 || pool.b[i]->cap > pool.b[best]->cap))
            best = i;
    if (best >= 0) {
        b = pool.b[best];
        pool.b[best] = pool.b[--pool.n];
    }
    pthread_mutex_unlock(&pool.mu);
    if (b)
        UNPOISON(b);
    return b;
}

int arena_pool_drain(void)
{
    pthread_mutex_lock(&pool.mu);
    int n = pool.n;
    struct arena_block *b[POOL_BLOCKS];
    memcpy(b, pool.b, sizeof b);
    pool.n = 0;
    pthread_mutex_unlock(&pool.mu);
    for (int i = 0; i < n; i++) {
        UNPOISON(b[i]);
        free(b[i]);
    }
    return n;
}

static void oom(void)
{
    fputs("mltrack: out of memory\n", stderr);
    abort();
}

void arena_init(struct arena *a)
{
    a->head = NULL;
    a->total = 0;
}

void arena_release(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *p = b->prev;
        block_free(b);
        b = p;
    }
    a->head = NULL;
    a->total = 0;
}

void arena_reset(struct arena *a)
{
    struct arena_block *b = a->head;
    if (!b)
        return;
    while (b->prev) {
        struct arena_block *p = b->prev;
        block_free(b);
        b = p;
    }
    b->used = 0;
    a->head = b;
    a->total = 0;
}

/* n bytes, not cleared: for callers that write every one of them. */
static void *take(struct arena *a, size_t n)
{
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n)
        oom();
    struct arena_block *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = b ? b->cap * 2 : ARENA_FIRST;
        while (cap < need) {
            if (cap > SIZE_MAX / 2)
                oom();
            cap *= 2;
        }
        /* Not an arena's first block: a reset keeps that one, out of the pool's reach. */
        struct arena_block *nb = b ? block_from_pool(need) : NULL;
        if (nb) {
            cap = nb->cap;
        } else if (!(nb = malloc(sizeof(*nb) + cap))) {
            oom();
        }
        nb->prev = b;
        nb->cap = cap;
        nb->used = 0;
        a->head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->total += need;
    return p;
}

void *arena_alloc(struct arena *a, size_t n)
{
    void *p = take(a, n);
    memset(p, 0, n);
    return p;
}

void *arena_calloc(struct arena *a, size_t n, size_t sz)
{
    if (sz && n > SIZE_MAX / sz)
        oom();
    return arena_alloc(a, n * sz);
}

void *arena_grow(struct arena *a, void *arr, size_t n, size_t sz)
{
    if (n == 0 || !arr)
        return arena_calloc(a, 4, sz);
    if (n < 4 || (n & (n - 1)) != 0)
        return arr;
    void *na = arena_calloc(a, n * 2, sz);
    memcpy(na, arr, n * sz);
    return na;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = take(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
    /* Most strings fit the stack buffer: one formatting pass. */
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return arena_strdup(a, "");
    if ((size_t)n < sizeof small)
        return arena_strndup(a, small, (size_t)n);
    char *p = take(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}
