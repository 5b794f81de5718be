/* Base64 (see base64.h). */
#include "base64.h"

#include <stdint.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int sextet(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

char *base64_encode(struct arena *a, const void *p, size_t n)
{
    const unsigned char *s = p;
    char *out = arena_alloc(a, (n + 2) / 3 * 4 + 1), *o = out;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? alphabet[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

char *base64_decode(struct arena *a, const char *s, size_t n, bool need_padding, size_t *len)
{
    /* Strictly: at most two '=' that complete the last quantum. Leniently: any trailing
     * '=', as long as what is left is a whole number of bytes. */
    size_t data = n;
    while (data > 0 && (!need_padding || n - data < 2) && s[data - 1] == '=')
        data--;
    if (need_padding ? (n == 0 || n % 4 != 0) : data % 4 == 1)
        return NULL;
    char *out = arena_alloc(a, data / 4 * 3 + 3), *o = out;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < data; i++) {
        int v = sextet(s[i]);
        if (v < 0)
            return NULL;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (char)(acc >> bits & 0xff);
        }
    }
    *o = '\0';
    *len = (size_t)(o - out);
    return out;
}
