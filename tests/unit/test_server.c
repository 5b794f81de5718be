/* Unit tests for the pure parts of server/: request-target decoding, the security rules
 * (Host allow list, CORS origins, cross-origin blocking), gzip, and the command line. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/arena.h"
#include "server/cli.h"
#include "server/gzip.h"
#include "server/security.h"
#include "server/urlparse.h"
#include "t.h"

/* ---- urlparse ---- */

static void test_url_decode(void)
{
    char out[64];
    T_CHECK(url_decode(out, "a%2Fb+c%20d", 11, false) == 7);
    T_STREQ(out, "a/b+c d");
    url_decode(out, "a%2Fb+c%20d", 11, true);
    T_STREQ(out, "a/b c d");
    /* Decoded once: %252F becomes %2F, not '/'. */
    url_decode(out, "%252F", 5, false);
    T_STREQ(out, "%2F");
    /* Broken escapes stay as they are. */
    url_decode(out, "%zz%4%", 6, false);
    T_STREQ(out, "%zz%4%");
    url_decode(out, "x%4", 3, false);
    T_STREQ(out, "x%4");
    url_decode(out, "%e2%82%AC", 9, false);
    T_STREQ(out, "\xe2\x82\xac");
    T_CHECK(url_decode(out, "", 0, false) == 0);
}

static void test_url_target(void)
{
    struct arena a;
    arena_init(&a);
    const char *path;
    struct http_kv *q;
    size_t n;
    T_CHECK(url_parse_target(&a, "/api/2.0/mlflow-artifacts/artifacts/a%2Fb+c?x=1+2&y=%26&x=3"
                                 "&&flag&e=&k%20k=v#frag",
                             &path, &q, &n) == URL_OK);
    T_STREQ(path, "/api/2.0/mlflow-artifacts/artifacts/a/b+c");
    T_CHECK(n == 6);
    if (n == 6) {
        T_STREQ(q[0].key, "x");
        T_STREQ(q[0].value, "1 2");
        T_STREQ(q[1].key, "y");
        T_STREQ(q[1].value, "&");
        T_STREQ(q[2].key, "x");
        T_STREQ(q[2].value, "3");
        T_STREQ(q[3].key, "flag");
        T_STREQ(q[3].value, "");
        T_CHECK(q[3].vlen == 0);
        T_STREQ(q[4].key, "e");
        T_STREQ(q[4].value, "");
        T_STREQ(q[5].key, "k k");
        T_STREQ(q[5].value, "v");
    }
    /* Values may hold NUL; vlen tells. */
    T_CHECK(url_parse_target(&a, "/p?v=a%00b", &path, &q, &n) == URL_OK);
    T_CHECK(n == 1 && q[0].vlen == 3 && memcmp(q[0].value, "a\0b", 3) == 0);
    /* No query at all, and an empty one. */
    T_CHECK(url_parse_target(&a, "/health", &path, &q, &n) == URL_OK);
    T_STREQ(path, "/health");
    T_CHECK(n == 0);
    T_CHECK(url_parse_target(&a, "/h?", &path, &q, &n) == URL_OK && n == 0);
    /* Absolute form. */
    T_CHECK(url_parse_target(&a, "http://example.com:5000/a%20b?z=1", &path, &q, &n) == URL_OK);
    T_STREQ(path, "/a b");
    T_CHECK(n == 1);
    /* Bad paths. */
    T_CHECK(url_parse_target(&a, "/a%00b", &path, &q, &n) == URL_BAD_PATH);
    T_CHECK(url_parse_target(&a, "*", &path, &q, &n) == URL_BAD_PATH);
    T_CHECK(url_parse_target(&a, "", &path, &q, &n) == URL_BAD_PATH);
    T_CHECK(url_parse_target(&a, "http://host", &path, &q, &n) == URL_BAD_PATH);
    /* A "://" inside the path is not an absolute form. */
    T_CHECK(url_parse_target(&a, "/get?uri=s3://b/k", &path, &q, &n) == URL_OK);
    T_STREQ(path, "/get");
    T_CHECK(n == 1 && strcmp(q[0].value, "s3://b/k") == 0);
    arena_release(&a);
}

static void test_url_too_many(void)
{
    struct arena a;
    arena_init(&a);
    size_t cap = 4 * (URL_MAX_QUERY_PAIRS + 2) + 8;
    char *s = malloc(cap);
    size_t o = 0;
    s[o++] = '/';
    s[o++] = '?';
    for (int i = 0; i < URL_MAX_QUERY_PAIRS + 1; i++) {
        memcpy(s + o, "a=1&", 4);
        o += 4;
    }
    s[o] = '\0';
    const char *path;
    struct http_kv *q;
    size_t n;
    T_CHECK(url_parse_target(&a, s, &path, &q, &n) == URL_TOO_MANY_PARAMS);
    s[2 + 4 * URL_MAX_QUERY_PAIRS] = '\0';
    T_CHECK(url_parse_target(&a, s, &path, &q, &n) == URL_OK && n == URL_MAX_QUERY_PAIRS);
    free(s);
    arena_release(&a);
}

