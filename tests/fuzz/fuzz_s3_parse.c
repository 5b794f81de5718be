/* libFuzzer target for what the S3 backend parses (artifacts/s3_parse.c): every input is an
 * S3 answer (ListObjectsV2 pages, multipart and error documents) read as the backend reads
 * them, and an s3:// destination. Nothing may crash or leak; listed names are never empty
 * and, for a delimited listing, hold no '/'; sizes are not negative.
 *   ./fuzz_s3_parse tests/fuzz/corpus/s3_parse
 * Linked with replay.c instead of libFuzzer, it replays its corpus as a normal test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "artifacts/s3_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *xml = (const char *)data;
    struct arena a;
    arena_init(&a);
    for (int delimited = 0; delimited < 2; delimited++) {
        static const char *const prefixes[] = {"", "p/", "p/q/"};
        for (size_t k = 0; k < sizeof prefixes / sizeof *prefixes; k++) {
            struct s3_list_page pg;
            if (s3_parse_list(&a, xml, size, prefixes[k], delimited, &pg) != 0)
                continue;
            for (size_t i = 0; i < pg.n; i++) {
                const struct s3_item *it = &pg.items[i];
                if (!it->name || !*it->name || (delimited && strchr(it->name, '/')) ||
                    it->size < 0)
                    abort();
            }
        }
    }
    static const char *const paths[] = {"InitiateMultipartUploadResult/UploadId",
                                        "Error/Code", "Error/Message",
                                        "ListBucketResult/NextContinuationToken"};
    for (size_t k = 0; k < sizeof paths / sizeof *paths; k++)
        s3_xml_get(&a, xml, size, paths[k]);
    s3_xml_root(&a, xml, size);

    /* The same bytes as a destination URI and as a key to encode. */
    char *uri = arena_strndup(&a, xml, size);
    struct s3_loc loc;
    struct err e;
    if (s3_loc_parse(uri, &loc, &e) == 0) {
        struct s3_endpoint ep;
        if (s3_endpoint_init(&ep, NULL, "us-east-1", NULL, loc.bucket, &e) == 0)
            s3_endpoint_release(&ep);
        s3_loc_release(&loc);
    }
    struct buf b;
    buf_init(&b, 1 << 24);
    bool keep_slash = size & 1;
    s3_uri_encode(&b, xml, size, keep_slash);
    for (size_t i = 0; i < b.len; i++) {
        char c = b.ptr[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (c && strchr("-._~%", c)) || (c == '/' && keep_slash)))
            abort();
    }
    buf_clear(&b);
    s3_xml_escape(&b, uri);
    buf_release(&b);
    arena_release(&a);
    return 0;
}
