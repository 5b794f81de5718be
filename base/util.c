/* Logging, clocks, randomness and number parsing. */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

enum log_level log_min_level = LOG_INFO;

bool str_eq(struct str a, const char *lit)
{
    size_t n = strlen(lit);
    return a.n == n && memcmp(a.p, lit, n) == 0;
}

bool str_eq_nocase(struct str a, const char *lit)
{
    size_t n = strlen(lit);
    return a.n == n && strncasecmp(a.p, lit, n) == 0;
}

static bool strip_char(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n';
}

struct str str_strip(const char *s, size_t n)
{
    while (n && strip_char(*s))
        s++, n--;
    while (n && strip_char(s[n - 1]))
        n--;
    return (struct str){s, n};
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    static const char *const tag[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (lvl < log_min_level)
        return;
    char line[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int off = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
                       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                       tm.tm_sec, ts.tv_nsec / 1000000, tag[lvl]);
    va_list ap;
    va_start(ap, fmt);
    if (off > 0 && (size_t)off < sizeof line)
        vsnprintf(line + off, sizeof line - (size_t)off, fmt, ap);
    va_end(ap);
    /* One write per line so lines from threads do not interleave. */
    fprintf(stderr, "%s\n", line);
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void random_bytes(void *p, size_t n)
{
    unsigned char *c = p;
    while (n) {
        ssize_t r = getrandom(c, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            perror("getrandom");
            abort();
        }
        c += r;
        n -= (size_t)r;
    }
}

void hex_encode(char *out, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * n] = '\0';
}

void uuid4_hex(char out[33])
{
    unsigned char b[16];
    random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    hex_encode(out, b, 16);
}

void uuid7_hex(char out[33])
{
    /* RFC 9562 method 1: the 12 bits after the version count ids within a millisecond, so
     * ids from one process never go backwards; past 4096 in one millisecond, or when the
     * clock steps back, the last millisecond is carried forward. */
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static uint64_t last_ms;
    static unsigned seq;
    uint64_t ms = (uint64_t)now_ms();
    pthread_mutex_lock(&mu);
    if (ms > last_ms) {
        last_ms = ms;
        seq = 0;
    } else if (++seq > 0xfff) {
        last_ms++;
        seq = 0;
    }
    ms = last_ms;
    unsigned s = seq;
    pthread_mutex_unlock(&mu);
    unsigned char b[16];
    random_bytes(b, sizeof b);
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (s >> 8));
    b[7] = (unsigned char)s;
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    hex_encode(out, b, 16);
}

bool parse_i64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n == 0)
        return false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

bool i64_of_double(double v, int64_t *out)
{
    /* -2^63 converts exactly; 2^63 is the first double past int64. */
    if (!isfinite(v) || v != floor(v) || v < -9223372036854775808.0 || v >= 9223372036854775808.0)
        return false;
    *out = (int64_t)v;
    return true;
}

bool parse_double(const char *s, size_t n, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (!strcmp(tmp, "NaN") || !strcasecmp(tmp, "nan")) {
        *out = NAN;
        return true;
    }
    if (!strcmp(tmp, "Infinity") || !strcasecmp(tmp, "inf") || !strcmp(tmp, "+Infinity")) {
        *out = INFINITY;
        return true;
    }
    if (!strcmp(tmp, "-Infinity") || !strcasecmp(tmp, "-inf")) {
        *out = -INFINITY;
        return true;
    }
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end != tmp + n || (s[0] != '-' && s[0] != '+' && s[0] != '.' && (s[0] < '0' || s[0] > '9')))
        return false;
    *out = d;
    return true;
}
