/* MLflow 3.17's storing-time translation of other conventions' spans (see span_translate.h):
 * one const table per translator (its span-kind key and map, token, input, output, model,
 * provider, tool and detection keys), walked in MLflow's order by the generic code of
 * translation/__init__.py and base.py; the few translators with code of their own have it
 * in span_translate_vendors.c. Values are read from the attributes' stored texts with
 * json.loads' grammar (api/pyjson_scan.c), so a value counts as present, true or an integer
 * exactly when it does for MLflow. */
#include "span_translate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "pyjson.h"
#include "pyjson_scan.h"
#include "span_translate_internal.h"

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct tr_kind OI_KINDS[] = {
    {"TOOL", "TOOL"}, {"CHAIN", "CHAIN"}, {"LLM", "LLM"}, {"RETRIEVER", "RETRIEVER"},
    {"EMBEDDING", "EMBEDDING"}, {"AGENT", "AGENT"}, {"RERANKER", "RERANKER"},
    {"UNKNOWN", "UNKNOWN"}, {"GUARDRAIL", "GUARDRAIL"}, {"EVALUATOR", "EVALUATOR"}, {NULL, NULL}};
static const struct tr_kind GENAI_KINDS[] = {
    {"chat", "CHAT_MODEL"}, {"create_agent", "AGENT"}, {"embeddings", "EMBEDDING"},
    {"execute_tool", "TOOL"}, {"generate_content", "LLM"}, {"invoke_agent", "AGENT"},
    {"text_completion", "LLM"}, {"response", "LLM"}, {NULL, NULL}};
static const struct tr_kind SPRING_KINDS[] = {
    {"chat", "CHAT_MODEL"}, {"embeddings", "EMBEDDING"}, {NULL, NULL}};
static const struct tr_kind TRACELOOP_KINDS[] = {
    {"workflow", "WORKFLOW"}, {"task", "TASK"}, {"agent", "AGENT"}, {"tool", "TOOL"},
    {"unknown", "UNKNOWN"}, {NULL, NULL}};
static const struct tr_kind VOLT_KINDS[] = {
    {"agent", "AGENT"}, {"llm", "LLM"}, {"tool", "TOOL"}, {"memory", "MEMORY"}, {NULL, NULL}};
static const struct tr_kind LAMINAR_KINDS[] = {
    {"LLM", "LLM"}, {"TOOL", "TOOL"}, {"DEFAULT", "CHAIN"}, {"PIPELINE", "CHAIN"},
    {"EXECUTOR", "AGENT"}, {"EVALUATOR", "EVALUATOR"}, {"HUMAN_EVALUATOR", "EVALUATOR"},
    {"EVALUATION", "EVALUATOR"}, {"CACHED", "LLM"}, {NULL, NULL}};
static const struct tr_kind LANGFUSE_KINDS[] = {
    {"generation", "LLM"}, {"embedding", "EMBEDDING"}, {"tool", "TOOL"},
    {"retriever", "RETRIEVER"}, {"agent", "AGENT"}, {"chain", "CHAIN"},
    {"evaluator", "EVALUATOR"}, {"guardrail", "GUARDRAIL"}, {"span", "UNKNOWN"}, {NULL, NULL}};

#define GENAI_IN L("gen_ai.usage.input_tokens")
#define GENAI_OUT L("gen_ai.usage.output_tokens")
#define GENAI_MODELS L("gen_ai.response.model", "gen_ai.request.model")
/* What GenAI's translator reads and Gemini CLI's and LiveKit's inherit (subclasses in MLflow). */
#define GENAI_TOK                                                                            \
    {GENAI_IN, GENAI_OUT, NULL, L("gen_ai.usage.cache_read.input_tokens"),                  \
     L("gen_ai.usage.cache_write.input_tokens", "gen_ai.usage.cache_creation.input_tokens")}
#define GENAI_INPUTS L("gen_ai.input.messages", "gen_ai.tool.call.arguments")
#define GENAI_OUTPUTS L("gen_ai.output.messages", "gen_ai.tool.call.result")
#define GENAI_TOOLS L("gen_ai.tool.definitions")

