/* MLflow 3.17's storing-time translation of other conventions' spans (see span_translate.h):
 * one const table per translator (its span-kind key and map, token, input, output, model,
 * provider, tool and detection keys), walked in MLflow's order by the generic code of
 * translation/__init__.py and base.py; the few translators with code of their own have it
 * here beside their table. Values are read from the attributes' stored texts with json.loads'
 * grammar (api/pyjson_scan.c), so a value counts as present, true or an integer exactly
 * when it does for MLflow. */
#include "span_translate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/utf8.h"
#include "pyjson.h"
#include "pyjson_scan.h"

#define TEXT_MAX ((size_t)256 << 20)

static const char K_TYPE[] = "mlflow.spanType";
static const char K_INPUTS[] = "mlflow.spanInputs";
static const char K_OUTPUTS[] = "mlflow.spanOutputs";
static const char K_USAGE[] = "mlflow.chat.tokenUsage";
static const char K_FORMAT[] = "mlflow.message.format";
static const char K_TOOLS[] = "mlflow.chat.tools";
static const char K_MODEL[] = "mlflow.llm.model";
static const char K_PROVIDER[] = "mlflow.llm.provider";

struct tr_kind {
    const char *otel, *mlflow;
};

enum tr_special {
    TR_PLAIN,
    TR_LIVEKIT, /* span type from gen_ai.request.model, a lower-cased operation, lk.* keys */
    TR_CLAUDE,  /* everything keyed by its span.type (claude_code.*) */
    TR_VERCEL,  /* chat spans' inputs and outputs gathered from ai.prompt.* / ai.response.* */
    TR_GEMINI,  /* GenAI's keys; type, format, wrapped messages on gemini-cli spans only */
};

/* One translator. Key lists end with NULL; a key holding '#' is a pattern in which '#'
 * stands for one or more digits, matched at the start of an attribute's key as Python's
 * re.match does. Each token field lists alternatives, the first present one read. */
struct tr_def {
    const char *name;
    const char *const *kind_keys; /* tried in turn until one maps */
    const struct tr_kind *kinds;  /* ends with {NULL} */
    const char *const *tok[5];    /* input, output, total, cache read, cache creation */
    const char *const *inputs, *const *outputs, *const *models, *const *tools;
    const char *provider;
    const char *const *detect; /* any of these keys present: the span has message format */
    const char *format;
    const char *event_in, *event_in_key, *event_out, *event_out_key; /* Spring AI's events */
    enum tr_special special;
};

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

