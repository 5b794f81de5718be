/* Small helpers every layer uses: logging, clocks, random ids, strict number parsing. */
#ifndef MLT_UTIL_H
#define MLT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A borrowed byte range; not NUL-terminated unless said so. */
struct str {
    const char *p;
    size_t n;
};
#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})
static inline struct str str_c(const char *s);
bool str_eq(struct str a, const char *lit);
bool str_eq_nocase(struct str a, const char *lit);
/* s[0..n) without the spaces, tabs and newlines around it (what int() and Decimal() strip
 * before they read a number). */
struct str str_strip(const char *s, size_t n);

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
extern enum log_level log_min_level;
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Milliseconds since the Unix epoch (wall clock). */
int64_t now_ms(void);
/* Monotonic nanoseconds, for measuring. */
int64_t mono_ns(void);

/* p[0..n) as 2n lowercase hex characters plus NUL at out. */
void hex_encode(char *out, const unsigned char *p, size_t n);

/* 32 lowercase hex characters of a random uuid4 plus NUL (MLflow's uuid.uuid4().hex). */
void uuid4_hex(char out[33]);
/* The same for a time-ordered UUIDv7: ids made later by this process sort after earlier
 * ones, so a row's id can serve as its insertion order. */
void uuid7_hex(char out[33]);
/* n random bytes from the kernel; never fails (aborts if the kernel cannot supply). */
void random_bytes(void *p, size_t n);

/* Parses all of s[0..n) as a base-10 int64 (optional sign, no spaces); false otherwise. */
bool parse_i64(const char *s, size_t n, int64_t *out);
/* Parses all of s[0..n) as a double, also NaN/Infinity/-Infinity/inf; false otherwise. */
bool parse_double(const char *s, size_t n, double *out);
/* v as an int64 when it is a finite integer within int64's range; false otherwise. */
bool i64_of_double(double v, int64_t *out);

/* a + b saturated at INT64_MIN / INT64_MAX instead of overflowing: for arithmetic on
 * numbers a client chose (page sizes, offsets, steps). */
static inline int64_t i64_add_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static inline struct str str_c(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return (struct str){s, n};
}

#endif