/* Not static: Claude Code's readers check the span.type they read against it too. */
const struct tr_kind tr_claude_kinds[] = {{"claude_code.interaction", "AGENT"},
                                          {"claude_code.llm_request", "LLM"},
                                          {"claude_code.tool", "TOOL"},
                                          {NULL, NULL}};

static const struct tr_kind VERCEL_KINDS[] = {
    {"ai.generateText", "LLM"}, {"ai.generateText.doGenerate", "LLM"}, {"ai.toolCall", "TOOL"},
    {"ai.streamText", "LLM"}, {"ai.streamText.doStream", "LLM"}, {"ai.generateObject", "LLM"},
    {"ai.generateObject.doGenerate", "LLM"}, {"ai.streamObject", "LLM"},
    {"ai.streamObject.doStream", "LLM"}, {"ai.embed", "EMBEDDING"},
    {"ai.embed.doEmbed", "EMBEDDING"}, {"ai.embedMany", "EMBEDDING"}, {NULL, NULL}};

static const struct tr_kind GEMINI_KINDS[] = {
    {"llm_call", "LLM"}, {"tool_call", "TOOL"}, {"agent_call", "AGENT"}, {NULL, NULL}};

/* MLflow's _TRANSLATORS, in its order (all twelve). */
static const struct tr_def TRANSLATORS[] = {
    {.name = "openinference",
     .kind_keys = L("openinference.span.kind"),
     .kinds = OI_KINDS,
     .tok = {L("llm.token_count.prompt"), L("llm.token_count.completion"),
             L("llm.token_count.total"), L("llm.token_count.prompt_details.cache_read"),
             L("llm.token_count.prompt_details.cache_write")},
     .inputs = L("input.value"),
     .outputs = L("output.value"),
     .models = L("llm.response.model_name", "llm.model_name", "llm.request.model_name",
                 "embedding.model_name"),
     .provider = "llm.provider"},
    {.name = "gemini_cli",
     .kind_keys = L("gen_ai.operation.name"),
     .kinds = GEMINI_KINDS,
     .tok = GENAI_TOK,
     .inputs = GENAI_INPUTS,
     .outputs = GENAI_OUTPUTS,
     .models = GENAI_MODELS,
     .tools = GENAI_TOOLS,
     .provider = "gen_ai.provider.name",
     .format = "gemini",
     .special = TR_GEMINI},
    {.name = "claude_code",
     .kind_keys = L("span.type"),
     .kinds = tr_claude_kinds, /* its token keys are in usage(): read on its LLM spans only */
     .special = TR_CLAUDE},
    {.name = "genai",
     .kind_keys = L("gen_ai.operation.name"),
     .kinds = GENAI_KINDS,
     .tok = GENAI_TOK,
     .inputs = GENAI_INPUTS,
     .outputs = GENAI_OUTPUTS,
     .models = GENAI_MODELS,
     .tools = GENAI_TOOLS,
     .provider = "gen_ai.provider.name"},
    {.name = "spring_ai",
     .kind_keys = L("gen_ai.operation.name"),
     .kinds = SPRING_KINDS,
     .tok = {GENAI_IN, GENAI_OUT},
     .event_in = "gen_ai.content.prompt",
     .event_in_key = "gen_ai.prompt",
     .event_out = "gen_ai.content.completion",
     .event_out_key = "gen_ai.completion"},
    {.name = "traceloop",
     .kind_keys = L("traceloop.span.kind"),
     .kinds = TRACELOOP_KINDS,
     .tok = {L("gen_ai.usage.prompt_tokens"), L("gen_ai.usage.completion_tokens"),
             L("llm.usage.total_tokens")},
     .inputs = L("traceloop.entity.input", "gen_ai.prompt.#.content",
                 "gen_ai.completion.#.tool_calls.#.arguments"),
     .outputs = L("traceloop.entity.output", "gen_ai.completion.#.content"),
     .provider = "gen_ai.system"},
    {.name = "google_adk",
     .inputs = L("gcp.vertex.agent.llm_request", "gcp.vertex.agent.tool_call_args"),
     .outputs = L("gcp.vertex.agent.llm_response", "gcp.vertex.agent.tool_response")},
    {.name = "vercel_ai",
     .kind_keys = L("ai.operationId"),
     .kinds = VERCEL_KINDS,
     .inputs = L("ai.prompt", "ai.toolCall.args", "ai.value", "ai.values"),
     .outputs = L("ai.response.text", "ai.toolCall.result", "ai.response.object",
                  "ai.embedding", "ai.embeddings"),
     .special = TR_VERCEL},
    {.name = "voltagent",
     /* span.type first: child spans carry their parent agent's entity.type */
     .kind_keys = L("span.type", "entity.type"),
     .kinds = VOLT_KINDS,
     .tok = {L("usage.prompt_tokens", "llm.usage.prompt_tokens"),
             L("usage.completion_tokens", "llm.usage.completion_tokens"),
             L("usage.total_tokens", "llm.usage.total_tokens")},
     .inputs = L("agent.messages", "llm.messages", "input"),
     .outputs = L("output"),
     .detect = L("voltagent.operation_id", "voltagent.conversation_id"),
     .format = "voltagent"},
    {.name = "livekit",
     .kinds = GENAI_KINDS,
     .tok = GENAI_TOK,
     .inputs = L("lk.user_input", "lk.user_transcript", "lk.chat_ctx", "lk.input_text"),
     .outputs = L("lk.response.text", "lk.response.function_calls"),
     .models = GENAI_MODELS,
     .tools = GENAI_TOOLS,
     .provider = "gen_ai.provider.name",
     .format = "livekit",
     .special = TR_LIVEKIT},
    {.name = "laminar",
     .kind_keys = L("lmnr.span.type"),
     .kinds = LAMINAR_KINDS,
     .tok = {GENAI_IN, GENAI_OUT},
     .inputs = L("lmnr.span.input"),
     .outputs = L("lmnr.span.output"),
     .models = GENAI_MODELS,
     .provider = "gen_ai.system",
     .detect = L("lmnr.span.type"),
     .format = "openai"},
    {.name = "langfuse",
     .kind_keys = L("langfuse.observation.type"),
     .kinds = LANGFUSE_KINDS,
     .inputs = L("langfuse.observation.input"),
     .outputs = L("langfuse.observation.output")},
};
#define NTR (sizeof TRANSLATORS / sizeof TRANSLATORS[0])

