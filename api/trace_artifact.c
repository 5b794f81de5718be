/* GET <static-prefix>/ajax-api/{2.0,3.0}/mlflow/get-trace-artifact?request_id=[&path=]: a
 * trace's data as the file traces.json, which the UI reads (MLflow's
 * get_trace_artifact_handler). Spans in the tracking store are sent as
 * {"spans":[<stored content>,...]}, each span's content byte for byte, roots first, then by
 * start; a trace whose spans live in its artifact location (logged by older clients, or
 * moved here from a server that kept them there) gets that location's traces.json. With
 * path, one of the trace's attachments (a UUID) from <location>/attachments/. */
#include <string.h>

#include "../store/traces.h"
#include "api.h"

#define TRACE_DATA_FILE "traces.json" /* MLflow's TRACE_DATA_FILE_NAME */

/* str(uuid.UUID(s)) == s: 8-4-4-4-12 lowercase hex, which is also what keeps the path
 * inside attachments/ (MLflow's _validate_attachment_path). */
static bool canonical_uuid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (strlen(s) != sizeof shape - 1)
        return false;
    for (size_t i = 0; shape[i]; i++) {
        bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
        if (shape[i] == '-' ? s[i] != '-' : !hex)
            return false;
    }
    return true;
}

/* The trace's artifact location, where its non-store data lives. */
static int location_of(struct ctx *c, const struct trace_info *t, const char **uri)
{
    *uri = kv_get(t->tags, t->ntags, TRACE_TAG_ARTIFACT_LOCATION);
    if (!*uri || !**uri)
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Trace %s has no artifact location (tag %s)", t->trace_id,
                       TRACE_TAG_ARTIFACT_LOCATION);
    return 0;
}

static int send_attachment(struct ctx *c, const char *id, const char *path)
{
    if (!canonical_uuid(path))
        return err_set(&c->e, ERR_INVALID_PARAMETER_VALUE,
                       "Invalid attachment path: '%s'. Attachment path must be a valid UUID.",
                       path);
    struct trace_info t;
    const char *uri;
    if (trace_get_info(&c->s, id, &t) != 0) {
        if (c->e.code == ERR_RESOURCE_DOES_NOT_EXIST)
            err_set(&c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Trace with ID '%s' not found.", id);
        return -1;
    }
    if (location_of(c, &t, &uri) != 0)
        return -1;
    const char *sub = arena_printf(c->s.a, "attachments/%s", path);
    if (art_send_location(c, uri, sub) == 0)
        return 0;
    if (c->e.code == ERR_RESOURCE_DOES_NOT_EXIST)
        err_set(&c->e, ERR_RESOURCE_DOES_NOT_EXIST, "No such artifact: '%s'", sub);
    return -1;
}

/* {"spans":[...]} from the stored contents, as MLflow's TraceData.to_json_bytes. */
static int send_stored_spans(struct ctx *c, const struct trace_info *t)
{
    struct span_row *spans = NULL;
    size_t n = 0;
    if (trace_get_spans(&c->s, t->trace_id, &spans, &n) != 0)
        return -1;
    struct buf *b = &c->out->body;
    buf_puts(b, "{\"spans\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ',');
        buf_append(b, spans[i].content, spans[i].content_n);
    }
    buf_puts(b, "]}");
    c->out->content_type = mime_type(TRACE_DATA_FILE);
    resp_header(c->out, "Content-Disposition", "attachment; filename=\"" TRACE_DATA_FILE "\"");
    resp_header(c->out, "X-Content-Type-Options", "nosniff");
    return 0;
}

static int h_get_trace_artifact(struct ctx *c)
{
    const char *id, *path;
    if (in_str(&c->in, "request_id", &id) != 0 || in_str(&c->in, "path", &path) != 0)
        return -1;
    if (!id || !*id)
        return err_set(&c->e, ERR_BAD_REQUEST,
                       "Request must include the \"request_id\" query parameter.");
    if (path && *path)
        return send_attachment(c, id, path);
    struct trace_info t;
    if (trace_get_info(&c->s, id, &t) != 0) {
        if (c->e.code == ERR_RESOURCE_DOES_NOT_EXIST)
            err_set(&c->e, ERR_RESOURCE_DOES_NOT_EXIST, "Trace with ID %s is not found.", id);
        return -1;
    }
    if (trace_spans_in_store(&t))
        return send_stored_spans(c, &t);
    const char *where = kv_get(t.tags, t.ntags, TRACE_TAG_SPANS_LOCATION);
    if (where && strcmp(where, "ARCHIVE_REPO") == 0)
        return err_set(&c->e, ERR_NOT_IMPLEMENTED,
                       "Trace %s was archived (traces.pb); mltrack does not read trace archives",
                       id);
    const char *uri;
    if (location_of(c, &t, &uri) != 0)
        return -1;
    if (art_send_location(c, uri, TRACE_DATA_FILE) == 0)
        return 0;
    if (c->e.code == ERR_RESOURCE_DOES_NOT_EXIST)
        err_set(&c->e, ERR_NOT_FOUND, "Trace data not found for path=" TRACE_DATA_FILE);
    return -1;
}

/* Mounted under the /ajax-api paths alone, as in MLflow. */
const struct route trace_artifact_routes[] = {
    {HTTP_GET, "/get-trace-artifact", h_get_trace_artifact, 0, RF_TRACKING | RF_RAW, NULL},
};
const size_t trace_artifact_routes_n =
    sizeof trace_artifact_routes / sizeof *trace_artifact_routes;
