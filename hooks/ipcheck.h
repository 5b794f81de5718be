/* MLflow's _is_public_ip (utils/validation.py): Python's ipaddress is_global (3.11's
 * tables) of the address, or of the IPv4 address an IPv6 one carries (IPv4-mapped, 6to4,
 * NAT64), so that a wrapped private address cannot pass for a public one. */
#ifndef MLT_HOOKS_IPCHECK_H
#define MLT_HOOKS_IPCHECK_H

#include <stdbool.h>
#include <sys/socket.h>

/* False for any family but AF_INET and AF_INET6. */
bool hooks_ip_is_public(const struct sockaddr *sa);
/* The same for an address literal ("10.0.0.1", "::1"); false when s is not one. */
bool hooks_ip_literal_is_public(const char *s);

#endif
