/* Every connection the HTTP server holds, and every byte it receives. libmicrohttpd tells
 * the glue when a connection opens and closes and reads the socket with recv(), which the
 * glue routes through conns_recv. That gives what libmicrohttpd 0.9.75 lacks:
 *  - framing checked before its parser sees a byte (framing.h), and one well-formed error
 *    answer followed by a lingering close;
 *  - a deadline for request heads: a new connection must send a whole head within
 *    head_timeout_ms of being accepted, and a head begun on a kept-alive connection within
 *    head_timeout_ms of its first byte, however slowly the bytes trickle in;
 *  - caps: per client address (IPv4, or IPv6 /64) and in total, where making room closes
 *    the oldest idle connection (that address's own, for the per-address cap) rather than
 *    refusing the new one, and the last `reserve` slots are kept free that way.
 * A connection is idle when no request is being served on it: it is new, between requests,
 * or still sending a head. Busy connections are never closed to make room.
 * One set of connections per process; all functions are thread-safe. */
#ifndef MLT_SERVER_CONNS_H
#define MLT_SERVER_CONNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct conns_config {
    unsigned max_conns;   /* connections held at most (libmicrohttpd's limit too) */
    unsigned per_addr;    /* connections counted against one client address */
    unsigned reserve;     /* above max_conns - reserve, each new connection closes the
                             oldest idle one */
    int head_timeout_ms;  /* see above */
    int linger_ms;        /* how long a connection answered with an error is drained
                             before it is closed (unless the client closes first) */
    int fd_limit;         /* RLIMIT_NOFILE: every socket's number is below it */
};

/* Defaults for a server allowed fd_limit descriptors and asking for max_conns connections
 * (0: the default, 10,000): max_conns is lowered to what the descriptors allow (a
 * connection may hold a second descriptor, an artifact file), per_addr is an eighth of it
 * (at least 32), the reserve a sixteenth; heads get 10 s, lingering 2 s. */
struct conns_config conns_defaults(unsigned max_conns, int fd_limit);

/* Sets up the table and starts the reaper thread. Returns 0, or -1 with a message. */
int conns_init(const struct conns_config *cfg, char *err, size_t errlen);
/* Stops the reaper and frees everything; call after the HTTP daemon has stopped (no
 * connection is open and no thread reads a connection any more). */
void conns_shutdown(void);

struct conn;
/* Registers the just-accepted connection on socket fd from address sa (may be NULL), on the
 * thread that will read it. May close idle connections to make room, or mark this one as
 * refused (it gets a 503 at its first read). Returns NULL when the connection could not be
 * tracked (out of memory); it is then served without checks. */
struct conn *conns_open(int fd, const struct sockaddr *sa);
/* Unregisters c (libmicrohttpd is about to close its socket) and frees it. */
void conns_close(struct conn *c);
/* A request on c is being served (its head is complete) / has been answered. */
void conns_busy(struct conn *c);
void conns_idle(struct conn *c);

/* What recv(fd, buf, len, flags) should return for a connection socket (other sockets
 * are read as they are): the bytes that passed the framing check; for a bad request, a
 * well-formed error answer written to the socket and then EAGAIN while the rest is drained,
 * 0 once the client has closed or the linger time is over. */
ssize_t conns_recv(int fd, void *buf, size_t len, int flags);

/* Counters for logs and tests. */
struct conns_stats {
    unsigned open;          /* registered now */
    unsigned idle;          /* of those, idle */
    uint64_t evicted;       /* closed to make room, since start */
    uint64_t timed_out;     /* closed for a late head, since start */
    uint64_t refused;       /* over the per-address cap with nothing to close */
    uint64_t rejected;      /* answered with a framing error */
};
struct conns_stats conns_stats(void);

#endif