/* The gate: every key (or key start) the tables above read, by first byte, so that the
 * dozen keys of an MLflow span are each turned away after a compare or two. The unit test
 * checks every key of the tables against it. */
#define PRE(p) (strncmp(key, p, sizeof p - 1) == 0)
#define EQ(p) (strcmp(key, p) == 0)
bool span_translate_key_wanted(const char *key)
{
    switch (key[0]) {
    case 'a':
        return PRE("ai.") || EQ("agent.messages");
    case 'e':
        return PRE("embedding.") || EQ("entity.type");
    case 'g':
        return PRE("gen_ai.") || PRE("gcp.vertex.agent.");
    case 'i':
        return EQ("input") || EQ("input.value");
    case 'l':
        return PRE("llm.") || PRE("lk.") || PRE("lmnr.") || PRE("langfuse.");
    case 'o':
        return PRE("openinference.") || EQ("output") || EQ("output.value");
    case 's':
        return EQ("span.type");
    case 't':
        return PRE("traceloop.");
    case 'u':
        return PRE("usage.");
    case 'v':
        return PRE("voltagent.");
    default:
        return false;
    }
}
#undef PRE
#undef EQ

void span_translate_each_key(void (*fn)(const char *key, void *ctx), void *ctx)
{
    for (size_t t = 0; t < NTR; t++) {
        const struct tr_def *d = &TRANSLATORS[t];
        const char *const *lists[] = {d->kind_keys, d->tok[0], d->tok[1], d->tok[2], d->tok[3],
                                      d->tok[4], d->inputs, d->outputs, d->models, d->tools,
                                      d->detect};
        for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
            for (const char *const *k = lists[l]; k && *k; k++)
                fn(*k, ctx);
        if (d->provider)
            fn(d->provider, ctx);
    }
}

/* A value that may name the model (_get_model_name reads inputs["model"]): one holding
 * "model", or an escape that could spell it (libc's searches: most texts hold neither). */
static bool may_name_model(const struct otlp_value *v)
{
    if (v->kind != OTLP_V_STRING)
        return v->kind == OTLP_V_KVLIST;
    if (memmem(v->s, v->n, "model", 5))
        return true;
    for (const char *p = v->s, *e = v->s + v->n; (p = memchr(p, '\\', (size_t)(e - p)));)
        if (++p < e && *p == 'u')
            return true;
    return false;
}

