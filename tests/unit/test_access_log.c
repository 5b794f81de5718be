/* Unit tests for the access log's lines (server/access_log.c): the common and JSON forms,
 * and what is redacted from a request-target and what is kept. */
#include <string.h>

#include "server/access_log.h"
#include "t.h"

static const char *redact(struct buf *b, const char *target)
{
    buf_clear(b);
    access_redact_target(b, target);
    buf_putc(b, '\0');
    return b->ptr;
}

static void test_redaction(void)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    T_STREQ(redact(&b, "/api/2.0/mlflow/runs/get?run_id=abc&metric_key=loss"),
            "/api/2.0/mlflow/runs/get?run_id=abc&metric_key=loss");
    T_STREQ(redact(&b, "/f?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA%2F1&X-Amz-Date=1"),
            "/f?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&X-Amz-Date=1");
    T_STREQ(redact(&b, "/f?access_token=t1&Password=p&api_key=k&session=s"),
            "/f?access_token=REDACTED&Password=REDACTED&api_key=REDACTED&session=REDACTED");
    T_STREQ(redact(&b, "/f?uri=postgresql://bob:hunter2@db/x&z"),
            "/f?uri=postgresql://bob:REDACTED@db/x&z");
    T_STREQ(redact(&b, "/f?uri=s3%3A%2F%2Fbob%3Ahunter2%40bucket"),
            "/f?uri=s3%3A%2F%2Fbob%3AREDACTED%40bucket");
    T_STREQ(redact(&b, "/f?path=a@b:c&&flag"), "/f?path=a@b:c&&flag");
    T_STREQ(redact(&b, "/no/query"), "/no/query");
    buf_release(&b);
}

static void test_common_and_json(void)
{
    struct access_entry e = {.client = "10.0.0.7", .user = "alice", .method = "POST",
                             .target = "/api/2.0/mlflow/runs/create?token=x",
                             .version = "HTTP/1.1", .status = 200, .bytes = 123,
                             .ns = 1500000};
    struct buf b;
    buf_init(&b, 1 << 16);
    access_log_format(&b, ACCESS_COMMON, &e, 1764662400); /* 2025-12-02 08:00:00 UTC */
    buf_putc(&b, '\0');
    T_STREQ(b.ptr, "10.0.0.7 - alice [02/Dec/2025:08:00:00 +0000] \"POST "
                   "/api/2.0/mlflow/runs/create?token=REDACTED HTTP/1.1\" 200 123 1.500ms\n");
    buf_clear(&b);
    e.user = NULL;
    e.bytes = -1;
    e.cut = true;
    e.target = "/a\"b\n";
    access_log_format(&b, ACCESS_COMMON, &e, 1764662400);
    buf_putc(&b, '\0');
    T_STREQ(b.ptr, "10.0.0.7 - - [02/Dec/2025:08:00:00 +0000] \"POST /a\\x22b\\x0a HTTP/1.1\" "
                   "200 - 1.500ms cut\n");
    buf_clear(&b);
    access_log_format(&b, ACCESS_JSON, &e, 1764662400);
    buf_putc(&b, '\0');
    T_STREQ(b.ptr, "{\"time\":\"2025-12-02T08:00:00Z\",\"client\":\"10.0.0.7\",\"user\":null,"
                   "\"method\":\"POST\",\"target\":\"/a\\\"b\\n\",\"status\":200,\"ms\":1.5,"
                   "\"cut\":true}\n");
    buf_release(&b);
}

int main(void)
{
    T_RUN(test_redaction);
    T_RUN(test_common_and_json);
    T_DONE();
}
