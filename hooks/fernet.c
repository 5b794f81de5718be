/* Fernet (the cryptography package's spec) for webhook secrets (see fernet.h). */
#include "fernet.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/base64.h"
#include "../base/util.h"

static unsigned char key[32]; /* signing key, then encryption key */

/* Standard base64 to and from the urlsafe alphabet, in place. */
static void to_urlsafe(char *s)
{
    for (; *s; s++)
        *s = *s == '+' ? '-' : *s == '/' ? '_' : *s;
}

static char *from_urlsafe(struct arena *a, const char *s)
{
    char *o = arena_strdup(a, s);
    for (char *p = o; *p; p++)
        *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
    return o;
}

int hooks_fernet_init(struct err *e, bool *configured)
{
    const char *k = getenv("MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY");
    *configured = k && *k;
    if (!*configured) {
        random_bytes(key, sizeof key);
        return 0;
    }
    struct arena a;
    arena_init(&a);
    size_t n = 0;
    const char *std = from_urlsafe(&a, k);
    char *raw = base64_decode(&a, std, strlen(std), false, &n);
    int rc = 0;
    if (!raw || n != 32)
        rc = err_set(e, ERR_INVALID_PARAMETER_VALUE,
                     "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY must be 32 url-safe base64-encoded "
                     "bytes.");
    else
        memcpy(key, raw, 32);
    arena_release(&a);
    return rc;
}

char *hooks_fernet_encrypt_with(struct arena *a, const unsigned char k[32],
                                const unsigned char iv[16], long long now, const char *plain)
{
    size_t n = strlen(plain);
    size_t cap = 1 + 8 + 16 + n + 16 + 32;
    unsigned char *tok = arena_alloc(a, cap);
    tok[0] = 0x80;
    for (int i = 0; i < 8; i++)
        tok[1 + i] = (unsigned char)((unsigned long long)now >> (56 - 8 * i));
    memcpy(tok + 9, iv, 16);
    EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    bool ok = cx && EVP_EncryptInit_ex(cx, EVP_aes_128_cbc(), NULL, k + 16, iv) == 1 &&
              EVP_EncryptUpdate(cx, tok + 25, &l1, (const unsigned char *)plain, (int)n) == 1 &&
              EVP_EncryptFinal_ex(cx, tok + 25 + l1, &l2) == 1;
    EVP_CIPHER_CTX_free(cx);
    if (!ok)
        return NULL;
    size_t body = 25 + (size_t)l1 + (size_t)l2;
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha256(), k, 16, tok, body, tok + body, &maclen) || maclen != 32)
        return NULL;
    char *s = base64_encode(a, tok, body + 32);
    if (s)
        to_urlsafe(s);
    return s;
}

char *hooks_fernet_decrypt_with(struct arena *a, const unsigned char k[32], const char *token)
{
    size_t n = 0;
    const char *std = from_urlsafe(a, token);
    unsigned char *raw = (unsigned char *)base64_decode(a, std, strlen(std), true, &n);
    if (!raw || n < 1 + 8 + 16 + 16 + 32 || raw[0] != 0x80 || (n - 57) % 16 != 0)
        return NULL;
    unsigned char mac[32];
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha256(), k, 16, raw, n - 32, mac, &maclen) ||
        CRYPTO_memcmp(mac, raw + n - 32, 32) != 0)
        return NULL;
    size_t clen = n - 57;
    unsigned char *plain = arena_alloc(a, clen + 1);
    EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    bool ok = cx && EVP_DecryptInit_ex(cx, EVP_aes_128_cbc(), NULL, k + 16, raw + 9) == 1 &&
              EVP_DecryptUpdate(cx, plain, &l1, raw + 25, (int)clen) == 1 &&
              EVP_DecryptFinal_ex(cx, plain + l1, &l2) == 1;
    EVP_CIPHER_CTX_free(cx);
    if (!ok)
        return NULL;
    plain[l1 + l2] = '\0';
    return (char *)plain;
}

char *hooks_fernet_encrypt(struct arena *a, const char *plain)
{
    unsigned char iv[16];
    random_bytes(iv, sizeof iv);
    return hooks_fernet_encrypt_with(a, key, iv, (long long)time(NULL), plain);
}

char *hooks_fernet_decrypt(struct arena *a, const char *token)
{
    return hooks_fernet_decrypt_with(a, key, token);
}