bool span_translate_wanted(const struct otlp_span *sp)
{
    for (size_t i = 0; i < sp->nevents; i++)
        if (strncmp(sp->events[i].name, "gen_ai.", 7) == 0)
            return true;
    for (size_t i = 0; i < sp->attrs.n; i++) {
        const char *k = sp->attrs.kv[i].key;
        if (k[0] == 'm' && strncmp(k, "mlflow.", 7) == 0) {
            if ((strcmp(k, K_INPUTS) == 0 || strcmp(k, K_OUTPUTS) == 0) &&
                may_name_model(&sp->attrs.kv[i].v))
                return true;
            continue;
        }
        if (span_translate_key_wanted(k))
            return true;
    }
    return false;
}

/* ---- the stored texts, read as json.loads reads them ---- */

/* Python's truth of json.loads(text); a text loads refuses counts as true (MLflow then
 * keeps the text itself). */
bool tr_text_truthy(const char *s, size_t n)
{
    size_t st, en;
    switch (pyjson_whole(s, n, &st, &en)) {
    case PYJSON_NULL:
        return false;
    case PYJSON_BOOL:
        return s[st] == 't';
    case PYJSON_INT:
        for (size_t i = st; i < en; i++)
            if (s[i] >= '1' && s[i] <= '9')
                return true;
        return false;
    case PYJSON_REAL: {
        char *tmp = strndup(s + st, en - st);
        double d = tmp ? strtod(tmp, NULL) : 1;
        free(tmp);
        return d != 0;
    }
    case PYJSON_STRING:
        return en - st > 2;
    case PYJSON_ARRAY:
    case PYJSON_OBJECT:
        return s[pyjson_ws(s, en, st + 1)] != (s[st] == '[' ? ']' : '}');
    default:
        return true;
    }
}

/* The decoded text when the whole text is a JSON string (NUL-terminated, from the arena). */
const char *tr_text_str(struct arena *a, const char *s, size_t n, size_t *on)
{
    size_t st, en;
    if (pyjson_whole(s, n, &st, &en) != PYJSON_STRING)
        return NULL;
    struct buf b;
    buf_init(&b, TEXT_MAX);
    const char *r = NULL;
    if (pyjson_unescape(&b, s + st, en - st) == 0 && buf_ok(&b)) {
        r = arena_strndup(a, b.ptr ? b.ptr : "", b.len);
        *on = b.len;
    }
    buf_release(&b);
    return r;
}

static bool digits_i64(const char *s, size_t n, bool underscores, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i >= n)
        return false;
    int64_t v = 0;
    bool prev_digit = false;
    for (; i < n; i++) {
        if (underscores && s[i] == '_' && prev_digit && i + 1 < n && s[i + 1] >= '0' &&
            s[i + 1] <= '9') {
            prev_digit = false;
            continue;
        }
        if (s[i] < '0' || s[i] > '9' || v > ((int64_t)1 << 62) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
        prev_digit = true;
    }
    *out = neg ? -v : v;
    return true;
}

/* _parse_int_attribute of a stored text: a JSON integer, or a JSON string int() reads. */
struct tr_int tr_text_int(struct arena *a, const char *s, size_t n)
{
    struct tr_int r = {0};
    size_t st, en, sn;
    switch (pyjson_whole(s, n, &st, &en)) {
    case PYJSON_BOOL:
        r.set = r.is_bool = true;
        r.v = s[st] == 't';
        return r;
    case PYJSON_INT:
        r.set = digits_i64(s + st, en - st, false, &r.v);
        return r;
    case PYJSON_STRING: {
        const char *t = tr_text_str(a, s, n, &sn);
        if (!t)
            return r;
        size_t b = 0, e = sn; /* int() strips whitespace around the digits */
        while (b < e && strchr(" \t\n\r\f\v", t[b]))
            b++;
        while (e > b && strchr(" \t\n\r\f\v", t[e - 1]))
            e--;
        r.set = digits_i64(t + b, e - b, true, &r.v);
        return r;
    }
    default:
        return r;
    }
}

/* ---- lookups on the attributes as translation grows them ---- */

