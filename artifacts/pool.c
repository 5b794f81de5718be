/* Shared, reference-counted artifact stores by key (see pool.h). A handful of entries at
 * most, so a list searched under one mutex is enough; opening a store only reads settings
 * (no network), so it happens under the mutex too, which also keeps libcurl's global
 * initialisation single-threaded. */
#include "pool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *key;
    struct art_store *store;
    long refs;
    uint64_t used; /* the pool's clock at the last get or put */
};

struct art_pool {
    pthread_mutex_t mu;
    struct entry *v;
    size_t n, cap, keep;
    uint64_t clock;
};

struct art_pool *art_pool_new(size_t keep)
{
    struct art_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    p->keep = keep;
    return p;
}

static void drop(struct art_pool *p, size_t i)
{
    art_close(p->v[i].store);
    free(p->v[i].key);
    p->v[i] = p->v[--p->n];
}

/* Frees the least recently used idle stores beyond keep. */
static void trim(struct art_pool *p)
{
    for (;;) {
        size_t idle = 0, lru = p->n;
        for (size_t i = 0; i < p->n; i++) {
            if (p->v[i].refs)
                continue;
            idle++;
            if (lru == p->n || p->v[i].used < p->v[lru].used)
                lru = i;
        }
        if (idle <= p->keep)
            return;
        drop(p, lru);
    }
}

void art_pool_free(struct art_pool *p)
{
    if (!p)
        return;
    while (p->n)
        drop(p, p->n - 1);
    free(p->v);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

struct art_store *art_pool_get(struct art_pool *p, const char *key, struct err *e)
{
    pthread_mutex_lock(&p->mu);
    struct art_store *s = NULL;
    for (size_t i = 0; i < p->n && !s; i++) {
        if (strcmp(p->v[i].key, key) == 0) {
            p->v[i].refs++;
            p->v[i].used = ++p->clock;
            s = p->v[i].store;
        }
    }
    if (!s && p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        struct entry *v = realloc(p->v, cap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&p->mu);
            err_set(e, ERR_INTERNAL_ERROR, "out of memory");
            return NULL;
        }
        p->v = v;
        p->cap = cap;
    }
    if (!s) {
        char *k = strdup(key);
        s = k ? art_attach(key, e) : NULL;
        if (!k)
            err_set(e, ERR_INTERNAL_ERROR, "out of memory");
        if (s)
            p->v[p->n++] = (struct entry){k, s, 1, ++p->clock};
        else
            free(k);
    }
    pthread_mutex_unlock(&p->mu);
    return s;
}

void art_pool_put(struct art_pool *p, struct art_store *s)
{
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->n; i++) {
        if (p->v[i].store == s) {
            p->v[i].refs--;
            p->v[i].used = ++p->clock;
            break;
        }
    }
    trim(p);
    pthread_mutex_unlock(&p->mu);
}
