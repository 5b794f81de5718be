/* A streaming JSON writer into a capped buffer: no tree, no allocation per value, so large
 * responses (100,000 metric points, 1,000 runs) are one pass over the data. Commas are
 * placed automatically; keys and strings are escaped; doubles use the shortest form that
 * reads back exactly, and NaN/Infinity become the strings MLflow sends. */
#ifndef MLT_JW_H
#define MLT_JW_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"

enum { JW_MAX_DEPTH = 32 };

struct jw {
    struct buf *b;
    int depth;
    bool comma[JW_MAX_DEPTH]; /* a value was written at this depth */
    bool after_key;
};

void jw_init(struct jw *w, struct buf *b);
void jw_obj(struct jw *w);     /* { */
void jw_obj_end(struct jw *w); /* } */
void jw_arr(struct jw *w);     /* [ */
void jw_arr_end(struct jw *w); /* ] */
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s); /* NULL writes null */
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, int64_t v);
void jw_double(struct jw *w, double v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Raw, already-valid JSON. */
void jw_raw(struct jw *w, const char *json, size_t n);
/* The same written in place: places what goes before a value and returns the buffer, into
 * which the caller appends exactly one valid JSON value. */
struct buf *jw_raw_begin(struct jw *w);

/* Convenience: key + value. */
static inline void jw_kstr(struct jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_str(w, v);
}
static inline void jw_kint(struct jw *w, const char *k, int64_t v)
{
    jw_key(w, k);
    jw_int(w, v);
}
/* An int64 id that MLflow sends as a JSON string (experiment_id, version). */
void jw_kid(struct jw *w, const char *k, int64_t v);

#endif
