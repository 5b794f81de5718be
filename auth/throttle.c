/* Failed-login throttling (see throttle.h). */
#include "throttle.h"

#include <pthread.h>
#include <string.h>

enum { SLOTS = 4096 };

struct slot {
    uint64_t key; /* 0: empty */
    int64_t fails;
    int64_t last_ms;  /* the latest failure */
    int64_t until_ms; /* no attempt before this */
};

static struct slot slots[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* FNV-1a of kind and key, never 0. */
static uint64_t key_of(char kind, const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    h = (h ^ (unsigned char)kind) * 1099511628211ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

static struct slot *find(uint64_t k)
{
    return &slots[k % SLOTS];
}

static int64_t wait_of(char kind, const char *s, int64_t now)
{
    if (!s)
        return 0;
    uint64_t k = key_of(kind, s);
    struct slot *x = find(k);
    if (x->key != k || x->until_ms <= now)
        return 0;
    return (x->until_ms - now + 999) / 1000;
}

int64_t throttle_wait(const char *user, const char *addr, int64_t now_ms)
{
    pthread_mutex_lock(&mu);
    int64_t a = wait_of('u', user, now_ms), b = wait_of('a', addr, now_ms);
    pthread_mutex_unlock(&mu);
    return a > b ? a : b;
}

static void fail_one(char kind, const char *s, int64_t now, int64_t free_n, int64_t cap_s)
{
    if (!s)
        return;
    uint64_t k = key_of(kind, s);
    struct slot *x = find(k);
    if (x->key != k || now - x->last_ms > (int64_t)THROTTLE_FORGET_S * 1000) {
        x->key = k;
        x->fails = 0;
        x->until_ms = 0;
    }
    x->fails++;
    x->last_ms = now;
    if (x->fails >= free_n) {
        int64_t over = x->fails - free_n; /* 0, 1, 2, ... */
        int64_t wait_s = over >= 20 ? cap_s : (int64_t)1 << over;
        if (wait_s > cap_s)
            wait_s = cap_s;
        x->until_ms = now + wait_s * 1000;
    }
}

void throttle_failed(const char *user, const char *addr, int64_t now_ms)
{
    pthread_mutex_lock(&mu);
    fail_one('u', user, now_ms, THROTTLE_USER_FREE, THROTTLE_MAX_WAIT_S);
    fail_one('a', addr, now_ms, THROTTLE_ADDR_FREE, THROTTLE_ADDR_MAX_WAIT_S);
    pthread_mutex_unlock(&mu);
}

void throttle_succeeded(const char *user)
{
    if (!user)
        return;
    pthread_mutex_lock(&mu);
    uint64_t k = key_of('u', user);
    struct slot *x = find(k);
    if (x->key == k)
        memset(x, 0, sizeof *x);
    pthread_mutex_unlock(&mu);
}

void throttle_reset(void)
{
    pthread_mutex_lock(&mu);
    memset(slots, 0, sizeof slots);
    pthread_mutex_unlock(&mu);
}