const struct span_tr_kv *tr_get(const struct tr_ctx *c, const char *key)
{
    for (size_t i = 0; i < c->out->nadd; i++)
        if (strcmp(c->out->add[i].key, key) == 0)
            return &c->out->add[i];
    for (size_t i = 0; i < c->n; i++)
        if (c->at[i].key[0] == key[0] && strcmp(c->at[i].key, key) == 0)
            return &c->at[i];
    return NULL;
}

void tr_add(struct tr_ctx *c, const char *key, const char *text, size_t n, bool as_value)
{
    if (c->out->nadd == SPAN_TR_MAX_ADD)
        return; /* proven unreachable: each of the fewer keys is added once */
    c->out->as_value[c->out->nadd] = as_value;
    c->out->add[c->out->nadd++] = (struct span_tr_kv){key, text, n};
}

/* The text dumped as a JSON string, from the arena. */
static const char *dump_str(struct arena *a, const char *s, size_t n, size_t *on)
{
    struct buf b;
    buf_init(&b, TEXT_MAX);
    pyjson_str(&b, s, n);
    const char *r = buf_ok(&b) ? arena_strndup(a, b.ptr, b.len) : NULL;
    *on = b.len;
    buf_release(&b);
    return r;
}

/* Whether key matches a pattern entry ('#' one or more digits), at the key's start. */
static bool pattern_match(const char *pat, const char *key)
{
    for (; *pat; pat++) {
        if (*pat == '#') {
            if (*key < '0' || *key > '9')
                return false;
            while (*key >= '0' && *key <= '9')
                key++;
        } else if (*pat != *key++) {
            return false;
        }
    }
    return true;
}

/* get_attribute_value: the first listed key with a true value (_get_and_check). */
const struct span_tr_kv *tr_first_true(const struct tr_ctx *c, const char *const *keys)
{
    for (; keys && *keys; keys++) {
        if (strchr(*keys, '#')) {
            for (size_t i = 0; i < c->n; i++)
                if (pattern_match(*keys, c->at[i].key) && tr_text_truthy(c->at[i].text, c->at[i].n))
                    return &c->at[i];
            continue;
        }
        const struct span_tr_kv *kv = tr_get(c, *keys);
        if (kv && tr_text_truthy(kv->text, kv->n))
            return kv;
    }
    return NULL;
}

/* translate_span_type of one translator: the MLflow type, or NULL. */
static const char *kind_of(const struct tr_ctx *c, const struct tr_def *d)
{
    if (d->special == TR_LIVEKIT) {
        if (tr_get(c, "gen_ai.request.model"))
            return "LLM";
        const struct span_tr_kv *op = tr_get(c, "gen_ai.operation.name");
        size_t sn;
        const char *s = op ? tr_text_str(c->a, op->text, op->n, &sn) : NULL;
        if (s && strlen(s) == sn) {
            char *low = arena_strndup(c->a, s, sn);
            for (char *p = low; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p - 'A' + 'a');
            for (const struct tr_kind *k = d->kinds; k->otel; k++)
                if (strcmp(k->otel, low) == 0)
                    return k->mlflow;
        }
        for (size_t i = 0; i < c->n; i++) {
            const char *k = c->at[i].key;
            if (strcmp(k, "lk.retry_count") == 0)
                return "LLM";
            if (strncmp(k, "lk.function_tool", 16) == 0)
                return "TOOL";
            if (!strcmp(k, "lk.agent_name") || !strcmp(k, "lk.instructions") ||
                !strcmp(k, "lk.generation_id"))
                return "AGENT";
            if (strncmp(k, "lk.tts", 6) == 0 || !strcmp(k, "lk.input_text") ||
                !strcmp(k, "lk.user_transcript") || !strcmp(k, "lk.transcript_confidence") ||
                !strcmp(k, "lk.transcription_delay"))
                return "UNKNOWN";
        }
        return NULL;
    }
    if (d->special == TR_GEMINI && !tr_gemini_cli(c))
        return NULL;
    if (d->special == TR_CLAUDE) {
        const char *k = tr_claude_kind(c);
        for (const struct tr_kind *m = d->kinds; k && m->otel; m++)
            if (strcmp(m->otel, k) == 0)
                return m->mlflow;
        return NULL;
    }
    for (const char *const *kk = d->kind_keys; kk && *kk; kk++) {
        const struct span_tr_kv *kv = tr_get(c, *kk);
        size_t sn;
        const char *s = kv ? tr_text_str(c->a, kv->text, kv->n, &sn) : NULL;
        if (!s || strlen(s) != sn)
            continue;
        for (const struct tr_kind *k = d->kinds; k->otel; k++)
            if (strcmp(k->otel, s) == 0)
                return k->mlflow;
    }
    return NULL;
}

