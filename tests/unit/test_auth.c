/* Unit tests for auth/: werkzeug's password hashes against vectors werkzeug 3.1 wrote
 * (generate_password_hash in the pinned .venv), the ini reader against configparser's rules,
 * the configuration's defaults and environment overrides, the Basic header, the permission
 * rules of MLflow's permissions.py / requirements.py, the credential cache, and the route
 * table: every route the router mounts has an access rule (api/authz.c). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/authz.h"
#include "auth/basic.h"
#include "auth/config.h"
#include "auth/credcache.h"
#include "auth/ini.h"
#include "auth/perm.h"
#include "auth/proxy.h"
#include "auth/pwhash.h"
#include "auth/throttle.h"
#include "base/arena.h"
#include "t.h"

static const char *const SCRYPT_DEFAULT =
    "scrypt:32768:8:1$2PRV9gS2ny7XJMQ7$e07f8cdcdfea9b4e6faa575e747156c714c88c2a9a97fb51429fffa0"
    "4882b60ff6b41b40f3cce462a0b8c779ff86b3fb4e9f9c767811dc34a2ba018e34af8fda";
static const char *const SCRYPT_UNICODE =
    "scrypt:16384:8:1$pf9gegk73WJabDsq$af19ac3f64cd9097a096d7bdf8343f84de2fd9e91d08863cabeff691"
    "ec3a48fc9af02c6f37ae176ff0dbbe71f134244b963cfb3e40598255895862c18df525d6";
static const char *const PBKDF2_256 =
    "pbkdf2:sha256:1000$Dm4xC1a9brrqY2no$a7322b630d9b997c0aec1340993aca7e7b76a1153cc050d2ff99"
    "62c2aa8c6a3c";
static const char *const PBKDF2_512 =
    "pbkdf2:sha512:2000$RolEmpUwojwBe31e$7dad550b81e2f6afd1825bf2398864e832ac90a50ad85147409d"
    "6567db2b1381f0407fe1e7c3e101eefc392766052b924b21f60d5ed25e17941c16c406c2f476";
static const char *const PBKDF2_SHA1 = "pbkdf2:sha1:10$GAUi$d07119f0ec60c6988c1269132154a8abd04a7f85";

static bool verify(const char *h, const char *pw)
{
    return pw_verify(h, pw, strlen(pw));
}

static void test_werkzeug_vectors(void)
{
    T_CHECK(verify(SCRYPT_DEFAULT, "correct horse battery"));
    T_CHECK(!verify(SCRYPT_DEFAULT, "correct horse batterz"));
    T_CHECK(!verify(SCRYPT_DEFAULT, ""));
    T_CHECK(verify(SCRYPT_UNICODE, "p\xc3\xa4ssw\xc3\xb6rd-\xc3\xbcn\xc3\xaf" "code"));
    T_CHECK(verify(PBKDF2_256, "correct horse battery"));
    T_CHECK(!verify(PBKDF2_256, "Correct horse battery"));
    T_CHECK(verify(PBKDF2_512, "correct horse battery"));
    T_CHECK(verify(PBKDF2_SHA1, "x"));
    T_CHECK(!verify(PBKDF2_SHA1, "y"));
}

static void test_malformed_hashes(void)
{
    static const char *const bad[] = {
        "", "$", "$$", "scrypt", "scrypt:32768:8:1", "scrypt:32768:8:1$salt",
        "scrypt:32768:8$salt$00", "scrypt:32767:8:1$salt$00", /* N not a power of two */
        "scrypt:4194304:8:1$salt$00",                          /* N past our bound */
        "scrypt:32768:8:100$salt$00",                          /* r*p past our bound */
        "scrypt:-1:8:1$s$00", "scrypt::8:1$s$00", "pbkdf2:sha256$salt$00",
        "pbkdf2:md5:1000$salt$00", "pbkdf2:sha256:0$salt$00",
        "pbkdf2:sha256:99999999999$salt$00", "plain$$x", "bcrypt$2b$12$abc",
        /* the right key in uppercase hex: werkzeug's compare is exact, so is ours */
        "pbkdf2:sha1:10$GAUi$D07119F0EC60C6988C1269132154A8ABD04A7F85",
        /* one hex digit short, one too many */
        "pbkdf2:sha1:10$GAUi$d07119f0ec60c6988c1269132154a8abd04a7f8",
        "pbkdf2:sha1:10$GAUi$d07119f0ec60c6988c1269132154a8abd04a7f850",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        T_CHECK(!verify(bad[i], "x"));
    T_CHECK(!pw_verify(NULL, "x", 1));
}

