/* The proto JSON forms trace endpoints read and write: google.protobuf.Timestamp and
 * Duration as text; and stored JSON (assessment values) read as json.loads reads it. A
 * stored span is written out by api/span_otel.c. */
#ifndef MLT_API_TRACE_JSON_H
#define MLT_API_TRACE_JSON_H

#include <stddef.h>
#include <stdint.h>

/* ms since the epoch as RFC 3339 in UTC with 0 or 3 fraction digits: "2026-12-02T11:33:15.210Z". */
void trace_json_timestamp(char *out, size_t cap, int64_t ms);
/* ms as a proto Duration: "0.078s", "2s". */
void trace_json_duration(char *out, size_t cap, int64_t ms);
/* The inverses (any fraction precision, offsets "Z" or "+hh:mm"); 0 or -1. */
int trace_json_parse_timestamp(const char *s, int64_t *ms);
int trace_json_parse_duration(const char *s, int64_t *ms);

/* Parses stored JSON (assessment values) as Python's json.loads would: NaN, Infinity and -Infinity are
 * read (as null). NULL when it is not JSON. The caller json_decref's the result. */
typedef struct json_t json_t;
json_t *trace_json_load(const char *p, size_t n);

#endif
