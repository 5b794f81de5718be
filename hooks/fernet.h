/* Webhook secrets at rest as MLflow keeps them (store/model_registry/dbmodels/models.py's
 * EncryptedString): Fernet tokens (AES-128-CBC and HMAC-SHA256, urlsafe base64) under the
 * key in MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY, so that mlflow server and mltrack read each
 * other's secrets when both are given the same key. Without the variable, as MLflow does,
 * the key is random per process (and the secrets unreadable after a restart). */
#ifndef MLT_HOOKS_FERNET_H
#define MLT_HOOKS_FERNET_H

#include <stdbool.h>

#include "../base/arena.h"
#include "../base/err.h"

/* Reads the key once (hooks_init calls it); -1 with e set when it is not 32 bytes of
 * urlsafe base64. *configured tells whether it came from the environment. */
int hooks_fernet_init(struct err *e, bool *configured);
/* The token of plain, from the arena; NULL on failure. */
char *hooks_fernet_encrypt(struct arena *a, const char *plain);
/* The plain text of token (from the arena); NULL when the token does not verify under the
 * key (another key, or tampered). */
char *hooks_fernet_decrypt(struct arena *a, const char *token);

/* For tests: the same with an explicit key (32 bytes) and, for encryption, IV and time. */
char *hooks_fernet_encrypt_with(struct arena *a, const unsigned char key[32],
                                const unsigned char iv[16], long long now, const char *plain);
char *hooks_fernet_decrypt_with(struct arena *a, const unsigned char key[32],
                                const char *token);

#endif
