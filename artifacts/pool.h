/* The stores behind the artifact locations that runs and models name (art_attach keys: an
 * S3 bucket, a local directory), opened on first use and shared by the worker threads, so
 * that a request reuses a bucket's store, with its warm connections and TLS sessions,
 * instead of opening one. A store in use is never freed; of the unused ones at most `keep`
 * are kept, the least recently used going first. */
#ifndef MLT_ART_POOL_H
#define MLT_ART_POOL_H

#include "art.h"

struct art_pool;

/* NULL when out of memory. */
struct art_pool *art_pool_new(size_t keep);
/* Frees the pool and every store in it; none may still be in use. */
void art_pool_free(struct art_pool *p);
/* The store for key, borrowed until art_pool_put(p, it); NULL with e set when it cannot be
 * opened (art_attach's errors). Thread-safe. */
struct art_store *art_pool_get(struct art_pool *p, const char *key, struct err *e);
/* Gives back a store from art_pool_get. */
void art_pool_put(struct art_pool *p, struct art_store *s);

#endif
