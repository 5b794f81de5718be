/* Replies: MLflow's error body and its HTTP status table, and the shapes that many
 * handlers share ({} and a search page with its next-page token). */
#include "../base/util.h"
#include "api.h"
#include "page_token.h"

int api_status_for(enum err_code code)
{
    switch (code) {
    case ERR_OK:
        return 200;
    case ERR_INVALID_PARAMETER_VALUE:
    case ERR_BAD_REQUEST:
    case ERR_RESOURCE_ALREADY_EXISTS: /* MLflow's legacy mapping: 400, not 409 */
        return 400;
    case ERR_ABORTED:
        return 409;
    case ERR_RESOURCE_DOES_NOT_EXIST:
    case ERR_ENDPOINT_NOT_FOUND:
    case ERR_NOT_FOUND:
        return 404;
    case ERR_PERMISSION_DENIED:
        return 403;
    case ERR_REQUEST_LIMIT_EXCEEDED:
        return 429;
    case ERR_NOT_IMPLEMENTED:
        return 501;
    case ERR_TEMPORARILY_UNAVAILABLE:
        return 503;
    case ERR_INVALID_STATE:
    case ERR_INTERNAL_ERROR:
    default:
        return 500;
    }
}

void api_error(struct resp *out, enum err_code code, const char *msg)
{
    buf_clear(&out->body);
    out->status = api_status_for(code);
    out->content_type = "application/json";
    struct jw w;
    jw_init(&w, &out->body);
    jw_obj(&w);
    jw_kstr(&w, "error_code", err_code_name(code));
    jw_kstr(&w, "message", msg);
    jw_obj_end(&w);
}

int reply_empty(struct ctx *c)
{
    jw_obj(&c->w);
    jw_obj_end(&c->w);
    return 0;
}

int reply_item(struct ctx *c, const char *field, void (*put)(struct jw *, const void *),
               const void *item)
{
    jw_obj(&c->w);
    jw_key(&c->w, field);
    put(&c->w, item);
    jw_obj_end(&c->w);
    return 0;
}

int reply_page(struct ctx *c, const char *field, const void *items, size_t n, size_t size,
               void (*put)(struct jw *, const void *), int64_t max, int64_t offset)
{
    bool more = (int64_t)n > max;
    if (more)
        n = (size_t)max;
    jw_obj(&c->w);
    if (n) {
        jw_key(&c->w, field);
        jw_arr(&c->w);
        for (size_t i = 0; i < n; i++)
            put(&c->w, (const char *)items + i * size);
        jw_arr_end(&c->w);
    }
    if (more)
        jw_kstr(&c->w, "next_page_token",
                page_token_format_offset(c->s.a, i64_add_sat(offset, max)));
    jw_obj_end(&c->w);
    return 0;
}

