/* getaddrinfo + socket + bind + listen with readable failures; the descriptor limit. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>


int net_listen(const char *host, int port, int backlog, int *bound_port, char *addr,
               size_t addrlen, char *err, size_t errlen)
{
    char h[256];
    size_t hl = strlen(host);
    /* Accept "[::1]" as people write it in URLs. */
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof h) {
        snprintf(err, errlen, "invalid host '%s'", host);
        return -1;
    }
    memcpy(h, host, hl);
    h[hl] = '\0';
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);

    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(h, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve host '%s': %s", h, gai_strerror(rc));
        return -1;
    }
    int fd = -1, last_errno = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        int one = 1, zero = 0;
        /* SO_REUSEADDR lets a restart bind over TIME_WAIT; it never shares a port that
         * another process is listening on (Linux). */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
            break;
        last_errno = errno;
        close(fd);
        fd = -1;
        if (last_errno == EADDRINUSE)
            break; /* the likely cause; do not let a later address hide it */
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (last_errno == EADDRINUSE)
            snprintf(err, errlen, "port %d is already in use (host %s)", port, h);
        else if (last_errno == EACCES)
            snprintf(err, errlen, "permission denied binding %s port %d", h, port);
        else if (last_errno == EADDRNOTAVAIL)
            snprintf(err, errlen, "address %s is not available on this machine", h);
        else
            snprintf(err, errlen, "cannot listen on %s port %d: %s", h, port,
                     strerror(last_errno));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    *bound_port = port;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        char ip[INET6_ADDRSTRLEN] = "?";
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
            *bound_port = ntohs(s6->sin6_port);
            if (addr)
                snprintf(addr, addrlen, "[%s]:%d", ip, *bound_port);
        } else {
            struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
            *bound_port = ntohs(s4->sin_port);
            if (addr)
                snprintf(addr, addrlen, "%s:%d", ip, *bound_port);
        }
    }
    return fd;
}

int net_raise_fd_limit(void)
{
    /* More than a million descriptors would only make the connection table (one slot per
     * descriptor) large; the soft limit is kept at most there. */
    const rlim_t most = (rlim_t)1 << 20;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > most ? most : rl.rlim_max;
    if (rl.rlim_cur != want) {
        struct rlimit nl = {want, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
            rl.rlim_cur = want;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > most)
        return (int)most;
    return (int)rl.rlim_cur;
}
