/* The one error type: an MLflow error code plus a message for the client. Only api/ maps
 * a code to an HTTP status. Database and OS details go to the log, never into msg. */
#ifndef MLT_ERR_H
#define MLT_ERR_H

#include <stdarg.h>
#include <stdbool.h>

enum err_code {
    ERR_OK = 0,
    ERR_INVALID_PARAMETER_VALUE,
    ERR_BAD_REQUEST,
    ERR_RESOURCE_ALREADY_EXISTS,
    ERR_RESOURCE_DOES_NOT_EXIST,
    ERR_ENDPOINT_NOT_FOUND,
    ERR_NOT_FOUND, /* databricks' NOT_FOUND: MLflow's answer for a trace's missing data file */
    ERR_INVALID_STATE,
    ERR_INTERNAL_ERROR,
    ERR_NOT_IMPLEMENTED,
    ERR_TEMPORARILY_UNAVAILABLE,
    ERR_PERMISSION_DENIED,
    ERR_REQUEST_LIMIT_EXCEEDED,
    ERR_ABORTED,
    ERR__COUNT
};

struct err {
    enum err_code code;
    char msg[1024]; /* cut at a character boundary if longer; always NUL-terminated */
};

/* Sets e (when e is not NULL) and returns -1, so callers write `return err_set(...)`. */
int err_set(struct err *e, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int err_vset(struct err *e, enum err_code code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static inline void err_clear(struct err *e)
{
    e->code = ERR_OK;
    e->msg[0] = '\0';
}
/* MLflow's INVALID_PARAMETER_VALUE for an absent required field: "Missing value for
 * required parameter 'name'.", with its pointer to the API docs when docs_hint (the
 * request validators add it; the stores do not). Returns -1. */
int err_missing(struct err *e, const char *name, bool docs_hint);
/* " See the API docs for more information about request parameters." */
extern const char err_docs_hint[];

/* The MLflow name of a code, e.g. "RESOURCE_DOES_NOT_EXIST". */
const char *err_code_name(enum err_code code);

#endif