static void test_hash_round_trip(void)
{
    char h[PW_HASH_MAX];
    T_CHECK(pw_hash("a new password", 14, h) == 0);
    T_CHECK(strncmp(h, "scrypt:32768:8:1$", 17) == 0);
    T_CHECK(strlen(h) == 17 + 16 + 1 + 128);
    T_CHECK(verify(h, "a new password"));
    T_CHECK(!verify(h, "a new passwore"));
    char h2[PW_HASH_MAX];
    T_CHECK(pw_hash("a new password", 14, h2) == 0);
    T_CHECK(strcmp(h, h2) != 0); /* a fresh salt each time */
}

static void test_ini(void)
{
    struct ini ini;
    char err[256];
    const char *text = "# comment\n"
                       "; another\n"
                       "[mlflow]\n"
                       "Default_Permission = EDIT  \n"
                       "database_uri: sqlite:///x.db\n"
                       "admin_password = has = sign\n"
                       "multi = first\n"
                       "   second\n"
                       "empty =\n"
                       "[other]\n"
                       "database_uri = elsewhere\n";
    T_CHECK(ini_parse(&ini, text, strlen(text), err, sizeof err) == 0);
    T_STREQ(ini_get(&ini, "mlflow", "default_permission"), "EDIT");
    T_STREQ(ini_get(&ini, "mlflow", "DATABASE_URI"), "sqlite:///x.db");
    T_STREQ(ini_get(&ini, "mlflow", "admin_password"), "has = sign");
    T_STREQ(ini_get(&ini, "mlflow", "multi"), "first\nsecond");
    T_STREQ(ini_get(&ini, "mlflow", "empty"), "");
    T_STREQ(ini_get(&ini, "other", "database_uri"), "elsewhere");
    T_CHECK(ini_get(&ini, "mlflow", "missing") == NULL);
    T_CHECK(ini_get(&ini, "MLFLOW", "database_uri") == NULL); /* sections are exact */
    ini_release(&ini);

    text = "[DEFAULT]\nadmin_username = root\n[mlflow]\ndefault_permission = READ\n";
    T_CHECK(ini_parse(&ini, text, strlen(text), err, sizeof err) == 0);
    T_STREQ(ini_get(&ini, "mlflow", "admin_username"), "root");
    ini_release(&ini);

    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"key = value\n", "line 1: a key before any [section] header"},
        {"[a]\nno delimiter\n", "line 2: expected 'key = value'"},
        {"[a]\nk = 1\nK = 2\n", "line 3: option 'k' in section 'a' already exists"},
        {"[a]\n[a]\n", "line 2: section 'a' already exists"},
        {"[a]\n = v\n", "line 2: an empty key"},
        {"[]\n", "line 1: a section header needs a name in brackets"},
        {"[a\n", "line 1: a section header needs a name in brackets"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        T_CHECK(ini_parse(&ini, bad[i].text, strlen(bad[i].text), err, sizeof err) == -1);
        T_STREQ(err, bad[i].msg);
        T_CHECK(ini.n == 0);
        ini_release(&ini);
    }
    const char nul[] = "[a]\nk = v\0w\n";
    T_CHECK(ini_parse(&ini, nul, sizeof nul - 1, err, sizeof err) == -1);
    ini_release(&ini);
}

static const char *env_none(const char *name)
{
    (void)name;
    return NULL;
}

static const char *env_set(const char *name)
{
    if (strcmp(name, "MLFLOW_AUTH_ADMIN_PASSWORD") == 0)
        return "from-the-environment";
    if (strcmp(name, "MLFLOW_AUTH_ADMIN_USERNAME") == 0)
        return ""; /* set but empty: wins over the file, and means none */
    return NULL;
}

