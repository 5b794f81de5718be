/* Bump allocator with geometrically growing blocks. */
#include "arena.h"

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
        free(b);
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
        free(b);
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
        struct arena_block *nb = malloc(sizeof(*nb) + cap);
        if (!nb)
            oom();
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
