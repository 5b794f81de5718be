/* Standard base64 (RFC 4648 section 4, the + and / alphabet), as Python's base64 module
 * writes it. */
#ifndef MLT_BASE64_H
#define MLT_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* The encoding of p[0..n) with padding, NUL-terminated, from the arena. */
char *base64_encode(struct arena *a, const void *p, size_t n);

/* Decodes s[0..n) into a NUL-terminated arena buffer; *len gets its length. With
 * need_padding the length must be a non-zero multiple of 4 with at most two '=' at the end
 * (Python's b64decode); without, any number of trailing '=' (none included) is accepted.
 * NULL when s is not base64. */
char *base64_decode(struct arena *a, const char *s, size_t n, bool need_padding, size_t *len);

#endif
