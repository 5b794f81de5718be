/* HTTP/1.1 request framing, checked by the book (RFC 9112) on every byte a connection
 * receives, before libmicrohttpd parses it. libmicrohttpd 0.9.75 is lenient where leniency
 * lets two parsers disagree about where a request ends (Content-Length beside
 * Transfer-Encoding, several Content-Lengths, unknown codings, bare CR, obs-fold), answers
 * some malformed heads with its status line sent twice, and overflows its per-connection
 * pool on heads with many parts. So a request is only handed on once this checker has
 * accepted it: for what passes, libmicrohttpd and this file agree on every boundary.
 * Pure code: no sockets, no libmicrohttpd. */
#ifndef MLT_SERVER_FRAMING_H
#define MLT_SERVER_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    /* Largest request head (request line, fields, line ends). mlflow server (uvicorn with
     * h11) takes heads of 16 KiB reliably and up to about 80 KiB when they arrive at once;
     * 64 KiB holds 1,000 run ids in a query string. */
    FRAMING_HEAD_MAX = 64 * 1024,
    FRAMING_FIELDS_MAX = 256,  /* header fields per head */
    FRAMING_PARAMS_MAX = 1024, /* '&'-separated query arguments (URL_MAX_QUERY_PAIRS) */
    FRAMING_COOKIES_MAX = 256, /* ';'-separated cookies over all Cookie fields */
    FRAMING_CHUNK_LINE_MAX = 1024, /* a chunk-size line with its extensions */
    FRAMING_TRAILER_MAX = 8 * 1024, /* the trailer section of a chunked body */
    FRAMING_TRAILER_FIELDS_MAX = 32,
};

/* libmicrohttpd keeps each header field, query argument and cookie of a head in its
 * connection pool next to the head itself (and a copy of the Cookie field); the pool size
 * that the limits above need. */
enum { FRAMING_POOL_BYTES = 256 * 1024 };

enum framing_error {
    FR_OK = 0,
    FR_BAD_REQUEST_LINE,     /* 400 */
    FR_BAD_VERSION,          /* 505: HTTP/2.0 and the like */
    FR_BAD_FIELD,            /* 400: not a token and a colon; obs-fold; space before ':' */
    FR_BAD_FIELD_VALUE,      /* 400: NUL or another control byte in a value */
    FR_BAD_LINE_END,         /* 400: CR not followed by LF */
    FR_HOST,                 /* 400: HTTP/1.1 without Host, or several Host fields */
    FR_BAD_CONTENT_LENGTH,   /* 400: not 1*DIGIT, or over 2^63-1 */
    FR_MANY_CONTENT_LENGTH,  /* 400 */
    FR_CL_AND_TE,            /* 400 */
    FR_BAD_TRANSFER_ENCODING,/* 400: anything but one "chunked"; any in HTTP/1.0 */
    FR_BAD_CHUNK,            /* 400 */
    FR_CHUNK_TOO_LARGE,      /* 400: a chunk size over 2^63-1 */
    FR_TARGET_TOO_LONG,      /* 414 */
    FR_TOO_MANY_PARAMS,      /* 414 */
    FR_HEAD_TOO_LARGE,       /* 431 */
    FR_TOO_MANY_FIELDS,      /* 431 */
    FR_TRAILER_TOO_LARGE,    /* 431 */
};

/* The checker's state for one connection: zero it (or framing_init) when the connection
 * opens; it follows request after request. */
struct framing {
    uint8_t state;
    uint8_t version;     /* 10 or 11 once the request line is in */
    bool cr;             /* the previous byte was a CR: this one must be LF */
    bool in_query;       /* inside the request target, after '?' */
    bool started;        /* a byte of the current message has arrived */
    bool done_one;       /* a whole message has gone by on this connection */
    bool trailer;        /* the field lines are a chunked body's trailer section */
    bool any;            /* the current token (method, target, chunk size) is not empty */
    uint8_t field;       /* which field the current line is (content-length, ...) */
    uint8_t name_len, val_len, ver_len;
    bool val_skip_ws;    /* still skipping the OWS after the colon */
    char name[20];       /* field name so far, lowercased (only the start is kept) */
    char val[24];        /* value of a Content-Length / Transfer-Encoding field */
    char ver[8];
    uint8_t ncl, nte, nhost;
    uint16_t nfields, nparams, ncookies;
    uint32_t head_len;   /* bytes of the current head (or trailer section) */
    uint32_t line_len;   /* bytes of the current chunk-size line */
    uint64_t remaining;  /* bytes left of a Content-Length body or a chunk; while a
                            chunk-size line is read, the size so far */
    int64_t cl;
    enum framing_error err; /* sticky */
};

void framing_init(struct framing *f);

/* Checks the next n bytes of the connection. Returns FR_OK while everything so far is
 * well-framed, else the first error (which sticks: later calls return it at once). On
 * error *msg_start is the offset in p where the offending request began when it began
 * inside these n bytes (the bytes before it are whole, valid requests), else 0. */
enum framing_error framing_feed(struct framing *f, const char *p, size_t n,
                                size_t *msg_start);

/* Whether the connection owes us a request head: one has begun and is not complete, or
 * the connection is new and has sent nothing yet. (Between requests on a kept-alive
 * connection it owes nothing.) */
bool framing_awaiting_head(const struct framing *f);

/* The HTTP status an error is answered with (400, 414, 431 or 505) and its message
 * (static, plain ASCII without quotes or backslashes, so it goes into JSON as it is). */
int framing_error_status(enum framing_error e);
const char *framing_error_message(enum framing_error e);

/* Writes into out a whole HTTP/1.1 response with status, an MLflow-shaped JSON body
 * {"error_code": code, "message": msg} and "Connection: close"; code and msg must be
 * JSON-safe as framing_error_message's are. Extra is NULL or more header lines, each
 * ending in CRLF. Returns the length, or 0 when it does not fit in cap. */
size_t framing_response(char *out, size_t cap, int status, const char *code, const char *msg,
                        const char *extra);

#endif
