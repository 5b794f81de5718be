/* Unit tests for server/framing.c (the request-framing checker) and server/conns.c (the
 * connection table: caps, eviction, head deadlines, the checked read path), the latter on
 * socket pairs standing in for client connections. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/conns.h"
#include "server/framing.h"
#include "t.h"

/* ---- framing ---- */

/* Feeds s whole, then again byte by byte, and checks both give the same answer. */
static enum framing_error feed_str(const char *s, size_t *start)
{
    struct framing a, b;
    framing_init(&a);
    framing_init(&b);
    size_t n = strlen(s), st = 0;
    enum framing_error ea = framing_feed(&a, s, n, &st);
    enum framing_error eb = FR_OK;
    for (size_t i = 0; i < n && eb == FR_OK; i++) {
        size_t dummy;
        eb = framing_feed(&b, s + i, 1, &dummy);
    }
    if (ea != eb)
        fprintf(stderr, "  whole: %d, byte by byte: %d for %s\n", ea, eb, s);
    T_CHECK(ea == eb);
    if (start)
        *start = st;
    return ea;
}

#define H "Host: x\r\n"
#define GET "GET / HTTP/1.1\r\n" H
#define POST "POST / HTTP/1.1\r\n" H
#define CHUNKED POST "Transfer-Encoding: chunked\r\n\r\n"

static void test_framing_valid(void)
{
    static const char *const ok[] = {
        "GET / HTTP/1.1\r\n" H "\r\n",
        "GET /a?b=1&c=2 HTTP/1.0\r\n\r\n", /* HTTP/1.0 needs no Host */
        "GET / HTTP/1.1\n" H "\n",        /* bare LF ends lines, as libmicrohttpd allows */
        "\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n", /* empty lines before the request line */
        "POST /p HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\nhello",
        "POST /p HTTP/1.1\r\n" H "content-length:\t 0 \r\n\r\n",
        "POST /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "POST /p HTTP/1.1\r\n" H "Transfer-Encoding: Chunked\r\n\r\n"
        "5;ext=\"v\"\r\nhe\r\no\r\nA\n0123456789\n000\r\nTrailer-A: v\r\n\r\n",
        "GET / HTTP/1.1\r\n" H "X-Bin: caf\xc3\xa9\r\nX-E:\r\n\r\n", /* obs-text, empty value */
        "GET / HTTP/1.2\r\n" H "\r\n",
        "GET /a HTTP/1.1\r\n" H "\r\nGET /b HTTP/1.1\r\n" H "\r\n", /* pipelined */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        enum framing_error e = feed_str(ok[i], NULL);
        if (e != FR_OK)
            fprintf(stderr, "  unexpected error %d for case %zu\n", e, i);
        T_CHECK(e == FR_OK);
    }
}

