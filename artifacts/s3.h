/* The S3 (and MinIO, and any S3-compatible server) backend (see art.h), over libcurl
 * with its built-in AWS SigV4 signing. */
#ifndef MLT_ART_S3_H
#define MLT_ART_S3_H

#include "art.h"

/* Opens s3://bucket[/prefix]. Reads, once: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_DEFAULT_REGION or AWS_REGION (default us-east-1),
 * MLFLOW_S3_ENDPOINT_URL (MinIO and other S3-compatible servers; path-style addressing),
 * AWS_S3_ADDRESSING_STYLE ("path" or "virtual"), AWS_CA_BUNDLE and MLFLOW_S3_IGNORE_TLS.
 * Nothing is contacted here; the first request tells whether the bucket is reachable.
 * NULL with e set on a malformed URI or setting. Call before starting threads (it runs
 * curl_global_init). */
struct art_store *art_s3_open(const char *uri, struct err *e);

#endif
