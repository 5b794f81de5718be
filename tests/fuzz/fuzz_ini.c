/* libFuzzer target for the basic-auth configuration (auth/ini.c, auth/config.c): any bytes
 * are parsed as basic_auth.ini; neither may crash or leak, a parse that succeeds must find
 * every key it stored, and a configuration that loads has a known default permission and
 * a database URI. Linked with replay.c instead of libFuzzer, it replays its corpus as a
 * normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/config.h"
#include "auth/ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *no_env(const char *name)
{
    (void)name;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct ini ini;
    char err[256];
    if (ini_parse(&ini, text, size, err, sizeof err) == 0) {
        for (size_t i = 0; i < ini.n; i++)
            if (!ini_get(&ini, ini.v[i].section, ini.v[i].key))
                abort();
    } else if (ini.n != 0 || !err[0]) {
        abort();
    }
    ini_release(&ini);
    struct auth_config c;
    if (auth_config_parse(&c, text, size, "fuzz.ini", no_env, err, sizeof err) == 0) {
        if (!perm_name(c.default_permission) || !c.database_uri)
            abort();
    }
    auth_config_release(&c);
    return 0;
}
