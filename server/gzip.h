/* Response compression: whether a response qualifies, and a one-pass gzip into a buffer
 * sized with deflateBound. The deflate state is kept per thread and reset between uses,
 * so compressing allocates only the output. No libmicrohttpd here. */
#ifndef MLT_SERVER_GZIP_H
#define MLT_SERVER_GZIP_H

#include <stdbool.h>
#include <stddef.h>

/* Smallest body worth compressing. */
enum { GZ_MIN_BYTES = 1024 };

/* Whether an Accept-Encoding value (NULL when absent) accepts gzip: a "gzip", "x-gzip"
 * or "*" token whose q is not 0. */
bool gz_accepted(const char *accept_encoding);

/* Whether a Content-Type is text-like (JSON, text/ *, JavaScript, SVG, XML). */
bool gz_compressible(const char *content_type);

/* Compresses in[0..n) as one gzip member (level 1). Returns a malloc'd buffer (caller
 * frees) and its length in *outlen, or NULL when zlib fails or the result is not smaller
 * than the input (then send the original). */
char *gz_compress(const void *in, size_t n, size_t *outlen);

/* A gzip member compressed piece by piece (level 1), for bodies sent as they are made:
 * zlib's state (some 256 KiB) instead of the whole body. gz_stream_put deflates in[0..n)
 * onto out, finishing the member when last; -1 when zlib fails or out is full. */
struct gz_stream;
struct gz_stream *gz_stream_new(void);
struct buf;
int gz_stream_put(struct gz_stream *g, const void *in, size_t n, bool last, struct buf *out);
void gz_stream_free(struct gz_stream *g);

/* Request bodies: inflates a gzip (or zlib/raw deflate when deflate) body in[0..n) into out,
 * which must stay within its max (a body that inflates past it is refused, so a small
 * compressed body cannot grow without bound). 0, or -1 with a message in *why. */
int gz_inflate(const void *in, size_t n, bool deflate, struct buf *out, const char **why);

#endif
