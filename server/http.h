/* The libmicrohttpd glue, the only code that sees microhttpd.h: turns MHD callbacks into a
 * struct req for api_match/api_handle, enforces body limits, applies the security rules,
 * compresses, and writes struct resp back. One daemon per process. */
#ifndef MLT_SERVER_HTTP_H
#define MLT_SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "security.h"

struct http_options {
    int listen_fd;                /* from net_listen; owned by the caller, closed after
                                     http_stop */
    int workers;                  /* thread-pool size (1 = a single polling thread) */
    unsigned timeout_s;           /* idle keep-alive connection timeout */
    unsigned max_conns;           /* connections held at most; 0: the default (conns.h) */
    int fd_limit;                 /* the process's RLIMIT_NOFILE */
    const struct sec_config *sec; /* borrowed until http_stop returns */
};

/* Starts the daemon: from here on requests are served in MHD's threads. Returns 0, or -1
 * with a one-line message in err. */
int http_start(const struct http_options *o, char *err, size_t errlen);

/* Stops accepting new connections; responses from now on carry "Connection: close".
 * Requests already under way go on. Safe to call once, from any thread. */
void http_quiesce(void);

/* Waits until no request is in flight or timeout_ms passes; true when drained. In flight
 * means handed to the handler: a connection that never completed a head, or whose request
 * was refused before that, does not hold shutdown up. */
bool http_drain(int timeout_ms);
/* Requests whose head has arrived and whose answer has not completed. */
int http_inflight(void);

/* Stops the daemon and joins its threads (idle keep-alive connections are closed). */
void http_stop(void);

#endif
