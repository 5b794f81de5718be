/* A bump allocator: one per request, released in one place when the request ends.
 * Allocation never fails silently: on out-of-memory the process aborts, because a
 * half-built response is worse than a restart (the caps on input keep sizes small). */
#ifndef MLT_ARENA_H
#define MLT_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head; /* current block; older ones chained behind */
    size_t total;             /* bytes handed out, for caps and logging */
};

void arena_init(struct arena *a);
/* Frees every block; the arena may be reused after arena_init. */
void arena_release(struct arena *a);
/* Keeps the first block and forgets the rest, for reuse by the same thread. */
void arena_reset(struct arena *a);
/* Frees the blocks that released and reset arenas left for others to reuse (at most
 * 16 MiB); returns how many. Any thread, at any time. */
int arena_pool_drain(void);

/* Aligned to 16 bytes, zero-filled. n may be 0. */
void *arena_alloc(struct arena *a, size_t n);
/* n elements of size sz with overflow check (aborts on overflow). */
void *arena_calloc(struct arena *a, size_t n, size_t sz);
/* A NUL-terminated copy of s[0..n). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* Growing arrays in the arena: given arr holding n elements of size sz, all obtained from
 * this function, returns an array with room for one more (arr itself, or a copy with
 * twice the room when n reached a power of two, 4 at least). The old block is not freed
 * (the arena never frees); doubling keeps the waste under half. */
void *arena_grow(struct arena *a, void *arr, size_t n, size_t sz);
/* printf into the arena; the result is NUL-terminated. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
