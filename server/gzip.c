/* gzip for responses: a per-thread deflate stream (deflateReset between responses) and a
 * single deflate(Z_FINISH) into a buffer of deflateBound bytes. */
#include "gzip.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "../base/buf.h"
#include "../base/util.h"

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

/* ---- parallel gzip for large bodies ----
 * pigz's construction: the body is cut into pieces compressed at once on several cores as
 * raw deflate streams, each primed with the previous piece's last 32 KiB as dictionary and
 * ended with a sync flush (byte-aligned, not final) except the last, which finishes the
 * stream. Concatenated behind a gzip header they form one ordinary gzip member; the CRCs
 * of the pieces combine with crc32_combine. */

enum { GZ_PAR_MIN = 2 * 1024 * 1024, GZ_PIECE_MIN = 1024 * 1024, GZ_MAX_PIECES = 8,
       GZ_DICT = 32 * 1024 };

struct gz_piece {
    const unsigned char *in;
    size_t n;
    const unsigned char *dict; /* NULL for the first piece */
    size_t dict_n;
    bool last;
    unsigned char *out; /* malloc'd */
    size_t out_n;
    uLong crc;
    int ok;
};

static void *gz_piece_run(void *arg)
{
    struct gz_piece *p = arg;
    z_stream z;
    memset(&z, 0, sizeof z);
    p->ok = 0;
    if (deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong bound = deflateBound(&z, (uLong)p->n) + 16;
    p->out = malloc(bound);
    if (p->out && (!p->dict || deflateSetDictionary(&z, p->dict, (uInt)p->dict_n) == Z_OK)) {
        z.next_in = (Bytef *)(uintptr_t)p->in;
        z.avail_in = (uInt)p->n;
        z.next_out = p->out;
        z.avail_out = (uInt)bound;
        int rc = deflate(&z, p->last ? Z_FINISH : Z_SYNC_FLUSH);
        if ((p->last && rc == Z_STREAM_END) || (!p->last && rc == Z_OK && z.avail_in == 0)) {
            p->out_n = (size_t)(bound - z.avail_out);
            p->ok = 1;
        }
    }
    p->crc = crc32(0L, (const Bytef *)p->in, (uInt)p->n);
    deflateEnd(&z);
    return NULL;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static char *gz_compress_parallel(const unsigned char *in, size_t n, size_t *outlen)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t pieces = cores > 1 ? (size_t)cores : 1;
    if (pieces > GZ_MAX_PIECES)
        pieces = GZ_MAX_PIECES;
    if (pieces > n / GZ_PIECE_MIN)
        pieces = n / GZ_PIECE_MIN;
    if (pieces < 2)
        return NULL;
    struct gz_piece pc[GZ_MAX_PIECES];
    pthread_t th[GZ_MAX_PIECES];
    bool started[GZ_MAX_PIECES] = {false};
    size_t per = n / pieces;
    for (size_t i = 0; i < pieces; i++) {
        size_t off = i * per;
        pc[i] = (struct gz_piece){.in = in + off, .n = i + 1 == pieces ? n - off : per,
                                  .last = i + 1 == pieces};
        if (i > 0) {
            pc[i].dict = in + off - GZ_DICT;
            pc[i].dict_n = GZ_DICT;
        }
    }
    /* Pieces 1.. on their own threads, piece 0 on this one. */
    for (size_t i = 1; i < pieces; i++)
        started[i] = pthread_create(&th[i], NULL, gz_piece_run, &pc[i]) == 0;
    gz_piece_run(&pc[0]);
    for (size_t i = 1; i < pieces; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            gz_piece_run(&pc[i]); /* no thread to be had: do it here */
    }
    size_t total = 10 + 8;
    bool ok = true;
    for (size_t i = 0; i < pieces; i++) {
        ok &= pc[i].ok != 0;
        total += pc[i].out_n;
    }
    char *out = ok && total < n ? malloc(total) : NULL;
    if (out) {
        static const unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
        memcpy(out, hdr, sizeof hdr);
        size_t o = sizeof hdr;
        uLong crc = pc[0].crc;
        for (size_t i = 0; i < pieces; i++) {
            memcpy(out + o, pc[i].out, pc[i].out_n);
            o += pc[i].out_n;
            if (i > 0)
                crc = crc32_combine(crc, pc[i].crc, (z_off_t)pc[i].n);
        }
        put_le32((unsigned char *)out + o, (uint32_t)crc);
        put_le32((unsigned char *)out + o + 4, (uint32_t)n);
        *outlen = o + 8;
    }
    for (size_t i = 0; i < pieces; i++)
        free(pc[i].out);
    return out;
}

char *gz_compress(const void *in, size_t n, size_t *outlen)
{
    if (n >= GZ_PAR_MIN && n <= (size_t)UINT32_MAX) {
        char *out = gz_compress_parallel(in, n, outlen);
        if (out)
            return out;
    }
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

/* ---- one member, piece by piece ---- */

struct gz_stream {
    z_stream z;
};

struct gz_stream *gz_stream_new(void)
{
    struct gz_stream *g = calloc(1, sizeof *g);
    if (g && deflateInit2(&g->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(g);
        g = NULL;
    }
    return g;
}

int gz_stream_put(struct gz_stream *g, const void *in, size_t n, bool last, struct buf *out)
{
    g->z.next_in = (Bytef *)(uintptr_t)in;
    g->z.avail_in = (uInt)n;
    for (;;) {
        size_t room = deflateBound(&g->z, g->z.avail_in) + 64;
        if (!buf_reserve(out, room))
            return -1;
        g->z.next_out = (Bytef *)out->ptr + out->len;
        g->z.avail_out = (uInt)room;
        int rc = deflate(&g->z, last ? Z_FINISH : Z_NO_FLUSH);
        out->len += room - g->z.avail_out;
        out->ptr[out->len] = '\0';
        if (rc == Z_STREAM_END || (!last && g->z.avail_in == 0 && rc == Z_OK))
            return 0;
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return -1;
    }
}

void gz_stream_free(struct gz_stream *g)
{
    if (g) {
        deflateEnd(&g->z);
        free(g);
    }
}

int gz_inflate(const void *in, size_t n, bool deflate, struct buf *out, const char **why)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* 16 + 15: gzip; 15: zlib; a deflate body without the zlib header is tried as raw. */
    if (inflateInit2(&z, deflate ? 15 : 16 + 15) != Z_OK) {
        *why = "the decompressor could not start";
        return -1;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    int rc = Z_OK;
    char chunk[64 * 1024];
    bool raw_tried = false;
    while (rc != Z_STREAM_END) {
        z.next_out = (Bytef *)chunk;
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_DATA_ERROR && deflate && !raw_tried && out->len == 0 && z.total_out == 0) {
            raw_tried = true;
            inflateEnd(&z);
            memset(&z, 0, sizeof z);
            if (inflateInit2(&z, -15) != Z_OK)
                break;
            z.next_in = (Bytef *)in;
            z.avail_in = (uInt)n;
            rc = Z_OK;
            continue;
        }
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        buf_append(out, chunk, sizeof chunk - z.avail_out);
        if (!buf_ok(out)) {
            inflateEnd(&z);
            *why = "the body is larger than this endpoint accepts once decompressed";
            return -1;
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            rc = Z_BUF_ERROR; /* the input ended before the stream did */
            break;
        }
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        *why = "the body is not valid gzip/deflate data";
        return -1;
    }
    return 0;
}
