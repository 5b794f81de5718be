/* MLflow's webhook signature (webhooks/delivery.py, Standard Webhooks): "v1," and the
 * base64 of HMAC-SHA256(secret, "<delivery id>.<timestamp>.<payload>"). */
#ifndef MLT_HOOKS_SIGN_H
#define MLT_HOOKS_SIGN_H

#include <stddef.h>

#include "../base/arena.h"

/* From the arena; NULL when out of memory. */
char *hooks_sign(struct arena *a, const char *secret, const char *delivery_id,
                 const char *timestamp, const char *payload, size_t payload_len);

#endif
