/* A trace's request and response previews from its root span's inputs and outputs, as
 * MLflow's _get_truncated_preview makes them (mlflow/tracing/utils/truncation.py): when the
 * JSON holds chat messages (OpenAI's chat completion request or response, the Responses API's
 * input or output, a ResponsesAgent's request), the text of the last one of the role, else
 * the JSON text itself; at most PREVIEW_MAX characters, the last three "..." when cut. */
#include "trace_preview.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "../base/utf8.h"

#define PREVIEW_MAX 1000 /* TRACE_REQUEST_RESPONSE_PREVIEW_MAX_LENGTH_OSS, in characters */

/* _is_message: a dict with a role and a content. */
static bool is_message(json_t *v)
{
    return json_is_object(v) && json_object_get(v, "role") && json_object_get(v, "content");
}

/* Python's truthiness of a JSON value. */
static bool truthy(json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return false;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_object(v))
        return json_object_size(v) > 0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    if (json_is_real(v))
        return json_real_value(v) != 0;
    return true;
}

/* _try_extract_messages: where obj keeps its messages, an array (its message items count)
 * or one message (a chat completion's choices[0].message); NULL when nowhere. */
static json_t *messages_in(json_t *obj, int depth)
{
    json_t *v;
    if (!json_is_object(obj) || depth > 64)
        return NULL;
    if (truthy(v = json_object_get(obj, "messages")) && json_is_array(v))
        return v;
    json_t *c0 = json_array_get(json_object_get(obj, "choices"), 0);
    if (json_is_object(c0) && is_message(v = json_object_get(c0, "message")))
        return v;
    if (truthy(v = json_object_get(obj, "input")) && json_is_array(v))
        return v;
    if (truthy(v = json_object_get(obj, "output")) && json_is_array(v))
        return v;
    if ((v = json_object_get(obj, "request")))
        return messages_in(v, depth + 1);
    return NULL;
}

/* _get_last_message: the last message of role, else the last message; NULL when none. */
static json_t *last_message(json_t *where, const char *role)
{
    if (!json_is_array(where))
        return where;
    json_t *last = NULL;
    for (size_t i = json_array_size(where); i-- > 0;) {
        json_t *m = json_array_get(where, i);
        if (!is_message(m))
            continue;
        if (!last)
            last = m;
        const char *r = json_string_value(json_object_get(m, "role"));
        if (r && strcmp(r, role) == 0)
            return m;
    }
    return last;
}

enum text { TEXT_NONE, TEXT_SOME, TEXT_BAD };

/* _get_text_content_from_message: the content's text (borrowed from the tree), TEXT_NONE
 * when it is empty or missing, TEXT_BAD when a text part's text is a non-empty non-string
 * (MLflow's preview then fails). */
static enum text text_of(json_t *msg, const char **s, size_t *len)
{
    json_t *c = json_object_get(msg, "content"), *t = NULL;
    if (json_is_string(c)) {
        t = c;
    } else if (json_is_array(c)) {
        size_t i;
        json_t *part;
        json_array_foreach(c, i, part) {
            const char *ty = json_string_value(json_object_get(part, "type"));
            if (json_is_string(part) ||
                (ty && (strcmp(ty, "text") == 0 || strcmp(ty, "output_text") == 0))) {
                t = json_is_string(part) ? part : json_object_get(part, "text");
                break;
            }
        }
    }
    if (!truthy(t))
        return TEXT_NONE;
    if (!json_is_string(t))
        return TEXT_BAD;
    *s = json_string_value(t);
    *len = json_string_length(t);
    return TEXT_SOME;
}

/* The chat message text s holds, copied to the arena (TEXT_SOME), or none. */
static enum text message_text(struct arena *a, const char *s, size_t n, const char *role,
                              const char **out, size_t *len)
{
    /* Every message has a "role": most inputs are not even parsed. */
    if (!memmem(s, n, "\"role\"", 6))
        return TEXT_NONE;
    json_t *obj = json_loadb(s, n, 0, NULL), *msg;
    enum text r = TEXT_NONE;
    if (obj && (msg = messages_in(obj, 0)) && (msg = last_message(msg, role))) {
        const char *t;
        r = text_of(msg, &t, len);
        if (r == TEXT_SOME)
            *out = arena_strndup(a, t, *len);
    }
    json_decref(obj);
    return r;
}

const char *trace_preview(struct arena *a, const char *s, size_t n, const char *role)
{
    const char *msg = NULL;
    size_t mlen;
    enum text r = message_text(a, s, n, role, &msg, &mlen);
    if (r == TEXT_BAD)
        return NULL;
    if (r == TEXT_SOME) {
        s = msg;
        n = mlen;
    }
    size_t cut;
    if (utf8_count(s, n, PREVIEW_MAX - 3, &cut) <= PREVIEW_MAX)
        return msg ? msg : arena_strndup(a, s, n);
    char *out = arena_alloc(a, cut + 4);
    memcpy(out, s, cut);
    memcpy(out + cut, "...", 4);
    return out;
}
