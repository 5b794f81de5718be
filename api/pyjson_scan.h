/* JSON as Python's json.loads reads it (strict mode, the C scanner), checked in place:
 * no tree, no allocation. It accepts what loads accepts and nothing else: NaN, Infinity and
 * -Infinity; integers of any length; no raw control characters inside strings, and
 * strings of well-formed UTF-8 (loads reads a str); whitespace only where JSON allows it. MLflow decides with loads whether a span attribute was
 * encoded twice, and the stored contents it writes are loads' input too, so mltrack reads
 * both with this grammar rather than jansson's (which refuses NaN and big integers, and
 * allocates a tree per value). */
#ifndef MLT_API_PYJSON_SCAN_H
#define MLT_API_PYJSON_SCAN_H

#include <stddef.h>

#include "../base/buf.h"

enum pyjson_kind {
    PYJSON_BAD = -1, /* not one value loads reads */
    PYJSON_NULL,
    PYJSON_BOOL,
    PYJSON_INT,       /* no fraction, no exponent (any length) */
    PYJSON_REAL,
    PYJSON_NONFINITE, /* NaN, Infinity, -Infinity */
    PYJSON_STRING,
    PYJSON_ARRAY,
    PYJSON_OBJECT,
};

/* Containers nest at most this deep; deeper text counts as bad (Python's own scanner
 * raises RecursionError, not a decode error, near 1,000). */
enum { PYJSON_MAX_DEPTH = 512 };

/* The index of the first non-whitespace byte at or after i (n at the end). */
size_t pyjson_ws(const char *s, size_t n, size_t i);

/* The value that starts at s[i] (no whitespace before it): its kind, with *end just past
 * it; PYJSON_BAD when there is no valid value there. */
enum pyjson_kind pyjson_value(const char *s, size_t n, size_t i, size_t *end);

/* The value at s[i] in text already checked with pyjson_value or pyjson_kind: its kind,
 * with *end just past it, found without checking again (a fraction of the work). */
enum pyjson_kind pyjson_skip(const char *s, size_t n, size_t i, size_t *end);

/* The whole text as one value with optional whitespace around it: its kind, or BAD; with
 * pyjson_whole, also where the value starts and ends. */
enum pyjson_kind pyjson_kind(const char *s, size_t n);
enum pyjson_kind pyjson_whole(const char *s, size_t n, size_t *start, size_t *end);

/* Appends the text of the string token s[0..n) (quotes included, as pyjson_value found
 * it) to b, escapes decoded to UTF-8. -1 for an escaped lone surrogate, which UTF-8
 * cannot carry. */
int pyjson_unescape(struct buf *b, const char *s, size_t n);

#endif
