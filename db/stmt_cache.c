/* Open addressing over a fixed table keyed by address (see stmt_cache.h). Entries are never
 * removed one by one, so a probe stops at the first empty slot. */
#include "stmt_cache.h"

#include <assert.h>
#include <stdint.h>

#include "db.h"

static size_t slot_of(const void *key)
{
    uintptr_t h = (uintptr_t)key;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 24) & (STMT_CACHE_SLOTS - 1);
}

static const void *key_of(const struct db_stmt *st)
{
    return ((const struct db_stmt_hdr *)st)->key;
}

struct db_stmt *stmt_cache_get(const struct stmt_cache *c, const void *key)
{
    size_t s = slot_of(key);
    for (size_t i = 0; i < STMT_CACHE_SLOTS; i++) {
        struct db_stmt *st = c->slot[(s + i) & (STMT_CACHE_SLOTS - 1)];
        if (!st)
            return NULL;
        if (key_of(st) == key)
            return st;
    }
    return NULL;
}

bool stmt_cache_has_room(const struct stmt_cache *c, const void *key)
{
    size_t s = slot_of(key);
    for (size_t i = 0; i < STMT_CACHE_SLOTS; i++)
        if (!c->slot[(s + i) & (STMT_CACHE_SLOTS - 1)])
            return true;
    return false;
}

bool stmt_cache_put(struct stmt_cache *c, struct db_stmt *st)
{
    assert(!stmt_cache_get(c, key_of(st))); /* one statement per key */
    size_t s = slot_of(key_of(st));
    for (size_t i = 0; i < STMT_CACHE_SLOTS; i++) {
        struct db_stmt **p = &c->slot[(s + i) & (STMT_CACHE_SLOTS - 1)];
        if (!*p) {
            *p = st;
            return true;
        }
    }
    return false;
}

void stmt_cache_clear(struct stmt_cache *c, void (*fin)(struct db_stmt *))
{
    for (size_t i = 0; i < STMT_CACHE_SLOTS; i++) {
        if (c->slot[i])
            fin(c->slot[i]);
        c->slot[i] = NULL;
    }
}
