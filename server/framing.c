/* The request-framing checker: a byte-at-a-time state machine over request heads, with
 * bodies skipped in bulk by their length (Content-Length, or chunk by chunk). What it
 * accepts is a strict subset of what libmicrohttpd 0.9.75 accepts, chosen so that both
 * find the same boundaries: lines end in CRLF or a bare LF (both parsers allow LF), every
 * other CR is refused, and each framing header has exactly one reading. */
#include "framing.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>


enum fstate {
    S_PRE,         /* before a request line (empty lines are skipped, as RFC 9112 2.2
                      allows and libmicrohttpd does) */
    S_METHOD,
    S_TARGET,
    S_VERSION,
    S_FIELD_START, /* at the start of a field line (of the head or of the trailers) */
    S_FIELD_NAME,
    S_FIELD_VALUE,
    S_BODY,        /* inside a Content-Length body */
    S_CHUNK_SIZE,
    S_CHUNK_EXT,
    S_CHUNK_DATA,
    S_CHUNK_END,   /* right after a chunk's data: only a line end may follow */
    S_ERROR,
};

enum field { F_OTHER, F_CONTENT_LENGTH, F_TRANSFER_ENCODING, F_HOST, F_COOKIE };

void framing_init(struct framing *f)
{
    memset(f, 0, sizeof *f);
}

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar, SP and HTAB (RFC 9110 5.5): no NUL, no other control byte, no DEL. */
static bool is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_hex(unsigned char c, unsigned *v)
{
    if (c >= '0' && c <= '9')
        *v = c - '0';
    else if (c >= 'a' && c <= 'f')
        *v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        *v = c - 'A' + 10;
    else
        return false;
    return true;
}

/* States in which a CR LF (or LF) ends a line rather than being an error. */
static bool line_can_end(enum fstate s)
{
    return s == S_PRE || s == S_VERSION || s == S_FIELD_START || s == S_FIELD_VALUE ||
           s == S_CHUNK_SIZE || s == S_CHUNK_EXT || s == S_CHUNK_END;
}

/* A whole request has gone by: start over for the next one on the connection. */
static void message_done(struct framing *f)
{
    memset(f, 0, sizeof *f);
    f->done_one = true;
    f->state = S_PRE;
}

static void begin_field_lines(struct framing *f, bool trailer)
{
    f->state = S_FIELD_START;
    f->trailer = trailer;
    if (trailer) {
        f->head_len = 0;
        f->nfields = 0;
    }
}

static enum framing_error parse_content_length(struct framing *f)
{
    if (f->val_len > sizeof f->val || f->val_len == 0)
        return FR_BAD_CONTENT_LENGTH;
    int64_t v = 0;
    for (size_t i = 0; i < f->val_len; i++) {
        unsigned char c = (unsigned char)f->val[i];
        if (c < '0' || c > '9')
            return FR_BAD_CONTENT_LENGTH; /* "+18", "-1", "18, 18", "0x10" */
        if (v > (INT64_MAX - (c - '0')) / 10)
            return FR_BAD_CONTENT_LENGTH; /* 2^63 and beyond */
        v = v * 10 + (c - '0');
    }
    f->cl = v;
    return FR_OK;
}

/* A field line has ended: account for it and read the framing fields. */
static enum framing_error finish_field(struct framing *f)
{
    if (f->trailer)
        return ++f->nfields > FRAMING_TRAILER_FIELDS_MAX ? FR_TRAILER_TOO_LARGE : FR_OK;
    if (++f->nfields > FRAMING_FIELDS_MAX)
        return FR_TOO_MANY_FIELDS;
    /* Trailing OWS belongs to no value. */
    while (f->val_len && f->val_len <= sizeof f->val &&
           (f->val[f->val_len - 1] == ' ' || f->val[f->val_len - 1] == '\t'))
        f->val_len--;
    switch ((enum field)f->field) {
    case F_CONTENT_LENGTH:
        if (++f->ncl > 1)
            return FR_MANY_CONTENT_LENGTH;
        return parse_content_length(f);
    case F_TRANSFER_ENCODING:
        /* libmicrohttpd reads only the first field and only an exact "chunked"; a list
         * ("gzip, chunked", "chunked, identity") would be read as a body without length. */
        if (++f->nte > 1 || f->val_len != 7 || strncasecmp(f->val, "chunked", 7) != 0)
            return FR_BAD_TRANSFER_ENCODING;
        return FR_OK;
    case F_HOST:
        return ++f->nhost > 1 ? FR_HOST : FR_OK;
    case F_COOKIE:
        return ++f->ncookies > FRAMING_COOKIES_MAX ? FR_TOO_MANY_FIELDS : FR_OK;
    case F_OTHER:
        break;
    }
    return FR_OK;
}

