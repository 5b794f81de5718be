/* A growable byte buffer with a hard maximum size and a sticky error flag (SQLite's
 * StrAccum, curl's dynbuf): append freely, check buf_ok() once at the end. The bytes are
 * always NUL-terminated so the buffer can be handed to C string functions. */
#ifndef MLT_BUF_H
#define MLT_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *ptr;  /* malloc'd, owned; NULL until the first append */
    size_t len; /* bytes used, excluding the terminating NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard limit on len; appends past it set err */
    bool err;   /* sticky: an append failed (over max or out of memory) */
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Forget the contents but keep the memory. */
void buf_clear(struct buf *b);
/* Make room for n more bytes; false (and err set) if it would pass max. */
bool buf_reserve(struct buf *b, size_t n);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void buf_put_i64(struct buf *b, int64_t v);
static inline bool buf_ok(const struct buf *b)
{
    return !b->err;
}
/* Hands the malloc'd bytes to the caller (caller frees) and resets the buffer. */
char *buf_detach(struct buf *b, size_t *len);

#endif
