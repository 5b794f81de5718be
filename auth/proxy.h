/* Trusted-proxy single sign-on: behind oauth2-proxy or the like, the proxy authenticates
 * and names the user in a header (X-Forwarded-User, X-Forwarded-Email). The header counts
 * only on connections from the listed proxy addresses; from anywhere else it is ignored. */
#ifndef MLT_AUTH_PROXY_H
#define MLT_AUTH_PROXY_H

#include <stdbool.h>
#include <stddef.h>

/* Whether list (comma-separated IPv4/IPv6 addresses and CIDR blocks: "127.0.0.1,
 * 10.0.0.0/8, fd00::/8") is well formed; on error a message in err. */
bool proxy_list_valid(const char *list, char *err, size_t errlen);
/* Whether addr (text, as struct req.remote_addr) is in list. False for NULL or malformed. */
bool proxy_addr_trusted(const char *list, const char *addr);

#endif
