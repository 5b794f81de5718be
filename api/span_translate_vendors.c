/* The span translators with code of their own, as MLflow's subclasses override base.py:
 * Claude Code (everything keyed by span.type), Gemini CLI (wrapped messages), GenAI's
 * message events (as LiveKit reads them) and the Vercel AI SDK (chat keys gathered). Their
 * tables stay in span_translate.c with the others; their code is apart so that the generic
 * code reads as base.py does, and each vendor's exceptions are read here. */
#include "span_translate_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/utf8.h"
#include "pyjson.h"
#include "pyjson_scan.h"

/* b (a JSON text) ASCII-escaped as json.dumps writes it, handed out as res. */
static bool json_ascii_add(struct tr_ctx *c, struct buf *b, struct span_tr_kv *res)
{
    struct buf as;
    buf_init(&as, TEXT_MAX);
    tr_ascii_escape(&as, b->ptr ? b->ptr : "", b->len);
    bool ok = buf_ok(b) && buf_ok(&as);
    if (ok)
        *res = (struct span_tr_kv){NULL, arena_strndup(c->a, as.ptr, as.len), as.len};
    buf_release(&as);
    return ok;
}

/* ---- Claude Code: everything hangs on span.type ---- */

static const char CLAUDE_PREFIX[] = "claude_code.";

/* The known claude_code.* span type the span.type attribute names (with or without the
 * prefix), or NULL. */
const char *tr_claude_kind(const struct tr_ctx *c)
{
    const struct span_tr_kv *kv = tr_get(c, "span.type");
    size_t sn;
    const char *s = kv ? tr_text_str(c->a, kv->text, kv->n, &sn) : NULL;
    if (!s || strlen(s) != sn)
        return NULL;
    const char *full = strncmp(s, CLAUDE_PREFIX, sizeof CLAUDE_PREFIX - 1) == 0
                           ? s
                           : arena_printf(c->a, "%s%s", CLAUDE_PREFIX, s);
    for (const struct tr_kind *k = tr_claude_kinds; k->otel; k++)
        if (strcmp(k->otel, full) == 0)
            return k->otel;
    return NULL;
}

/* ClaudeCodeTranslator._get_int: int() of the loaded value (a float truncated, a bool as
 * 0 or 1, a string as int() reads it). */
struct tr_int tr_claude_int(const struct tr_ctx *c, const char *key)
{
    struct tr_int r = {0};
    const struct span_tr_kv *kv = tr_get(c, key);
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
        r = tr_text_int(c->a, kv->text, kv->n);
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
    const struct span_tr_kv *kv = tr_first_true(c, one);
    size_t sn;
    const char *s = kv ? tr_text_str(c->a, kv->text, kv->n, &sn) : NULL;
    if (s && strcmp(s, "<REDACTED>") == 0 && sn == 10)
        return NULL;
    return kv;
}

/* Claude Code's input (interaction, LLM request, tool) or output (LLM request, tool):
 * true with *res set when it has one. A tool without tool_input gives its details
 * (command, file, skill, subagent) as a json.dumps'd dict. */
