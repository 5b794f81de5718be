/* Grisu2 (see dtoa.h). The 87 cached powers are 10^k for k = -348, -340, ..., 340 as
 * normalized 64-bit significands with binary exponents, rounded to nearest; they were
 * computed with exact rational arithmetic. */
#include "dtoa.h"

#include <stdint.h>
#include <string.h>


struct diyfp {
    uint64_t f;
    int e;
};

static const struct {
    uint64_t f;
    int e;
} cached[] = {
    {0xfa8fd5a0081c0288ull, -1220}, {0xbaaee17fa23ebf76ull, -1193},
    {0x8b16fb203055ac76ull, -1166}, {0xcf42894a5dce35eaull, -1140},
    {0x9a6bb0aa55653b2dull, -1113}, {0xe61acf033d1a45dfull, -1087},
    {0xab70fe17c79ac6caull, -1060}, {0xff77b1fcbebcdc4full, -1034},
    {0xbe5691ef416bd60cull, -1007}, {0x8dd01fad907ffc3cull, -980},
    {0xd3515c2831559a83ull, -954}, {0x9d71ac8fada6c9b5ull, -927},
    {0xea9c227723ee8bcbull, -901}, {0xaecc49914078536dull, -874},
    {0x823c12795db6ce57ull, -847}, {0xc21094364dfb5637ull, -821},
    {0x9096ea6f3848984full, -794}, {0xd77485cb25823ac7ull, -768},
    {0xa086cfcd97bf97f4ull, -741}, {0xef340a98172aace5ull, -715},
    {0xb23867fb2a35b28eull, -688}, {0x84c8d4dfd2c63f3bull, -661},
    {0xc5dd44271ad3cdbaull, -635}, {0x936b9fcebb25c996ull, -608},
    {0xdbac6c247d62a584ull, -582}, {0xa3ab66580d5fdaf6ull, -555},
    {0xf3e2f893dec3f126ull, -529}, {0xb5b5ada8aaff80b8ull, -502},
    {0x87625f056c7c4a8bull, -475}, {0xc9bcff6034c13053ull, -449},
    {0x964e858c91ba2655ull, -422}, {0xdff9772470297ebdull, -396},
    {0xa6dfbd9fb8e5b88full, -369}, {0xf8a95fcf88747d94ull, -343},
    {0xb94470938fa89bcfull, -316}, {0x8a08f0f8bf0f156bull, -289},
    {0xcdb02555653131b6ull, -263}, {0x993fe2c6d07b7facull, -236},
    {0xe45c10c42a2b3b06ull, -210}, {0xaa242499697392d3ull, -183},
    {0xfd87b5f28300ca0eull, -157}, {0xbce5086492111aebull, -130},
    {0x8cbccc096f5088ccull, -103}, {0xd1b71758e219652cull, -77},
    {0x9c40000000000000ull, -50}, {0xe8d4a51000000000ull, -24},
    {0xad78ebc5ac620000ull, 3}, {0x813f3978f8940984ull, 30},
    {0xc097ce7bc90715b3ull, 56}, {0x8f7e32ce7bea5c70ull, 83},
    {0xd5d238a4abe98068ull, 109}, {0x9f4f2726179a2245ull, 136},
    {0xed63a231d4c4fb27ull, 162}, {0xb0de65388cc8ada8ull, 189},
    {0x83c7088e1aab65dbull, 216}, {0xc45d1df942711d9aull, 242},
    {0x924d692ca61be758ull, 269}, {0xda01ee641a708deaull, 295},
    {0xa26da3999aef774aull, 322}, {0xf209787bb47d6b85ull, 348},
    {0xb454e4a179dd1877ull, 375}, {0x865b86925b9bc5c2ull, 402},
    {0xc83553c5c8965d3dull, 428}, {0x952ab45cfa97a0b3ull, 455},
    {0xde469fbd99a05fe3ull, 481}, {0xa59bc234db398c25ull, 508},
    {0xf6c69a72a3989f5cull, 534}, {0xb7dcbf5354e9beceull, 561},
    {0x88fcf317f22241e2ull, 588}, {0xcc20ce9bd35c78a5ull, 614},
    {0x98165af37b2153dfull, 641}, {0xe2a0b5dc971f303aull, 667},
    {0xa8d9d1535ce3b396ull, 694}, {0xfb9b7cd9a4a7443cull, 720},
    {0xbb764c4ca7a44410ull, 747}, {0x8bab8eefb6409c1aull, 774},
    {0xd01fef10a657842cull, 800}, {0x9b10a4e5e9913129ull, 827},
    {0xe7109bfba19c0c9dull, 853}, {0xac2820d9623bf429ull, 880},
    {0x80444b5e7aa7cf85ull, 907}, {0xbf21e44003acdd2dull, 933},
    {0x8e679c2f5e44ff8full, 960}, {0xd433179d9c8cb841ull, 986},
    {0x9e19db92b4e31ba9ull, 1013}, {0xeb96bf6ebadf77d9ull, 1039},
    {0xaf87023b9bf0ee6bull, 1066},
};

