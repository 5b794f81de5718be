/* The X-MLflow-Signature header's value (see sign.h). */
#include "sign.h"

#include <openssl/hmac.h>
#include <string.h>

#include "../base/base64.h"

char *hooks_sign(struct arena *a, const char *secret, const char *delivery_id,
                 const char *timestamp, const char *payload, size_t payload_len)
{
    size_t nid = strlen(delivery_id), nts = strlen(timestamp);
    size_t n = nid + 1 + nts + 1 + payload_len;
    char *msg = arena_alloc(a, n + 1);
    if (!msg)
        return NULL;
    memcpy(msg, delivery_id, nid);
    msg[nid] = '.';
    memcpy(msg + nid + 1, timestamp, nts);
    msg[nid + 1 + nts] = '.';
    memcpy(msg + nid + nts + 2, payload, payload_len);
    unsigned char mac[32];
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, n, mac,
              &maclen))
        return NULL;
    char *b64 = base64_encode(a, mac, maclen);
    return b64 ? arena_printf(a, "v1,%s", b64) : NULL;
}
