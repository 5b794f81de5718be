/* Unit tests for the bottom library: arena, buffer, number parsing, ids, UTF-8. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/cpu_gate.h"
#include "base/dtoa.h"
#include "base/err.h"
#include "base/json_plain.h"
#include "base/pystr.h"
#include "base/utf8.h"
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

/* A block that a reset gives up is what the next arena that grows gets, zero-filled where
 * arena_alloc promises it; an arena's first block never comes from the pool (a reset keeps
 * it); arena_pool_drain frees what is left. */
static void test_arena_pool(void)
{
    arena_pool_drain();
    struct arena a, b;
    arena_init(&a);
    char *first = arena_alloc(&a, 100);
    unsigned char *big = arena_alloc(&a, 200 << 10); /* a block of 256 KiB */
    memset(big, 0xab, 200 << 10);
    arena_reset(&a);
    T_CHECK(arena_alloc(&a, 100) == first);
    arena_init(&b);
    T_CHECK(arena_alloc(&b, 100) != (void *)big);
    unsigned char *again = arena_alloc(&b, 100 << 10);
    T_CHECK(again == big);
    size_t nonzero = 0;
    for (size_t i = 0; i < 100 << 10; i++)
        nonzero += again[i] != 0;
    T_CHECK(nonzero == 0);
    arena_release(&b);
    arena_release(&a);
    T_CHECK(arena_pool_drain() == 1);
    T_CHECK(arena_pool_drain() == 0);
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
    T_STREQ(dtoa(1.5e-7), "1.5e-07");
    /* Where Python's repr turns to an exponent, and its two-digit exponent. */
    T_STREQ(dtoa(0.0001), "0.0001");
    T_STREQ(dtoa(0.00001), "1e-05");
    T_STREQ(dtoa(0.000123), "0.000123");
    T_STREQ(dtoa(1e15), "1000000000000000.0");
    T_STREQ(dtoa(1e16), "1e+16");
    T_STREQ(dtoa(123456789012345678.0), "1.2345678901234568e+17");
    T_STREQ(dtoa(1e100), "1e+100");
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

/* Well-formed sequences decode; every kind of ill-formed one reports its maximal subpart
 * (the bytes one U+FFFD replaces, as Python's decode(errors="replace") counts them). */
static void test_utf8_next(void)
{
    uint32_t cp;
    T_CHECK(utf8_next("a", 1, &cp) == 1 && cp == 'a');
    T_CHECK(utf8_next("\xC3\xA9", 2, &cp) == 2 && cp == 0xE9);
    T_CHECK(utf8_next("\xE2\x82\xAC", 3, &cp) == 3 && cp == 0x20AC);
    T_CHECK(utf8_next("\xF0\x9F\x98\x80", 4, &cp) == 4 && cp == 0x1F600);
    T_CHECK(utf8_next("\xF4\x8F\xBF\xBF", 4, &cp) == 4 && cp == 0x10FFFF);
    T_CHECK(utf8_next("\xED\xA0\x80", 3, &cp) == -1);     /* a surrogate: 3 x U+FFFD */
    T_CHECK(utf8_next("\xC0\xAF", 2, &cp) == -1);         /* overlong */
    T_CHECK(utf8_next("\xE0\x80\x80", 3, &cp) == -1);     /* overlong */
    T_CHECK(utf8_next("\xF4\x90\x80\x80", 4, &cp) == -1); /* past U+10FFFF */
    T_CHECK(utf8_next("\xF5", 1, &cp) == -1);
    T_CHECK(utf8_next("\x80", 1, &cp) == -1);
    T_CHECK(utf8_next("\xE2\x82", 2, &cp) == -2); /* cut short: one U+FFFD */
    T_CHECK(utf8_next("\xF0\x9F\x98x", 4, &cp) == -3);
    T_CHECK(utf8_valid("caf\xC3\xA9", 5));
    T_CHECK(!utf8_valid("caf\xC3", 4));
    T_CHECK(!utf8_valid("\xED\xA0\x80", 3));
}

static void test_str_strip(void)
{
    struct str t = str_strip(" \t12\n ", 6);
    T_CHECK(t.n == 2 && memcmp(t.p, "12", 2) == 0);
    T_CHECK(str_strip("  ", 2).n == 0);
    T_CHECK(str_strip("a b", 3).n == 3);
}

/* Characters as Python's len() counts them, and where s[:limit] ends, in a buffer that is
 * no C string and in one that is. */
static void test_utf8_count(void)
{
    const char s[] = {'a', '\xC3', '\xA9', '\xE2', '\x82', '\xAC', 'x'}; /* a é € x */
    size_t cut;
    T_CHECK(utf8_count(s, sizeof s, 100, &cut) == 4 && cut == sizeof s);
    T_CHECK(utf8_count(s, sizeof s, 2, &cut) == 4 && cut == 3);
    T_CHECK(utf8_count(s, 6, 3, &cut) == 3 && cut == 6);
    T_CHECK(utf8_count(s, 0, 0, &cut) == 0 && cut == 0);
    T_CHECK(utf8_len("a\xC3\xA9\xE2\x82\xAC", 1, &cut) == 3 && cut == 1);
}

static void test_utf8_cut(void)
{
    const char *s = "ab\xC3\xA9\xE2\x82\xAC"; /* a b é € */
    T_CHECK(utf8_cut(s, 7, 100) == 7);
    T_CHECK(utf8_cut(s, 7, 3) == 2);
    T_CHECK(utf8_cut(s, 7, 4) == 4);
    T_CHECK(utf8_cut(s, 7, 6) == 4);
    T_CHECK(utf8_cut(s, 6, 6) == 4); /* s itself ends inside the euro sign */
    T_CHECK(utf8_cut("\xFF\xFF", 2, 1) == 1); /* ill-formed bytes are characters of their own */
    /* An error message longer than its buffer is cut at a character boundary. */
    char big[3000];
    memset(big, 'x', sizeof big);
    for (size_t i = 1; i + 1 < sizeof big; i += 2) {
        big[i] = '\xC3';
        big[i + 1] = '\xA9';
    }
    big[sizeof big - 1] = '\0';
    struct err e;
    err_set(&e, ERR_INVALID_PARAMETER_VALUE, "%s", big);
    T_CHECK(strlen(e.msg) < sizeof e.msg && utf8_valid(e.msg, strlen(e.msg)));
    err_set(&e, ERR_INVALID_PARAMETER_VALUE, "y%s", big);
    T_CHECK(strlen(e.msg) < sizeof e.msg && utf8_valid(e.msg, strlen(e.msg)));
}

/* Python's re.match(r"^[/\w.\- :]*$", s): Unicode letters and digits yes; combining marks,
 * emoji, zero-width and bidirectional controls no; '$' allows one final newline. */
static void test_utf8_py_word(void)
{
    const char *also = "/.- :";
    T_CHECK(utf8_py_word_match("loss/val-1.2 a:b_c", also));
    T_CHECK(utf8_py_word_match("\xC3\xA9t\xC3\xA9", also));     /* été */
    T_CHECK(utf8_py_word_match("\xE6\x97\xA5\xE6\x9C\xAC", also)); /* 日本 */
    T_CHECK(utf8_py_word_match("\xD9\xA3", also));               /* Arabic-Indic three */
    T_CHECK(utf8_py_word_match("\xC2\xBD", also));               /* ½ is numeric */
    T_CHECK(utf8_py_word_match("", also));
    T_CHECK(utf8_py_word_match("a\n", also));
    T_CHECK(!utf8_py_word_match("a\n\n", also));
    T_CHECK(!utf8_py_word_match("\n\na", also));
    T_CHECK(!utf8_py_word_match("e\xCC\x81", also));         /* combining acute */
    T_CHECK(!utf8_py_word_match("a\xF0\x9F\x98\x80", also)); /* emoji */
    T_CHECK(!utf8_py_word_match("a\xE2\x80\x8B" "b", also)); /* zero-width space */
    T_CHECK(!utf8_py_word_match("a\xE2\x80\xAE" "b", also)); /* right-to-left override */
    T_CHECK(!utf8_py_word_match("a\xC3", also));             /* ill-formed */
    T_CHECK(!utf8_py_word_match("a,b", also));
    T_CHECK(!utf8_py_word_match("a.b", "-"));
    T_CHECK(utf8_is_word('_') && !utf8_is_word('-') && !utf8_is_word(0x10FFFF));
}

/* The Python str operations behind MLflow's name rules and messages, checked against what
 * Python 3.11 prints. */
static void test_pystr(void)
{
    struct arena a;
    arena_init(&a);
    T_STREQ(py_normpath(&a, ""), ".");
    T_STREQ(py_normpath(&a, "a//b/./c/"), "a/b/c");
    T_STREQ(py_normpath(&a, "a/../../b"), "../b");
    T_STREQ(py_normpath(&a, "/../a"), "/a");
    T_STREQ(py_normpath(&a, "//a"), "//a");
    T_STREQ(py_normpath(&a, "///a/.."), "/");
    T_STREQ(py_normpath(&a, "../../x/.."), "../..");
    T_STREQ(py_normpath(&a, "a/.."), ".");
    T_CHECK(py_path_not_unique(&a, "..a"));
    T_CHECK(py_path_not_unique(&a, "a/"));
    T_CHECK(py_path_not_unique(&a, "."));
    T_CHECK(!py_path_not_unique(&a, "a/..b"));
    T_CHECK(!py_path_not_unique(&a, "a\n"));
    T_STREQ(py_json_str(&a, "a\"\\\n\x01\x7f\xC3\xA9\xF0\x9F\x98\x80"),
            "\"a\\\"\\\\\\n\\u0001\\u007f\\u00e9\\ud83d\\ude00\"");
    T_STREQ(py_json_str(&a, "e\xCC\x81"), "\"e\\u0301\"");
    T_STREQ(py_repr_float(&a, 50), "50.0");
    T_STREQ(py_repr_float(&a, 1e-05), "1e-05");
    T_STREQ(py_repr_float(&a, NAN), "nan");
    T_STREQ(py_repr_float(&a, -INFINITY), "-inf");
    T_STREQ(py_repr(&a, "a/b"), "'a/b'");
    T_STREQ(py_repr(&a, "it's"), "\"it's\"");
    T_STREQ(py_repr(&a, "'\""), "'\\'\"'");
    T_STREQ(py_repr(&a, "\n\x01\xC3\xA9\xC2\xA0\xE2\x80\x8B\xF3\xA0\x80\x81"),
            "'\\n\\x01\xC3\xA9\\xa0\\u200b\\U000e0001'");
    T_CHECK(py_blank(" \t\xC2\xA0\xE3\x80\x80"));
    T_CHECK(!py_blank(" x "));
    T_CHECK(py_blank(""));
    arena_release(&a);
}

/* Every byte value at every place of a word: plain exactly when JSON copies it as is. */
static void test_json_plain8(void)
{
    for (int pos = 0; pos < 8; pos++)
        for (int c = 0; c < 256; c++) {
            char w[8];
            memset(w, 'a', sizeof w);
            w[pos] = (char)c;
            bool plain = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
            T_CHECK(json_plain8(w) == plain);
            /* A special byte before a plain one must not hide either (borrows). */
            if (pos < 7) {
                w[pos + 1] = 0x1f;
                T_CHECK(!json_plain8(w));
            }
        }
    const char *s = "0123456789abcdefgh\"ij";
    T_CHECK(json_plain_skip(s, strlen(s), 0) == 16);
}

/* The CPU gate lets in its limit at once, no more, and everyone in the end. */
static pthread_mutex_t gate_t_mu = PTHREAD_MUTEX_INITIALIZER;
static int gate_t_inside, gate_t_most, gate_t_done;

static void *gate_t_run(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20; i++) {
        cpu_gate_enter();
        pthread_mutex_lock(&gate_t_mu);
        if (++gate_t_inside > gate_t_most)
            gate_t_most = gate_t_inside;
        pthread_mutex_unlock(&gate_t_mu);
        nanosleep(&(struct timespec){0, 200 * 1000}, NULL);
        pthread_mutex_lock(&gate_t_mu);
        gate_t_inside--;
        gate_t_done++;
        pthread_mutex_unlock(&gate_t_mu);
        cpu_gate_leave();
    }
    return NULL;
}