static const struct tr_kind CLAUDE_KINDS[] = {{"claude_code.interaction", "AGENT"},
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
     .kinds = CLAUDE_KINDS, /* its token keys are in usage(): read on its LLM spans only */
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
static bool text_truthy(const char *s, size_t n)
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
static const char *text_str(struct arena *a, const char *s, size_t n, size_t *on)
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

/* A token count: value, and whether loads gave a bool (True counts as 1 and dumps as
 * true). Counts beyond 2^62 are not read (Python's ints have no bound; no count is so). */
struct tr_int {
    bool set, is_bool;
    int64_t v;
};

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
static struct tr_int text_int(struct arena *a, const char *s, size_t n)
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
        const char *t = text_str(a, s, n, &sn);
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

struct tr_ctx {
    struct arena *a;
    const struct span_tr_kv *at;
    size_t n;
    struct span_tr_out *out;
};

static const struct span_tr_kv *get(const struct tr_ctx *c, const char *key)
{
    for (size_t i = 0; i < c->out->nadd; i++)
        if (strcmp(c->out->add[i].key, key) == 0)
            return &c->out->add[i];
    for (size_t i = 0; i < c->n; i++)
        if (c->at[i].key[0] == key[0] && strcmp(c->at[i].key, key) == 0)
            return &c->at[i];
    return NULL;
}

static void add(struct tr_ctx *c, const char *key, const char *text, size_t n, bool as_value)
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
static const struct span_tr_kv *first_true(const struct tr_ctx *c, const char *const *keys)
{
    for (; keys && *keys; keys++) {
        if (strchr(*keys, '#')) {
            for (size_t i = 0; i < c->n; i++)
                if (pattern_match(*keys, c->at[i].key) && text_truthy(c->at[i].text, c->at[i].n))
                    return &c->at[i];
            continue;
        }
        const struct span_tr_kv *kv = get(c, *keys);
        if (kv && text_truthy(kv->text, kv->n))
            return kv;
    }
    return NULL;
}

/* ---- Claude Code: everything hangs on span.type ---- */

static const char CLAUDE_PREFIX[] = "claude_code.";

/* The known claude_code.* span type the span.type attribute names (with or without the
 * prefix), or NULL. */
static const char *claude_kind(const struct tr_ctx *c)
{
    const struct span_tr_kv *kv = get(c, "span.type");
    size_t sn;
    const char *s = kv ? text_str(c->a, kv->text, kv->n, &sn) : NULL;
    if (!s || strlen(s) != sn)
        return NULL;
    const char *full = strncmp(s, CLAUDE_PREFIX, sizeof CLAUDE_PREFIX - 1) == 0
                           ? s
                           : arena_printf(c->a, "%s%s", CLAUDE_PREFIX, s);
    for (const struct tr_kind *k = CLAUDE_KINDS; k->otel; k++)
        if (strcmp(k->otel, full) == 0)
            return k->otel;
    return NULL;
}

/* ClaudeCodeTranslator._get_int: int() of the loaded value (a float truncated, a bool as
 * 0 or 1, a string as int() reads it). */
static struct tr_int claude_int(const struct tr_ctx *c, const char *key)
{
    struct tr_int r = {0};
    const struct span_tr_kv *kv = get(c, key);
    size_t st, en;
    if (!kv)
        return r;
    switch (pyjson_whole(kv->text, kv->n, &st, &en)) {
    case PYJSON_REAL: {
        char *tmp = strndup(kv->text + st, en - st);
        double d = tmp ? strtod(tmp, NULL) : 0;
        free(tmp);
        if (d == d && d > -4e18 && d < 4e18) /* not NaN, in range (inf: MLflow fails) */
            r = (struct tr_int){.set = true, .v = (int64_t)d};
        return r;
    }
    case PYJSON_BOOL:
    case PYJSON_INT:
    case PYJSON_STRING:
        r = text_int(c->a, kv->text, kv->n);
        r.is_bool = false;
        return r;
    default:
        return r;
    }
}

/* _get_content: a true value that is not "<REDACTED>". */
static const struct span_tr_kv *claude_content(const struct tr_ctx *c, const char *key)
{
    const char *one[2] = {key, NULL};
    const struct span_tr_kv *kv = first_true(c, one);
    size_t sn;
    const char *s = kv ? text_str(c->a, kv->text, kv->n, &sn) : NULL;
    if (s && strcmp(s, "<REDACTED>") == 0 && sn == 10)
        return NULL;
    return kv;
}

static int redump(struct buf *b, const char *s, size_t n, size_t i, size_t *end);
static void ascii_escape(struct buf *out, const char *s, size_t n);

/* b (a JSON text) ASCII-escaped as json.dumps writes it, handed out as res. */
static bool json_ascii_add(struct tr_ctx *c, struct buf *b, struct span_tr_kv *res)
{
    struct buf as;
    buf_init(&as, TEXT_MAX);
    ascii_escape(&as, b->ptr ? b->ptr : "", b->len);
    bool ok = buf_ok(b) && buf_ok(&as);
    if (ok)
        *res = (struct span_tr_kv){NULL, arena_strndup(c->a, as.ptr, as.len), as.len};
    buf_release(&as);
    return ok;
}

/* Claude Code's input (interaction, LLM request, tool) or output (LLM request, tool):
 * true with *res set when it has one. A tool without tool_input gives its details
 * (command, file, skill, subagent) as a json.dumps'd dict. */
static bool claude_io(struct tr_ctx *c, bool input, struct span_tr_kv *res)
{
    const char *k = claude_kind(c);
    const struct span_tr_kv *v = NULL;
    if (!k)
        return false;
    bool tool = strcmp(k, "claude_code.tool") == 0, llm = strcmp(k, "claude_code.llm_request") == 0;
    if (!input)
        v = llm ? claude_content(c, "response.model_output")
                : tool ? claude_content(c, "new_context") : NULL;
    else if (!tool)
        v = llm ? claude_content(c, "new_context")
                : (v = claude_content(c, "user_prompt")) ? v : claude_content(c, "new_context");
    else if (!(v = claude_content(c, "tool_input"))) {
        static const char *const details[] = {"full_command", "file_path", "skill_name",
                                              "subagent_type"};
        struct buf b;
        buf_init(&b, TEXT_MAX);
        size_t nd = 0;
        for (size_t i = 0; i < 4; i++) {
            const struct span_tr_kv *d = claude_content(c, details[i]);
            size_t st, en, e;
            if (!d)
                continue;
            buf_puts(&b, nd++ ? ", " : "{");
            pyjson_str(&b, details[i], strlen(details[i]));
            buf_puts(&b, ": ");
            size_t mark = b.len;
            if (pyjson_whole(d->text, d->n, &st, &en) == PYJSON_BAD ||
                redump(&b, d->text, en, st, &e) != 0) {
                b.len = mark;
                pyjson_str(&b, d->text, d->n);
            }
        }
        bool ok = false;
        if (nd) {
            buf_putc(&b, '}');
            ok = json_ascii_add(c, &b, res);
        }
        buf_release(&b);
        return ok;
    }
    if (v)
        *res = *v;
    return v != NULL;
}

/* ---- Gemini CLI: GenAI spans whose gen_ai.agent.name is "gemini-cli" ---- */

static bool gemini_cli(const struct tr_ctx *c)
{
    const struct span_tr_kv *kv = get(c, "gen_ai.agent.name");
    size_t sn;
    const char *s = kv ? text_str(c->a, kv->text, kv->n, &sn) : NULL;
    return s && sn == 10 && strcmp(s, "gemini-cli") == 0;
}

/* The value of an object's last key named key in text s[st..en) (an object), or false. */
static bool object_get(const char *s, size_t st, size_t en, const char *key, size_t *vst,
                       size_t *ven)
{
    bool found = false;
    size_t i = pyjson_ws(s, en, st + 1), kl = strlen(key);
    while (i < en && s[i] == '"') {
        size_t ke, ve;
        pyjson_skip(s, en, i, &ke);
        size_t v0 = pyjson_ws(s, en, pyjson_ws(s, en, ke) + 1);
        pyjson_skip(s, en, v0, &ve);
        /* keys needing no escapes compare as written; an escaped one is not matched */
        if (ke - i == kl + 2 && memcmp(s + i + 1, key, kl) == 0) {
            found = true;
            *vst = v0;
            *ven = ve;
        }
        i = pyjson_ws(s, en, ve);
        if (i < en && s[i] == ',')
            i = pyjson_ws(s, en, i + 1);
        else
            break;
    }
    return found;
}


/* _try_wrap_input / _try_wrap_output: messages in the Gemini SDK's shape,
 * {"contents": ...} and {"candidates": [{"content": {"role": "model", "parts": ...}}]}.
 * (Its system_prompt rewrite compares the operation's stored text, quoted, so never runs
 * on stored spans.) */
static bool gemini_io(struct tr_ctx *c, const struct tr_def *d, bool input, struct span_tr_kv *res)
{
    if (!gemini_cli(c))
        return false;
    const struct span_tr_kv *v = first_true(c, input ? d->inputs : d->outputs);
    if (!v)
        return false;
    *res = *v;
    size_t st, en, e;
    enum pyjson_kind k = pyjson_whole(v->text, v->n, &st, &en);
    size_t ost, oen;
    if (k == PYJSON_OBJECT && object_get(v->text, st, en, input ? "contents" : "candidates", &ost, &oen))
        return true;
    struct buf b;
    buf_init(&b, TEXT_MAX);
    bool done = false;
    if (input && (k == PYJSON_ARRAY || k == PYJSON_STRING || k == PYJSON_BAD)) {
        buf_puts(&b, "{\"contents\": ");
        if (k == PYJSON_BAD || redump(&b, v->text, en, st, &e) != 0) {
            b.len = 0;
            buf_puts(&b, "{\"contents\": ");
            pyjson_str(&b, v->text, v->n);
        }
        buf_putc(&b, '}');
        done = json_ascii_add(c, &b, res);
    } else if (!input && k == PYJSON_ARRAY) {
        const char *s = v->text;
        size_t j = pyjson_ws(s, en, st + 1), nparts = 0;
        buf_puts(&b, "{\"candidates\": [{\"content\": {\"role\": \"model\", \"parts\": [");
        while (j < en && s[j] != ']') {
            enum pyjson_kind ik = pyjson_skip(s, en, j, &e);
            size_t pst, pen;
            if (ik == PYJSON_OBJECT && object_get(s, j, e, "parts", &pst, &pen) && s[pst] == '[') {
                size_t q = pyjson_ws(s, pen, pst + 1), qe;
                while (q < pen && s[q] != ']') {
                    if (nparts++)
                        buf_puts(&b, ", ");
                    if (redump(&b, s, pen, q, &qe) != 0)
                        qe = pen;
                    q = pyjson_ws(s, pen, qe);
                    if (q < pen && s[q] == ',')
                        q = pyjson_ws(s, pen, q + 1);
                }
            }
            j = pyjson_ws(s, en, e);
            if (j < en && s[j] == ',')
                j = pyjson_ws(s, en, j + 1);
        }
        buf_puts(&b, "]}}]}");
        if (nparts)
            done = json_ascii_add(c, &b, res);
    }
    buf_release(&b);
    (void)done;
    return true;
}

/* translate_span_type of one translator: the MLflow type, or NULL. */
static const char *kind_of(const struct tr_ctx *c, const struct tr_def *d)
{
    if (d->special == TR_LIVEKIT) {
        if (get(c, "gen_ai.request.model"))
            return "LLM";
        const struct span_tr_kv *op = get(c, "gen_ai.operation.name");
        size_t sn;
        const char *s = op ? text_str(c->a, op->text, op->n, &sn) : NULL;
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
    if (d->special == TR_GEMINI && !gemini_cli(c))
        return NULL;
    if (d->special == TR_CLAUDE) {
        const char *k = claude_kind(c);
        for (const struct tr_kind *m = d->kinds; k && m->otel; m++)
            if (strcmp(m->otel, k) == 0)
                return m->mlflow;
        return NULL;
    }
    for (const char *const *kk = d->kind_keys; kk && *kk; kk++) {
        const struct span_tr_kv *kv = get(c, *kk);
        size_t sn;
        const char *s = kv ? text_str(c->a, kv->text, kv->n, &sn) : NULL;
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
        const struct span_tr_kv *kv = get(c, *keys);
        if (kv)
            return text_int(c->a, kv->text, kv->n);
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
            const char *k = claude_kind(c);
            bool llm = k && strcmp(k, "claude_code.llm_request") == 0;
            in = llm ? claude_int(c, "input_tokens") : none;
            out = llm ? claude_int(c, "output_tokens") : none;
            cr = llm ? claude_int(c, "cache_read_tokens") : none;
            cw = llm ? claude_int(c, "cache_creation_tokens") : none;
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
            add(c, K_USAGE, arena_strndup(c->a, b.ptr, b.len), b.len, false);
        buf_release(&b);
        return;
    }
}

/* The last of an event's attributes named key (a dict keeps the last). */
static const struct otlp_value *event_attr(const struct otlp_event *ev, const char *key)
{
    for (size_t i = ev->attrs.n; i-- > 0;)
        if (strcmp(ev->attrs.kv[i].key, key) == 0)
            return &ev->attrs.kv[i].v;
    return NULL;
}

static bool value_truthy(const struct otlp_value *v)
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
        const struct otlp_value *v = event_attr(&sp->events[i], akey);
        if (!v || !value_truthy(v))
            continue;
        if (v->kind == OTLP_V_STRING) {
            add(c, key, v->s, v->n, false);
        } else {
            struct buf b;
            buf_init(&b, TEXT_MAX);
            dump(&b, c->a, v);
            if (buf_ok(&b))
                add(c, key, arena_strndup(c->a, b.ptr, b.len), b.len, true);
            buf_release(&b);
        }
        return true;
    }
    return false;
}