/* ---- security ---- */

static void test_hosts_default(void)
{
    struct sec_config s;
    sec_config_init(&s, NULL, NULL, "SAMEORIGIN", "", false);
    const char *ok[] = {"localhost", "localhost:5000", "127.0.0.1", "127.0.0.1:80", "[::1]",
                        "[::1]:5000", "0.0.0.0:5000", "192.168.0.10:5000", "10.0.0.1",
                        "172.16.5.5", "172.31.0.1:1", "fd00::1", "fc00:abc"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        T_CHECK(sec_host_allowed(&s, ok[i]));
    const char *bad[] = {"evil.com", "localhost.evil.com", "172.15.0.1", "172.32.0.1",
                         "LOCALHOST", "", "[::2]:5000", "11.0.0.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        T_CHECK(!sec_host_allowed(&s, bad[i]));
    T_CHECK(!sec_host_allowed(&s, NULL));
    T_STREQ(s.x_frame_options, "SAMEORIGIN");
    sec_config_release(&s);
}

static void test_hosts_custom(void)
{
    struct sec_config s;
    sec_config_init(&s, "mlflow.example.com, app-*.internal:*,10.0.0.100:5000", NULL, "NONE",
                    "/mlflow", false);
    T_CHECK(s.nhosts == 3);
    T_CHECK(sec_host_allowed(&s, "mlflow.example.com"));
    T_CHECK(!sec_host_allowed(&s, "mlflow.example.com:5000"));
    T_CHECK(sec_host_allowed(&s, "app-1.internal:443"));
    T_CHECK(sec_host_allowed(&s, "10.0.0.100:5000"));
    T_CHECK(!sec_host_allowed(&s, "localhost:5000")); /* the defaults are replaced */
    T_CHECK(s.x_frame_options == NULL);
    T_CHECK(sec_is_health_path(&s, "/mlflow/health"));
    T_CHECK(sec_is_health_path(&s, "/mlflow/version"));
    T_CHECK(!sec_is_health_path(&s, "/health"));
    T_CHECK(sec_is_api_path(&s, "/mlflow/ajax-api/2.0/mlflow/runs/get"));
    T_CHECK(sec_is_api_path(&s, "/api/2.0/mlflow/runs/get"));
    T_CHECK(!sec_is_api_path(&s, "/api/test"));
    T_CHECK(!sec_is_api_path(&s, "/mlflow/static-files/x"));
    sec_config_release(&s);

    sec_config_init(&s, "*", NULL, NULL, NULL, false);
    T_CHECK(sec_host_allowed(&s, "anything"));
    sec_config_release(&s);
    sec_config_init(&s, NULL, NULL, NULL, NULL, true);
    T_CHECK(sec_host_allowed(&s, "evil.com"));
    T_CHECK(!sec_block_cross_origin(&s, "http://evil.com", "POST"));
    sec_config_release(&s);
}

static void test_origins(void)
{
    struct sec_config s;
    sec_config_init(&s, NULL, "https://app.example.com,https://*.corp.example", NULL, NULL,
                    false);
    T_CHECK(sec_origin_allowed(&s, "http://localhost"));
    T_CHECK(sec_origin_allowed(&s, "http://localhost:3000"));
    T_CHECK(sec_origin_allowed(&s, "http://127.0.0.1:5000"));
    T_CHECK(sec_origin_allowed(&s, "http://[::1]:5000"));
    T_CHECK(!sec_origin_allowed(&s, "https://localhost:3000"));
    T_CHECK(!sec_origin_allowed(&s, "http://localhost:"));
    T_CHECK(!sec_origin_allowed(&s, "http://localhost.evil.com"));
    T_CHECK(sec_origin_allowed(&s, "https://app.example.com"));
    T_CHECK(!sec_origin_allowed(&s, "https://app.example.com.evil"));
    T_CHECK(sec_origin_allowed(&s, "https://x.corp.example"));
    T_CHECK(!sec_origin_allowed(&s, NULL));

    /* Blocking: state-changing methods from foreign origins only. */
    T_CHECK(sec_block_cross_origin(&s, "http://evil.com", "POST"));
    T_CHECK(sec_block_cross_origin(&s, "http://evil.com", "DELETE"));
    T_CHECK(!sec_block_cross_origin(&s, "http://evil.com", "GET"));
    T_CHECK(!sec_block_cross_origin(&s, NULL, "POST"));
    T_CHECK(!sec_block_cross_origin(&s, "", "POST"));
    T_CHECK(!sec_block_cross_origin(&s, "https://localhost:8443", "POST"));
    T_CHECK(!sec_block_cross_origin(&s, "http://user@127.0.0.1:1", "PUT"));
    T_CHECK(!sec_block_cross_origin(&s, "http://[::1]", "PATCH"));
    T_CHECK(!sec_block_cross_origin(&s, "https://app.example.com", "POST"));
    T_CHECK(!sec_block_cross_origin(&s, "https://a.corp.example", "POST"));
    T_CHECK(sec_block_cross_origin(&s, "null", "POST"));
    T_CHECK(sec_preflight_method_allowed(&s, "PATCH"));
    T_CHECK(!sec_preflight_method_allowed(&s, "HEAD"));
    sec_config_release(&s);

    sec_config_init(&s, NULL, NULL, NULL, NULL, false);
    T_CHECK(sec_block_cross_origin(&s, "https://app.example.com", "POST"));
    T_CHECK(sec_origin_allowed(&s, "http://localhost:1"));
    sec_config_release(&s);

    sec_config_init(&s, NULL, "*", NULL, NULL, false);
    T_CHECK(s.origins_any);
    T_CHECK(sec_origin_allowed(&s, "https://anything"));
    T_CHECK(!sec_block_cross_origin(&s, "https://anything", "POST"));
    T_CHECK(sec_preflight_method_allowed(&s, "HEAD"));
    sec_config_release(&s);

    T_CHECK(sec_is_localhost_origin("http://LOCALHOST:1"));
    T_CHECK(!sec_is_localhost_origin("localhost"));
    T_CHECK(!sec_is_localhost_origin("http://localhostx"));
}

/* ---- gzip ---- */

static void test_gzip(void)
{
    T_CHECK(gz_accepted("gzip, deflate, br"));
    T_CHECK(gz_accepted("br;q=1.0, GZIP;q=0.5"));
    T_CHECK(gz_accepted("*"));
    T_CHECK(!gz_accepted("gzip;q=0"));
    T_CHECK(!gz_accepted("gzip; q=0.000, br"));
    T_CHECK(!gz_accepted("identity"));
    T_CHECK(!gz_accepted("gzipx"));
    T_CHECK(!gz_accepted(NULL));
    T_CHECK(gz_compressible("application/json"));
    T_CHECK(gz_compressible("application/json; charset=utf-8"));
    T_CHECK(gz_compressible("text/plain"));
    T_CHECK(gz_compressible("application/problem+json"));
    T_CHECK(!gz_compressible("application/octet-stream"));
    T_CHECK(!gz_compressible("image/png"));
    T_CHECK(!gz_compressible(NULL));

    /* Small bodies take one stream (reused by the thread); bodies of megabytes are cut into
     * pieces compressed on several threads and must still be one valid gzip member. */
    size_t sizes[] = {50000, 50000, 9 * 1024 * 1024 + 77};
    for (int round = 0; round < 3; round++) {
        size_t n = sizes[round];
        char *in = malloc(n);
        for (size_t i = 0; i < n; i++)
            in[i] = "{\"key\":\"metric\",\"value\":1.5}"[i % 28] ^ (char)((i / 4099) % 3);
        size_t zl = 0;
        char *z = gz_compress(in, n, &zl);
        T_CHECK(z != NULL && zl < n);
        if (!z) {
            free(in);
            break;
        }
        T_CHECK((unsigned char)z[0] == 0x1f && (unsigned char)z[1] == 0x8b);
        char *back = malloc(n + 1);
        z_stream s;
        memset(&s, 0, sizeof s);
        T_CHECK(inflateInit2(&s, 15 + 16) == Z_OK);
        s.next_in = (Bytef *)z;
        s.avail_in = (uInt)zl;
        s.next_out = (Bytef *)back;
        s.avail_out = (uInt)n + 1;
        T_CHECK(inflate(&s, Z_FINISH) == Z_STREAM_END);
        T_CHECK(s.total_out == n && memcmp(back, in, n) == 0);
        inflateEnd(&s);
        free(back);
        free(z);
        free(in);
    }
    /* Incompressible input is refused, so the caller sends it as is. */
    unsigned char rnd[2048];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof rnd; i++) {
        x = x * 1103515245u + 12345u;
        rnd[i] = (unsigned char)(x >> 16);
    }
    size_t zl;
    T_CHECK(gz_compress(rnd, sizeof rnd, &zl) == NULL);
}

/* ---- cli ---- */

static const char *env_none(const char *name)
{
    (void)name;
    return NULL;
}

static const char *env_some(const char *name)
{
    if (strcmp(name, "MLFLOW_PORT") == 0)
        return "6000";
    if (strcmp(name, "MLFLOW_SERVE_ARTIFACTS") == 0)
        return "false";
    if (strcmp(name, "MLFLOW_HOST") == 0)
        return "";
    if (strcmp(name, "MLFLOW_SERVER_ALLOWED_HOSTS") == 0)
        return "a.example";
    return NULL;
}

static const char *env_bad(const char *name)
{
    return strcmp(name, "MLFLOW_ARTIFACTS_ONLY") == 0 ? "maybe" : NULL;
}

static enum cli_result parse(struct server_config *c, cli_getenv_fn env, char *err, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, err);
    for (const char *a; argc < 31 && (a = va_arg(ap, const char *)) != NULL;)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    return cli_parse(argc, argv, env, c, err, 256);
}

