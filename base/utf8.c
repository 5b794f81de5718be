/* UTF-8 encoding and decoding (see utf8.h). */
#include "utf8.h"

#include <string.h>

size_t utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int utf8_next(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    /* Unicode's table 3-7: the lead byte fixes the length and the range of the second
     * byte (which rules out overlong forms, surrogates and code points past U+10FFFF). */
    int len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return -1;
    }
    uint32_t v = c & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n || p[i] < lo || p[i] > hi)
            return -i;
        v = v << 6 | (p[i] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = v;
    return len;
}

bool utf8_valid(const char *s, size_t n)
{
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        int k = utf8_next(s + i, n - i, &cp);
        if (k < 0)
            return false;
        i += (size_t)k;
    }
    return true;
}

size_t utf8_cut(const char *s, size_t n, size_t max)
{
    uint32_t cp;
    size_t i = 0;
    while (i < n) {
        int k = utf8_next(s + i, n - i, &cp);
        size_t step = (size_t)(k < 0 ? -k : k);
        /* A character that s itself ends in the middle of is dropped, not kept half. */
        unsigned char lead = (unsigned char)s[i];
        bool cut_short = k < 0 && i + step == n && lead >= 0xC2 && lead <= 0xF4;
        if (i + step > max || cut_short)
            return i;
        i += step;
    }
    return n;
}

size_t utf8_count(const char *s, size_t n, size_t limit, size_t *cut)
{
    size_t chars = 0;
    *cut = n;
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (chars == limit)
                *cut = i;
            chars++;
        }
    }
    return chars;
}

size_t utf8_len(const char *s, size_t limit, size_t *cut)
{
    return utf8_count(s, strlen(s), limit, cut);
}

bool utf8_py_word_match(const char *s, const char *also)
{
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '\n')
        n--;
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        int k = utf8_next(s + i, n - i, &cp);
        if (k < 0)
            return false;
        if (!(cp < 0x80 && cp && strchr(also, (int)cp)) && !utf8_is_word(cp))
            return false;
        i += (size_t)k;
    }
    return true;
}
