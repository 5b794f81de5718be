/* The Python str operations that MLflow's name rules and messages are made of, so that
 * mltrack refuses what MLflow refuses with the very text MLflow writes: json.dumps() of a
 * str (invalid_value's "Invalid value \"...\""), repr() (bad_path_message's "would resolve
 * to '...'"), posixpath.normpath() and path_not_unique(), and `s.strip() == ""`. Inputs are
 * C strings in UTF-8; an ill-formed byte reads as U+FFFD, as Werkzeug decodes it. Results
 * are from the arena. */
#ifndef MLT_PYSTR_H
#define MLT_PYSTR_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"

/* json.dumps(s) with Python's defaults (ensure_ascii): quoted, ASCII only. */
const char *py_json_str(struct arena *a, const char *s);
/* json.dumps' escape of code point cp outside ASCII: \uXXXX, a surrogate pair past U+FFFF. */
void py_json_u_escape(struct buf *b, uint32_t cp);
/* repr(s): single quotes unless s holds ' and no ", non-printable characters escaped. */
const char *py_repr(struct arena *a, const char *s);
/* repr(d): "0.5", "1e-05", "nan", "-inf". */
const char *py_repr_float(struct arena *a, double d);
/* posixpath.normpath(s). */
const char *py_normpath(struct arena *a, const char *s);
/* MLflow's path_not_unique(s): normpath changes s, or gives ".", or starts with ".." or
 * "/". */
bool py_path_not_unique(struct arena *a, const char *s);
/* s.strip() == "" (Python's Unicode whitespace). */
bool py_blank(const char *s);

#endif
