/* The prepared statements a connection keeps, found again by the address of their SQL text
 * (or of a batch spec): string literals are unique for the life of the process, so the
 * address is the key and no text is hashed or compared. One per connection, owned by it. */
#ifndef MLT_DB_STMT_CACHE_H
#define MLT_DB_STMT_CACHE_H

#include <stdbool.h>
#include <stddef.h>

struct db_stmt;

enum { STMT_CACHE_SLOTS = 256 }; /* a power of two; more than the distinct statements */
_Static_assert((STMT_CACHE_SLOTS & (STMT_CACHE_SLOTS - 1)) == 0, "slots are masked");

struct stmt_cache {
    struct db_stmt *slot[STMT_CACHE_SLOTS];
};

/* The statement kept under key, or NULL. */
struct db_stmt *stmt_cache_get(const struct stmt_cache *c, const void *key);
/* Whether a statement under key could be kept (there is a free slot). */
bool stmt_cache_has_room(const struct stmt_cache *c, const void *key);
/* Keeps st under its header's key; false when the cache is full. */
bool stmt_cache_put(struct stmt_cache *c, struct db_stmt *st);
/* Hands every kept statement to fin and empties the cache. */
void stmt_cache_clear(struct stmt_cache *c, void (*fin)(struct db_stmt *));

#endif