static void test_cli_defaults(void)
{
    struct server_config c;
    char err[256];
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", NULL) == CLI_RUN);
    T_STREQ(c.backend_store_uri, "sqlite:///mlflow.db");
    T_STREQ(c.registry_store_uri, "sqlite:///mlflow.db");
    T_CHECK(c.backend_defaulted);
    T_STREQ(c.artifact_root, "mlflow-artifacts:/");
    T_STREQ(c.artifacts_destination, "./mlartifacts");
    T_CHECK(c.serve_artifacts && !c.artifacts_only);
    T_STREQ(c.host, "127.0.0.1");
    T_CHECK(c.port == 5000 && c.workers == 4);
    T_STREQ(c.static_prefix, "");
    T_CHECK(c.allowed_hosts == NULL && c.cors_allowed_origins == NULL);
    T_STREQ(c.x_frame_options, "SAMEORIGIN");
    T_CHECK(c.log_level == LOG_INFO);
    cli_config_release(&c);
}

static void test_cli_auth_flags(void)
{
    struct server_config c;
    char err[256];
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", NULL) == CLI_RUN);
    T_CHECK(c.app_name == NULL && c.auth_proxy_header == NULL);
    cli_config_release(&c);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--app-name", "basic-auth", NULL) ==
            CLI_RUN);
    T_STREQ(c.app_name, "basic-auth");
    cli_config_release(&c);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--app-name=other", NULL) ==
            CLI_USAGE_ERROR);
    T_STREQ(err, "Invalid value for '--app-name': 'other' is not 'basic-auth'.");
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--app-name", "basic-auth",
                  "--auth-proxy-header", "X-Forwarded-User", "--auth-trusted-proxies",
                  "10.0.0.0/8,::1", NULL) == CLI_RUN);
    T_STREQ(c.auth_proxy_header, "X-Forwarded-User");
    T_STREQ(c.auth_trusted_proxies, "10.0.0.0/8,::1");
    cli_config_release(&c);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--auth-proxy-header", "X-User",
                  "--auth-trusted-proxies", "::1", NULL) == CLI_USAGE_ERROR);
    T_CHECK(strstr(err, "need --app-name basic-auth") != NULL);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--app-name", "basic-auth",
                  "--auth-proxy-header", "X-User", NULL) == CLI_USAGE_ERROR);
    T_CHECK(strstr(err, "go together") != NULL);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--app-name", "basic-auth",
                  "--auth-proxy-header", "X-User", "--auth-trusted-proxies", "proxy.local",
                  NULL) == CLI_USAGE_ERROR);
    T_STREQ(err, "invalid value for --auth-trusted-proxies: 'proxy.local' is not an IP address "
                 "or CIDR block");
}

