/* libFuzzer target for OTLP trace export bodies (api/otlp_pb.c, api/otlp_json.c) and what is made of them:
 * an accepted body's spans become MLflow span contents (api/span_content.c) that are valid
 * JSON and read back as OpenTelemetry proto JSON (api/span_otel.c). The input, as text, is
 * also read as a stored span itself (span_otel.c must turn any text json.loads reads as an
 * object into valid JSON, and refuse anything else), and as a proto Timestamp and Duration,
 * which print back to the same milliseconds, and as a root span's inputs, whose preview
 * (api/trace_preview.c) is at most 1,000 characters.
 *   ./fuzz_otlp tests/fuzz/corpus/otlp
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/otlp.h"
#include "api/pyjson_scan.h"
#include "api/span_content.h"
#include "api/span_otel.h"
#include "api/trace_json.h"
#include "api/trace_preview.h"
#include "base/arena.h"
#include "base/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void times(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return;
    memcpy(s, data, size);
    s[size] = 0;
    int64_t ms, back;
    char out[64];
    if (trace_json_parse_timestamp(s, &ms) == 0 && ms > -62135596800000LL &&
        ms < 253402300800000LL) {
        trace_json_timestamp(out, sizeof out, ms);
        if (trace_json_parse_timestamp(out, &back) != 0 || back != ms)
            abort();
    }
    if (trace_json_parse_duration(s, &ms) == 0) {
        trace_json_duration(out, sizeof out, ms);
        if (trace_json_parse_duration(out, &back) != 0 || back != ms)
            abort();
    }
    free(s);
}

static void convert(struct arena *pa, const struct otlp_request *rq);

/* content as get-trace sends it: 0 and valid JSON (as a strict reader takes it: no lone
 * surrogate, no number out of a double's range), or -1 with nothing written. */
static int to_otel(const char *content, size_t n)
{
    struct buf out;
    buf_init(&out, 1 << 26);
    struct jw w;
    jw_init(&w, &out);
    struct err e;
    int rc = span_otel_write(&w, content, n, &e);
    if (rc == 0) {
        json_t *j = json_loadb(out.ptr, out.len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
        if (!j || !json_is_object(j))
            abort();
        json_decref(j);
    } else if (out.len != 0) {
        abort();
    }
    buf_release(&out);
    return rc;
}

static void previews(struct arena *a, const uint8_t *data, size_t size)
{
    static const char *const roles[] = {"user", "assistant"};
    for (size_t r = 0; r < 2; r++) {
        const char *p = trace_preview(a, (const char *)data, size, roles[r]);
        size_t chars = 0;
        for (; p && *p; p++)
            chars += ((unsigned char)*p & 0xc0) != 0x80;
        if (chars > 1000)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    times(data, size);
    if (to_otel((const char *)data, size) != (pyjson_kind((const char *)data, size) == PYJSON_OBJECT ? 0 : -1))
        abort();
    struct arena a;
    arena_init(&a);
    previews(&a, data, size);
    struct err e;
    struct otlp_request rq;
    if (otlp_decode_pb(&a, data, size, &rq, &e) == 0)
        convert(&a, &rq);
    if (otlp_decode_json(&a, (const char *)data, size, &rq, &e) == 0)
        convert(&a, &rq);
    arena_release(&a);
    return 0;
}

static void convert(struct arena *a, const struct otlp_request *rq)
{
    struct err e;
    struct span_batch b;
    if (span_batch_from_otlp(a, rq, &b, &e) != 0)
        return;
    for (size_t i = 0; i < b.nrows; i++) {
        json_t *j = trace_json_load(b.rows[i].content, b.rows[i].content_n);
        if (!j || !json_is_object(j))
            abort(); /* the content is JSON that MLflow can read */
        json_decref(j);
        if (to_otel(b.rows[i].content, b.rows[i].content_n) != 0)
            abort();
    }
}
