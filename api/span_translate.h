/* MLflow 3.17's translate_span_when_storing for spans from other OpenTelemetry
 * instrumentations (OpenInference, gen_ai.* semantic conventions, Traceloop, ...): the
 * MLflow attributes (span type, inputs, outputs, token usage, message format, tools, model,
 * provider) mlflow server adds to a span's stored content, read out of the attributes and
 * events each convention writes. api/span_content.c applies it as it writes the content. */
#ifndef MLT_API_SPAN_TRANSLATE_H
#define MLT_API_SPAN_TRANSLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/arena.h"
#include "../base/buf.h"
#include "otlp.h"

/* One attribute as MLflow holds it before translating: its key and its stored text (the
 * dumped value, encoded once; see attr_text in span_content.c). */
struct span_tr_kv {
    const char *key;
    const char *text;
    size_t n;
};

enum { SPAN_TR_MAX_ADD = 8 };

struct span_tr_out {
    /* mlflow.spanType's new text when the span had it as null or "UNKNOWN" (it keeps its
     * place); NULL otherwise. */
    const char *type_text;
    size_t type_n;
    /* mlflow.message.format's new text, in its place: Vercel AI's chat spans overwrite
     * one the span had. NULL otherwise. */
    const char *format_text;
    size_t format_n;
    /* Keys added after the span's own, in MLflow's order. A value with as_value set is
     * written into the content as JSON (an event's non-string value MLflow stores as it
     * is); otherwise as a string, as every other attribute is. */
    struct span_tr_kv add[SPAN_TR_MAX_ADD];
    bool as_value[SPAN_TR_MAX_ADD];
    size_t nadd;
};

/* Whether any translator could read something of this span: a key of a convention, an
 * event of one, or inputs/outputs that may name a model. False for MLflow's own spans,
 * which then cost nothing more. */
bool span_translate_wanted(const struct otlp_span *sp);

/* Whether key is one the gate above lets through (exposed for the unit test that checks
 * every key of the tables against it). */
bool span_translate_key_wanted(const char *key);

/* The keys each translator table reads, for that test: calls fn once per key. */
void span_translate_each_key(void (*fn)(const char *key, void *ctx), void *ctx);

/* Dumps an OTLP value as json.dumps writes the value MLflow decodes from it. */
typedef void (*span_tr_dump_fn)(struct buf *b, struct arena *a, const struct otlp_value *v);

/* Translates: attrs are the span's attributes as MLflow's dict holds them (unique keys, in
 * order, each with its kept value); events are the span's. Fills out (texts from the
 * arena). Never fails: what cannot be read is left out, as MLflow's translators do. */
void span_translate(struct arena *a, const struct span_tr_kv *attrs, size_t n,
                    const struct otlp_span *sp, span_tr_dump_fn dump, struct span_tr_out *out);

#endif