static void test_framing_errors(void)
{
    static const struct {
        const char *in;
        enum framing_error want;
        int status;
    } bad[] = {
        /* The shapes of issue 13. */
        {POST "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", FR_CL_AND_TE, 400},
        {POST "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", FR_CL_AND_TE, 400},
        {POST "Content-Length: 2\r\nContent-Length: 40\r\n\r\n", FR_MANY_CONTENT_LENGTH, 400},
        {POST "Content-Length: 2\r\nContent-Length: 2\r\n\r\n", FR_MANY_CONTENT_LENGTH, 400},
        {POST "Content-Length: +18\r\n\r\n", FR_BAD_CONTENT_LENGTH, 400},
        {POST "Content-Length: 18, 18\r\n\r\n", FR_BAD_CONTENT_LENGTH, 400},
        {POST "Content-Length: -1\r\n\r\n", FR_BAD_CONTENT_LENGTH, 400},
        {POST "Content-Length: 18446744073709551616\r\n\r\n", FR_BAD_CONTENT_LENGTH, 400},
        {POST "Content-Length: 9223372036854775808\r\n\r\n", FR_BAD_CONTENT_LENGTH, 400},
        {POST "Content-Length:\r\n\r\n", FR_BAD_CONTENT_LENGTH, 400},
        {POST "Transfer-Encoding: chunked, identity\r\n\r\n", FR_BAD_TRANSFER_ENCODING, 400},
        {POST "Transfer-Encoding: gzip, chunked\r\n\r\n", FR_BAD_TRANSFER_ENCODING, 400},
        {POST "Transfer-Encoding: identity\r\n\r\n", FR_BAD_TRANSFER_ENCODING, 400},
        {POST "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
         FR_BAD_TRANSFER_ENCODING, 400},
        {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", FR_BAD_TRANSFER_ENCODING, 400},
        {CHUNKED "ffffffffffffffff\r\n", FR_CHUNK_TOO_LARGE, 400},
        {CHUNKED "10000000000000000\r\n", FR_CHUNK_TOO_LARGE, 400},
        {CHUNKED "zz\r\n", FR_BAD_CHUNK, 400},
        {CHUNKED "5 ;x\r\n", FR_BAD_CHUNK, 400},
        {CHUNKED ";x\r\n", FR_BAD_CHUNK, 400},
        {CHUNKED "2\r\nabc\r\n", FR_BAD_CHUNK, 400},
        {GET "X-A: a\x01" "b\r\n\r\n", FR_BAD_FIELD_VALUE, 400},
        {GET "X-A: a\x7f\r\n\r\n", FR_BAD_FIELD_VALUE, 400},
        /* Line and field syntax. */
        {GET "X-A: a\rb\r\n\r\n", FR_BAD_LINE_END, 400},
        {GET "X-A: a\r\n b\r\n\r\n", FR_BAD_FIELD, 400},
        {GET "Content-Length : 5\r\n\r\n", FR_BAD_FIELD, 400},
        {GET "badheader\r\n\r\n", FR_BAD_FIELD, 400},
        {GET ": v\r\n\r\n", FR_BAD_FIELD, 400},
        {"GET / HTTP/1.1\r\n\r\n", FR_HOST, 400},
        {"GET / HTTP/1.1\r\n" H H "\r\n", FR_HOST, 400},
        {"GET /\r\n\r\n", FR_BAD_REQUEST_LINE, 400},
        {"GET  / HTTP/1.1\r\n" H "\r\n", FR_BAD_REQUEST_LINE, 400},
        {"GET /a b HTTP/1.1\r\n" H "\r\n", FR_BAD_REQUEST_LINE, 400},
        {"GET / HTTP/1.1 \r\n" H "\r\n", FR_BAD_REQUEST_LINE, 400},
        {"GET /\x01 HTTP/1.1\r\n" H "\r\n", FR_BAD_REQUEST_LINE, 400},
        {"G(T / HTTP/1.1\r\n" H "\r\n", FR_BAD_REQUEST_LINE, 400},
        {"GET / HTTP/2.0\r\n" H "\r\n", FR_BAD_VERSION, 505},
        {"GET / HTTP/1\r\n" H "\r\n", FR_BAD_REQUEST_LINE, 400},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t st = 99;
        enum framing_error e = feed_str(bad[i].in, &st);
        if (e != bad[i].want)
            fprintf(stderr, "  case %zu: got %d, want %d\n", i, e, bad[i].want);
        T_CHECK(e == bad[i].want);
        T_CHECK(st == 0);
        T_CHECK(framing_error_status(e) == bad[i].status);
    }
    /* An error sticks. */
    struct framing f;
    framing_init(&f);
    size_t st;
    T_CHECK(framing_feed(&f, "GET / HTTP/1.1\r\n\r\n", 18, &st) == FR_HOST);
    T_CHECK(framing_feed(&f, "GET / HTTP/1.1\r\n" H "\r\n", 25, &st) == FR_HOST);
}

static void test_framing_pipelined_error_start(void)
{
    const char *good = "POST /a HTTP/1.1\r\n" H "Content-Length: 3\r\n\r\nabc";
    char buf[256];
    snprintf(buf, sizeof buf, "%s\r\nGET /b HTTP/1.1\r\n" H "Content-Length: +1\r\n\r\n", good);
    struct framing f;
    framing_init(&f);
    size_t st = 0;
    T_CHECK(framing_feed(&f, buf, strlen(buf), &st) == FR_BAD_CONTENT_LENGTH);
    T_CHECK(st == strlen(good)); /* the empty line before the bad request belongs to it */
    /* When the bad request began in an earlier read, nothing of this read can go on. */
    framing_init(&f);
    T_CHECK(framing_feed(&f, "GET / HTTP/1.1\r\n", 16, &st) == FR_OK);
    T_CHECK(framing_feed(&f, "X: \x01\r\n", 6, &st) == FR_BAD_FIELD_VALUE);
    T_CHECK(st == 0);
}

static void test_framing_awaiting_head(void)
{
    struct framing f;
    framing_init(&f);
    size_t st;
    T_CHECK(framing_awaiting_head(&f)); /* new connection */
    T_CHECK(framing_feed(&f, "POST / HTTP/1.1\r\n" H, 26, &st) == FR_OK);
    T_CHECK(framing_awaiting_head(&f));
    T_CHECK(framing_feed(&f, "Content-Length: 4\r\n\r\nab", 23, &st) == FR_OK);
    T_CHECK(!framing_awaiting_head(&f)); /* in the body */
    T_CHECK(framing_feed(&f, "cd", 2, &st) == FR_OK);
    T_CHECK(!framing_awaiting_head(&f)); /* between requests */
    T_CHECK(framing_feed(&f, "\r\n", 2, &st) == FR_OK);
    T_CHECK(framing_awaiting_head(&f)); /* the next head has begun */
}

/* A head of exactly n bytes (padded with one long field). */
static char *head_of(size_t n, int extra_fields)
{
    char *s = malloc(n + 1);
    int off = snprintf(s, n + 1, "GET /x HTTP/1.1\r\n" H);
    for (int i = 0; i < extra_fields; i++)
        off += snprintf(s + off, n + 1 - (size_t)off, "X%d: v\r\n", i);
    size_t pad = n - (size_t)off - strlen("P: \r\n\r\n");
    off += snprintf(s + off, n + 1 - (size_t)off, "P: ");
    memset(s + off, 'p', pad);
    off += (int)pad;
    memcpy(s + off, "\r\n\r\n", 5);
    return s;
}

static void test_framing_limits(void)
{
    char *s = head_of(FRAMING_HEAD_MAX, 0);
    T_CHECK(feed_str(s, NULL) == FR_OK);
    free(s);
    s = head_of(FRAMING_HEAD_MAX + 1, 0);
    T_CHECK(feed_str(s, NULL) == FR_HEAD_TOO_LARGE);
    free(s);
    s = head_of(8000, FRAMING_FIELDS_MAX - 2); /* with Host and the padding: the most */
    T_CHECK(feed_str(s, NULL) == FR_OK);
    free(s);
    s = head_of(8000, FRAMING_FIELDS_MAX - 1);
    T_CHECK(feed_str(s, NULL) == FR_TOO_MANY_FIELDS);
    free(s);
    /* A request line alone over the limit is a 414. */
    size_t n = FRAMING_HEAD_MAX + 10;
    s = malloc(n + 32);
    memcpy(s, "GET /", 5);
    memset(s + 5, 'a', n);
    s[n + 5] = '\0';
    enum framing_error e = feed_str(s, NULL);
    T_CHECK(e == FR_TARGET_TOO_LONG && framing_error_status(e) == 414);
    /* Query arguments: 1024 pass, 1025 do not. */
    for (int extra = 0; extra < 2; extra++) {
        int off = snprintf(s, n, "GET /q?a");
        for (int i = 1; i < FRAMING_PARAMS_MAX + extra; i++)
            off += snprintf(s + off, n - (size_t)off, "&a");
        snprintf(s + off, n - (size_t)off, " HTTP/1.1\r\n" H "\r\n");
        e = feed_str(s, NULL);
        T_CHECK(e == (extra ? FR_TOO_MANY_PARAMS : FR_OK));
    }
    /* Cookies. */
    int off = snprintf(s, n, "GET / HTTP/1.1\r\n" H "Cookie: c=0");
    for (int i = 1; i < FRAMING_COOKIES_MAX + 1; i++)
        off += snprintf(s + off, n - (size_t)off, "; c=%d", i);
    snprintf(s + off, n - (size_t)off, "\r\n\r\n");
    T_CHECK(feed_str(s, NULL) == FR_TOO_MANY_FIELDS);
    free(s);
}

static void test_framing_response(void)
{
    char out[1024];
    for (int e = FR_BAD_REQUEST_LINE; e <= FR_TRAILER_TOO_LARGE; e++) {
        const char *m = framing_error_message((enum framing_error)e);
        T_CHECK(m[0] && !strpbrk(m, "\"\\\r\n"));
        size_t n = framing_response(out, sizeof out, framing_error_status((enum framing_error)e),
                                    "BAD_REQUEST", m, NULL);
        T_CHECK(n > 0);
        char *body = strstr(out, "\r\n\r\n");
        T_CHECK(body != NULL);
        if (!body)
            continue;
        body += 4;
        const char *cl = strstr(out, "Content-Length: ");
        T_CHECK(cl && (size_t)strtol(cl + 16, NULL, 10) == strlen(body));
        T_CHECK(strstr(out, "\r\nConnection: close\r\n") != NULL);
        T_CHECK(strncmp(body, "{\"error_code\":\"BAD_REQUEST\",\"message\":\"", 39) == 0);
    }
    T_CHECK(framing_response(out, 64, 400, "BAD_REQUEST", "x", NULL) == 0); /* too small */
}

/* ---- conns ---- */

static struct sockaddr_in addr4(int last)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)last);
    return a;
}

