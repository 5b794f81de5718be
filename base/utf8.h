/* UTF-8 encoding. */
#ifndef MLT_UTF8_H
#define MLT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Writes code point cp (at most 0x10FFFF) as 1 to 4 bytes at out; returns the count. */
size_t utf8_put(char *out, uint32_t cp);

#endif