static struct diyfp mul(struct diyfp a, struct diyfp b)
{
    unsigned __int128 p = (unsigned __int128)a.f * b.f;
    uint64_t h = (uint64_t)(p >> 64), l = (uint64_t)p;
    if (l & ((uint64_t)1 << 63))
        h++; /* round */
    return (struct diyfp){h, a.e + b.e + 64};
}

static struct diyfp normalize(struct diyfp x)
{
    int s = __builtin_clzll(x.f);
    return (struct diyfp){x.f << s, x.e - s};
}

static const uint32_t pow10_32[] = {1,      10,      100,      1000,      10000,
                                    100000, 1000000, 10000000, 100000000, 1000000000};

static int count_digits(uint32_t n)
{
    int d = 1;
    while (d < 10 && n >= pow10_32[d])
        d++;
    return d;
}

static void grisu_round(char *buf, int len, uint64_t delta, uint64_t rest, uint64_t ten_kappa,
                        uint64_t wp_w)
{
    while (rest < wp_w && delta - rest >= ten_kappa &&
           (rest + ten_kappa < wp_w || wp_w - rest > rest + ten_kappa - wp_w)) {
        buf[len - 1]--;
        rest += ten_kappa;
    }
}

/* The digits of w inside (Mp - delta, Mp], shortest; *k gets the decimal exponent. */
static int digit_gen(struct diyfp w, struct diyfp mp, uint64_t delta, char *buf, int *k)
{
    const struct diyfp one = {(uint64_t)1 << -mp.e, mp.e};
    const uint64_t wp_w = mp.f - w.f;
    uint32_t p1 = (uint32_t)(mp.f >> -one.e);
    uint64_t p2 = mp.f & (one.f - 1);
    int kappa = count_digits(p1);
    int len = 0;
    while (kappa > 0) {
        uint32_t div = pow10_32[kappa - 1];
        uint32_t d = p1 / div;
        p1 %= div;
        if (d || len)
            buf[len++] = (char)('0' + d);
        kappa--;
        uint64_t tmp = ((uint64_t)p1 << -one.e) + p2;
        if (tmp <= delta) {
            *k += kappa;
            grisu_round(buf, len, delta, tmp, (uint64_t)pow10_32[kappa] << -one.e, wp_w);
            return len;
        }
    }
    for (;;) {
        p2 *= 10;
        delta *= 10;
        char d = (char)(p2 >> -one.e);
        if (d || len)
            buf[len++] = (char)('0' + d);
        p2 &= one.f - 1;
        kappa--;
        if (p2 < delta) {
            *k += kappa;
            int idx = -kappa;
            grisu_round(buf, len, delta, p2, one.f, wp_w * (idx < 10 ? pow10_32[idx] : 0));
            return len;
        }
    }
}