/* The empty line after the fields: decide how the body is framed (RFC 9112 6.3). */
static enum framing_error end_of_head(struct framing *f)
{
    if (f->ncl && f->nte)
        return FR_CL_AND_TE;
    if (f->nte && f->version == 10)
        return FR_BAD_TRANSFER_ENCODING; /* RFC 9112 6.1: faulty framing in HTTP/1.0 */
    if (f->version == 11 && f->nhost == 0)
        return FR_HOST;
    if (f->nte) {
        f->state = S_CHUNK_SIZE;
        f->remaining = 0;
        f->any = false;
        f->line_len = 0;
    } else if (f->cl > 0) {
        f->state = S_BODY;
        f->remaining = (uint64_t)f->cl;
    } else {
        message_done(f);
    }
    return FR_OK;
}

static enum framing_error end_of_version(struct framing *f)
{
    const char *v = f->ver;
    if (f->ver_len != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
        v[6] != '.' || v[7] < '0' || v[7] > '9')
        return FR_BAD_REQUEST_LINE;
    if (v[5] != '1')
        return FR_BAD_VERSION;
    f->version = v[7] == '0' ? 10 : 11; /* 1.2 and up are read as 1.1, as RFC 9110 2.5 says */
    begin_field_lines(f, false);
    return FR_OK;
}

static enum framing_error end_of_chunk_size(struct framing *f)
{
    if (!f->any)
        return FR_BAD_CHUNK;
    if (f->remaining == 0) {
        begin_field_lines(f, true); /* the last chunk: trailers follow */
    } else {
        f->state = S_CHUNK_DATA;
    }
    return FR_OK;
}

/* A line has ended (LF, or CR LF) in state f->state. */
static enum framing_error line_end(struct framing *f)
{
    switch ((enum fstate)f->state) {
    case S_PRE:
        return FR_OK; /* an empty line before the request line */
    case S_VERSION:
        return end_of_version(f);
    case S_FIELD_START:
        if (f->trailer) {
            message_done(f);
            return FR_OK;
        }
        return end_of_head(f);
    case S_FIELD_VALUE:
        f->state = S_FIELD_START;
        return finish_field(f);
    case S_CHUNK_SIZE:
    case S_CHUNK_EXT:
        return end_of_chunk_size(f);
    case S_CHUNK_END:
        f->state = S_CHUNK_SIZE;
        f->remaining = 0;
        f->any = false;
        f->line_len = 0;
        return FR_OK;
    default:
        return FR_BAD_LINE_END; /* not reached: line_can_end() guards */
    }
}

static void classify_field(struct framing *f)
{
    static const struct {
        const char *name;
        enum field f;
    } tab[] = {{"content-length", F_CONTENT_LENGTH},
               {"transfer-encoding", F_TRANSFER_ENCODING},
               {"host", F_HOST},
               {"cookie", F_COOKIE}};
    f->field = F_OTHER;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (f->name_len == strlen(tab[i].name) && memcmp(f->name, tab[i].name, f->name_len) == 0)
            f->field = tab[i].f;
    if (f->trailer)
        f->field = F_OTHER; /* framing fields in trailers mean nothing (RFC 9110 6.5.1) */
}

