/* hooks/: the signature, the public-address rules, Fernet and the URL rules, against
 * values MLflow 3.17.2 (and Python's ipaddress and cryptography) compute. */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "hooks/fernet.h"
#include "hooks/hooks.h"
#include "hooks/ipcheck.h"
#include "hooks/sign.h"
#include "t.h"

static void test_signature(void)
{
    struct arena a;
    arena_init(&a);
    /* _generate_hmac_signature('whsec', id, '1767225600', payload) */
    const char *payload = "{\"entity\": \"registered_model\", \"action\": \"created\", \"data\": "
                          "{\"name\": \"\xc3\xa9\"}}";
    T_STREQ(hooks_sign(&a, "whsec", "d3b07384-d9a0-4c5b-9e1a-0f8b1c2d3e4f", "1767225600", payload,
                       strlen(payload)),
            "v1,mn23FPdlCqXelLDD2ZPWgA97/CpOPv3NjdrBoKQnPf4=");
    arena_release(&a);
}

static void test_public_ips(void)
{
    /* _is_public_ip(ipaddress.ip_address(s)) */
    static const struct {
        const char *ip;
        bool pub;
    } cases[] = {
        {"8.8.8.8", true}, {"1.1.1.1", true}, {"127.0.0.1", false}, {"10.0.0.1", false},
        {"172.16.0.1", false}, {"172.31.255.255", false}, {"172.32.0.1", true},
        {"192.168.1.1", false}, {"169.254.169.254", false}, {"100.64.0.1", false},
        {"100.127.255.255", false}, {"100.128.0.1", true}, {"0.0.0.0", false},
        {"255.255.255.255", false}, {"224.0.0.1", true}, {"192.0.0.9", true},
        {"192.0.2.1", false}, {"198.18.0.1", false}, {"203.0.113.5", false},
        {"240.0.0.1", false}, {"::1", false}, {"::", false}, {"fe80::1", false},
        {"fc00::1", false}, {"fd12::1", false}, {"2001:db8::1", false},
        {"2606:4700:4700::1111", true}, {"::ffff:127.0.0.1", false}, {"::ffff:8.8.8.8", true},
        {"2002:0a00:0001::1", false}, {"2002:0808:0808::1", true},
        {"64:ff9b::10.0.0.1", false}, {"64:ff9b::8.8.8.8", true}, {"2001::1", false},
        {"2001:4860:4860::8888", true}, {"100::1", false}, {"ff02::1", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bool got = hooks_ip_literal_is_public(cases[i].ip);
        if (got != cases[i].pub)
            fprintf(stderr, "  %s: got %d\n", cases[i].ip, got);
        T_CHECK(got == cases[i].pub);
    }
    T_CHECK(!hooks_ip_literal_is_public("not-an-ip"));
}

static void test_fernet(void)
{
    struct arena a;
    arena_init(&a);
    unsigned char key[32], iv[16];
    for (int i = 0; i < 32; i++)
        key[i] = (unsigned char)i;
    for (int i = 0; i < 16; i++)
        iv[i] = (unsigned char)(100 + i);
    /* Fernet(urlsafe_b64encode(bytes(range(32))))._encrypt_from_parts(b'topsecret',
     * 1767225600, bytes(range(100, 116))) */
    const char *want = "gAAAAABpVbkAZGVmZ2hpamtsbW5vcHFyc8Ti2z7tPxIFt1lTj5WVA9D9Hj32kiRnVaRR_cl"
                       "sIdF4qH_gL3pPeYtYW0yvwOicTw==";
    T_STREQ(hooks_fernet_encrypt_with(&a, key, iv, 1767225600LL, "topsecret"), want);
    T_STREQ(hooks_fernet_decrypt_with(&a, key, want), "topsecret");
    /* Tampered, or under another key: nothing. */
    char *bad = arena_strdup(&a, want);
    bad[60] = bad[60] == 'A' ? 'B' : 'A';
    T_CHECK(hooks_fernet_decrypt_with(&a, key, bad) == NULL);
    key[0] ^= 1;
    T_CHECK(hooks_fernet_decrypt_with(&a, key, want) == NULL);
    T_CHECK(hooks_fernet_decrypt_with(&a, key, "short") == NULL);
    /* The process key round-trips (random without the variable). */
    struct err e = {0};
    unsetenv("MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY");
    T_CHECK(hooks_init(&e) == 0);
    T_STREQ(hooks_fernet_decrypt(&a, hooks_fernet_encrypt(&a, "s")), "s");
    setenv("MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY", "not-a-key", 1);
    T_CHECK(hooks_init(&e) != 0);
    unsetenv("MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY");
    arena_release(&a);
}

static void check_url(const char *url, const char *want)
{
    struct arena a;
    arena_init(&a);
    struct err e = {0};
    int rc = hooks_check_url(&a, url, &e);
    if (!want) {
        if (rc != 0)
            fprintf(stderr, "  %s: %s\n", url, e.msg);
        T_CHECK(rc == 0);
    } else {
        T_CHECK(rc != 0 && e.code == ERR_INVALID_PARAMETER_VALUE);
        T_STREQ(e.msg, want);
    }
    arena_release(&a);
}

static void test_urls(void)
{
    struct err e = {0};
    unsetenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES");
    unsetenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS");
    T_CHECK(hooks_init(&e) == 0);
    check_url("https://8.8.8.8/x", NULL);
    check_url("HTTPS://8.8.8.8:443/x?y#z", NULL);
    check_url("http://8.8.8.8/x", "Invalid webhook URL scheme: 'http'. Allowed schemes are: https.");
    check_url("8.8.8.8/x", "Invalid webhook URL scheme: ''. Allowed schemes are: https.");
    check_url(" ", "Webhook URL cannot be empty or just whitespace: ' '");
    check_url("https:///x", "Webhook URL must include a hostname: 'https:///x'");
    check_url("https://user@:443/x", "Webhook URL must include a hostname: 'https://user@:443/x'");
    check_url("https://[::1/x", "Invalid webhook URL 'https://[::1/x': ValueError('Invalid IPv6 URL')");
    check_url("https://127.0.0.1/x", "Webhook URL must not resolve to a non-public IP address. "
                                     "'127.0.0.1' resolves to 127.0.0.1.");
    check_url("https://u:p@10.0.0.7:8443/x", "Webhook URL must not resolve to a non-public IP "
                                             "address. '10.0.0.7' resolves to 10.0.0.7.");
    check_url("https://[fe80::1]/x", "Webhook URL must not resolve to a non-public IP address. "
                                     "'fe80::1' resolves to fe80::1.");
    setenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", " http , https,", 1);
    setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "TRUE", 1);
    T_CHECK(hooks_init(&e) == 0);
    check_url("http://127.0.0.1:8080/x", NULL);
    check_url("ftp://127.0.0.1/x", "Invalid webhook URL scheme: 'ftp'. Allowed schemes are: http, https.");
    T_CHECK(hooks_config()->allow_private_ips && hooks_config()->nschemes == 2);
    unsetenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES");
    unsetenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS");
}

static void test_examples(void)
{
    T_STREQ(hooks_example_payload("model_version_alias", "deleted"),
            "{\"name\": \"example_model\", \"alias\": \"example_alias\"}");
    T_CHECK(hooks_example_payload("registered_model", "deleted") == NULL);
}

int main(void)
{
    T_RUN(test_signature);
    T_RUN(test_public_ips);
    T_RUN(test_fernet);
    T_RUN(test_urls);
    T_RUN(test_examples);
    T_DONE();
}