static void put_int(struct buf *b, const char *name, struct tr_int v, bool *first)
{
    if (!v.set)
        return;
    if (!*first)
        buf_puts(b, ", ");
    *first = false;
    buf_printf(b, "\"%s\": ", name);
    if (v.is_bool)
        buf_puts(b, v.v ? "true" : "false");
    else
        buf_put_i64(b, v.v);
}

static struct tr_int tok_of(const struct tr_ctx *c, const char *const *keys)
{
    struct tr_int none = {0};
    for (; keys && *keys; keys++) {
        const struct span_tr_kv *kv = tr_get(c, *keys);
        if (kv)
            return tr_text_int(c->a, kv->text, kv->n);
    }
    return none;
}

/* _get_token_usage: the first translator with an input, output or total count. */
static void usage(struct tr_ctx *c)
{
    for (size_t t = 0; t < NTR; t++) {
        const struct tr_def *d = &TRANSLATORS[t];
        struct tr_int in = tok_of(c, d->tok[0]), out = tok_of(c, d->tok[1]),
                      tot = tok_of(c, d->tok[2]), cr = tok_of(c, d->tok[3]),
                      cw = tok_of(c, d->tok[4]);
        if (d->special == TR_CLAUDE) {
            /* LLM requests only; their input counts the cached tokens too */
            struct tr_int none = {0};
            const char *k = tr_claude_kind(c);
            bool llm = k && strcmp(k, "claude_code.llm_request") == 0;
            in = llm ? tr_claude_int(c, "input_tokens") : none;
            out = llm ? tr_claude_int(c, "output_tokens") : none;
            cr = llm ? tr_claude_int(c, "cache_read_tokens") : none;
            cw = llm ? tr_claude_int(c, "cache_creation_tokens") : none;
            if (in.set)
                in.v += (cr.set ? cr.v : 0) + (cw.set ? cw.v : 0);
        }
        if (!tot.set && in.set && out.set)
            tot = (struct tr_int){.set = true, .v = in.v + out.v};
        if (!in.set && !out.set && !tot.set)
            continue;
        struct buf b;
        buf_init(&b, 4096);
        bool first = true;
        buf_putc(&b, '{');
        put_int(&b, "input_tokens", in, &first);
        put_int(&b, "output_tokens", out, &first);
        put_int(&b, "total_tokens", tot, &first);
        put_int(&b, "cache_read_input_tokens", cr, &first);
        put_int(&b, "cache_creation_input_tokens", cw, &first);
        buf_putc(&b, '}');
        if (buf_ok(&b))
            tr_add(c, K_USAGE, arena_strndup(c->a, b.ptr, b.len), b.len, false);
        buf_release(&b);
        return;
    }
}

/* The last of an event's attributes named key (a dict keeps the last). */
const struct otlp_value *tr_event_attr(const struct otlp_event *ev, const char *key)
{
    for (size_t i = ev->attrs.n; i-- > 0;)
        if (strcmp(ev->attrs.kv[i].key, key) == 0)
            return &ev->attrs.kv[i].v;
    return NULL;
}

bool tr_value_truthy(const struct otlp_value *v)
{
    switch (v->kind) {
    case OTLP_V_NONE:
        return false;
    case OTLP_V_BOOL:
        return v->b;
    case OTLP_V_INT:
        return v->i != 0;
    case OTLP_V_DOUBLE:
        return v->d != 0;
    default:
        return v->n > 0;
    }
}

/* Spring AI's event input or output: the event attribute's value as MLflow's dict holds it
 * (a string stored as its text, not dumped; anything else as a JSON value). */
