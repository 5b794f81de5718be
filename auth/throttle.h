/* Failed-login throttling, per user name and per client address: a few failures are free,
 * then each further one doubles the wait before the next attempt is even looked at (1 s,
 * 2 s, 4 s, ... capped), so guessing a password online costs hours per thousand tries while
 * a user who mistypes waits a second. A blocked attempt is answered 429 without checking
 * the password, so it tells the guesser nothing. A success clears the user's count.
 *
 * The counts live in this process (a bounded table, colliding keys overwrite each other),
 * so N processes behind a balancer allow N times the attempts. Thread-safe. */
#ifndef MLT_AUTH_THROTTLE_H
#define MLT_AUTH_THROTTLE_H

#include <stdint.h>

enum {
    THROTTLE_USER_FREE = 5,   /* failures per user before waits begin */
    THROTTLE_ADDR_FREE = 50,  /* per client address (many users behind one NAT) */
    THROTTLE_MAX_WAIT_S = 60, /* per user: caps how long a guesser can lock a user out */
    THROTTLE_ADDR_MAX_WAIT_S = 900,
    THROTTLE_FORGET_S = 900,  /* a quiet key starts over */
};

/* Seconds until user (or addr) may try again; 0: now. Either may be NULL. */
int64_t throttle_wait(const char *user, const char *addr, int64_t now_ms);
void throttle_failed(const char *user, const char *addr, int64_t now_ms);
void throttle_succeeded(const char *user);
void throttle_reset(void); /* tests */

#endif