static void test_config(void)
{
    struct auth_config c;
    char err[512];
    /* No MLFLOW_AUTH_CONFIG_PATH: MLflow's packaged basic_auth.ini. */
    T_CHECK(auth_config_load(&c, env_none, err, sizeof err) == 0);
    T_CHECK(c.default_permission == PERM_READ);
    T_STREQ(c.database_uri, "sqlite:///basic_auth.db");
    T_STREQ(c.admin_username, "admin");
    T_CHECK(c.admin_password == NULL); /* MLflow ships none */
    auth_config_release(&c);

    const char *text = "[mlflow]\ndefault_permission = NO_PERMISSIONS\ndatabase_uri = "
                       "sqlite:///a.db\nadmin_username = boss\nadmin_password = in-the-file\n";
    T_CHECK(auth_config_parse(&c, text, strlen(text), "t.ini", env_none, err, sizeof err) == 0);
    T_CHECK(c.default_permission == PERM_NO_PERMISSIONS);
    T_STREQ(c.admin_username, "boss");
    T_STREQ(c.admin_password, "in-the-file");
    auth_config_release(&c);
    T_CHECK(auth_config_parse(&c, text, strlen(text), "t.ini", env_set, err, sizeof err) == 0);
    T_STREQ(c.admin_password, "from-the-environment");
    T_CHECK(c.admin_username == NULL);
    auth_config_release(&c);

    text = "[mlflow]\ndefault_permission = read\ndatabase_uri = x\n";
    T_CHECK(auth_config_parse(&c, text, strlen(text), "t.ini", env_none, err, sizeof err) == -1);
    T_CHECK(strstr(err, "default_permission = 'read'") != NULL);
    auth_config_release(&c);
    text = "[mlflow]\ndefault_permission = READ\n";
    T_CHECK(auth_config_parse(&c, text, strlen(text), "t.ini", env_none, err, sizeof err) == -1);
    T_CHECK(strstr(err, "has no database_uri") != NULL);
    auth_config_release(&c);
    text = "[mlflow]\ndefault_permission = READ\ndatabase_uri = x\n"
           "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n";
    T_CHECK(auth_config_parse(&c, text, strlen(text), "t.ini", env_none, err, sizeof err) == 0);
    auth_config_release(&c);
    text = "[mlflow]\ndefault_permission = READ\ndatabase_uri = x\n"
           "authorization_function = mypkg.auth:check\n";
    T_CHECK(auth_config_parse(&c, text, strlen(text), "t.ini", env_none, err, sizeof err) == -1);
    T_CHECK(strstr(err, "cannot run a Python function") != NULL);
    auth_config_release(&c);
    text = "[other]\ndefault_permission = READ\n";
    T_CHECK(auth_config_parse(&c, text, strlen(text), "t.ini", env_none, err, sizeof err) == -1);
    auth_config_release(&c);
}

static void test_basic_header(void)
{
    struct arena a;
    arena_init(&a);
    const char *u, *p;
    size_t n;
    /* "alice:s3cret:with:colons" */
    T_CHECK(basic_parse(&a, "Basic YWxpY2U6czNjcmV0OndpdGg6Y29sb25z", &u, &p, &n) == 0);
    T_STREQ(u, "alice");
    T_STREQ(p, "s3cret:with:colons");
    T_CHECK(n == 18);
    T_CHECK(basic_parse(&a, "basic   YWxpY2U6  ", &u, &p, &n) == 0 && n == 0); /* "alice:" */
    T_STREQ(u, "alice");
    T_CHECK(basic_parse(&a, NULL, &u, &p, &n) == -1);
    T_CHECK(basic_parse(&a, "Bearer abc", &u, &p, &n) == -1);
    T_CHECK(basic_parse(&a, "Basic", &u, &p, &n) == -1);
    T_CHECK(basic_parse(&a, "Basic ", &u, &p, &n) == -1);
    T_CHECK(basic_parse(&a, "Basicx YWxpY2U6", &u, &p, &n) == -1);
    T_CHECK(basic_parse(&a, "Basic !!!!", &u, &p, &n) == -1);
    T_CHECK(basic_parse(&a, "Basic YWxpY2U=", &u, &p, &n) == -1);   /* "alice": no colon */
    T_CHECK(basic_parse(&a, "Basic YQBiOmM=", &u, &p, &n) == -1);   /* "a\0b:c" */
    arena_release(&a);
}

