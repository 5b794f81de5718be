/* Error codes and their MLflow names. */
#include "err.h"

#include <stdio.h>

#include "utf8.h"

static const char *const names[ERR__COUNT] = {
    [ERR_OK] = "OK",
    [ERR_INVALID_PARAMETER_VALUE] = "INVALID_PARAMETER_VALUE",
    [ERR_BAD_REQUEST] = "BAD_REQUEST",
    [ERR_RESOURCE_ALREADY_EXISTS] = "RESOURCE_ALREADY_EXISTS",
    [ERR_RESOURCE_DOES_NOT_EXIST] = "RESOURCE_DOES_NOT_EXIST",
    [ERR_ENDPOINT_NOT_FOUND] = "ENDPOINT_NOT_FOUND",
    [ERR_NOT_FOUND] = "NOT_FOUND",
    [ERR_INVALID_STATE] = "INVALID_STATE",
    [ERR_INTERNAL_ERROR] = "INTERNAL_ERROR",
    [ERR_NOT_IMPLEMENTED] = "NOT_IMPLEMENTED",
    [ERR_TEMPORARILY_UNAVAILABLE] = "TEMPORARILY_UNAVAILABLE",
    [ERR_PERMISSION_DENIED] = "PERMISSION_DENIED",
    [ERR_REQUEST_LIMIT_EXCEEDED] = "REQUEST_LIMIT_EXCEEDED",
    [ERR_ABORTED] = "ABORTED",
};

int err_vset(struct err *e, enum err_code code, const char *fmt, va_list ap)
{
    if (e) {
        e->code = code;
        int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        /* A message longer than msg is cut; never in the middle of a character. */
        if (n >= (int)sizeof e->msg)
            e->msg[utf8_cut(e->msg, sizeof e->msg - 1, sizeof e->msg - 1)] = '\0';
    }
    return -1;
}

int err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, code, fmt, ap);
    va_end(ap);
    return -1;
}

const char *err_code_name(enum err_code code)
{
    if ((unsigned)code >= ERR__COUNT || !names[code])
        return "INTERNAL_ERROR";
    return names[code];
}

const char err_docs_hint[] =
    " See the API docs for more information about request parameters.";

int err_missing(struct err *e, const char *name, bool docs_hint)
{
    return err_set(e, ERR_INVALID_PARAMETER_VALUE, "Missing value for required parameter '%s'.%s",
                   name, docs_hint ? err_docs_hint : "");
}
