/* Unit tests for json.loads' grammar in C (api/pyjson_scan.c), whose verdicts the table
 * below holds as CPython 3.11's json.loads gives them, and for a stored span written out as
 * OpenTelemetry proto JSON (api/span_otel.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/pyjson_scan.h"
#include "api/span_otel.h"
#include "t.h"

static const struct {
    const char *text;
    size_t n;
    enum pyjson_kind kind;
} loads_cases[] = {
#include "pyjson_cases.inc"
};

static void test_loads_verdicts(void)
{
    for (size_t i = 0; i < sizeof loads_cases / sizeof *loads_cases; i++) {
        enum pyjson_kind k = pyjson_kind(loads_cases[i].text, loads_cases[i].n);
        if (k != loads_cases[i].kind) {
            fprintf(stderr, "  case %zu %.*s: got %d, want %d\n", i, (int)loads_cases[i].n,
                    loads_cases[i].text, k, loads_cases[i].kind);
            T_CHECK(k == loads_cases[i].kind);
        }
    }
}

/* Nesting: fine up to PYJSON_MAX_DEPTH, refused past it, never a stack overflow. */
static void test_depth(void)
{
    for (int depth = PYJSON_MAX_DEPTH - 1; depth <= PYJSON_MAX_DEPTH + 1; depth++) {
        size_t n = 2 * (size_t)depth;
        char *s = malloc(n);
        memset(s, '[', (size_t)depth);
        memset(s + depth, ']', (size_t)depth);
        enum pyjson_kind want = depth <= PYJSON_MAX_DEPTH ? PYJSON_ARRAY : PYJSON_BAD;
        T_CHECK(pyjson_kind(s, n) == want);
        free(s);
    }
}

static void test_skip_agrees(void)
{
    const char *s = "{\"a\\\\\": [1, \"x\\\"]\", {\"b\": null}], \"c\": NaN}";
    size_t end1, end2;
    T_CHECK(pyjson_value(s, strlen(s), 0, &end1) == PYJSON_OBJECT);
    T_CHECK(pyjson_skip(s, strlen(s), 0, &end2) == PYJSON_OBJECT);
    T_CHECK(end1 == end2 && end1 == strlen(s));
}

static void unescaped(const char *tok, const char *want, int want_rc)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    int rc = pyjson_unescape(&b, tok, strlen(tok));
    T_CHECK(rc == want_rc);
    if (rc == 0) {
        buf_putc(&b, 0);
        T_STREQ(b.ptr, want);
    }
    buf_release(&b);
}

static void test_unescape(void)
{
    unescaped("\"plain\"", "plain", 0);
    unescaped("\"a\\\"b\\\\c\\/d\\n\\t\"", "a\"b\\c/d\n\t", 0);
    unescaped("\"\\u00e9\\u2713\"", "\xc3\xa9\xe2\x9c\x93", 0);
    unescaped("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 0); /* a pair: one character */
    unescaped("\"\\ud83d\"", NULL, -1);                       /* half of one */
    unescaped("\"\\ude00x\"", NULL, -1);
}

/* content -> proto JSON, compared as JSON values. */
static void converts(const char *content, const char *want)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    struct jw w;
    jw_init(&w, &b);
    struct err e;
    T_CHECK(span_otel_write(&w, content, strlen(content), &e) == 0);
    json_t *got = json_loadb(b.ptr, b.len, JSON_DECODE_INT_AS_REAL, NULL);
    json_t *exp = json_loads(want, JSON_DECODE_INT_AS_REAL, NULL);
    T_CHECK(got && exp);
    if (got && exp && !json_equal(got, exp)) {
        fprintf(stderr, "  got  %.*s\n  want %s\n", (int)b.len, b.ptr, want);
        T_CHECK(0);
    }
    json_decref(got);
    json_decref(exp);
    buf_release(&b);
}

static void test_span_otel(void)
{
    /* As MLflow stores a span: attributes JSON-encoded, events' attributes not. */
    converts("{\"trace_id\": \"AAAAAAAAAAAAAAAAAAAAAQ==\", \"span_id\": \"AAAAAAAAAAc=\", "
             "\"parent_span_id\": null, \"name\": \"llm\", \"start_time_unix_nano\": 10, "
             "\"end_time_unix_nano\": 20, \"events\": [{\"name\": \"exception\", "
             "\"time_unix_nano\": 15, \"attributes\": {\"exception.message\": \"boom\", "
             "\"n\": 3}}], \"status\": {\"code\": \"STATUS_CODE_ERROR\", \"message\": \"bad\"}, "
             "\"attributes\": {\"mlflow.spanType\": \"\\\"LLM\\\"\", \"in\": \"{\\\"q\\\": [1, "
             "2.5, true, null, NaN]}\", \"big\": \"12345678901234567890\", \"inf\": \"1e999\", "
             "\"notjson\": \"{oops\", \"half\": \"\\\"\\\\ud83d\\\"\"}, \"links\": []}",
             "{\"trace_id\": \"AAAAAAAAAAAAAAAAAAAAAQ==\", \"span_id\": \"AAAAAAAAAAc=\", "
             "\"name\": \"llm\", \"start_time_unix_nano\": 10, \"end_time_unix_nano\": 20, "
             "\"attributes\": [{\"key\": \"mlflow.spanType\", \"value\": {\"string_value\": "
             "\"LLM\"}}, {\"key\": \"in\", \"value\": {\"kvlist_value\": {\"values\": [{\"key\": "
             "\"q\", \"value\": {\"array_value\": {\"values\": [{\"int_value\": 1}, "
             "{\"double_value\": 2.5}, {\"bool_value\": true}, {}, {\"double_value\": "
             "\"NaN\"}]}}}]}}}, {\"key\": \"big\", \"value\": {\"double_value\": "
             "12345678901234567890}}, {\"key\": \"inf\", \"value\": {\"double_value\": "
             "\"Infinity\"}}, {\"key\": \"notjson\", \"value\": {\"string_value\": "
             "\"{oops\"}}, {\"key\": \"half\", \"value\": {\"string_value\": \"\\ufffd\"}}], "
             "\"events\": [{\"time_unix_nano\": 15, \"name\": \"exception\", \"attributes\": "
             "[{\"key\": \"exception.message\", \"value\": {\"string_value\": \"boom\"}}, "
             "{\"key\": \"n\", \"value\": {\"int_value\": 3}}]}], \"status\": {\"message\": "
             "\"bad\", \"code\": \"STATUS_CODE_ERROR\"}}");
    /* What is missing gets proto JSON's defaults; an empty message is left out. */
    converts("{\"status\": {\"message\": \"\"}}",
             "{\"name\": \"\", \"status\": {\"code\": \"STATUS_CODE_UNSET\"}}");
}

static void test_span_otel_refuses(void)
{
    const char *bad[] = {"", "[]", "{\"a\": }", "{\"a\": 1} x", "{\"a\": \"\x01\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct buf b;
        buf_init(&b, 1 << 20);
        struct jw w;
        jw_init(&w, &b);
        struct err e;
        T_CHECK(span_otel_write(&w, bad[i], strlen(bad[i]), &e) == -1);
        T_CHECK(b.len == 0);
        buf_release(&b);
    }
}

int main(void)
{
    T_RUN(test_loads_verdicts);
    T_RUN(test_depth);
    T_RUN(test_skip_agrees);
    T_RUN(test_unescape);
    T_RUN(test_span_otel);
    T_RUN(test_span_otel_refuses);
    T_DONE();
}