/* One byte that is not a line end. */
static enum framing_error step(struct framing *f, unsigned char c)
{
    unsigned d;
    switch ((enum fstate)f->state) {
    case S_PRE:
        f->state = S_METHOD;
        return is_tchar(c) ? FR_OK : FR_BAD_REQUEST_LINE;
    case S_METHOD:
        if (c == ' ') {
            f->state = S_TARGET;
            f->any = false;
            return FR_OK;
        }
        return is_tchar(c) ? FR_OK : FR_BAD_REQUEST_LINE;
    case S_TARGET:
        if (c == ' ') {
            if (!f->any)
                return FR_BAD_REQUEST_LINE; /* two spaces, or no target */
            f->state = S_VERSION;
            return FR_OK;
        }
        if (c <= 0x20 || c == 0x7f)
            return FR_BAD_REQUEST_LINE; /* control bytes; HTTP/0.9's line without version */
        f->any = true;
        if (c == '?')
            f->in_query = true;
        else if (c == '&' && f->in_query && ++f->nparams >= FRAMING_PARAMS_MAX)
            return FR_TOO_MANY_PARAMS;
        return FR_OK;
    case S_VERSION:
        if (f->ver_len >= sizeof f->ver)
            return FR_BAD_REQUEST_LINE;
        f->ver[f->ver_len++] = (char)c;
        return FR_OK;
    case S_FIELD_START:
        if (!is_tchar(c))
            return FR_BAD_FIELD; /* includes obs-fold: a line starting with SP or HTAB */
        f->state = S_FIELD_NAME;
        f->name_len = 0;
        __attribute__((fallthrough)); /* clang wants the attribute, gcc takes it too */
    case S_FIELD_NAME:
        if (c == ':') {
            classify_field(f);
            f->state = S_FIELD_VALUE;
            f->val_len = 0;
            f->val_skip_ws = true;
            return FR_OK;
        }
        if (!is_tchar(c))
            return FR_BAD_FIELD; /* includes whitespace before the colon */
        if (f->name_len < sizeof f->name)
            f->name[f->name_len] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        if (f->name_len < UINT8_MAX)
            f->name_len++;
        return FR_OK;
    case S_FIELD_VALUE:
        if (!is_value_byte(c))
            return FR_BAD_FIELD_VALUE;
        if (f->field == F_COOKIE && c == ';' && ++f->ncookies > FRAMING_COOKIES_MAX)
            return FR_TOO_MANY_FIELDS;
        if (f->field == F_CONTENT_LENGTH || f->field == F_TRANSFER_ENCODING) {
            if (f->val_skip_ws && (c == ' ' || c == '\t'))
                return FR_OK;
            f->val_skip_ws = false;
            if (f->val_len < sizeof f->val)
                f->val[f->val_len] = (char)c;
            if (f->val_len < UINT8_MAX)
                f->val_len++;
        }
        return FR_OK;
    case S_CHUNK_SIZE:
        if (is_hex(c, &d)) {
            if (f->remaining > (uint64_t)INT64_MAX >> 4)
                return FR_CHUNK_TOO_LARGE;
            f->remaining = f->remaining << 4 | d;
            f->any = true;
            return FR_OK;
        }
        if (c == ';' && f->any) {
            f->state = S_CHUNK_EXT;
            return FR_OK;
        }
        return FR_BAD_CHUNK; /* also whitespace before ';', which libmicrohttpd refuses */
    case S_CHUNK_EXT:
        return is_value_byte(c) ? FR_OK : FR_BAD_CHUNK;
    case S_CHUNK_END:
        return FR_BAD_CHUNK;
    case S_BODY:
    case S_CHUNK_DATA:
    case S_ERROR:
        break;
    }
    return FR_BAD_REQUEST_LINE; /* not reached */
}

/* Counts a byte of a head, a chunk-size line or a trailer section against its limit. */
static enum framing_error count_byte(struct framing *f)
{
    enum fstate s = (enum fstate)f->state;
    if (s == S_CHUNK_SIZE || s == S_CHUNK_EXT || s == S_CHUNK_END)
        return ++f->line_len > FRAMING_CHUNK_LINE_MAX ? FR_BAD_CHUNK : FR_OK;
    if (f->trailer)
        return ++f->head_len > FRAMING_TRAILER_MAX ? FR_TRAILER_TOO_LARGE : FR_OK;
    if (++f->head_len <= FRAMING_HEAD_MAX)
        return FR_OK;
    return s == S_PRE || s == S_METHOD || s == S_TARGET || s == S_VERSION
               ? FR_TARGET_TOO_LONG
               : FR_HEAD_TOO_LARGE;
}