static struct grant G(const char *t, const char *p, enum perm x)
{
    struct grant g = {t, p, x};
    return g;
}

static void test_permission_rules(void)
{
    /* Levels and actions (permissions.py). */
    T_CHECK(perm_allows(PERM_READ, ACT_READ) && !perm_allows(PERM_READ, ACT_UPDATE));
    T_CHECK(perm_allows(PERM_USE, ACT_USE) && !perm_allows(PERM_USE, ACT_UPDATE));
    T_CHECK(perm_allows(PERM_EDIT, ACT_UPDATE) && !perm_allows(PERM_EDIT, ACT_DELETE));
    T_CHECK(perm_allows(PERM_MANAGE, ACT_MANAGE) && perm_allows(PERM_MANAGE, ACT_DELETE));
    T_CHECK(!perm_allows(PERM_DENY, ACT_READ) && !perm_allows(PERM_DENY, ACT_NOT_DENIED));
    T_CHECK(!perm_allows(PERM_NO_PERMISSIONS, ACT_READ) &&
            perm_allows(PERM_NO_PERMISSIONS, ACT_NOT_DENIED));
    T_CHECK(perm_parse("MANAGE") == PERM_MANAGE && perm_parse("manage") == -1);
    T_STREQ(perm_name(PERM_NO_PERMISSIONS), "NO_PERMISSIONS");

    struct grant g[] = {
        G("experiment", "1", PERM_EDIT),   G("experiment", "2", PERM_DENY),
        G("experiment", "2", PERM_MANAGE), /* another role: DENY still wins */
        G("experiment", "3", PERM_READ),   G("run", "*", PERM_READ),
        G("registered_model", "*", PERM_USE), G("registered_model", "m", PERM_DENY),
        G("run", "5", PERM_MANAGE), /* a per-id grant on a wildcard-only tier matches nothing */
    };
    struct perm_ctx pc = {g, sizeof g / sizeof *g, PERM_READ};
    T_CHECK(perm_effective(&pc, "experiment", "1") == PERM_EDIT);
    T_CHECK(perm_effective(&pc, "experiment", "2") == PERM_DENY);
    T_CHECK(perm_effective(&pc, "experiment", "9") == PERM_READ); /* the default */
    T_CHECK(perm_effective(&pc, "registered_model", "x") == PERM_USE);
    T_CHECK(perm_effective(&pc, "registered_model", "m") == PERM_DENY);
    /* A positive grant never falls below the default. */
    pc.default_perm = PERM_EDIT;
    T_CHECK(perm_effective(&pc, "experiment", "3") == PERM_EDIT);
    pc.default_perm = PERM_NO_PERMISSIONS;
    T_CHECK(perm_effective(&pc, "experiment", "9") == PERM_NO_PERMISSIONS);
    T_CHECK(perm_effective(&pc, "experiment", "3") == PERM_READ);
    /* Tier override: a grant on the run tier decides, whatever the experiment's. */
    struct perm_req upd = {.type = "run", .action = ACT_UPDATE, .fb_type = "experiment",
                           .fb_id = "1"};
    T_CHECK(!perm_authorize(&pc, &upd, 1)); /* (run, *, READ) governs, not EDIT */
    struct grant g2[] = {G("experiment", "1", PERM_EDIT)};
    struct perm_ctx pc2 = {g2, 1, PERM_READ};
    T_CHECK(perm_authorize(&pc2, &upd, 1)); /* no run grant: the experiment's EDIT */
    struct perm_req mgr = {.type = "run", .action = ACT_DELETE, .fb_type = "experiment",
                           .fb_id = "1"};
    T_CHECK(!perm_authorize(&pc2, &mgr, 1));
    /* A fallback rung with its own action: without a trace grant the experiment's EDIT is
     * enough; a trace grant governs with the requirement's own action (DELETE). */
    struct perm_req del = {.type = "trace", .action = ACT_DELETE, .fb_type = "experiment",
                           .fb_id = "1", .fb_own_action = true, .fb_action = ACT_UPDATE};
    T_CHECK(perm_authorize(&pc2, &del, 1));
    struct grant g4[] = {G("experiment", "1", PERM_EDIT), G("trace", "*", PERM_EDIT)};
    struct perm_ctx pc4 = {g4, 2, PERM_READ};
    T_CHECK(!perm_authorize(&pc4, &del, 1));
    g4[1].permission = PERM_MANAGE;
    T_CHECK(perm_authorize(&pc4, &del, 1));
    g4[0].permission = PERM_READ; /* no grant on the tier: the experiment's READ is short */
    g4[1].resource_type = "assessment";
    T_CHECK(!perm_authorize(&pc4, &del, 1));
    /* The workspace-admin grant makes everything MANAGE, even over DENY. */
    struct grant g3[] = {G("experiment", "1", PERM_DENY), G("workspace", "*", PERM_MANAGE)};
    struct perm_ctx pc3 = {g3, 2, PERM_NO_PERMISSIONS};
    T_CHECK(perm_effective(&pc3, "experiment", "1") == PERM_MANAGE);
    /* Types. */
    T_CHECK(perm_type_known("logged_model") && !perm_type_takes_id("logged_model"));
    T_CHECK(perm_type_takes_id("experiment") && !perm_type_known("planet"));
}