/* A model or provider value: json.loads of the text, dumped again by json.dumps. */
static void add_decoded(struct tr_ctx *c, const char *key, const struct span_tr_kv *kv);

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
        const char *k = text_str(c->a, s + i, ke - i, &sn);
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
    if (!found || !text_truthy(s + vst, ven - vst))
        return NULL;
    *stop = true;
    return text_str(c->a, s + vst, ven - vst, mn);
}

static void model_from_io(struct tr_ctx *c)
{
    const char *keys[2] = {K_INPUTS, K_OUTPUTS};
    for (int i = 0; i < 2; i++) {
        /* Any present value is true here: MLflow tests the stored text, not its JSON. */
        const struct span_tr_kv *kv = get(c, keys[i]);
        if (!kv || !kv->n)
            continue;
        bool stop = false;
        size_t mn, dn;
        const char *m = model_in(c, kv, &mn, &stop);
        if (m) {
            const char *d = dump_str(c->a, m, mn, &dn);
            if (d)
                add(c, K_MODEL, d, dn, false);
        }
        if (stop)
            return;
    }
}

/* ---- GenAI's message events (read through LiveKit, the event translator built on it) ---- */

/* json.dumps(json.loads(text)) of text pyjson_value accepted at s[i]: separators and
 * numbers as Python writes them, strings re-escaped. An object's repeated key is written
 * each time (Python's dict would keep one). -1 for a lone escaped surrogate. */
