/* Eight bytes at a time through the plain part of JSON text: printable ASCII other than the
 * quote and the backslash, which JSON writers copy and readers pass over as they are. */
#ifndef MLT_JSON_PLAIN_H
#define MLT_JSON_PLAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Whether none of the 8 bytes at p is a quote, a backslash, a control character or a byte
 * of a multibyte character (the bit tricks of "Bit Twiddling Hacks": a byte below 0x20
 * borrows into its high bit, a byte equal to c becomes zero after xor). */
static inline bool json_plain8(const char *p)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t quote = x ^ (ones * '"'), bslash = x ^ (ones * '\\');
    uint64_t zero_q = (quote - ones) & ~quote, zero_b = (bslash - ones) & ~bslash;
    uint64_t ctl = x - ones * 0x20;
    return ((zero_q | zero_b | ctl | x) & high) == 0;
}

/* The first index at or after i where the bytes stop being plain by the word (the byte
 * there may still be plain: callers look at it one at a time). */
static inline size_t json_plain_skip(const char *s, size_t n, size_t i)
{
    while (n - i >= 8 && json_plain8(s + i))
        i += 8;
    return i;
}

#endif