enum framing_error framing_feed(struct framing *f, const char *p, size_t n,
                                size_t *msg_start)
{
    size_t mstart = 0; /* where the current message began, if in these bytes */
    *msg_start = 0;
    if (f->err)
        return f->err;
    for (size_t i = 0; i < n; i++) {
        enum fstate s = (enum fstate)f->state;
        if (s == S_BODY || s == S_CHUNK_DATA) {
            size_t take = n - i;
            if (take > f->remaining)
                take = (size_t)f->remaining;
            f->remaining -= take;
            i += take - 1;
            if (f->remaining == 0) {
                if (s == S_BODY) {
                    message_done(f);
                    mstart = i + 1;
                } else {
                    f->state = S_CHUNK_END;
                }
            }
            continue;
        }
        unsigned char c = (unsigned char)p[i];
        f->started = true;
        enum framing_error e = count_byte(f);
        if (e == FR_OK) {
            if (f->cr) {
                f->cr = false;
                e = c == '\n' ? line_end(f) : FR_BAD_LINE_END;
            } else if (c == '\r' && line_can_end(s))
                f->cr = true;
            else if (c == '\n' && line_can_end(s))
                e = line_end(f);
            else
                e = step(f, c); /* a CR or LF where no line may end is a bad byte there */
        }
        if (e != FR_OK) {
            f->err = e;
            f->state = S_ERROR;
            *msg_start = mstart;
            return e;
        }
        if (!f->started) /* that byte ended a message */
            mstart = i + 1;
    }
    return FR_OK;
}

bool framing_awaiting_head(const struct framing *f)
{
    switch ((enum fstate)f->state) {
    case S_PRE:
        return f->started || !f->done_one;
    case S_METHOD:
    case S_TARGET:
    case S_VERSION:
        return true;
    case S_FIELD_START:
    case S_FIELD_NAME:
    case S_FIELD_VALUE:
        return !f->trailer;
    default:
        return false;
    }
}

static const struct {
    int status;
    const char *msg;
} fr_errors[] = {
    [FR_OK] = {200, ""},
    [FR_BAD_REQUEST_LINE] = {400, "Malformed request line."},
    [FR_BAD_VERSION] = {505, "HTTP version not supported: this server speaks HTTP/1.0 and "
                             "HTTP/1.1."},
    [FR_BAD_FIELD] = {400, "Malformed header field: a field name is a token followed by a "
                           "colon, with no space before it, and lines are not folded."},
    [FR_BAD_FIELD_VALUE] = {400, "A header field value contains a NUL or another control "
                                 "character."},
    [FR_BAD_LINE_END] = {400, "A CR in the request head is not followed by LF."},
    [FR_HOST] = {400, "An HTTP/1.1 request needs exactly one Host header field."},
    [FR_BAD_CONTENT_LENGTH] = {400, "Invalid Content-Length: it must be one decimal number "
                                    "below 2^63."},
    [FR_MANY_CONTENT_LENGTH] = {400, "More than one Content-Length header field."},
    [FR_CL_AND_TE] = {400, "Both Content-Length and Transfer-Encoding: the length of the "
                           "body is ambiguous."},
    [FR_BAD_TRANSFER_ENCODING] = {400, "Unsupported Transfer-Encoding: only a single "
                                       "chunked coding, and none in HTTP/1.0."},
    [FR_BAD_CHUNK] = {400, "Malformed chunked body."},
    [FR_CHUNK_TOO_LARGE] = {400, "Chunk size too large: it must be below 2^63."},
    [FR_TARGET_TOO_LONG] = {414, "Request target too long: the request head is limited to "
                                 "65536 bytes."},
    [FR_TOO_MANY_PARAMS] = {414, "Too many query parameters: at most 1024."},
    [FR_HEAD_TOO_LARGE] = {431, "Request header fields too large: the request head is "
                                "limited to 65536 bytes."},
    [FR_TOO_MANY_FIELDS] = {431, "Too many header fields: at most 256 fields and 256 "
                                 "cookies."},
    [FR_TRAILER_TOO_LARGE] = {431, "The trailer section of the chunked body is too large."},
};

int framing_error_status(enum framing_error e)
{
    return (size_t)e < sizeof fr_errors / sizeof fr_errors[0] ? fr_errors[e].status : 400;
}

const char *framing_error_message(enum framing_error e)
{
    return (size_t)e < sizeof fr_errors / sizeof fr_errors[0] ? fr_errors[e].msg
                                                               : "Bad request.";
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

size_t framing_response(char *out, size_t cap, int status, const char *code, const char *msg,
                        const char *extra)
{
    char body[512];
    int blen = snprintf(body, sizeof body, "{\"error_code\":\"%s\",\"message\":\"%s\"}", code,
                        msg);
    if (blen < 0 || (size_t)blen >= sizeof body)
        return 0;
    char date[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    if (strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
        date[0] = '\0';
    int n = snprintf(out, cap,
                     "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %d\r\nConnection: close\r\n"
                     "X-Content-Type-Options: nosniff\r\n%s\r\n%s",
                     status, reason_phrase(status), date, blen, extra ? extra : "", body);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}
