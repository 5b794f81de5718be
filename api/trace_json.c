/* Proto JSON of trace endpoints (see trace_json.h). */
#include "trace_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/util.h"

void trace_json_timestamp(char *out, size_t cap, int64_t ms)
{
    int64_t sec = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    int year = tm.tm_year + 1900;
    if (year < 0 || year > 9999 || cap < sizeof "0000-00-00T00:00:00.000Z") {
        /* Outside RFC 3339's years: as printf writes them. */
        int n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d", year, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (n >= 0 && (size_t)n < cap)
            snprintf(out + n, cap - (size_t)n, frac ? ".%03dZ" : "Z", (int)frac);
        return;
    }
    /* By hand (a page of search results writes one per trace): four-digit years, as RFC
     * 3339 has them, then the milliseconds when there are any. */
    const int f[6] = {year / 100, year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min};
    static const char sep[6] = {0, 0, '-', '-', 'T', ':'};
    char *p = out;
    for (int i = 0; i < 6; i++) {
        if (sep[i])
            *p++ = sep[i];
        *p++ = (char)('0' + f[i] / 10);
        *p++ = (char)('0' + f[i] % 10);
    }
    *p++ = ':';
    *p++ = (char)('0' + tm.tm_sec / 10);
    *p++ = (char)('0' + tm.tm_sec % 10);
    if (frac) {
        *p++ = '.';
        *p++ = (char)('0' + frac / 100);
        *p++ = (char)('0' + frac / 10 % 10);
        *p++ = (char)('0' + frac % 10);
    }
    *p++ = 'Z';
    *p = '\0';
}

void trace_json_duration(char *out, size_t cap, int64_t ms)
{
    const char *sign = ms < 0 ? "-" : "";
    uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    if (a % 1000)
        snprintf(out, cap, "%s%llu.%03llus", sign, (unsigned long long)(a / 1000),
                 (unsigned long long)(a % 1000));
    else
        snprintf(out, cap, "%s%llus", sign, (unsigned long long)(a / 1000));
}

/* Digits s[*i..] as a number (at most max digits); the count read. */
static int digits(const char *s, size_t *i, int max, int64_t *v)
{
    int k = 0;
    *v = 0;
    while (k < max && s[*i] >= '0' && s[*i] <= '9') {
        *v = *v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    return k;
}

/* The fraction after a '.', as milliseconds (extra digits dropped, as protobuf keeps ns). */
static int fraction_ms(const char *s, size_t *i, int64_t *ms)
{
    *ms = 0;
    if (s[*i] != '.')
        return 0;
    (*i)++;
    int k = 0;
    while (s[*i] >= '0' && s[*i] <= '9') {
        if (k < 3)
            *ms = *ms * 10 + (s[*i] - '0');
        (*i)++;
        if (++k > 9)
            return -1;
    }
    if (k == 0)
        return -1;
    for (; k < 3; k++)
        *ms *= 10;
    return 0;
}

int trace_json_parse_timestamp(const char *s, int64_t *ms)
{
    size_t i = 0;
    int64_t y, mo, d, h, mi, se, fr;
    if (digits(s, &i, 4, &y) != 4 || s[i++] != '-' || digits(s, &i, 2, &mo) != 2 ||
        s[i++] != '-' || digits(s, &i, 2, &d) != 2 || (s[i] != 'T' && s[i] != 't'))
        return -1;
    i++;
    if (digits(s, &i, 2, &h) != 2 || s[i++] != ':' || digits(s, &i, 2, &mi) != 2 ||
        s[i++] != ':' || digits(s, &i, 2, &se) != 2 || fraction_ms(s, &i, &fr) < 0)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    int64_t off = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        int sign = s[i++] == '-' ? -1 : 1;
        int64_t oh, om;
        if (digits(s, &i, 2, &oh) != 2 || s[i++] != ':' || digits(s, &i, 2, &om) != 2)
            return -1;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (s[i])
        return -1;
    /* Days from the civil date (Howard Hinnant's algorithm). */
    int64_t yy = y - (mo <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    *ms = ((days * 86400 + h * 3600 + mi * 60 + se) - off) * 1000 + fr;
    return 0;
}

int trace_json_parse_duration(const char *s, int64_t *ms)
{
    size_t i = 0;
    int sign = 1;
    if (s[i] == '-') {
        sign = -1;
        i++;
    }
    int64_t sec, fr;
    if (digits(s, &i, 12, &sec) == 0 || fraction_ms(s, &i, &fr) < 0 || s[i] != 's' || s[i + 1])
        return -1;
    *ms = sign * (sec * 1000 + fr);
    return 0;
}

json_t *trace_json_load(const char *p, size_t n)
{
    json_t *j = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (j)
        return j;
    /* Python's json.dumps writes NaN, Infinity and -Infinity, which JSON (and jansson) do not
     * have: outside strings they become null, and the text is read again. */
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    size_t k = 0;
    bool in_str = false;
    for (size_t i = 0; i < n;) {
        char ch = p[i];
        if (in_str) {
            c[k++] = ch;
            i++;
            if (ch == '\\' && i < n)
                c[k++] = p[i++];
            else if (ch == '"')
                in_str = false;
            continue;
        }
        size_t len = 0;
        if (ch == '"')
            in_str = true;
        else if (n - i >= 3 && memcmp(p + i, "NaN", 3) == 0)
            len = 3;
        else if (n - i >= 8 && memcmp(p + i, "Infinity", 8) == 0)
            len = 8;
        else if (n - i >= 9 && memcmp(p + i, "-Infinity", 9) == 0)
            len = 9;
        if (len) {
            memcpy(c + k, "null", 4); /* never longer than the token */
            k += 4;
            i += len;
            continue;
        }
        c[k++] = ch;
        i++;
    }
    j = json_loadb(c, k, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    free(c);
    return j;
}