static bool from_events(struct tr_ctx *c, const struct otlp_span *sp, span_tr_dump_fn dump,
                        const char *key, bool input)
{
    const struct tr_def *d = NULL;
    for (size_t t = 0; t < NTR && !d; t++)
        if (TRANSLATORS[t].event_in)
            d = &TRANSLATORS[t];
    if (!d)
        return false;
    const char *name = input ? d->event_in : d->event_out;
    const char *akey = input ? d->event_in_key : d->event_out_key;
    for (size_t i = 0; i < sp->nevents; i++) {
        if (strcmp(sp->events[i].name, name) != 0)
            continue;
        const struct otlp_value *v = tr_event_attr(&sp->events[i], akey);
        if (!v || !tr_value_truthy(v))
            continue;
        if (v->kind == OTLP_V_STRING) {
            tr_add(c, key, v->s, v->n, false);
        } else {
            struct buf b;
            buf_init(&b, TEXT_MAX);
            dump(&b, c->a, v);
            if (buf_ok(&b))
                tr_add(c, key, arena_strndup(c->a, b.ptr, b.len), b.len, true);
            buf_release(&b);
        }
        return true;
    }
    return false;
}

/* A model or provider value: json.loads of the text, dumped again by json.dumps. */
static void add_decoded(struct tr_ctx *c, const char *key, const struct span_tr_kv *kv)
{
    size_t st, en, e;
    if (pyjson_whole(kv->text, kv->n, &st, &en) == PYJSON_BAD) {
        tr_add(c, key, kv->text, kv->n, false); /* not JSON: MLflow keeps the text */
        return;
    }
    struct buf b;
    buf_init(&b, TEXT_MAX);
    if (tr_redump(&b, kv->text, en, st, &e) == 0 && buf_ok(&b))
        tr_add(c, key, arena_strndup(c->a, b.ptr ? b.ptr : "", b.len), b.len, false);
    buf_release(&b);
}

/* inputs["model"] when the text is an object whose last "model" is a string; *stop when
 * MLflow returns there without looking further (a true non-string model). */
static const char *model_in(struct tr_ctx *c, const struct span_tr_kv *kv, size_t *mn,
                            bool *stop)
{
    const char *s = kv->text;
    size_t n = kv->n, st, en;
    if (pyjson_whole(s, n, &st, &en) != PYJSON_OBJECT)
        return NULL;
    size_t vst = 0, ven = 0;
    bool found = false;
    size_t i = pyjson_ws(s, en, st + 1);
    while (i < en && s[i] == '"') {
        size_t ke, ve;
        pyjson_skip(s, en, i, &ke);
        size_t sn;
        const char *k = tr_text_str(c->a, s + i, ke - i, &sn);
        size_t v0 = pyjson_ws(s, en, pyjson_ws(s, en, ke) + 1);
        pyjson_skip(s, en, v0, &ve);
        if (k && sn == 5 && memcmp(k, "model", 5) == 0) {
            found = true;
            vst = v0;
            ven = ve;
        }
        i = pyjson_ws(s, en, ve);
        if (i < en && s[i] == ',')
            i = pyjson_ws(s, en, i + 1);
        else
            break;
    }
    if (!found || !tr_text_truthy(s + vst, ven - vst))
        return NULL;
    *stop = true;
    return tr_text_str(c->a, s + vst, ven - vst, mn);
}

static void model_from_io(struct tr_ctx *c)
{
    const char *keys[2] = {K_INPUTS, K_OUTPUTS};
    for (int i = 0; i < 2; i++) {
        /* Any present value is true here: MLflow tests the stored text, not its JSON. */
        const struct span_tr_kv *kv = tr_get(c, keys[i]);
        if (!kv || !kv->n)
            continue;
        bool stop = false;
        size_t mn, dn;
        const char *m = model_in(c, kv, &mn, &stop);
        if (m) {
            const char *d = dump_str(c->a, m, mn, &dn);
            if (d)
                tr_add(c, K_MODEL, d, dn, false);
        }
        if (stop)
            return;
    }
}