static int redump(struct buf *b, const char *s, size_t n, size_t i, size_t *end)
{
    size_t e;
    enum pyjson_kind k = pyjson_skip(s, n, i, &e);
    *end = e;
    switch (k) {
    case PYJSON_STRING: {
        struct buf t;
        buf_init(&t, TEXT_MAX);
        int rc = pyjson_unescape(&t, s + i, e - i);
        if (rc == 0)
            pyjson_str(b, t.ptr ? t.ptr : "", t.len);
        buf_release(&t);
        return rc;
    }
    case PYJSON_INT:
        if (e - i == 2 && s[i] == '-' && s[i + 1] == '0')
            buf_putc(b, '0');
        else
            buf_append(b, s + i, e - i);
        return 0;
    case PYJSON_REAL: {
        char *tmp = strndup(s + i, e - i);
        if (!tmp)
            return -1;
        pyjson_double(b, strtod(tmp, NULL));
        free(tmp);
        return 0;
    }
    case PYJSON_ARRAY:
    case PYJSON_OBJECT: {
        char close = k == PYJSON_ARRAY ? ']' : '}';
        buf_putc(b, s[i]);
        size_t j = pyjson_ws(s, e, i + 1);
        bool first = true;
        while (j < e && s[j] != close) {
            if (!first)
                buf_puts(b, ", ");
            first = false;
            size_t ve;
            if (k == PYJSON_OBJECT) {
                if (redump(b, s, e, j, &ve) != 0)
                    return -1;
                buf_puts(b, ": ");
                j = pyjson_ws(s, e, pyjson_ws(s, e, ve) + 1);
            }
            if (redump(b, s, e, j, &ve) != 0)
                return -1;
            j = pyjson_ws(s, e, ve);
            if (j < e && s[j] == ',')
                j = pyjson_ws(s, e, j + 1);
        }
        buf_putc(b, close);
        return 0;
    }
    default: /* null, true, false, NaN, Infinity: as written */
        buf_append(b, s + i, e - i);
        return 0;
    }
}

