/* UTF-8: encoding, strict decoding (RFC 3629), cutting at character boundaries, and
 * Python's Unicode-aware \w, which MLflow's name rules are written in. */
#ifndef MLT_UTF8_H
#define MLT_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes code point cp (at most 0x10FFFF) as 1 to 4 bytes at out; returns the count. */
size_t utf8_put(char *out, uint32_t cp);

/* Decodes the character at s[0..n) (n >= 1). A well-formed sequence (no overlong form, no
 * surrogate, nothing past U+10FFFF) returns its length, 1 to 4, with *cp set. Anything
 * else returns minus the length of its maximal ill-formed subpart (Unicode's "maximal
 * subpart" practice, which Python's and browsers' decoders follow): the bytes that one
 * U+FFFD replaces. */
int utf8_next(const char *s, size_t n, uint32_t *cp);

/* Whether all of s[0..n) is well-formed UTF-8. */
bool utf8_valid(const char *s, size_t n);

/* The longest prefix of s[0..n) of at most max bytes that ends on a character boundary,
 * so that cutting a message there never splits a character; a character that s itself
 * ends in the middle of (s was cut short elsewhere) is left out too. Ill-formed bytes count
 * as characters of their own (one U+FFFD each when written out). */
size_t utf8_cut(const char *s, size_t n, size_t max);

/* The number of characters (code points, as Python's len() counts them) in s[0..n); *cut
 * gets the byte offset where character number limit starts (n when s has no more than
 * limit), so that s[:limit] is its first *cut bytes. */
size_t utf8_count(const char *s, size_t n, size_t limit, size_t *cut);
/* The same of the C string s. */
size_t utf8_len(const char *s, size_t limit, size_t *cut);

/* Python's predicates on one code point, from tables generated out of the Python that
 * MLflow runs on (utf8_tables.c, by tests/tools/gen_unicode_tables.py):
 * re's \w in a str pattern (str.isalnum() or '_'), re's \d (str.isdecimal()),
 * str.isspace(), str.isprintable(). */
bool utf8_is_word(uint32_t cp);
bool utf8_is_decimal(uint32_t cp);
bool utf8_is_space(uint32_t cp);
bool utf8_is_printable(uint32_t cp);

/* re.match(r"^[\w<also>]*$", s) as Python reads it: every character of the C string s is
 * a word character or one of the ASCII characters in also; as '$' matches before a final
 * newline, one trailing "\n" is allowed. Ill-formed UTF-8 never matches. */
bool utf8_py_word_match(const char *s, const char *also);

#endif
