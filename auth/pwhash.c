/* werkzeug's scrypt and pbkdf2 password hashes with libcrypto (see pwhash.h). */
#include "pwhash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../base/util.h"

enum { MAX_SCRYPT_N = 1 << 20, MAX_SCRYPT_RP = 64, MAX_PBKDF2_ITER = 10000000,
       MAX_KEY = 64, MAX_SALT = 1024 };
/* scrypt's memory is 128*N*r*p bytes: werkzeug's default takes 32 MiB; 256 MiB at most. */
#define MAX_SCRYPT_MEM ((uint64_t)256 << 20)

bool pw_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

/* A decimal field of the method, up to the next ':' or the end; false unless all digits
 * and within [1, max]. */
static bool field_u64(const char **p, const char *end, uint64_t max, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    size_t n = 0;
    while (s + n < end && s[n] != ':') {
        char c = s[n];
        if (c < '0' || c > '9' || n >= 12)
            return false;
        v = v * 10 + (uint64_t)(c - '0');
        n++;
    }
    if (n == 0 || v < 1 || v > max)
        return false;
    *out = v;
    *p = s + n;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* werkzeug writes lowercase hex; anything else cannot match */
}

/* Derives the key of method (the text before the first '$') into key; its length in *klen.
 * -1 for a method we do not accept. */
static int derive(const char *m, size_t mlen, const char *salt, size_t slen, const char *pw,
                  size_t pwlen, unsigned char *key, size_t *klen)
{
    const char *end = m + mlen;
    if (mlen > 7 && memcmp(m, "scrypt:", 7) == 0) {
        const char *p = m + 7;
        uint64_t n, r, pp;
        if (!field_u64(&p, end, MAX_SCRYPT_N, &n) || p >= end || *p++ != ':' ||
            !field_u64(&p, end, MAX_SCRYPT_RP, &r) || p >= end || *p++ != ':' ||
            !field_u64(&p, end, MAX_SCRYPT_RP, &pp) || p != end)
            return -1;
        if ((n & (n - 1)) != 0 || n < 2 || r * pp > MAX_SCRYPT_RP ||
            128 * n * r * pp > MAX_SCRYPT_MEM)
            return -1;
        *klen = 64;
        uint64_t maxmem = 132 * n * r * pp;
        return EVP_PBE_scrypt(pw, pwlen, (const unsigned char *)salt, slen, n, r, pp, maxmem,
                              key, *klen) == 1
                   ? 0
                   : -1;
    }
    if (mlen > 7 && memcmp(m, "pbkdf2:", 7) == 0) {
        const char *h = m + 7;
        const char *colon = memchr(h, ':', (size_t)(end - h));
        if (!colon)
            return -1; /* werkzeug's default iteration count is not written down: refuse */
        size_t hl = (size_t)(colon - h);
        const EVP_MD *md = NULL;
        if (hl == 4 && memcmp(h, "sha1", 4) == 0)
            md = EVP_sha1();
        else if (hl == 6 && memcmp(h, "sha224", 6) == 0)
            md = EVP_sha224();
        else if (hl == 6 && memcmp(h, "sha256", 6) == 0)
            md = EVP_sha256();
        else if (hl == 6 && memcmp(h, "sha384", 6) == 0)
            md = EVP_sha384();
        else if (hl == 6 && memcmp(h, "sha512", 6) == 0)
            md = EVP_sha512();
        if (!md)
            return -1;
        const char *p = colon + 1;
        uint64_t iter;
        if (!field_u64(&p, end, MAX_PBKDF2_ITER, &iter) || p != end)
            return -1;
        *klen = (size_t)EVP_MD_size(md);
        if (*klen > MAX_KEY)
            return -1;
        return PKCS5_PBKDF2_HMAC(pw, (int)pwlen, (const unsigned char *)salt, (int)slen,
                                 (int)iter, md, (int)*klen, key) == 1
                   ? 0
                   : -1;
    }
    return -1;
}

bool pw_verify(const char *stored, const char *password, size_t password_len)
{
    if (!stored || !password || password_len > (1u << 20))
        return false;
    const char *d1 = strchr(stored, '$');
    if (!d1)
        return false;
    const char *d2 = strchr(d1 + 1, '$');
    if (!d2)
        return false;
    size_t slen = (size_t)(d2 - d1 - 1);
    const char *hex = d2 + 1;
    size_t hlen = strlen(hex);
    if (slen > MAX_SALT)
        return false;
    unsigned char key[MAX_KEY], want[MAX_KEY];
    size_t klen = 0;
    if (derive(stored, (size_t)(d1 - stored), d1 + 1, slen, password, password_len, key,
               &klen) != 0)
        return false;
    /* The stored hex must be exactly the key's; decode it, then compare in constant time. */
    if (hlen != 2 * klen)
        return false;
    bool ok = true;
    for (size_t i = 0; i < klen; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        ok &= hi >= 0 && lo >= 0;
        want[i] = (unsigned char)((hi & 15) << 4 | (lo & 15));
    }
    bool eq = pw_equal(key, want, klen);
    OPENSSL_cleanse(key, sizeof key);
    return ok && eq;
}

int pw_hash(const char *password, size_t password_len, char out[PW_HASH_MAX])
{
    static const char chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char salt[17];
    for (int i = 0; i < 16; i++) {
        unsigned char b;
        /* Rejection sampling: 62 * 4 = 248, so bytes >= 248 are drawn again (no bias). */
        do
            random_bytes(&b, 1);
        while (b >= 248);
        salt[i] = chars[b % 62];
    }
    salt[16] = '\0';
    unsigned char key[64];
    if (EVP_PBE_scrypt(password, password_len, (const unsigned char *)salt, 16, 32768, 8, 1,
                       132u * 32768 * 8, key, sizeof key) != 1)
        return -1;
    int n = snprintf(out, PW_HASH_MAX, "scrypt:32768:8:1$%s$", salt);
    hex_encode(out + n, key, sizeof key);
    OPENSSL_cleanse(key, sizeof key);
    return 0;
}