static void add_decoded(struct tr_ctx *c, const char *key, const struct span_tr_kv *kv)
{
    size_t st, en, e;
    if (pyjson_whole(kv->text, kv->n, &st, &en) == PYJSON_BAD) {
        add(c, key, kv->text, kv->n, false); /* not JSON: MLflow keeps the text */
        return;
    }
    struct buf b;
    buf_init(&b, TEXT_MAX);
    if (redump(&b, kv->text, en, st, &e) == 0 && buf_ok(&b))
        add(c, key, arena_strndup(c->a, b.ptr ? b.ptr : "", b.len), b.len, false);
    buf_release(&b);
}

/* _decode_json_value then json.dumps: a string that loads reads is written as what it
 * reads to; any other string as a string, other values as MLflow decodes them. */
static void put_decoded(struct buf *b, struct arena *a, const struct otlp_value *v,
                        span_tr_dump_fn dump)
{
    size_t st, en;
    if (v->kind == OTLP_V_STRING && pyjson_whole(v->s, v->n, &st, &en) != PYJSON_BAD) {
        size_t mark = b->len, e;
        if (redump(b, v->s, en, st, &e) == 0)
            return;
        b->len = mark;
    }
    dump(b, a, v);
}

/* json.dumps' default ensure_ascii: every non-ASCII character (only ever inside strings)
 * as \uXXXX, a surrogate pair past the BMP. */
static void ascii_escape(struct buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = (unsigned char)s[i] < 0x80 ? 1 : utf8_next(s + i, n - i, &cp);
        if (k == 1 || k <= 0) {
            buf_putc(out, s[i++]);
            continue;
        }
        uint32_t units[2] = {cp, 0};
        int nu = 1;
        if (cp > 0xffff) {
            cp -= 0x10000;
            units[0] = 0xd800 + (cp >> 10);
            units[1] = 0xdc00 + (cp & 0x3ff);
            nu = 2;
        }
        for (int u = 0; u < nu; u++) {
            char e[6] = {'\\', 'u', hex[(units[u] >> 12) & 15], hex[(units[u] >> 8) & 15],
                         hex[(units[u] >> 4) & 15], hex[units[u] & 15]};
            buf_append(out, e, 6);
        }
        i += (size_t)k;
    }
}

