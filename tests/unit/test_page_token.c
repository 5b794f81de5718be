/* Unit tests for MLflow's page tokens (api/page_token.c): offset tokens byte for byte as
 * MLflow writes them, MLflow's messages for bad ones, and logged-model tokens that must
 * repeat their request. */
#include <stdio.h>
#include <string.h>

#include "api/page_token.h"
#include "base/arena.h"
#include "base/err.h"
#include "t.h"

static void test_page_tokens(void)
{
    struct arena a;
    arena_init(&a);
    struct err e;
    int64_t off = -1;
    /* exactly what MLflow emits: base64.b64encode(json.dumps({"offset": 1000})) */
    T_STREQ(page_token_format_offset(&a, 1000), "eyJvZmZzZXQiOiAxMDAwfQ==");
    T_STREQ(page_token_format_offset(&a, 5), "eyJvZmZzZXQiOiA1fQ==");
    T_CHECK(page_token_parse_offset(&a, "eyJvZmZzZXQiOiAxMDAwfQ==", 24, &off, &e) == 0 && off == 1000);
    T_CHECK(page_token_parse_offset(&a, "", 0, &off, &e) == 0 && off == 0);
    for (int64_t v = 1; v < 100000000000LL; v = v * 7 + 3) {
        const char *t = page_token_format_offset(&a, v);
        T_CHECK(page_token_parse_offset(&a, t, strlen(t), &off, &e) == 0 && off == v);
    }
    /* {"offset": "12"} and {"offset": 5.7} are accepted by MLflow (int()) */
    T_CHECK(page_token_parse_offset(&a, "eyJvZmZzZXQiOiAiMTIifQ==", 24, &off, &e) == 0 && off == 12);
    T_CHECK(page_token_parse_offset(&a, "eyJvZmZzZXQiOiA1Ljd9", 20, &off, &e) == 0 && off == 5);
    static const struct {
        const char *tok;
        const char *msg;
    } bad[] = {
        {"abc", "Invalid page token, could not base64-decode"},
        {"eyJvZmZzZXQiOiAxMDAwfQ=", "Invalid page token, could not base64-decode"},
        {"eyJvZmZzZXQiOiAwfQ==", "Invalid page token, parsed value="},  /* offset 0 */
        {"e30=", "Invalid page token, parsed value="},                  /* {} */
        {"aGVsbG8=", "Invalid page token, decoded value=b'hello'"},     /* hello */
        {"WzFd", "Invalid page token, decoded value="},                 /* [1] */
        {"eyJvZmZzZXQiOiAieCJ9", "Invalid page token, not stringable x"}, /* "x" */
        {"eyJvZmZzZXQiOiAtM30=", "Invalid page token, parsed value="},  /* -3 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_clear(&e);
        int r = page_token_parse_offset(&a, bad[i].tok, strlen(bad[i].tok), &off, &e);
        if (r == 0 || e.code != ERR_INVALID_PARAMETER_VALUE || !strstr(e.msg, bad[i].msg)) {
            fprintf(stderr, "  token %s: got %s, want %s\n", bad[i].tok, r ? e.msg : "ok",
                    bad[i].msg);
            t_cur_failed = 1;
        }
    }
    arena_release(&a);
}

static void test_logged_model_tokens(void)
{
    struct arena a;
    arena_init(&a);
    struct err e;
    struct page_token_lm t = {json_pack("[s]", "1"), json_null(), json_null()};
    char *tok = page_token_lm_encode(&a, &t, 40);
    int64_t off = -1;
    T_CHECK(tok && page_token_lm_decode(&a, tok, &t, &off, &e) == 0 && off == 40);
    /* The same token for another experiment list is refused with MLflow's message. */
    struct page_token_lm other = {json_pack("[s]", "2"), json_null(), json_null()};
    T_CHECK(page_token_lm_decode(&a, tok, &other, &off, &e) < 0);
    T_CHECK(strstr(e.msg, "Experiment IDs in the page token do not match") != NULL);
    T_CHECK(strstr(e.msg, "Expected: ['2']. Found: ['1']") != NULL);
    /* Not base64, not JSON, not an object. */
    T_CHECK(page_token_lm_decode(&a, "%%%", &t, &off, &e) < 0 &&
            strstr(e.msg, "The token is not base64.") != NULL);
    T_CHECK(page_token_lm_decode(&a, "aGVsbG8", &t, &off, &e) < 0 &&
            e.code == ERR_INVALID_PARAMETER_VALUE);
    T_CHECK(page_token_lm_decode(&a, "WzFd", &t, &off, &e) < 0 &&
            strstr(e.msg, "not a JSON object") != NULL);
    page_token_lm_release(&t);
    page_token_lm_release(&other);
    arena_release(&a);
}

int main(void)
{
    T_RUN(test_page_tokens);
    T_RUN(test_logged_model_tokens);
    T_DONE();
}