static void test_cli_flags(void)
{
    struct server_config c;
    char err[256];
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--backend-store-uri=sqlite:///x.db",
                  "-h", "0.0.0.0", "-p5001", "--workers", "8", "--static-prefix", "/mlflow",
                  "--no-serve-artifacts", "--allowed-hosts", "a,b", "--cors-allowed-origins=*",
                  "--log-level", "warning", "--registry-store-uri", "sqlite:///x.db",
                  NULL) == CLI_RUN);
    T_STREQ(c.backend_store_uri, "sqlite:///x.db");
    T_CHECK(!c.backend_defaulted);
    T_STREQ(c.host, "0.0.0.0");
    T_CHECK(c.port == 5001 && c.workers == 8);
    T_STREQ(c.static_prefix, "/mlflow");
    T_CHECK(!c.serve_artifacts);
    T_STREQ(c.allowed_hosts, "a,b");
    T_STREQ(c.cors_allowed_origins, "*");
    T_CHECK(c.log_level == LOG_WARN);
    /* Not serving artifacts: ./mlruns made absolute against the working directory. */
    char *cwd = getcwd(NULL, 0);
    T_CHECK(c.artifact_root && strncmp(c.artifact_root, cwd, strlen(cwd)) == 0 &&
            strcmp(c.artifact_root + strlen(cwd), "/mlruns") == 0);
    free(cwd);
    cli_config_release(&c);

    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--default-artifact-root",
                  "s3://bucket/path", NULL) == CLI_RUN);
    T_STREQ(c.artifact_root, "s3://bucket/path");
    cli_config_release(&c);
}