/* GenAiTranslator.get_input/output_value_from_events: the message events as a list of
 * {"role", "content"}, json.dumps'd; false without one. */
static bool genai_events(struct tr_ctx *c, const struct otlp_span *sp, span_tr_dump_fn dump,
                         const char *key, bool input)
{
    static const char *const in_names[3][2] = {{"gen_ai.system.message", "system"},
                                              {"gen_ai.user.message", "user"},
                                              {"gen_ai.assistant.message", "assistant"}};
    struct buf b;
    buf_init(&b, TEXT_MAX);
    size_t nmsg = 0;
    for (size_t i = 0; i < sp->nevents; i++) {
        const struct otlp_event *ev = &sp->events[i];
        const char *role = NULL;
        const struct otlp_value *rv = NULL;
        if (input) {
            for (int r = 0; r < 3 && !role; r++)
                if (strcmp(ev->name, in_names[r][0]) == 0)
                    role = in_names[r][1];
        } else if (strcmp(ev->name, "gen_ai.choice") == 0) {
            role = "assistant";
            rv = event_attr(ev, "role");
        }
        const struct otlp_value *content = role ? event_attr(ev, "content") : NULL;
        if (!content || !value_truthy(content))
            continue;
        buf_puts(&b, nmsg++ ? ", {\"role\": " : "[{\"role\": ");
        if (rv)
            put_decoded(&b, c->a, rv, dump);
        else
            buf_printf(&b, "\"%s\"", role);
        buf_puts(&b, ", \"content\": ");
        put_decoded(&b, c->a, content, dump);
        buf_putc(&b, '}');
    }
    bool done = false;
    if (nmsg && buf_ok(&b)) {
        buf_putc(&b, ']');
        struct buf as;
        buf_init(&as, TEXT_MAX);
        ascii_escape(&as, b.ptr, b.len);
        if (buf_ok(&as)) {
            add(c, key, arena_strndup(c->a, as.ptr, as.len), as.len, false);
            done = true;
        }
        buf_release(&as);
    }
    buf_release(&b);
    return done;
}

/* ---- Vercel AI SDK: a chat span's prompt and response keys, gathered ---- */

/* _safe_load_json of a text: json.loads up to three times while it gives a string. *is_str
 * tells whether the result (from the arena) is a Python str (its characters) or other JSON
 * (its text, to be dumped again). */
static const char *safe_load(struct arena *a, const char *s, size_t n, size_t *on, bool *is_str)
{
    for (int d = 2; d >= 0; d--) {
        size_t st, en, sn;
        enum pyjson_kind k = pyjson_whole(s, n, &st, &en);
        if (k == PYJSON_BAD)
            break;
        if (k != PYJSON_STRING) {
            *is_str = false;
            *on = en - st;
            return s + st;
        }
        const char *t = text_str(a, s, n, &sn);
        if (!t)
            break;
        s = t;
        n = sn;
    }
    *is_str = true;
    *on = n;
    return s;
}

/* A safe-loaded value, json.dumps'd (ASCII escaping is applied by the caller). */
static void put_loaded(struct buf *b, const char *s, size_t n, bool is_str)
{
    size_t e, mark = b->len;
    if (!is_str && redump(b, s, n, 0, &e) == 0)
        return;
    b->len = mark;
    pyjson_str(b, s, n);
}

static bool vercel_chat(const struct tr_ctx *c)
{
    const struct span_tr_kv *kv = get(c, "ai.operationId");
    size_t n;
    bool is_str;
    const char *s = kv ? safe_load(c->a, kv->text, kv->n, &n, &is_str) : NULL;
    return s && is_str && strlen(s) == n &&
           (strcmp(s, "ai.generateText.doGenerate") == 0 || strcmp(s, "ai.streamText.doStream") == 0);
}

/* inputs["tools"] = [_safe_load_json(t) for t in tools]: a list's items, a string's
 * characters or an object's keys, each safe-loaded. */