static void test_credential_cache(void)
{
    cred_cache_clear();
    T_CHECK(!cred_cache_hit("u", "pw", 2, "hash-1"));
    cred_cache_put("u", "pw", 2, "hash-1");
    T_CHECK(cred_cache_hit("u", "pw", 2, "hash-1"));
    T_CHECK(!cred_cache_hit("u", "pX", 2, "hash-1"));  /* another password */
    T_CHECK(!cred_cache_hit("v", "pw", 2, "hash-1"));  /* another user */
    T_CHECK(!cred_cache_hit("u", "pw", 2, "hash-2"));  /* the row's hash changed */
    /* "u" + "x:pw" and "u:x" + "pw" must not collide. */
    cred_cache_put("a", "b:c", 3, "h");
    T_CHECK(!cred_cache_hit("a:b", "c", 1, "h"));
    cred_cache_forget("u");
    T_CHECK(!cred_cache_hit("u", "pw", 2, "hash-1"));
    T_CHECK(cred_cache_hit("a", "b:c", 3, "h"));
    cred_cache_clear();
}

static void test_trusted_proxies(void)
{
    char err[128];
    const char *list = "127.0.0.1, 10.0.0.0/8,192.168.1.0/25 ,fd00::/8,::1";
    T_CHECK(proxy_list_valid(list, err, sizeof err));
    T_CHECK(proxy_addr_trusted(list, "127.0.0.1"));
    T_CHECK(!proxy_addr_trusted(list, "127.0.0.2"));
    T_CHECK(proxy_addr_trusted(list, "10.255.1.2"));
    T_CHECK(!proxy_addr_trusted(list, "11.0.0.1"));
    T_CHECK(proxy_addr_trusted(list, "192.168.1.127"));
    T_CHECK(!proxy_addr_trusted(list, "192.168.1.128"));
    T_CHECK(proxy_addr_trusted(list, "fd12:3456::1"));
    T_CHECK(!proxy_addr_trusted(list, "fe80::1"));
    T_CHECK(proxy_addr_trusted(list, "::1"));
    T_CHECK(!proxy_addr_trusted(list, NULL));
    T_CHECK(!proxy_addr_trusted(list, "not an address"));
    T_CHECK(!proxy_addr_trusted("0.0.0.0/0", "::1")); /* families do not mix */
    T_CHECK(proxy_addr_trusted("0.0.0.0/0", "203.0.113.9"));
    T_CHECK(!proxy_list_valid("", err, sizeof err));
    T_CHECK(!proxy_list_valid("10.0.0.0/33", err, sizeof err));
    T_CHECK(!proxy_list_valid("10.0.0.0/", err, sizeof err));
    T_CHECK(!proxy_list_valid("localhost", err, sizeof err));
    T_STREQ(err, "'localhost' is not an IP address or CIDR block");
    T_CHECK(!proxy_list_valid("127.0.0.1,,::1", err, sizeof err));
}