struct pair {
    int server, client;
    struct conn *c;
};

static void pair_open(struct pair *p, int addr_last)
{
    int sv[2];
    T_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    p->server = sv[0];
    p->client = sv[1];
    struct sockaddr_in a = addr4(addr_last);
    p->c = conns_open(p->server, (struct sockaddr *)&a);
    T_CHECK(p->c != NULL);
}

static void pair_close(struct pair *p)
{
    conns_close(p->c);
    close(p->server);
    close(p->client);
}

/* Whether the server side of p was shut down from the table (its client sees the end). */
static bool client_sees_end(struct pair *p, int wait_ms)
{
    struct pollfd pf = {p->client, POLLIN, 0};
    if (poll(&pf, 1, wait_ms) <= 0)
        return false;
    char b[4096];
    ssize_t r;
    while ((r = recv(p->client, b, sizeof b, 0)) > 0)
        ;
    return r == 0;
}

/* Reads what the server sent to p's client (up to cap-1 bytes, NUL-terminated). */
static size_t client_read(struct pair *p, char *b, size_t cap)
{
    size_t n = 0;
    struct pollfd pf = {p->client, POLLIN, 0};
    while (n + 1 < cap && poll(&pf, 1, 200) > 0) {
        ssize_t r = recv(p->client, b + n, cap - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    b[n] = '\0';
    return n;
}

static void conns_start(unsigned max, unsigned per_addr, unsigned reserve, int head_ms)
{
    struct conns_config cfg = conns_defaults(max, 4096);
    cfg.max_conns = max;
    cfg.per_addr = per_addr;
    cfg.reserve = reserve;
    cfg.head_timeout_ms = head_ms;
    cfg.linger_ms = 200;
    char err[128];
    T_CHECK(conns_init(&cfg, err, sizeof err) == 0);
}

static void test_conns_defaults(void)
{
    struct conns_config c = conns_defaults(0, 20000);
    T_CHECK(c.max_conns == 9968 && c.per_addr == 1246 && c.reserve == 623);
    c = conns_defaults(0, 1024);
    T_CHECK(c.max_conns == 480);
    c = conns_defaults(100, 1 << 20);
    T_CHECK(c.max_conns == 100 && c.per_addr == 32 && c.reserve == 6);
    c = conns_defaults(10, 1 << 20);
    T_CHECK(c.max_conns == 10 && c.per_addr == 10 && c.reserve == 1);
}

static void test_conns_per_address(void)
{
    conns_start(100, 2, 1, 60000);
    struct pair p[4];
    pair_open(&p[0], 1);
    pair_open(&p[1], 1);
    pair_open(&p[2], 2); /* another address: unaffected */
    T_CHECK(!client_sees_end(&p[0], 0));
    pair_open(&p[3], 1); /* the address's oldest idle connection makes room */
    T_CHECK(client_sees_end(&p[0], 100));
    T_CHECK(!client_sees_end(&p[1], 0) && !client_sees_end(&p[2], 0));
    T_CHECK(conns_stats().evicted == 1);
    /* With all of the address's connections busy, a new one is refused with a 503. */
    conns_busy(p[1].c);
    conns_busy(p[3].c);
    struct pair r;
    pair_open(&r, 1);
    T_CHECK(!client_sees_end(&p[1], 0) && !client_sees_end(&p[3], 0));
    T_CHECK(conns_stats().refused == 1);
    T_CHECK(send(r.client, "GET / HTTP/1.1\r\n", 16, 0) == 16);
    char buf[2048];
    ssize_t n = conns_recv(r.server, buf, sizeof buf, 0);
    T_CHECK(n < 0 && errno == EAGAIN); /* answered; draining */
    client_read(&r, buf, sizeof buf);
    T_CHECK(strncmp(buf, "HTTP/1.1 503 ", 13) == 0 && strstr(buf, "TEMPORARILY_UNAVAILABLE"));
    pair_close(&r);
    for (int i = 0; i < 4; i++)
        pair_close(&p[i]);
    conns_shutdown();
}

static void test_conns_global_cap(void)
{
    conns_start(4, 10, 1, 60000); /* the fourth connection is the reserve */
    struct pair p[5];
    for (int i = 0; i < 3; i++)
        pair_open(&p[i], 10 + i);
    conns_busy(p[0].c); /* busy: never closed to make room */
    pair_open(&p[3], 20);
    T_CHECK(!client_sees_end(&p[0], 0));
    T_CHECK(client_sees_end(&p[1], 100)); /* the oldest idle one */
    T_CHECK(!client_sees_end(&p[2], 0));
    conns_idle(p[0].c); /* idle again: now the newest idle */
    pair_open(&p[4], 21);
    T_CHECK(client_sees_end(&p[2], 100));
    T_CHECK(!client_sees_end(&p[0], 0) && !client_sees_end(&p[3], 0));
    for (int i = 0; i < 5; i++)
        pair_close(&p[i]);
    conns_shutdown();
}

static void test_conns_head_timeout(void)
{
    conns_start(100, 10, 1, 150);
    struct pair fresh, trickle, done;
    pair_open(&fresh, 1);
    pair_open(&trickle, 2);
    pair_open(&done, 3);
    char buf[256];
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    T_CHECK(send(done.client, req, strlen(req), 0) == (ssize_t)strlen(req));
    T_CHECK(conns_recv(done.server, buf, sizeof buf, 0) == (ssize_t)strlen(req));
    conns_busy(done.c);
    conns_idle(done.c); /* answered: kept alive without a deadline */
    /* A head trickled in byte by byte is still late. */
    for (int i = 0; i < 2; i++) {
        T_CHECK(send(trickle.client, "G", 1, MSG_NOSIGNAL) == 1);
        T_CHECK(conns_recv(trickle.server, buf, sizeof buf, 0) == 1);
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    T_CHECK(client_sees_end(&fresh, 1500));
    T_CHECK(client_sees_end(&trickle, 1500));
    T_CHECK(!client_sees_end(&done, 300));
    T_CHECK(conns_stats().timed_out == 2);
    pair_close(&fresh);
    pair_close(&trickle);
    pair_close(&done);
    conns_shutdown();
}

static void test_conns_recv_rejects(void)
{
    conns_start(100, 10, 1, 60000);
    struct pair p;
    pair_open(&p, 1);
    const char *bad = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +18\r\n\r\n{}";
    T_CHECK(send(p.client, bad, strlen(bad), 0) == (ssize_t)strlen(bad));
    char buf[2048];
    ssize_t n = conns_recv(p.server, buf, sizeof buf, 0);
    T_CHECK(n < 0 && errno == EAGAIN);
    size_t got = client_read(&p, buf, sizeof buf);
    T_CHECK(got > 0 && strncmp(buf, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
    T_CHECK(strstr(buf + 1, "HTTP/1.1") == NULL); /* one status line */
    T_CHECK(strstr(buf, "Content-Length") != NULL);
    /* The client closes: the read side reports the end, libmicrohttpd closes too. */
    shutdown(p.client, SHUT_WR);
    T_CHECK(conns_recv(p.server, buf, sizeof buf, 0) == 0);
    pair_close(&p);

    /* A bad request behind a good one: the good one goes on, the answer comes after. */
    pair_open(&p, 2);
    const char *good = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    char two[256];
    snprintf(two, sizeof two, "%sGET /b HTTP/1.1\r\n\r\n", good);
    T_CHECK(send(p.client, two, strlen(two), 0) == (ssize_t)strlen(two));
    T_CHECK(conns_recv(p.server, buf, sizeof buf, 0) == (ssize_t)strlen(good));
    T_CHECK(conns_recv(p.server, buf, sizeof buf, 0) == 0);
    client_read(&p, buf, sizeof buf);
    T_CHECK(strncmp(buf, "HTTP/1.1 400 ", 13) == 0 && strstr(buf, "Host"));
    pair_close(&p);

    /* The linger time ends a client that keeps the connection open. */
    pair_open(&p, 3);
    T_CHECK(send(p.client, "GET / HTTP/9.9\r\n", 16, 0) == 16);
    n = conns_recv(p.server, buf, sizeof buf, 0);
    T_CHECK(n < 0 && errno == EAGAIN);
    client_read(&p, buf, sizeof buf);
    T_CHECK(strncmp(buf, "HTTP/1.1 505 ", 13) == 0);
    struct pollfd pf = {p.server, POLLIN, 0};
    T_CHECK(poll(&pf, 1, 1500) == 1);
    T_CHECK(conns_recv(p.server, buf, sizeof buf, 0) == 0);
    pair_close(&p);
    T_CHECK(conns_stats().rejected == 3);
    conns_shutdown();
}

int main(void)
{
    T_RUN(test_framing_valid);
    T_RUN(test_framing_errors);
    T_RUN(test_framing_pipelined_error_start);
    T_RUN(test_framing_awaiting_head);
    T_RUN(test_framing_limits);
    T_RUN(test_framing_response);
    T_RUN(test_conns_defaults);
    T_RUN(test_conns_per_address);
    T_RUN(test_conns_global_cap);
    T_RUN(test_conns_head_timeout);
    T_RUN(test_conns_recv_rejects);
    T_DONE();
}
