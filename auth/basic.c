/* Parsing "Authorization: Basic ..." (see basic.h). */
#include "basic.h"

#include <string.h>
#include <strings.h>

#include "../base/base64.h"

int basic_parse(struct arena *a, const char *header, const char **user, const char **password,
                size_t *password_len)
{
    if (!header)
        return -1;
    size_t hl = strlen(header);
    if (hl > 8192)
        return -1;
    const char *p = header;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, "basic", 5) != 0 || (p[5] != ' ' && p[5] != '\t'))
        return -1;
    p += 5;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 0)
        return -1;
    size_t len = 0;
    char *dec = base64_decode(a, p, n, false, &len);
    if (!dec || memchr(dec, '\0', len))
        return -1;
    char *colon = memchr(dec, ':', len);
    if (!colon)
        return -1;
    *colon = '\0';
    *user = dec;
    *password = colon + 1;
    *password_len = len - (size_t)(colon + 1 - dec);
    dec[len] = '\0';
    return 0;
}
