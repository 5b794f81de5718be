/* The HTTP Basic credentials of an Authorization header (RFC 7617), as werkzeug reads
 * them: scheme "Basic" in any case, base64 of "user:password" split at the first ':'. */
#ifndef MLT_AUTH_BASIC_H
#define MLT_AUTH_BASIC_H

#include <stddef.h>

#include "../base/arena.h"

/* 0 with *user and *password (from the arena, NUL-terminated; the password may be "") on a
 * well-formed header; -1 otherwise (no header, another scheme, bad base64, no ':', a NUL
 * inside, or longer than 8 KiB). */
int basic_parse(struct arena *a, const char *header, const char **user, const char **password,
                size_t *password_len);

#endif
