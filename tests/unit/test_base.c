/* Unit tests for the bottom library: arena, buffer, number parsing, ids. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/dtoa.h"
#include "base/util.h"
#include "t.h"

static void test_arena(void)
{
    struct arena a;
    arena_init(&a);
    char *s = arena_strdup(&a, "hello");
    T_STREQ(s, "hello");
    for (int i = 0; i < 1000; i++)
        T_CHECK(arena_alloc(&a, 1000) != NULL);
    T_STREQ(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
    T_CHECK(((uintptr_t)arena_alloc(&a, 3) & 15) == 0);
    arena_release(&a);
}

static void test_buf_cap(void)
{
    struct buf b;
    buf_init(&b, 8);
    buf_puts(&b, "12345678");
    T_CHECK(buf_ok(&b));
    buf_putc(&b, '9');
    T_CHECK(!buf_ok(&b));
    T_STREQ(b.ptr, "12345678");
    buf_release(&b);
    buf_init(&b, 1 << 20);
    buf_put_i64(&b, INT64_MIN);
    buf_putc(&b, ' ');
    buf_put_i64(&b, 0);
    buf_printf(&b, " %s", "x");
    T_STREQ(b.ptr, "-9223372036854775808 0 x");
    buf_release(&b);
}

static void test_parse_i64(void)
{
    int64_t v;
    T_CHECK(parse_i64("123", 3, &v) && v == 123);
    T_CHECK(parse_i64("-9223372036854775808", 20, &v) && v == INT64_MIN);
    T_CHECK(!parse_i64("9223372036854775808", 19, &v));
    T_CHECK(!parse_i64("", 0, &v));
    T_CHECK(!parse_i64("12a", 3, &v));
    T_CHECK(!parse_i64(" 1", 2, &v));
    T_CHECK(!parse_i64("-", 1, &v));
}

static void test_parse_double(void)
{
    double d;
    T_CHECK(parse_double("1.5", 3, &d) && d == 1.5);
    T_CHECK(parse_double("NaN", 3, &d) && isnan(d));
    T_CHECK(parse_double("-Infinity", 9, &d) && isinf(d) && d < 0);
    T_CHECK(!parse_double("1.5x", 4, &d));
    T_CHECK(!parse_double(" 1", 2, &d));
}

static void test_uuid(void)
{
    char a[33], b[33];
    uuid4_hex(a);
    uuid4_hex(b);
    T_CHECK(strlen(a) == 32 && strcmp(a, b) != 0);
    T_CHECK(a[12] == '4');
    for (int i = 0; i < 32; i++)
        T_CHECK((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
}

static const char *dtoa(double v)
{
    static char out[40];
    out[dtoa_shortest(v, out)] = '\0';
    return out;
}

static void test_dtoa_fixed(void)
{
    T_STREQ(dtoa(0.0), "0.0");
    T_STREQ(dtoa(-0.0), "-0.0");
    T_STREQ(dtoa(1.0), "1.0");
    T_STREQ(dtoa(0.1), "0.1");
    T_STREQ(dtoa(-0.001), "-0.001");
    T_STREQ(dtoa(100.25), "100.25");
    T_STREQ(dtoa(1e21), "1e+21");
    T_STREQ(dtoa(1.5e-7), "1.5e-7");
    T_STREQ(dtoa(5e-324), "5e-324");
    T_STREQ(dtoa(1.7976931348623157e308), "1.7976931348623157e+308");
    T_STREQ(dtoa(1.0 / 3), "0.3333333333333333");
}

/* Every text reads back to exactly its double, over a million random bit patterns and
 * magnitudes (what JSON consumers rely on). */
static void test_dtoa_roundtrip(void)
{
    uint64_t x = 88172645463325252ull;
    int bad = 0;
    for (int i = 0; i < 1000000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (i % 2)
            v = (double)(x >> 11) / 9007199254740992.0 * 1e6;
        if (!isfinite(v))
            continue;
        char out[40];
        out[dtoa_shortest(v, out)] = '\0';
        if (strtod(out, NULL) != v && bad++ < 3)
            fprintf(stderr, "  %.17g -> %s\n", v, out);
    }
    T_CHECK(bad == 0);
}

int main(void)
{
    T_RUN(test_dtoa_fixed);
    T_RUN(test_dtoa_roundtrip);
    T_RUN(test_arena);
    T_RUN(test_buf_cap);
    T_RUN(test_parse_i64);
    T_RUN(test_parse_double);
    T_RUN(test_uuid);
    T_DONE();
}