static void test_throttle(void)
{
    throttle_reset();
    int64_t t = 1000000;
    for (int i = 0; i < THROTTLE_USER_FREE - 1; i++) {
        T_CHECK(throttle_wait("eve", "10.0.0.1", t) == 0);
        throttle_failed("eve", "10.0.0.1", t);
    }
    T_CHECK(throttle_wait("eve", "10.0.0.1", t) == 0);
    throttle_failed("eve", "10.0.0.1", t); /* the 5th: waits begin */
    T_CHECK(throttle_wait("eve", NULL, t) == 1);
    T_CHECK(throttle_wait("eve", NULL, t + 1000) == 0);
    throttle_failed("eve", NULL, t + 1000);
    T_CHECK(throttle_wait("eve", NULL, t + 1000) == 2); /* doubling */
    T_CHECK(throttle_wait("bob", "10.0.0.2", t + 1000) == 0); /* others are not affected */
    for (int i = 0; i < 40; i++)
        throttle_failed("eve", NULL, t + 2000);
    T_CHECK(throttle_wait("eve", NULL, t + 2000) == THROTTLE_MAX_WAIT_S); /* capped */
    throttle_succeeded("eve");
    T_CHECK(throttle_wait("eve", NULL, t + 2000) == 0);
    /* A quiet user starts over. */
    for (int i = 0; i < THROTTLE_USER_FREE; i++)
        throttle_failed("zed", NULL, t);
    T_CHECK(throttle_wait("zed", NULL, t) > 0);
    throttle_failed("zed", NULL, t + (int64_t)THROTTLE_FORGET_S * 1000 + 1);
    T_CHECK(throttle_wait("zed", NULL, t + (int64_t)THROTTLE_FORGET_S * 1000 + 1) == 0);
    /* Per address: many users from one address. */
    throttle_reset();
    char u[16];
    for (int i = 0; i < THROTTLE_ADDR_FREE; i++) {
        snprintf(u, sizeof u, "u%d", i);
        throttle_failed(u, "192.0.2.9", t);
    }
    T_CHECK(throttle_wait("someone-new", "192.0.2.9", t) > 0);
    T_CHECK(throttle_wait("someone-new", "192.0.2.10", t) == 0);
    throttle_reset();
}

/* Every route any mount serves has an access rule: a new route without one fails here
 * (and is refused to non-admins at run time). The UI's table is mounted by server/, so its
 * two routes are checked by name. */
static void test_every_route_has_a_rule(void)
{
    struct route_table t[64];
    size_t nt = api_route_tables(t, 64);
    T_CHECK(nt >= 10);
    size_t checked = 0;
    for (size_t i = 0; i < nt; i++)
        for (size_t j = 0; j < t[i].n; j++) {
            checked++;
            if (!authz_has_rule(&t[i].tab[j])) {
                fprintf(stderr, "  no access rule for %s\n", t[i].tab[j].pattern);
                T_CHECK(!"route without an access rule");
            }
        }
    T_CHECK(checked > 80);
    struct route ui[] = {{HTTP_GET, "/", NULL, 0, 0, NULL},
                         {HTTP_GET, "/static-files/{*path}", NULL, 0, 0, NULL}};
    T_CHECK(authz_has_rule(&ui[0]) && authz_has_rule(&ui[1]));
    struct route unknown = {HTTP_GET, "/not/a/route", NULL, 0, 0, NULL};
    T_CHECK(!authz_has_rule(&unknown));
}

int main(void)
{
    T_RUN(test_werkzeug_vectors);
    T_RUN(test_malformed_hashes);
    T_RUN(test_hash_round_trip);
    T_RUN(test_ini);
    T_RUN(test_config);
    T_RUN(test_basic_header);
    T_RUN(test_permission_rules);
    T_RUN(test_credential_cache);
    T_RUN(test_trusted_proxies);
    T_RUN(test_throttle);
    T_RUN(test_every_route_has_a_rule);
    T_DONE();
}
