/* The translator tables (api/span_translate.c) against their cheap gate, and a few
 * translations read straight off the stored texts. */
#include "../../api/span_translate.h"
#include "../../api/span_translate_internal.h"

#include "t.h"

static int t_missed;

static void check_key(const char *key, void *ctx)
{
    (void)ctx;
    /* a pattern key is gated by its literal start */
    char buf[128];
    size_t n = strcspn(key, "#");
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, key, n);
    buf[n] = 0;
    if (!span_translate_key_wanted(key) && !span_translate_key_wanted(buf)) {
        fprintf(stderr, "  key not gated: %s\n", key);
        t_missed++;
    }
}

/* Every key a table reads passes the gate, or a span holding only it would go untranslated. */
static void test_every_table_key_is_gated(void)
{
    t_missed = 0;
    span_translate_each_key(check_key, NULL);
    T_CHECK(t_missed == 0);
    T_CHECK(!span_translate_key_wanted("attr.1"));
    T_CHECK(!span_translate_key_wanted("inputs"));
    T_CHECK(span_translate_key_wanted("input"));
}

static void no_dump(struct buf *b, struct arena *a, const struct otlp_value *v)
{
    (void)a;
    (void)v;
    buf_puts(b, "null");
}

static const char *added(const struct span_tr_out *o, const char *key)
{
    for (size_t i = 0; i < o->nadd; i++)
        if (strcmp(o->add[i].key, key) == 0)
            return o->add[i].text;
    return NULL;
}

static void test_openinference(void)
{
    struct arena a;
    arena_init(&a);
    struct span_tr_kv at[] = {
        {"openinference.span.kind", "\"LLM\"", 5},
        {"input.value", "{\"q\":1}", 7},
        {"output.value", "\"\"", 2}, /* empty: not taken */
        {"llm.token_count.prompt", "\" 1_0 \"", 7},
        {"llm.token_count.completion", "2", 1},
        {"llm.model_name", "\"m\\u00e9\"", 9},
    };
    struct otlp_span sp = {0};
    struct span_tr_out o;
    span_translate(&a, at, sizeof at / sizeof at[0], &sp, no_dump, &o);
    T_STREQ(added(&o, "mlflow.spanType"), "\"LLM\"");
    T_STREQ(added(&o, "mlflow.spanInputs"), "{\"q\":1}");
    T_CHECK(added(&o, "mlflow.spanOutputs") == NULL);
    T_STREQ(added(&o, "mlflow.chat.tokenUsage"),
            "{\"input_tokens\": 10, \"output_tokens\": 2, \"total_tokens\": 12}");
    T_STREQ(added(&o, "mlflow.llm.model"), "\"m\xc3\xa9\"");
    arena_release(&a);
}

static void test_unknown_replaced_in_place(void)
{
    struct arena a;
    arena_init(&a);
    struct span_tr_kv at[] = {{"mlflow.spanType", "\"UNKNOWN\"", 9},
                              {"traceloop.span.kind", "\"tool\"", 6}};
    struct otlp_span sp = {0};
    struct span_tr_out o;
    span_translate(&a, at, 2, &sp, no_dump, &o);
    T_STREQ(o.type_text, "\"TOOL\"");
    T_CHECK(added(&o, "mlflow.spanType") == NULL);
    arena_release(&a);
}

/* json.dumps' ASCII escaping of a JSON text the vendors' readers write again: non-ASCII
 * as \\u escapes (an astral character as a surrogate pair), the rest as it is. */
static void test_ascii_escape(void)
{
    struct buf b;
    buf_init(&b, 1024);
    tr_ascii_escape(&b, "{\"a\": \"\xC3\xA9\xF0\x9F\x98\x80\\n\"}", 17);
    buf_putc(&b, 0);
    T_STREQ(b.ptr, "{\"a\": \"\\u00e9\\ud83d\\ude00\\n\"}");
    buf_release(&b);
}

int main(void)
{
    T_RUN(test_every_table_key_is_gated);
    T_RUN(test_openinference);
    T_RUN(test_unknown_replaced_in_place);
    T_RUN(test_ascii_escape);
    T_DONE();
}
