/* The access log (--access-log): one line per request, in the common log format with the
 * latency added, or as JSON (--access-log-format json). Secrets never reach it: no header
 * is logged, and query values whose names say they are credentials (tokens, passwords,
 * signatures of presigned URLs...) and passwords inside URLs are replaced by "REDACTED". */
#ifndef MLT_SERVER_ACCESS_LOG_H
#define MLT_SERVER_ACCESS_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"

enum access_format { ACCESS_COMMON, ACCESS_JSON };

/* path is a file (appended to) or "-" for standard error. -1 with err filled. */
int access_log_open(const char *path, enum access_format fmt, char *err, size_t errlen);
bool access_log_on(void);
void access_log_close(void);

struct access_entry {
    const char *client;  /* address, or NULL */
    const char *user;    /* authenticated user, or NULL */
    const char *method, *target, *version; /* the request line as sent */
    int status;
    int64_t bytes;       /* body bytes sent; -1 when streamed (not counted here) */
    int64_t ns;          /* from the request head to the last byte */
    bool cut;            /* the connection ended before the answer did */
};

/* One line, written with a single write(); with debug, the line in the common format goes
 * to the debug log too (formatted once when the access log's format is the common one). */
void access_log_write(const struct access_entry *e, bool debug);
/* The line as written (for tests and the debug log), appended to out. */
void access_log_format(struct buf *out, enum access_format fmt, const struct access_entry *e,
                       int64_t unix_s);
/* target with credential values redacted, appended to out. */
void access_redact_target(struct buf *out, const char *target);

#endif
