/* libFuzzer target for MLflow's name rules (api/validate.c, registry/rules.c) and the
 * Python str operations they are built on (base/pystr.c, base/utf8.c): every input is a
 * key, a model name and an alias. Nothing may crash or leak; json.dumps' output is ASCII
 * JSON that reads back to the input; normpath is idempotent; a key or alias the rules
 * accept is well-formed UTF-8; the messages about well-formed input are too.
 *   ./fuzz_names tests/fuzz/corpus/names
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/pystr.h"
#include "base/utf8.h"
#include "registry/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An accepted key or alias is well-formed UTF-8 (model names may be anything but '/' and
 * ':', as in MLflow); a refusal is INVALID_PARAMETER_VALUE, its message well-formed when
 * the input was. */
static void check(int rc, struct err *e, const char *name, bool any_bytes)
{
    bool wellformed = utf8_valid(name, strlen(name));
    if (rc == 0) {
        if (!any_bytes && !wellformed)
            abort();
        return;
    }
    if (e->code != ERR_INVALID_PARAMETER_VALUE ||
        (wellformed && !utf8_valid(e->msg, strlen(e->msg))))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a);
    struct err e;
    const char *s = arena_strndup(&a, (const char *)data, size);
    size_t n = strlen(s);

    const char *js = py_json_str(&a, s);
    for (const char *p = js; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            abort();
    json_t *j = json_loads(js, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!json_is_string(j) ||
        (utf8_valid(s, n) && (json_string_length(j) != n || memcmp(json_string_value(j), s, n))))
        abort();
    json_decref(j);
    const char *norm = py_normpath(&a, s);
    if (strcmp(py_normpath(&a, norm), norm) != 0)
        abort();
    const char *r = py_repr(&a, s);
    if (!utf8_valid(r, strlen(r)))
        abort();
    size_t cut;
    if (utf8_len(s, 250, &cut) > 250 && cut > n)
        abort();

    check(v_param_name(&e, s, "key"), &e, s, false);
    check(v_metric_name(&e, s, "metrics[0].name"), &e, s, false);
    check(v_tag_name(&e, s, "key"), &e, s, false);
    check(reg_check_model_name(&e, s, "name"), &e, s, true);
    int rc = reg_check_alias(&e, s);
    check(rc == 0 ? reg_check_alias_reserved(&e, s) : rc, &e, s, false);
    arena_release(&a);
    return 0;
}
