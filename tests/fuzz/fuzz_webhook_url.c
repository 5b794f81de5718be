/* libFuzzer target for what webhooks parse from clients and the database: the webhook URL
 * (hooks/url.c, urlparse's reading; private addresses allowed so that no input reaches
 * DNS) and a stored secret's Fernet token (hooks/fernet.c). Nothing may crash or leak; an
 * accepted URL has an allowed scheme; no token but a real one decrypts.
 *   ./fuzz_webhook_url tests/fuzz/corpus/webhook_url
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hooks/fernet.h"
#include "hooks/hooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true", 1);
        setenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", "http,https", 1);
        struct err e = {0};
        if (hooks_init(&e) != 0)
            abort();
        ready = 1;
    }
    struct arena a;
    arena_init(&a);
    char *s = arena_strndup(&a, (const char *)data, size);
    struct err e = {0};
    if (hooks_check_url(&a, s, &e) == 0) {
        /* urlsplit drops leading controls and spaces, and tabs and newlines anywhere,
         * before it reads the scheme. */
        const char *p = s;
        while (*p && (unsigned char)*p <= 0x20)
            p++;
        char head[5] = {0};
        for (size_t k = 0; *p && k < 4; p++)
            if (*p != '\t' && *p != '\r' && *p != '\n')
                head[k++] = *p;
        if (strcasecmp(head, "http") != 0)
            abort();
    } else if (e.code != ERR_INVALID_PARAMETER_VALUE) {
        abort();
    }
    unsigned char key[32] = {0};
    (void)hooks_fernet_decrypt_with(&a, key, s);
    arena_release(&a);
    return 0;
}
