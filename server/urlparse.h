/* Splitting and percent-decoding a raw HTTP request-target (what the client sent on the
 * request line, before anyone decoded it), so that every byte is decoded exactly once.
 * Pure code: no libmicrohttpd, testable without sockets. */
#ifndef MLT_SERVER_URLPARSE_H
#define MLT_SERVER_URLPARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "../api/request.h"
#include "../base/arena.h"
#include "../base/url.h"

/* Most query pairs accepted in one request; more is a 400 (bounds what the wire costs us). */
enum { URL_MAX_QUERY_PAIRS = 1024 };

enum url_status {
    URL_OK = 0,
    URL_BAD_PATH,        /* empty, not starting with '/', or decodes to a NUL byte */
    URL_TOO_MANY_PARAMS, /* more than URL_MAX_QUERY_PAIRS pairs */
};

/* Splits a raw request-target into the decoded path and the decoded query pairs, in
 * order, repeated keys kept, empty pairs ("a=1&&b") skipped, a bare key given value "".
 * An absolute-form target ("http://host/p?q") is reduced to its path and query; a
 * fragment is dropped. Everything returned is from arena a. On error the outputs are
 * left unset. */
enum url_status url_parse_target(struct arena *a, const char *raw, const char **path,
                                 struct http_kv **query, size_t *nquery);

#endif
