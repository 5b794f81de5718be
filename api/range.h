/* The Range request header of artifact downloads (RFC 9110 section 14): one byte range,
 * "bytes=first-last", "bytes=first-" or "bytes=-suffix", digits only, resolved against the
 * file's size. Pure code, fuzzed by tests/fuzz/fuzz_range.c. */
#ifndef MLT_API_RANGE_H
#define MLT_API_RANGE_H

#include <stdbool.h>
#include <stdint.h>

/* True with [*from, *to] (inclusive, within the file) when h is one satisfiable range of a
 * file of size bytes; false when there is no header, it is malformed, names several
 * ranges, or cannot be satisfied: the whole file is then sent, as RFC 9110 allows. */
bool http_range_parse(const char *h, uint64_t size, uint64_t *from, uint64_t *to);

#endif