static int grisu2(double v, char *buf, int *k)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    const uint64_t frac_mask = ((uint64_t)1 << 52) - 1, hidden = (uint64_t)1 << 52;
    int bexp = (int)((bits >> 52) & 0x7ff);
    struct diyfp x = {bits & frac_mask, 0};
    if (bexp) {
        x.f += hidden;
        x.e = bexp - 1075;
    } else {
        x.e = -1074;
    }
    /* Boundaries m- and m+ of the rounding interval, on a common exponent. */
    struct diyfp pl = {(x.f << 1) + 1, x.e - 1};
    while (!(pl.f & (hidden << 1))) {
        pl.f <<= 1;
        pl.e--;
    }
    pl.f <<= 10; /* 64 - 52 - 2 */
    pl.e -= 10;
    struct diyfp mi = x.f == hidden ? (struct diyfp){(x.f << 2) - 1, x.e - 2}
                                    : (struct diyfp){(x.f << 1) - 1, x.e - 1};
    mi.f <<= mi.e - pl.e;
    mi.e = pl.e;
    /* A cached power c that brings the product's exponent into [-60, -32]. */
    double dk = (-61 - pl.e) * 0.30102999566398114 + 347; /* log10(2) */
    int kk = (int)dk;
    if (dk - kk > 0.0)
        kk++;
    unsigned idx = (unsigned)((kk >> 3) + 1);
    struct diyfp c = {cached[idx].f, cached[idx].e};
    *k = -(-348 + (int)(idx << 3));
    struct diyfp w = mul(normalize(x), c);
    struct diyfp wp = mul(pl, c), wm = mul(mi, c);
    wm.f++;
    wp.f--;
    return digit_gen(w, wp, wp.f - wm.f, buf, k);
}

static size_t put_exp(char *p, int e)
{
    size_t n = 0;
    p[n++] = 'e';
    if (e < 0) {
        p[n++] = '-';
        e = -e;
    } else {
        p[n++] = '+';
    }
    if (e >= 100) {
        p[n++] = (char)('0' + e / 100);
        e %= 100;
        p[n++] = (char)('0' + e / 10);
    } else {
        p[n++] = (char)('0' + e / 10); /* at least two digits: e-05 */
    }
    p[n++] = (char)('0' + e % 10);
    return n;
}

size_t dtoa_shortest(double v, char *out)
{
    size_t o = 0;
    if (v < 0 || (v == 0 && 1 / v < 0)) {
        out[o++] = '-';
        v = -v;
    }
    if (v == 0) {
        memcpy(out + o, "0.0", 3);
        return o + 3;
    }
    char d[24];
    int k;
    int len = grisu2(v, d, &k);
    int kk = len + k; /* the decimal point sits after kk digits */
    char *p = out + o;
    /* Python's repr: positional while the point sits within 16 digits of the first or
     * fewer than 4 zeros follow it, else d.ddde+XX. */
    if (k >= 0 && kk <= 16) { /* 1234e7 -> 12340000000.0 */
        memcpy(p, d, (size_t)len);
        memset(p + len, '0', (size_t)k);
        memcpy(p + kk, ".0", 2);
        return o + (size_t)kk + 2;
    }
    if (kk > 0 && kk <= 16) { /* 1234e-2 -> 12.34 */
        memcpy(p, d, (size_t)kk);
        p[kk] = '.';
        memcpy(p + kk + 1, d + kk, (size_t)(len - kk));
        return o + (size_t)len + 1;
    }
    if (kk > -4 && kk <= 0) { /* 1234e-6 -> 0.001234 */
        p[0] = '0';
        p[1] = '.';
        memset(p + 2, '0', (size_t)-kk);
        memcpy(p + 2 - kk, d, (size_t)len);
        return o + 2 + (size_t)(-kk) + (size_t)len;
    }
    /* d.ddde+X */
    size_t n = 0;
    p[n++] = d[0];
    if (len > 1) {
        p[n++] = '.';
        memcpy(p + n, d + 1, (size_t)len - 1);
        n += (size_t)len - 1;
    }
    n += put_exp(p + n, kk - 1);
    return o + n;
}
