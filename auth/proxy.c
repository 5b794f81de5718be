/* Address lists for trusted proxies (see proxy.h). */
#include "proxy.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct net {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int bits;
};

static bool parse_addr(const char *s, size_t n, int *family, unsigned char out[16])
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET, buf, out) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, buf, out) == 1) {
        *family = AF_INET6;
        return true;
    }
    return false;
}

/* One entry "addr" or "addr/bits", trimmed. */
static bool parse_net(const char *s, size_t n, struct net *nt)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    if (!parse_addr(s, an, &nt->family, nt->addr))
        return false;
    int max = nt->family == AF_INET ? 32 : 128;
    nt->bits = max;
    if (slash) {
        const char *b = slash + 1;
        size_t bn = n - an - 1;
        if (bn == 0 || bn > 3)
            return false;
        int v = 0;
        for (size_t i = 0; i < bn; i++) {
            if (b[i] < '0' || b[i] > '9')
                return false;
            v = v * 10 + (b[i] - '0');
        }
        if (v > max)
            return false;
        nt->bits = v;
    }
    return true;
}

static bool in_net(const struct net *nt, int family, const unsigned char *a)
{
    if (family != nt->family)
        return false;
    int full = nt->bits / 8, rest = nt->bits % 8;
    if (memcmp(a, nt->addr, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xFF << (8 - rest));
    return (a[full] & mask) == (nt->addr[full] & mask);
}

bool proxy_list_valid(const char *list, char *err, size_t errlen)
{
    if (!list || !*list) {
        snprintf(err, errlen, "the trusted proxy list is empty");
        return false;
    }
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        struct net nt;
        if (!parse_net(p, n, &nt)) {
            snprintf(err, errlen, "'%.*s' is not an IP address or CIDR block", (int)n, p);
            return false;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return true;
}

bool proxy_addr_trusted(const char *list, const char *addr)
{
    if (!list || !addr)
        return false;
    int family;
    unsigned char a[16];
    if (!parse_addr(addr, strlen(addr), &family, a))
        return false;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        struct net nt;
        if (parse_net(p, n, &nt) && in_net(&nt, family, a))
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}
