/* What the span translator's three files share, inside api/ only: span_translate.c (the
 * tables, the generic code and its lookups on a span's attributes), span_translate_vendors.c
 * (the translators with code of their own) and span_translate_redump.c (json.dumps' writing
 * of a loaded text). Texts handed out are from the translation's arena. */
#ifndef MLT_API_SPAN_TRANSLATE_INTERNAL_H
#define MLT_API_SPAN_TRANSLATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/buf.h"
#include "otlp.h"
#include "span_translate.h"

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

/* A token count: value, and whether loads gave a bool (True counts as 1 and dumps as
 * true). Counts beyond 2^62 are not read (Python's ints have no bound; no count is so). */
struct tr_int {
    bool set, is_bool;
    int64_t v;
};

/* One translation: the span's attributes (at, n) and what it has added so far (out). */
struct tr_ctx {
    struct arena *a;
    const struct span_tr_kv *at;
    size_t n;
    struct span_tr_out *out;
};

/* span_translate.c: Claude Code's kinds table; the stored texts read as json.loads reads
 * them; the attributes as translation grows them (tr_get looks at what tr_add added before
 * the span's own); an event's attributes. */
extern const struct tr_kind tr_claude_kinds[];
bool tr_text_truthy(const char *s, size_t n);
const char *tr_text_str(struct arena *a, const char *s, size_t n, size_t *on);
struct tr_int tr_text_int(struct arena *a, const char *s, size_t n);
const struct span_tr_kv *tr_get(const struct tr_ctx *c, const char *key);
void tr_add(struct tr_ctx *c, const char *key, const char *text, size_t n, bool as_value);
const struct span_tr_kv *tr_first_true(const struct tr_ctx *c, const char *const *keys);
const struct otlp_value *tr_event_attr(const struct otlp_event *ev, const char *key);
bool tr_value_truthy(const struct otlp_value *v);

/* span_translate_redump.c: a JSON text written again as json.dumps writes it, and its
 * ASCII escaping. */
int tr_redump(struct buf *b, const char *s, size_t n, size_t i, size_t *end);
void tr_ascii_escape(struct buf *out, const char *s, size_t n);

/* span_translate_vendors.c: the translators with code of their own, as the generic code
 * calls them. */
const char *tr_claude_kind(const struct tr_ctx *c);
struct tr_int tr_claude_int(const struct tr_ctx *c, const char *key);
bool tr_claude_io(struct tr_ctx *c, bool input, struct span_tr_kv *res);
void tr_claude_events(struct tr_ctx *c, const struct otlp_span *sp, span_tr_dump_fn dump);
bool tr_gemini_cli(const struct tr_ctx *c);
bool tr_gemini_io(struct tr_ctx *c, const struct tr_def *d, bool input, struct span_tr_kv *res);
bool tr_genai_events(struct tr_ctx *c, const struct otlp_span *sp, span_tr_dump_fn dump,
                     const char *key, bool input);
bool tr_vercel_chat(const struct tr_ctx *c);
bool tr_vercel_io(struct tr_ctx *c, bool input, struct span_tr_kv *res);

#endif
