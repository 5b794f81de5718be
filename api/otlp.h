/* OTLP trace export requests (opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest)
 * decoded into plain C from the binary protobuf encoding (api/otlp_pb.c) or the JSON one
 * (api/otlp_json.c). Only what MLflow keeps is kept:
 * ids, names, times, attributes, events, links, status and the resource's attributes.

 * Everything is from the arena passed in. */
#ifndef MLT_API_OTLP_H
#define MLT_API_OTLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/err.h"

/* Nesting of AnyValue arrays and key-value lists beyond this is refused (protobuf's own
 * recursion limit is 100; no span attribute needs more). */
#define OTLP_MAX_DEPTH 32

enum otlp_vkind {
    OTLP_V_NONE, /* no value set: null */
    OTLP_V_STRING,
    OTLP_V_BOOL,
    OTLP_V_INT,
    OTLP_V_DOUBLE,
    OTLP_V_ARRAY,
    OTLP_V_KVLIST,
    OTLP_V_BYTES,
};

struct otlp_kv;

struct otlp_value {
    enum otlp_vkind kind;
    const char *s; /* STRING, BYTES: s[0..n) (strings are valid UTF-8) */
    size_t n;      /* also the item count of ARRAY and KVLIST */
    bool b;
    int64_t i;
    double d;
    struct otlp_value *items; /* ARRAY */
    struct otlp_kv *kvs;      /* KVLIST */
};

struct otlp_kv {
    const char *key; /* NUL-terminated */
    struct otlp_value v;
};

struct otlp_attrs {
    struct otlp_kv *kv;
    size_t n;
};

struct otlp_event {
    const char *name;
    uint64_t time_unix_nano;
    struct otlp_attrs attrs;
};

struct otlp_link {
    uint8_t trace_id[16], span_id[8];
    size_t trace_id_n, span_id_n;
    const char *trace_state;
    struct otlp_attrs attrs;
};

enum otlp_status { OTLP_STATUS_UNSET = 0, OTLP_STATUS_OK = 1, OTLP_STATUS_ERROR = 2 };

struct otlp_span {
    uint8_t trace_id[16], span_id[8], parent_span_id[8];
    /* The lengths as sent; the decoders refuse ids of other sizes, and parent_span_id_n is 0
     * for a root span. */
    size_t trace_id_n, span_id_n, parent_span_id_n;
    const char *name;
    uint64_t start_time_unix_nano, end_time_unix_nano;
    struct otlp_attrs attrs;
    struct otlp_event *events;
    size_t nevents;
    struct otlp_link *links;
    size_t nlinks;
    int status_code; /* enum otlp_status; other values read as UNSET, as MLflow does */
    const char *status_message;
    const struct otlp_attrs *resource; /* of the ResourceSpans the span came in */
};

struct otlp_request {
    struct otlp_span *spans; /* every span of every ResourceSpans and ScopeSpans, in order */
    size_t nspans;
    size_t nresources; /* ResourceSpans seen (MLflow refuses a request with none) */
};

/* Decodes the OTLP JSON encoding (api/otlp_json.c): camelCase or original field names, ids
 * in hex as the OTLP spec writes them, 64-bit numbers as strings or numbers. Same result and
 * errors as otlp_decode_pb. */
int otlp_decode_json(struct arena *a, const char *p, size_t n, struct otlp_request *out,
                     struct err *e);

/* Decodes a binary protobuf body. 0, or -1 with e set (INVALID_PARAMETER_VALUE with what
 * was wrong and where) for anything malformed: truncated fields, wrong wire types for known
 * fields, ids of the wrong size, strings that are not UTF-8, nesting deeper than
 * OTLP_MAX_DEPTH. Unknown fields are skipped, as protobuf does. */
int otlp_decode_pb(struct arena *a, const uint8_t *p, size_t n, struct otlp_request *out,
                   struct err *e);

#endif
