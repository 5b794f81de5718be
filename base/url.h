/* Percent-encoding, as URLs and MLflow's sources use it. */
#ifndef MLT_URL_H
#define MLT_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"

/* The value of one hex digit, or -1. */
int hex_digit(char c);

/* Decodes %XX escapes in s[0..n) into out (which must hold n+1 bytes) and NUL-terminates
 * it; returns the decoded length (a decoded %00 is kept: use the length, not strlen). A
 * '%' not followed by two hex digits is kept as is (as Python's unquote does). When
 * plus_is_space, '+' becomes ' ' (query strings); in paths '+' is a literal plus. out may
 * equal s (decoding never lengthens). */
size_t url_decode(char *out, const char *s, size_t n, bool plus_is_space);

/* root + "/" + seg without doubling the slash (MLflow's append_to_uri_path), from the
 * arena. */
const char *uri_join(struct arena *a, const char *root, const char *seg);

/* Appends the relative path rel to the directory in b as Python's pathlib joins them
 * (PurePath.joinpath().as_posix()): "." and empty segments vanish, ".." stays, no trailing
 * slash. */
void buf_join_path(struct buf *b, const char *rel);

#endif