static void put_tools(struct tr_ctx *c, struct buf *b, const char *s, size_t n, bool is_str)
{
    size_t on;
    bool ls;
    buf_putc(b, '[');
    if (is_str) {
        for (size_t i = 0, k = 0; i < n; k++) {
            uint32_t cp;
            int w = (unsigned char)s[i] < 0x80 ? 1 : utf8_next(s + i, n - i, &cp);
            if (w <= 0)
                w = 1;
            const char *v = safe_load(c->a, arena_strndup(c->a, s + i, (size_t)w), (size_t)w, &on, &ls);
            if (k)
                buf_puts(b, ", ");
            put_loaded(b, v, on, ls);
            i += (size_t)w;
        }
    } else if (s[0] == '[' || s[0] == '{') {
        bool obj = s[0] == '{';
        size_t j = pyjson_ws(s, n, 1), k = 0;
        while (j < n && s[j] != (obj ? '}' : ']')) {
            size_t e;
            enum pyjson_kind kind = pyjson_skip(s, n, j, &e);
            if (k++)
                buf_puts(b, ", ");
            size_t rn;
            const char *raw = kind == PYJSON_STRING ? text_str(c->a, s + j, e - j, &rn) : NULL;
            if (raw) { /* an item that is a str: safe-loaded from its characters */
                const char *v = safe_load(c->a, raw, rn, &on, &ls);
                put_loaded(b, v, on, ls);
            } else {
                put_loaded(b, s + j, e - j, false);
            }
            j = pyjson_ws(s, n, e);
            if (obj && j < n && s[j] == ':') { /* an object's value is not listed */
                pyjson_skip(s, n, pyjson_ws(s, n, j + 1), &e);
                j = pyjson_ws(s, n, e);
            }
            if (j < n && s[j] == ',')
                j = pyjson_ws(s, n, j + 1);
        }
    }
    buf_putc(b, ']');
}

/* VercelAITranslator.get_input_value / get_output_value on a chat span: the attributes
 * under ai.prompt. (ai.response.) as a dict of their safe-loaded values, json.dumps'd. Its
 * input side also sets the message format, raw, before anything else is added. */
static bool vercel_io(struct tr_ctx *c, bool input, struct span_tr_kv *res)
{
    const char *prefix = input ? "ai.prompt." : "ai.response.";
    size_t pn = strlen(prefix);
    if (input && !get(c, K_FORMAT))
        add(c, K_FORMAT, "vercel_ai", 9, false);
    else if (input) { /* the span's own is overwritten where it stands */
        c->out->format_text = "vercel_ai";
        c->out->format_n = 9;
    }
    struct buf b;
    buf_init(&b, TEXT_MAX);
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct span_tr_kv *kv = &c->at[i];
        if (strncmp(kv->key, prefix, pn) != 0)
            continue;
        buf_puts(&b, k++ ? ", " : "{");
        pyjson_str(&b, kv->key + pn, strlen(kv->key + pn));
        buf_puts(&b, ": ");
        size_t on;
        bool is_str;
        const char *v = safe_load(c->a, kv->text, kv->n, &on, &is_str);
        if (input && strcmp(kv->key + pn, "tools") == 0)
            put_tools(c, &b, v, on, is_str);
        else
            put_loaded(&b, v, on, is_str);
    }
    bool ok = false;
    if (k) {
        buf_putc(&b, '}');
        ok = json_ascii_add(c, &b, res);
    }
    buf_release(&b);
    return ok;
}

/* Claude Code's tool output from its tool.output event: the first true, unredacted one of
 * output, content, diff, loaded when it is JSON text, dumped. */