static void test_cli_env(void)
{
    struct server_config c;
    char err[256];
    T_CHECK(parse(&c, env_some, err, "mltrack", "server", NULL) == CLI_RUN);
    T_CHECK(c.port == 6000);
    T_CHECK(!c.serve_artifacts);
    T_STREQ(c.host, "127.0.0.1"); /* empty variable = unset */
    T_STREQ(c.allowed_hosts, "a.example");
    cli_config_release(&c);
    /* The command line wins over the environment. */
    T_CHECK(parse(&c, env_some, err, "mltrack", "server", "--port", "7000", "--serve-artifacts",
                  NULL) == CLI_RUN);
    T_CHECK(c.port == 7000 && c.serve_artifacts);
    cli_config_release(&c);
    T_CHECK(parse(&c, env_bad, err, "mltrack", "server", NULL) == CLI_USAGE_ERROR);
    T_CHECK(strstr(err, "MLFLOW_ARTIFACTS_ONLY") != NULL);
}

static void test_cli_errors(void)
{
    struct server_config c;
    char err[256];
    T_CHECK(parse(&c, env_none, err, "mltrack", NULL) == CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "--help", NULL) == CLI_HELP_TOP);
    T_CHECK(parse(&c, env_none, err, "mltrack", "--version", NULL) == CLI_VERSION);
    T_CHECK(parse(&c, env_none, err, "mltrack", "serve", NULL) == CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--help", NULL) == CLI_HELP_SERVER);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--nope", NULL) == CLI_USAGE_ERROR);
    T_STREQ(err, "no such option: --nope");
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "-x", NULL) == CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "extra", NULL) == CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--port", NULL) == CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--port", "70000", NULL) ==
            CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--port", "50x", NULL) ==
            CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--port", " 50", NULL) ==
            CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "-w", "0", NULL) == CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--artifacts-only=1", NULL) ==
            CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--static-prefix", "mlflow", NULL) ==
            CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--static-prefix", "/mlflow/", NULL) ==
            CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--registry-store-uri",
                  "sqlite:///other.db", NULL) == CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--artifacts-only",
                  "--backend-store-uri", "sqlite:///x.db", NULL) == CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--x-frame-options", "x\r\nY: z",
                  NULL) == CLI_USAGE_ERROR);
    T_CHECK(parse(&c, env_none, err, "mltrack", "server", "--log-level", "loud", NULL) ==
            CLI_USAGE_ERROR);
}

static void test_artifact_root(void)
{
    char *r = cli_resolve_artifact_root(NULL, true, "/w");
    T_STREQ(r, "mlflow-artifacts:/");
    free(r);
    r = cli_resolve_artifact_root(NULL, false, "/w");
    T_STREQ(r, "/w/mlruns");
    free(r);
    r = cli_resolve_artifact_root("./a//b/./c", true, "/w/");
    T_STREQ(r, "/w/a/b/c");
    free(r);
    r = cli_resolve_artifact_root("../x", true, "/w");
    T_STREQ(r, "/w/../x");
    free(r);
    r = cli_resolve_artifact_root("/abs/root", false, "/w");
    T_STREQ(r, "/abs/root");
    free(r);
    r = cli_resolve_artifact_root("file:///abs", false, "/w");
    T_STREQ(r, "file:///abs");
    free(r);
}

int main(void)
{
    T_RUN(test_url_decode);
    T_RUN(test_url_target);
    T_RUN(test_url_too_many);
    T_RUN(test_hosts_default);
    T_RUN(test_hosts_custom);
    T_RUN(test_origins);
    T_RUN(test_gzip);
    T_RUN(test_cli_defaults);
    T_RUN(test_cli_flags);
    T_RUN(test_cli_auth_flags);
    T_RUN(test_cli_env);
    T_RUN(test_cli_errors);
    T_RUN(test_artifact_root);
    T_DONE();
}
