/* gzip for responses: a per-thread deflate stream (deflateReset between responses) and a
 * single deflate(Z_FINISH) into a buffer of deflateBound bytes. */
#include "gzip.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "../base/util.h"
#include "../base/banned.h"

/* Per-thread deflate state; freed by the key destructor when the thread exits. */
static pthread_key_t gz_key;
static pthread_once_t gz_once = PTHREAD_ONCE_INIT;

static void gz_free(void *p)
{
    z_stream *z = p;
    deflateEnd(z);
    free(z);
}

static void gz_key_init(void)
{
    if (pthread_key_create(&gz_key, gz_free) != 0)
        abort();
}

static z_stream *gz_stream(void)
{
    pthread_once(&gz_once, gz_key_init);
    z_stream *z = pthread_getspecific(gz_key);
    if (z) {
        if (deflateReset(z) == Z_OK)
            return z;
        gz_free(z);
        pthread_setspecific(gz_key, NULL);
    }
    z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    /* windowBits 15 + 16: gzip wrapper; memLevel 8 is zlib's default. */
    if (deflateInit2(z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        return NULL;
    }
    pthread_setspecific(gz_key, z);
    return z;
}

char *gz_compress(const void *in, size_t n, size_t *outlen)
{
    if (n > (size_t)UINT32_MAX) /* avail_in is 32 bits; such bodies are not sent whole */
        return NULL;
    z_stream *z = gz_stream();
    if (!z)
        return NULL;
    uLong bound = deflateBound(z, (uLong)n);
    if (bound > UINT32_MAX)
        return NULL;
    char *out = malloc(bound);
    if (!out)
        return NULL;
    z->next_in = (Bytef *)(uintptr_t)in;
    z->avail_in = (uInt)n;
    z->next_out = (Bytef *)out;
    z->avail_out = (uInt)bound;
    int rc = deflate(z, Z_FINISH);
    if (rc != Z_STREAM_END || z->total_out >= n) {
        if (rc != Z_STREAM_END)
            log_error("gzip: deflate failed (%d)", rc);
        free(out);
        return NULL;
    }
    *outlen = (size_t)z->total_out;
    return out;
}

/* Whether s[0..n) equals lit, ignoring case. */
static bool tok_eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Whether the parameters of one Accept-Encoding item say q=0 (0, 0.0, 0.00, 0.000). */
static bool q_is_zero(const char *p, size_t n)
{
    while (n) {
        while (n && (*p == ';' || *p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        size_t len = 0;
        while (len < n && p[len] != ';')
            len++;
        if (len >= 2 && (p[0] == 'q' || p[0] == 'Q')) {
            size_t i = 1;
            while (i < len && (p[i] == ' ' || p[i] == '\t'))
                i++;
            if (i < len && p[i] == '=') {
                i++;
                while (i < len && (p[i] == ' ' || p[i] == '\t'))
                    i++;
                bool zero = i < len && p[i] == '0';
                for (i++; zero && i < len; i++)
                    if (p[i] != '0' && p[i] != '.' && p[i] != ' ' && p[i] != '\t')
                        zero = false;
                return zero;
            }
        }
        p += len;
        n -= len;
    }
    return false;
}

bool gz_accepted(const char *ae)
{
    if (!ae)
        return false;
    const char *p = ae;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *t = p;
        size_t tl = len;
        while (tl && (*t == ' ' || *t == '\t')) {
            t++;
            tl--;
        }
        size_t nl = 0;
        while (nl < tl && t[nl] != ';' && t[nl] != ' ' && t[nl] != '\t')
            nl++;
        if ((tok_eq(t, nl, "gzip") || tok_eq(t, nl, "x-gzip") || tok_eq(t, nl, "*")) &&
            !q_is_zero(t + nl, tl - nl))
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

bool gz_compressible(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    if (n >= 5 && strncasecmp(ct, "text/", 5) == 0)
        return true;
    if (tok_eq(ct, n, "application/json") || tok_eq(ct, n, "application/javascript") ||
        tok_eq(ct, n, "application/xml") || tok_eq(ct, n, "image/svg+xml"))
        return true;
    /* application/<anything>+json, e.g. problem+json */
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
           strncasecmp(ct + n - 5, "+json", 5) == 0;
}
