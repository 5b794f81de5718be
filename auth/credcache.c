/* The verified-credential cache (see credcache.h). */
#include "credcache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"

struct slot {
    unsigned char key[32];
    char *user;
    char *hash;
};

static struct slot slots[CRED_CACHE_SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char secret[32];
static pthread_once_t secret_once = PTHREAD_ONCE_INIT;

static void secret_init(void)
{
    random_bytes(secret, sizeof secret);
}

static bool key_of(const char *user, const char *pw, size_t pwlen, unsigned char out[32])
{
    pthread_once(&secret_once, secret_init);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
              EVP_DigestUpdate(ctx, secret, sizeof secret) == 1 &&
              EVP_DigestUpdate(ctx, user, strlen(user) + 1) == 1 &&
              EVP_DigestUpdate(ctx, pw, pwlen) == 1 && EVP_DigestFinal_ex(ctx, out, &n) == 1 &&
              n == 32;
    EVP_MD_CTX_free(ctx);
    return ok;
}

static size_t index_of(const unsigned char key[32])
{
    uint32_t v;
    memcpy(&v, key, sizeof v);
    return v % CRED_CACHE_SLOTS;
}

bool cred_cache_hit(const char *user, const char *password, size_t password_len,
                    const char *password_hash)
{
    unsigned char k[32];
    if (!password_hash || !key_of(user, password, password_len, k))
        return false;
    struct slot *s = &slots[index_of(k)];
    pthread_mutex_lock(&mu);
    bool hit = s->user && CRYPTO_memcmp(s->key, k, 32) == 0 && strcmp(s->user, user) == 0 &&
               strcmp(s->hash, password_hash) == 0;
    pthread_mutex_unlock(&mu);
    return hit;
}

static void slot_clear(struct slot *s)
{
    free(s->user);
    free(s->hash);
    memset(s, 0, sizeof *s);
}

void cred_cache_put(const char *user, const char *password, size_t password_len,
                    const char *password_hash)
{
    unsigned char k[32];
    if (!password_hash || !key_of(user, password, password_len, k))
        return;
    char *u = strdup(user), *h = strdup(password_hash);
    if (!u || !h) {
        free(u);
        free(h);
        return;
    }
    struct slot *s = &slots[index_of(k)];
    pthread_mutex_lock(&mu);
    slot_clear(s);
    memcpy(s->key, k, 32);
    s->user = u;
    s->hash = h;
    pthread_mutex_unlock(&mu);
}

void cred_cache_forget(const char *user)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < CRED_CACHE_SLOTS; i++)
        if (slots[i].user && strcmp(slots[i].user, user) == 0)
            slot_clear(&slots[i]);
    pthread_mutex_unlock(&mu);
}

void cred_cache_clear(void)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < CRED_CACHE_SLOTS; i++)
        slot_clear(&slots[i]);
    pthread_mutex_unlock(&mu);
}
