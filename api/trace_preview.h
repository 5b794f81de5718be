/* A trace's request and response previews (api/trace_preview.c). */
#ifndef MLT_API_TRACE_PREVIEW_H
#define MLT_API_TRACE_PREVIEW_H

#include <stddef.h>

#include "../base/arena.h"

/* MLflow's _get_truncated_preview of the JSON text s (a root span's inputs or outputs): the
 * last chat message of role ("user" for the request, "assistant" for the response) when s
 * holds messages, else s, cut to 1,000 characters. NULL where MLflow's fails and leaves the
 * preview unset (a message part whose text is not a string). From the arena. */
const char *trace_preview(struct arena *a, const char *s, size_t n, const char *role);

#endif