void span_translate(struct arena *a, const struct span_tr_kv *attrs, size_t n,
                    const struct otlp_span *sp, span_tr_dump_fn dump, struct span_tr_out *out)
{
    memset(out, 0, sizeof *out);
    struct tr_ctx c = {a, attrs, n, out};

    /* The span type, where the span's own is missing, null or UNKNOWN. */
    const char *type = NULL;
    for (size_t t = 0; t < NTR && !type; t++)
        type = kind_of(&c, &TRANSLATORS[t]);
    if (type) {
        const struct span_tr_kv *cur = tr_get(&c, K_TYPE);
        size_t sn, dn;
        const char *cs = cur ? tr_text_str(a, cur->text, cur->n, &sn) : NULL;
        size_t st, en;
        bool is_null = cur && pyjson_whole(cur->text, cur->n, &st, &en) == PYJSON_NULL;
        bool unknown = cs && strcmp(cs, "UNKNOWN") == 0 && sn == 7;
        const char *d = dump_str(a, type, strlen(type), &dn);
        if (d && !cur)
            tr_add(&c, K_TYPE, d, dn, false);
        else if (d && (is_null || unknown)) {
            out->type_text = d;
            out->type_n = dn;
        }
    }

    const char *io_keys[2] = {K_INPUTS, K_OUTPUTS};
    for (int io = 0; io < 2; io++) {
        if (tr_get(&c, io_keys[io]))
            continue;
        const struct span_tr_kv *v = NULL;
        struct span_tr_kv special;
        for (size_t t = 0; t < NTR && !v; t++)
            if (TRANSLATORS[t].special == TR_CLAUDE)
                v = tr_claude_io(&c, io == 0, &special) ? &special : NULL;
            else if (TRANSLATORS[t].special == TR_GEMINI)
                v = tr_gemini_io(&c, &TRANSLATORS[t], io == 0, &special) ? &special : NULL;
            else if (TRANSLATORS[t].special == TR_VERCEL && tr_vercel_chat(&c))
                v = tr_vercel_io(&c, io == 0, &special) ? &special : NULL;
            else
                v = tr_first_true(&c, io ? TRANSLATORS[t].outputs : TRANSLATORS[t].inputs);
        /* then the events of Spring AI, LiveKit (GenAI's) and Claude Code, in turn */
        if (v)
            tr_add(&c, io_keys[io], v->text, v->n, false);
        else if (sp->nevents && !from_events(&c, sp, dump, io_keys[io], io == 0) &&
                 !tr_genai_events(&c, sp, dump, io_keys[io], io == 0) && io == 1)
            tr_claude_events(&c, sp, dump);
    }

    if (!tr_get(&c, K_USAGE))
        usage(&c);

    if (!tr_get(&c, K_FORMAT)) {
        const char *f = NULL;
        for (size_t t = 0; t < NTR && !f; t++) {
            const struct tr_def *d = &TRANSLATORS[t];
            for (const char *const *k = d->detect; k && *k && !f; k++)
                if (tr_get(&c, *k))
                    f = d->format;
            if (d->special == TR_GEMINI && tr_gemini_cli(&c))
                f = d->format;
            if (d->special == TR_LIVEKIT)
                for (size_t i = 0; i < n && !f; i++)
                    if (strncmp(attrs[i].key, "lk.", 3) == 0)
                        f = d->format;
        }
        size_t dn;
        const char *d = f ? dump_str(a, f, strlen(f), &dn) : NULL;
        if (d)
            tr_add(&c, K_FORMAT, d, dn, false);
    }

    if (!tr_get(&c, K_TOOLS)) {
        const struct span_tr_kv *v = NULL;
        for (size_t t = 0; t < NTR && !v; t++)
            v = tr_first_true(&c, TRANSLATORS[t].tools);
        if (v)
            tr_add(&c, K_TOOLS, v->text, v->n, false);
    }

    if (!tr_get(&c, K_MODEL)) {
        const struct span_tr_kv *v = NULL;
        for (size_t t = 0; t < NTR && !v; t++)
            v = tr_first_true(&c, TRANSLATORS[t].models);
        if (v)
            add_decoded(&c, K_MODEL, v);
        else
            model_from_io(&c);
    }

    if (!tr_get(&c, K_PROVIDER)) {
        const struct span_tr_kv *v = NULL;
        for (size_t t = 0; t < NTR && !v; t++)
            if (TRANSLATORS[t].provider) {
                const char *one[2] = {TRANSLATORS[t].provider, NULL};
                v = tr_first_true(&c, one);
            }
        if (v)
            add_decoded(&c, K_PROVIDER, v);
    }
}
