/* libFuzzer target for model-version sources (registry/source.c): every input is a source
 * URI run through each check create-model-version makes before it touches the database
 * (split, repeated unquoting, local or not, the relative-path and host policies, the
 * runs:/ and models:/ forms, containment in a root). Nothing may crash, leak or loop; a
 * runs:/ or models:/ URI that parses has its parts; a source the relative-path check
 * accepts holds no ".." segment once fully decoded.
 *   ./fuzz_source tests/fuzz/corpus/source
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_dotdot_segment(const char *p)
{
    for (const char *s = p; (s = strstr(s, "..")); s += 2) {
        bool start = s == p || s[-1] == '/';
        bool end = s[2] == '\0' || s[2] == '/';
        if (start && end)
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a);
    struct err e;
    const char *uri = arena_strndup(&a, (const char *)data, size);

    struct reg_uri u;
    reg_uri_split(&a, uri, &u);
    if (!u.scheme || !u.netloc || !u.path || !u.hostname || !u.port)
        abort();
    reg_unquote_all(&a, uri, false);
    bool local;
    if (reg_source_is_local(&a, uri, &local, &e) == 0 && local)
        reg_local_path(&a, uri);
    if (reg_source_check_relative(&a, uri, &e) == 0 &&
        has_dotdot_segment(reg_unquote_all(&a, uri, true)))
        abort();
    reg_source_check_host(&a, uri, "mlflow-artifacts:/", NULL, "source", &e);
    reg_source_check_host(&a, uri, "s3://bucket/root", "http,ftp", "source", &e);
    reg_source_is_mlflow_artifacts(&a, uri);
    reg_uri_within_root(&a, uri, "mlflow-artifacts:/0/abc");
    reg_uri_within_root(&a, "s3://b/r/x", uri);

    const char *run_id, *path;
    if (reg_parse_runs_uri(&a, uri, &run_id, &path, &e) == 0 && (!run_id || !*run_id || !path))
        abort();
    struct reg_models_uri m;
    if (reg_parse_models_uri(&a, uri, &m, &e) == 0 && !m.model_id && !m.name)
        abort();
    arena_release(&a);
    return 0;
}
