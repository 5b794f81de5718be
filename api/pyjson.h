/* JSON as Python's json.dumps(x, ensure_ascii=False) writes it: ", " and ": " separators,
 * shortest round-trip floats ("0.1", "1e-07"), NaN and Infinity as Python writes them.
 * What MLflow stores as JSON text (span contents, assessment values) is written this way, so
 * that the bytes match what mlflow server stores. */
#ifndef MLT_API_PYJSON_H
#define MLT_API_PYJSON_H

#include <jansson.h>
#include <stddef.h>

#include "../base/buf.h"

void pyjson_str(struct buf *b, const char *s, size_t n);
void pyjson_double(struct buf *b, double d);
/* Any jansson value (objects in their order). */
void pyjson_dump(struct buf *b, const json_t *v);

#endif
