/* werkzeug's password hashes, as MLflow's auth store writes and checks them
 * (werkzeug.security): "scrypt:N:r:p$salt$hex" (the default, N=32768 r=8 p=1, 64-byte key)
 * and "pbkdf2:<hash>:<iterations>$salt$hex" (hash sha1/sha224/sha256/sha384/sha512, a key
 * of the digest's size). The salt is used as the text it is. OpenSSL's libcrypto does the
 * key derivation; comparisons are constant-time. */
#ifndef MLT_AUTH_PWHASH_H
#define MLT_AUTH_PWHASH_H

#include <stdbool.h>
#include <stddef.h>

/* Whether password matches stored. False for any malformed or unsupported hash, and for
 * parameters past our bounds (N > 2^20, r*p > 64, scrypt memory over 256 MiB, pbkdf2
 * iterations > 10^7), so a
 * corrupted row can neither crash nor stall a worker. */
bool pw_verify(const char *stored, const char *password, size_t password_len);

/* A new hash of password in werkzeug's default format (scrypt:32768:8:1, a 16-character
 * salt of [A-Za-z0-9]). Writes NUL-terminated text to out (PW_HASH_MAX bytes); 0, or -1
 * when the derivation fails. */
enum { PW_HASH_MAX = 192 };
int pw_hash(const char *password, size_t password_len, char out[PW_HASH_MAX]);

/* Constant-time comparison of two byte strings of the same length n. */
bool pw_equal(const void *a, const void *b, size_t n);

#endif
