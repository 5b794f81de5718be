/* POST /v1/traces: OpenTelemetry's OTLP/HTTP trace export, as MLflow's server takes it
 * (mlflow/server/otel_api.py): the experiment from the x-mlflow-experiment-id header, the
 * body decoded (api/otlp_pb.c), the spans converted to MLflow's stored form
 * (api/span_content.c) and written in one transaction, all or nothing. The reply is an
 * empty ExportTraceServiceResponse. */
#include <string.h>
#include <strings.h>

#include "../base/cpu_gate.h"
#include "../store/traces.h"
#include "api.h"
#include "otlp.h"
#include "span_content.h"
#include "trace_usage.h"

static const char *header(struct ctx *c, const char *name)
{
    struct req *r = c->r;
    return r->header ? r->header(r->hctx, name) : NULL;
}

static bool media_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    while (*ct == ' ')
        ct++;
    return strncasecmp(ct, want, n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

/* The body decoded and turned into the spans' rows: the request's CPU-bound part, which
 * runs inside the CPU gate (base/cpu_gate.h; 8 client threads on 2 cores: 45,676 ->
 * 48,059 spans/s, medians of 6 interleaved rounds). */
static int decode(struct ctx *c, bool pb, struct span_batch *b)
{
    struct otlp_request rq;
    const char *body = c->r->body ? c->r->body : "";
    int rc = pb ? otlp_decode_pb(c->s.a, (const uint8_t *)body, c->r->body_len, &rq, &c->e)
                : otlp_decode_json(c->s.a, body, c->r->body_len, &rq, &c->e);
    if (rc != 0)
        return -1;
    if (rq.nresources == 0)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid OpenTelemetry format - no spans found");
    return span_batch_from_otlp(c->s.a, &rq, b, &c->e);
}

static int h_export(struct ctx *c)
{
    const char *exp = header(c, "x-mlflow-experiment-id");
    if (!exp || !*exp)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Missing required header 'X-MLflow-Experiment-Id'");
    int64_t exp_id;
    if (exp_parse_id(&c->s, exp, &exp_id) != 0)
        return -1;
    const char *ct = c->r->content_type;
    bool pb = ct && media_is(ct, "application/x-protobuf");
    bool js = ct && media_is(ct, "application/json");
    if (!pb && !js)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid Content-Type: %s. Expected: application/x-protobuf or "
                       "application/json",
                       ct ? ct : "None");
    const char *enc = header(c, "content-encoding");
    if (!c->r->body_inflated && enc && *enc && strcasecmp(enc, "identity") != 0)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Unsupported Content-Encoding: %s (gzip, deflate or none)", enc);
    struct span_batch b;
    cpu_gate_enter();
    int rc = decode(c, pb, &b);
    cpu_gate_leave();
    if (rc != 0)
        return -1;
    if (b.nrows && trace_log_spans(&c->s, exp_id, b.rows, b.nrows, b.aggs, b.naggs,
                                  span_usage_from_content) != 0)
        return -1;
    const char *run = header(c, "x-mlflow-run-id");
    if (run && *run) {
        /* MLflow links the completed traces (those whose root span came) and only logs a
         * failure to link. */
        const char **ids = arena_calloc(c->s.a, b.naggs ? b.naggs : 1, sizeof *ids);
        size_t n = 0;
        for (size_t i = 0; i < b.naggs; i++)
            if (b.aggs[i].root_status)
                ids[n++] = b.aggs[i].trace_id;
        struct err saved = c->e;
        if (n && trace_link_to_run(&c->s, ids, n, run) != 0) {
            log_msg(LOG_WARN, "OTLP export: linking %zu traces to run %s failed: %s", n, run,
                    c->e.msg);
            c->e = saved;
        }
    }
    return reply_empty(c);
}

const struct route otlp_routes[] = {
    {HTTP_POST, "/v1/traces", h_export, 64 * MB, RF_TRACKING | RF_BINARY_IN | RF_GZIP_IN, NULL},
};
const size_t otlp_routes_n = sizeof otlp_routes / sizeof *otlp_routes;
