/* The pure pieces of the S3 backend, kept apart from libcurl so they can be unit-tested
 * without a network: parsing s3:// destinations, building object keys and request URLs
 * (with the URI encoding SigV4 expects), and reading the few XML answers S3 gives. */
#ifndef MLT_ART_S3_PARSE_H
#define MLT_ART_S3_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/err.h"

/* A destination s3://bucket[/prefix]. Both strings malloc'd, owned; prefix has no leading
 * or trailing slash and may be "". */
struct s3_loc {
    char *bucket;
    char *prefix;
};

/* Parses uri; INVALID_PARAMETER_VALUE for a missing or malformed bucket name. */
int s3_loc_parse(const char *uri, struct s3_loc *out, struct err *e);
void s3_loc_release(struct s3_loc *l);

/* Where requests for one bucket go. */
struct s3_endpoint {
    char *bucket_url; /* "scheme://host[:port][/path]" naming the bucket; malloc'd, owned */
    bool path_style;  /* true: bucket_url ends in "/<bucket>"; false: the bucket is the host */
};

/* Chooses the addressing: with endpoint_url (MLFLOW_S3_ENDPOINT_URL) path style unless
 * style is "virtual"; without it AWS's virtual-hosted
 * https://<bucket>.s3.<region>.amazonaws.com unless style is "path" or the bucket name has
 * a dot (which breaks the wildcard TLS certificate). style may be NULL. */
int s3_endpoint_init(struct s3_endpoint *ep, const char *endpoint_url, const char *region,
                     const char *style, const char *bucket, struct err *e);
void s3_endpoint_release(struct s3_endpoint *ep);

/* Appends s[0..n) URI-encoded as SigV4 wants it: A-Z a-z 0-9 - . _ ~ stay, every other
 * byte becomes %XX (upper-case hex); '/' stays only when keep_slash. */
void s3_uri_encode(struct buf *b, const char *s, size_t n, bool keep_slash);

/* The object key for relpath under prefix: "prefix/relpath", or relpath when prefix is ""
 * (relpath "" gives the prefix). Appended to b. */
void s3_key(struct buf *b, const char *prefix, const char *relpath);

/* Appends the URL of key ("" or NULL: the bucket itself) with query (already encoded and
 * sorted by name, as curl 7.88 signs the query string verbatim; NULL for none). */
void s3_url(struct buf *b, const struct s3_endpoint *ep, const char *key, const char *query);

/* One child of a listing: name relative to the listed prefix. From the arena. */
struct s3_item {
    const char *name;
    bool is_dir;
    int64_t size;
};

/* One page of ListObjectsV2. */
struct s3_list_page {
    struct s3_item *items; /* from the arena */
    size_t n;
    bool truncated;
    const char *next_token; /* from the arena; NULL on the last page */
};

/* Parses a ListObjectsV2 answer for a request made with prefix. CommonPrefixes become
 * directories (without the trailing '/'); Contents become files. Keys equal to the prefix
 * or ending in '/' (folder markers) are skipped; with delimited, so are names that would
 * hold a '/'. -1 when the XML is not a ListBucketResult. */
int s3_parse_list(struct arena *a, const char *xml, size_t n, const char *prefix,
                  bool delimited, struct s3_list_page *out);

/* The decoded text of the element at path ("Root/Child/Leaf", the first match at each
 * level), from the arena; NULL when absent or when the XML is malformed. */
const char *s3_xml_get(struct arena *a, const char *xml, size_t n, const char *path);

/* The name of the document's root element, from the arena; NULL when malformed. */
const char *s3_xml_root(struct arena *a, const char *xml, size_t n);

/* Appends text with &, <, >, " escaped for an XML text node. */
void s3_xml_escape(struct buf *b, const char *s);

#endif
