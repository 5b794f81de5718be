/* Python's `re` patterns as POSIX extended regular expressions (glibc's <regex.h>), for
 * MLflow's RLIKE on SQLite: MLflow registers regexp(pattern, s) as
 * `re.search(pattern, s) is not None`, false for a pattern re refuses. Only whether a match
 * exists counts, so the greedy/lazy difference and POSIX's leftmost-longest rule do not
 * matter; what does is translated:
 *   \d \D -> [0-9] [^0-9]; \A \Z -> ^ $; \n \t \r \f \v \a -> the character; \. \* ... ->
 *   the character (escaped when POSIX needs it); `.` -> any character but a newline; `$` ->
 *   the end, after an optional final newline; `(?:` `(?P<name>` -> a group; `*? +? ??
 *   {m,n}?` -> the greedy form; `{` that is no quantifier -> a literal; leading `(?i)`,
 *   `(?s)` (and combinations of a, i, s, u) -> REG_ICASE, a dot that takes newlines;
 *   classes with \d \w \s and escapes inside brackets.
 * Refused (the caller treats the pattern as matching nothing, as MLflow does for one re
 * refuses): lookarounds, conditionals, backreferences (glibc may backtrack without bound
 * on them), possessive quantifiers and atomic groups, \x \u \N \0 escapes, unknown
 * letter escapes, \D \W \S inside brackets, inline flags other than a leading (?ais),
 * unbalanced parentheses, a quantifier with nothing to repeat, a {m,n} past 1000, over a
 * group holding another {m,n}, or whose copies add up past 64 KiB of pattern (glibc
 * builds every copy); that is, what re refuses too, and some patterns re accepts.
 * Differences that remain: \w, \s and \d are ASCII or the locale's classes, not Python's
 * Unicode ones; case folding (i) is the locale's. */
#ifndef MLT_PYRE_H
#define MLT_PYRE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Flags a translated pattern needs, besides REG_EXTENDED. */
struct pyre_flags {
    bool icase; /* REG_ICASE */
};

/* Appends the ERE for the Python pattern p[0..n) to out (nothing for an empty pattern,
 * which POSIX also matches everywhere: out->ptr may stay NULL). Returns 0, or -1 when the
 * pattern is refused (see above) or out is full. */
int pyre_to_ere(const char *p, size_t n, struct buf *out, struct pyre_flags *fl);

#endif