static void test_cpu_gate(void)
{
    for (int limit = 1; limit <= 3; limit++) {
        cpu_gate_set_limit(limit);
        gate_t_most = gate_t_done = 0;
        pthread_t th[8];
        for (int i = 0; i < 8; i++)
            T_CHECK(pthread_create(&th[i], NULL, gate_t_run, NULL) == 0);
        for (int i = 0; i < 8; i++)
            pthread_join(th[i], NULL);
        T_CHECK(gate_t_done == 8 * 20);
        T_CHECK(gate_t_most <= limit);
        T_CHECK(gate_t_most == limit); /* 8 threads sleeping inside fill it */
    }
}

int main(void)
{
    T_RUN(test_json_plain8);
    T_RUN(test_dtoa_fixed);
    T_RUN(test_dtoa_roundtrip);
    T_RUN(test_arena);
    T_RUN(test_cpu_gate);
    T_RUN(test_arena_pool);
    T_RUN(test_buf_cap);
    T_RUN(test_parse_i64);
    T_RUN(test_parse_double);
    T_RUN(test_uuid);
    T_RUN(test_utf8_next);
    T_RUN(test_str_strip);
    T_RUN(test_utf8_count);
    T_RUN(test_utf8_cut);
    T_RUN(test_utf8_py_word);
    T_RUN(test_pystr);
    T_DONE();
}
