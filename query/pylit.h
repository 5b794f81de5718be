/* Python literals as MLflow evaluates them (inside query/ only). Results are from the arena;
 * errors are INVALID_PARAMETER_VALUE with MLflow's messages. */
#ifndef MLT_QUERY_PYLIT_H
#define MLT_QUERY_PYLIT_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/err.h"
#include "../base/util.h"

/* MLflow's _parse_list_from_sql_token + _check_valid_identifier_list on "( ... )": a
 * non-empty tuple (or a single string) of string literals, escapes applied, at most
 * FILTER_MAX_LIST items. */
int parse_str_list(struct arena *a, struct str text, struct str **items, size_t *n,
                   struct err *e);
/* Python's int() of a string: surrounding whitespace, a sign, digits (underscores between
 * digits allowed); false when it is not one or does not fit int64. */
bool py_int_of_str(struct str s, int64_t *out);
/* shlex.split of an order_by identifier after MLflow turns backticks into double quotes:
 * quote characters vanish, a backslash escapes the next character. */
struct str shlex_unquote(struct arena *a, struct str raw);

#endif
