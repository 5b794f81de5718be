/* The listening socket, opened by us rather than by libmicrohttpd so that the errors
 * people hit (port in use, no such address, permission denied) get clear messages; and the
 * descriptor limit the sockets count against. */
#ifndef MLT_SERVER_NET_H
#define MLT_SERVER_NET_H

#include <stddef.h>

/* Resolves host ("127.0.0.1", "0.0.0.0", "::", "localhost", a name, or "[::1]"), binds
 * port (0: any free port) on the first address that works, listens, and returns the
 * non-blocking socket (caller closes). "::" also accepts IPv4 (dual stack). On success
 * *bound_port gets the actual port and addr (when not NULL) a printable "host:port";
 * on failure returns -1 with a one-line message in err. */
int net_listen(const char *host, int port, int backlog, int *bound_port, char *addr,
               size_t addrlen, char *err, size_t errlen);

/* Raises the soft limit on open files to the hard limit, at most 2^20 (each connection is
 * a descriptor, and distributions start processes at 1024), and returns the soft limit
 * now in force. */
int net_raise_fd_limit(void);

#endif
