/* Public or not, as Python's ipaddress sees it (see ipcheck.h). */
#include "ipcheck.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

struct net4 {
    uint32_t addr;
    int len;
};

/* ipaddress._IPv4Constants._private_networks of Python 3.11, and 100.64.0.0/10 (its
 * _public_network, which is_global also excludes). */
static const struct net4 v4_not_global[] = {
    {0x00000000, 8},  {0x0A000000, 8},   {0x7F000000, 8},  {0xA9FE0000, 16},
    {0xAC100000, 12}, {0xC0000000, 29},  {0xC00000AA, 31}, {0xC0000200, 24},
    {0xC0A80000, 16}, {0xC6120000, 15},  {0xC6336400, 24}, {0xCB007100, 24},
    {0xF0000000, 4},  {0xFFFFFFFF, 32},  {0x64400000, 10},
};

struct net6 {
    uint8_t addr[16];
    int len;
};

/* ipaddress._IPv6Constants._private_networks of Python 3.11. */
static const struct net6 v6_private[] = {
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},                /* ::1 */
    {{0}, 128},                                                              /* :: */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0}, 96},           /* ::ffff:0:0 */
    {{0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64},                                    /* 100:: */
    {{0x20, 0x01, 0, 0}, 23},                                                /* 2001:: */
    {{0x20, 0x01, 0, 0x02, 0, 0}, 48},                                       /* 2001:2:: */
    {{0x20, 0x01, 0x0d, 0xb8}, 32},                                          /* 2001:db8:: */
    {{0x20, 0x01, 0, 0x10}, 28},                                             /* 2001:10:: */
    {{0xfc}, 7},                                                             /* fc00:: */
    {{0xfe, 0x80}, 10},                                                      /* fe80:: */
};

static bool v4_public(uint32_t a)
{
    for (size_t i = 0; i < sizeof v4_not_global / sizeof *v4_not_global; i++) {
        uint32_t mask = v4_not_global[i].len == 0 ? 0 : ~0u << (32 - v4_not_global[i].len);
        if ((a & mask) == v4_not_global[i].addr)
            return false;
    }
    return true;
}

static bool in_net6(const uint8_t *a, const struct net6 *n)
{
    int full = n->len / 8, rest = n->len % 8;
    if (memcmp(a, n->addr, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (n->addr[full] & mask);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool v6_public(const uint8_t *a)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return v4_public(be32(a + 12));
    if (a[0] == 0x20 && a[1] == 0x02) /* 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD */
        return v4_public(be32(a + 2));
    for (size_t i = 0; i < sizeof v6_private / sizeof *v6_private; i++)
        if (in_net6(a, &v6_private[i]))
            return false;
    return true;
}

bool hooks_ip_is_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        return v4_public(ntohl(s4->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        return v6_public(s6->sin6_addr.s6_addr);
    }
    return false;
}

bool hooks_ip_literal_is_public(const char *s)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, s, &a4) == 1)
        return v4_public(ntohl(a4.s_addr));
    if (inet_pton(AF_INET6, s, &a6) == 1)
        return v6_public(a6.s6_addr);
    return false;
}