bool tr_claude_io(struct tr_ctx *c, bool input, struct span_tr_kv *res)
{
    const char *k = tr_claude_kind(c);
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
                tr_redump(&b, d->text, en, st, &e) != 0) {
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

/* Claude Code's tool output from its tool.output event: the first true, unredacted one of
 * output, content, diff, loaded when it is JSON text, dumped. */
void tr_claude_events(struct tr_ctx *c, const struct otlp_span *sp, span_tr_dump_fn dump)
{
    const char *k = tr_claude_kind(c);
    if (!k || strcmp(k, "claude_code.tool") != 0)
        return;
    static const char *const keys[] = {"output", "content", "diff"};
    for (size_t i = 0; i < sp->nevents; i++) {
        if (strcmp(sp->events[i].name, "tool.output") != 0)
            continue;
        for (size_t j = 0; j < 3; j++) {
            const struct otlp_value *v = tr_event_attr(&sp->events[i], keys[j]);
            if (!v)
                continue;
            struct buf b;
            buf_init(&b, TEXT_MAX);
            size_t st, en, e;
            bool loaded = v->kind == OTLP_V_STRING &&
                          pyjson_whole(v->s, v->n, &st, &en) != PYJSON_BAD;
            bool truthy = loaded ? tr_text_truthy(v->s, v->n) : tr_value_truthy(v);
            size_t sn;
            const char *ls = loaded ? tr_text_str(c->a, v->s, v->n, &sn) : NULL;
            bool redacted = loaded ? ls && sn == 10 && strcmp(ls, "<REDACTED>") == 0
                                   : v->kind == OTLP_V_STRING && v->n == 10 &&
                                         memcmp(v->s, "<REDACTED>", 10) == 0;
            bool done = false;
            if (truthy && !redacted) {
                if (!loaded || tr_redump(&b, v->s, en, st, &e) != 0) {
                    b.len = 0;
                    dump(&b, c->a, v);
                }
                if (buf_ok(&b)) {
                    tr_add(c, K_OUTPUTS, arena_strndup(c->a, b.ptr ? b.ptr : "", b.len),
                           b.len, false);
                    done = true;
                }
            }
            buf_release(&b);
            if (done)
                return;
        }
    }
}

/* ---- Gemini CLI: GenAI spans whose gen_ai.agent.name is "gemini-cli" ---- */

bool tr_gemini_cli(const struct tr_ctx *c)
{
    const struct span_tr_kv *kv = tr_get(c, "gen_ai.agent.name");
    size_t sn;
    const char *s = kv ? tr_text_str(c->a, kv->text, kv->n, &sn) : NULL;
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
bool tr_gemini_io(struct tr_ctx *c, const struct tr_def *d, bool input, struct span_tr_kv *res)
{
    if (!tr_gemini_cli(c))
        return false;
    const struct span_tr_kv *v = tr_first_true(c, input ? d->inputs : d->outputs);
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
        if (k == PYJSON_BAD || tr_redump(&b, v->text, en, st, &e) != 0) {
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
                    if (tr_redump(&b, s, pen, q, &qe) != 0)
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

/* ---- GenAI's message events (read through LiveKit, the event translator built on it) ---- */

/* _decode_json_value then json.dumps: a string that loads reads is written as what it
 * reads to; any other string as a string, other values as MLflow decodes them. */
static void put_decoded(struct buf *b, struct arena *a, const struct otlp_value *v,
                        span_tr_dump_fn dump)
{
    size_t st, en;
    if (v->kind == OTLP_V_STRING && pyjson_whole(v->s, v->n, &st, &en) != PYJSON_BAD) {
        size_t mark = b->len, e;
        if (tr_redump(b, v->s, en, st, &e) == 0)
            return;
        b->len = mark;
    }
    dump(b, a, v);
}

/* GenAiTranslator.get_input/output_value_from_events: the message events as a list of
 * {"role", "content"}, json.dumps'd; false without one. */
bool tr_genai_events(struct tr_ctx *c, const struct otlp_span *sp, span_tr_dump_fn dump,
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
            rv = tr_event_attr(ev, "role");
        }
        const struct otlp_value *content = role ? tr_event_attr(ev, "content") : NULL;
        if (!content || !tr_value_truthy(content))
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
        tr_ascii_escape(&as, b.ptr, b.len);
        if (buf_ok(&as)) {
            tr_add(c, key, arena_strndup(c->a, as.ptr, as.len), as.len, false);
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
        const char *t = tr_text_str(a, s, n, &sn);
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
    if (!is_str && tr_redump(b, s, n, 0, &e) == 0)
        return;
    b->len = mark;
    pyjson_str(b, s, n);
}

bool tr_vercel_chat(const struct tr_ctx *c)
{
    const struct span_tr_kv *kv = tr_get(c, "ai.operationId");
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
            const char *raw = kind == PYJSON_STRING ? tr_text_str(c->a, s + j, e - j, &rn) : NULL;
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
bool tr_vercel_io(struct tr_ctx *c, bool input, struct span_tr_kv *res)
{
    const char *prefix = input ? "ai.prompt." : "ai.response.";
    size_t pn = strlen(prefix);
    if (input && !tr_get(c, K_FORMAT))
        tr_add(c, K_FORMAT, "vercel_ai", 9, false);
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

