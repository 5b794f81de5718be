/* The verified-credential cache: a correct password is checked with scrypt once, and later
 * requests with the same user and password cost a SHA-256 and a lookup.
 *
 * An entry is keyed by SHA-256(process secret || user || NUL || password), so neither the
 * password nor a digest usable offline stays in memory, and it remembers the password hash
 * the password was verified against. A hit counts only while the user's row still has that
 * very hash: the caller reads the row on every request anyway (is_admin, existence), so a
 * password change, a deletion, or a change made by another process on a shared database
 * takes effect on the next request, with no TTL. Bounded (CRED_CACHE_SLOTS entries,
 * direct-mapped); thread-safe. */
#ifndef MLT_AUTH_CREDCACHE_H
#define MLT_AUTH_CREDCACHE_H

#include <stdbool.h>
#include <stddef.h>

enum { CRED_CACHE_SLOTS = 4096 };

/* Whether (user, password) was verified against password_hash before. */
bool cred_cache_hit(const char *user, const char *password, size_t password_len,
                    const char *password_hash);
/* Remembers a successful verification. */
void cred_cache_put(const char *user, const char *password, size_t password_len,
                    const char *password_hash);
/* Drops every entry of user (password change, admin change, deletion). */
void cred_cache_forget(const char *user);
/* Drops everything (tests). */
void cred_cache_clear(void);

#endif