static void claude_events(struct tr_ctx *c, const struct otlp_span *sp, span_tr_dump_fn dump)
{
    const char *k = claude_kind(c);
    if (!k || strcmp(k, "claude_code.tool") != 0)
        return;
    static const char *const keys[] = {"output", "content", "diff"};
    for (size_t i = 0; i < sp->nevents; i++) {
        if (strcmp(sp->events[i].name, "tool.output") != 0)
            continue;
        for (size_t j = 0; j < 3; j++) {
            const struct otlp_value *v = event_attr(&sp->events[i], keys[j]);
            if (!v)
                continue;
            struct buf b;
            buf_init(&b, TEXT_MAX);
            size_t st, en, e;
            bool loaded = v->kind == OTLP_V_STRING &&
                          pyjson_whole(v->s, v->n, &st, &en) != PYJSON_BAD;
            bool truthy = loaded ? text_truthy(v->s, v->n) : value_truthy(v);
            size_t sn;
            const char *ls = loaded ? text_str(c->a, v->s, v->n, &sn) : NULL;
            bool redacted = loaded ? ls && sn == 10 && strcmp(ls, "<REDACTED>") == 0
                                   : v->kind == OTLP_V_STRING && v->n == 10 &&
                                         memcmp(v->s, "<REDACTED>", 10) == 0;
            bool done = false;
            if (truthy && !redacted) {
                if (!loaded || redump(&b, v->s, en, st, &e) != 0) {
                    b.len = 0;
                    dump(&b, c->a, v);
                }
                if (buf_ok(&b)) {
                    add(c, K_OUTPUTS, arena_strndup(c->a, b.ptr ? b.ptr : "", b.len), b.len,
                        false);
                    done = true;
                }
            }
            buf_release(&b);
            if (done)
                return;
        }
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
        const struct span_tr_kv *cur = get(&c, K_TYPE);
        size_t sn, dn;
        const char *cs = cur ? text_str(a, cur->text, cur->n, &sn) : NULL;
        size_t st, en;
        bool is_null = cur && pyjson_whole(cur->text, cur->n, &st, &en) == PYJSON_NULL;
        bool unknown = cs && strcmp(cs, "UNKNOWN") == 0 && sn == 7;
        const char *d = dump_str(a, type, strlen(type), &dn);
        if (d && !cur)
            add(&c, K_TYPE, d, dn, false);
        else if (d && (is_null || unknown)) {
            out->type_text = d;
            out->type_n = dn;
        }
    }

    const char *io_keys[2] = {K_INPUTS, K_OUTPUTS};
    for (int io = 0; io < 2; io++) {
        if (get(&c, io_keys[io]))
            continue;
        const struct span_tr_kv *v = NULL;
        struct span_tr_kv special;
        for (size_t t = 0; t < NTR && !v; t++)
            if (TRANSLATORS[t].special == TR_CLAUDE)
                v = claude_io(&c, io == 0, &special) ? &special : NULL;
            else if (TRANSLATORS[t].special == TR_GEMINI)
                v = gemini_io(&c, &TRANSLATORS[t], io == 0, &special) ? &special : NULL;
            else if (TRANSLATORS[t].special == TR_VERCEL && vercel_chat(&c))
                v = vercel_io(&c, io == 0, &special) ? &special : NULL;
            else
                v = first_true(&c, io ? TRANSLATORS[t].outputs : TRANSLATORS[t].inputs);
        /* then the events of Spring AI, LiveKit (GenAI's) and Claude Code, in turn */
        if (v)
            add(&c, io_keys[io], v->text, v->n, false);
        else if (sp->nevents && !from_events(&c, sp, dump, io_keys[io], io == 0) &&
                 !genai_events(&c, sp, dump, io_keys[io], io == 0) && io == 1)
            claude_events(&c, sp, dump);
    }

    if (!get(&c, K_USAGE))
        usage(&c);

    if (!get(&c, K_FORMAT)) {
        const char *f = NULL;
        for (size_t t = 0; t < NTR && !f; t++) {
            const struct tr_def *d = &TRANSLATORS[t];
            for (const char *const *k = d->detect; k && *k && !f; k++)
                if (get(&c, *k))
                    f = d->format;
            if (d->special == TR_GEMINI && gemini_cli(&c))
                f = d->format;
            if (d->special == TR_LIVEKIT)
                for (size_t i = 0; i < n && !f; i++)
                    if (strncmp(attrs[i].key, "lk.", 3) == 0)
                        f = d->format;
        }
        size_t dn;
        const char *d = f ? dump_str(a, f, strlen(f), &dn) : NULL;
        if (d)
            add(&c, K_FORMAT, d, dn, false);
    }

    if (!get(&c, K_TOOLS)) {
        const struct span_tr_kv *v = NULL;
        for (size_t t = 0; t < NTR && !v; t++)
            v = first_true(&c, TRANSLATORS[t].tools);
        if (v)
            add(&c, K_TOOLS, v->text, v->n, false);
    }

    if (!get(&c, K_MODEL)) {
        const struct span_tr_kv *v = NULL;
        for (size_t t = 0; t < NTR && !v; t++)
            v = first_true(&c, TRANSLATORS[t].models);
        if (v)
            add_decoded(&c, K_MODEL, v);
        else
            model_from_io(&c);
    }

    if (!get(&c, K_PROVIDER)) {
        const struct span_tr_kv *v = NULL;
        for (size_t t = 0; t < NTR && !v; t++)
            if (TRANSLATORS[t].provider) {
                const char *one[2] = {TRANSLATORS[t].provider, NULL};
                v = first_true(&c, one);
            }
        if (v)
            add_decoded(&c, K_PROVIDER, v);
    }
}
