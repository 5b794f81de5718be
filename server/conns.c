/* The connection table: one struct conn per connection, found by socket number (for
 * conns_recv) and kept on intrusive lists under one mutex: the idle connections oldest
 * first (globally and per address), the connections awaiting a head and the lingering ones
 * by deadline (each list takes deadlines of now + a constant, so appending keeps it
 * sorted). A reaper thread closes what passed its deadline. Closing a connection from
 * here means shutdown(SHUT_RDWR) on its socket: its libmicrohttpd thread then sees the
 * hang-up and closes it the usual way, so the socket is never closed under the library.
 * The socket number stays valid meanwhile: libmicrohttpd reports a close (conns_close,
 * which takes the mutex) before it closes the socket. */
#include "conns.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/util.h"
#include "framing.h"

enum { ADDR_BUCKETS = 4096, DEFAULT_MAX_CONNS = 10000, FD_SPARE = 64, PER_ADDR_MIN = 32,
       EVICT_PER_OPEN_MAX = 4, LINGER_READ_MAX = 1024 * 1024 };

struct dnode {
    struct dnode *prev, *next;
};
struct dlist {
    struct dnode *head, *tail;
};

/* A client address as the per-address cap counts it. */
struct addr_key {
    uint8_t b[8];
    uint8_t len; /* 4 (IPv4), 8 (an IPv6 /64), 0 (unknown) */
};

struct addr_entry {
    struct addr_key key;
    unsigned refs;           /* registered connections from here */
    unsigned live;           /* of those, the ones counted against the cap */
    struct dlist idle;       /* its idle connections, oldest first (conn.alru) */
    struct addr_entry *next; /* hash chain */
};

enum timer { T_NONE, T_HEAD, T_LINGER };

/* How conns_recv treats the next read (owner thread only). */
enum rstate {
    RS_OPEN,    /* bytes go through the framing check */
    RS_PENDING, /* a bad request follows the valid ones handed on: answer at the next read */
    RS_REFUSED, /* over the per-address cap: answer 503 at the first read */
    RS_LINGER,  /* answered: drain until the client closes */
};

struct conn {
    int fd;
    /* Owner thread only (the libmicrohttpd thread serving the connection). */
    struct framing fr;
    enum rstate rstate;
    enum framing_error pending;
    bool head_listed; /* whether we last put it on the head list */
    /* Under g.mu. */
    struct addr_entry *addr;
    bool counted;  /* counted in addr->live */
    bool busy;     /* a request is being served */
    bool closing;  /* answered with an error (or refused) and lingering */
    bool evicted;  /* shut down from here; libmicrohttpd closes it soon */
    bool in_lru;
    enum timer timer;
    int64_t deadline_ns;
    struct dnode lru;  /* g.lru: lingering ones first, then idle ones, oldest first */
    struct dnode alru; /* addr->idle */
    struct dnode tq;   /* g.heads or g.lingering */
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t reaper;
    bool reaper_up, stop;
    struct conns_config cfg;
    struct conn *_Atomic *_Atomic fdtab; /* by socket number */
    size_t nfd;
    struct dlist lru, heads, lingering;
    unsigned nconns; /* registered and not evicted */
    unsigned nidle;
    struct conns_stats st;
    int64_t warned_ns; /* when the last "at the cap" warning went out */
    struct addr_entry *buckets[ADDR_BUCKETS];
} g = {.mu = PTHREAD_MUTEX_INITIALIZER};

#define CONN_OF(node, member) \
    ((struct conn *)(void *)((char *)(node) - offsetof(struct conn, member)))

/* ---- lists ------------------------------------------------------------------------- */

static void dl_push_back(struct dlist *l, struct dnode *n)
{
    n->next = NULL;
    n->prev = l->tail;
    if (l->tail)
        l->tail->next = n;
    else
        l->head = n;
    l->tail = n;
}

static void dl_push_front(struct dlist *l, struct dnode *n)
{
    n->prev = NULL;
    n->next = l->head;
    if (l->head)
        l->head->prev = n;
    else
        l->tail = n;
    l->head = n;
}

static void dl_remove(struct dlist *l, struct dnode *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        l->tail = n->prev;
    n->prev = n->next = NULL;
}

/* ---- addresses --------------------------------------------------------------------- */

static struct addr_key addr_key_of(const struct sockaddr *sa)
{
    struct addr_key k;
    memset(&k, 0, sizeof k);
    if (!sa)
        return k;
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in s4;
        memcpy(&s4, sa, sizeof s4);
        memcpy(k.b, &s4.sin_addr, 4);
        k.len = 4;
    } else if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 s6;
        memcpy(&s6, sa, sizeof s6);
        if (IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr)) {
            memcpy(k.b, s6.sin6_addr.s6_addr + 12, 4);
            k.len = 4;
        } else {
            /* One site usually holds a whole /64, so that is what one address means. */
            memcpy(k.b, s6.sin6_addr.s6_addr, 8);
            k.len = 8;
        }
    }
    return k;
}

static size_t addr_hash(const struct addr_key *k)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (int i = 0; i < k->len; i++)
        h = (h ^ k->b[i]) * 16777619u;
    return h % ADDR_BUCKETS;
}

/* The entry for k, created when missing; NULL when out of memory. Under g.mu. */
static struct addr_entry *addr_get(const struct addr_key *k)
{
    size_t b = addr_hash(k);
    for (struct addr_entry *e = g.buckets[b]; e; e = e->next)
        if (e->key.len == k->len && memcmp(e->key.b, k->b, k->len) == 0)
            return e;
    struct addr_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->key = *k;
    e->next = g.buckets[b];
    g.buckets[b] = e;
    return e;
}

static void addr_put(struct addr_entry *e)
{
    if (--e->refs > 0)
        return;
    struct addr_entry **pp = &g.buckets[addr_hash(&e->key)];
    while (*pp != e)
        pp = &(*pp)->next;
    *pp = e->next;
    free(e);
}

/* ---- state changes (all under g.mu) ------------------------------------------------ */

static void timer_clear(struct conn *c)
{
    if (c->timer == T_HEAD)
        dl_remove(&g.heads, &c->tq);
    else if (c->timer == T_LINGER)
        dl_remove(&g.lingering, &c->tq);
    c->timer = T_NONE;
}

static void timer_set(struct conn *c, enum timer t, int ms)
{
    timer_clear(c);
    c->timer = t;
    c->deadline_ns = mono_ns() + (int64_t)ms * 1000000;
    dl_push_back(t == T_HEAD ? &g.heads : &g.lingering, &c->tq);
    if (c->tq.prev == NULL) /* the reaper may be asleep until a later deadline */
        pthread_cond_signal(&g.cv);
}

/* Takes c off the idle lists. */
static void idle_clear(struct conn *c)
{
    if (!c->in_lru)
        return;
    dl_remove(&g.lru, &c->lru);
    if (!c->closing)
        dl_remove(&c->addr->idle, &c->alru);
    c->in_lru = false;
    g.nidle--;
}

/* Puts c at the end of the idle lists (it has just become idle). */
static void idle_set(struct conn *c)
{
    if (c->in_lru)
        return;
    dl_push_back(&g.lru, &c->lru);
    dl_push_back(&c->addr->idle, &c->alru);
    c->in_lru = true;
    g.nidle++;
}

static void uncount(struct conn *c)
{
    if (c->counted) {
        c->addr->live--;
        c->counted = false;
    }
}

/* Closes c from here: shuts its socket down so that its thread closes it. */
static void evict(struct conn *c)
{
    if (c->evicted)
        return;
    idle_clear(c);
    timer_clear(c);
    uncount(c);
    c->evicted = true;
    g.nconns--;
    shutdown(c->fd, SHUT_RDWR);
}

/* c was answered with an error or refused: it stops counting against its address, goes to
 * the front of the line for closing, and is closed when its linger time is over. */
static void set_closing(struct conn *c)
{
    if (c->evicted || c->closing)
        return;
    idle_clear(c);
    uncount(c);
    c->closing = true;
    dl_push_front(&g.lru, &c->lru);
    c->in_lru = true;
    g.nidle++;
    timer_set(c, T_LINGER, g.cfg.linger_ms);
}

/* ---- the reaper -------------------------------------------------------------------- */

/* Closes the connections of l whose deadline has passed, counting them in *counter when
 * not NULL; returns the next deadline of l (or 0 when l is empty). */
static int64_t expire(struct dlist *l, int64_t now, uint64_t *counter)
{
    while (l->head) {
        struct conn *c = CONN_OF(l->head, tq);
        if (c->deadline_ns > now)
            return c->deadline_ns;
        evict(c);
        if (counter)
            (*counter)++;
    }
    return 0;
}

static void *reaper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g.mu);
    while (!g.stop) {
        int64_t now = mono_ns();
        int64_t next = now + 1000000000; /* look again within a second in any case */
        int64_t h = expire(&g.heads, now, &g.st.timed_out);
        int64_t l = expire(&g.lingering, now, NULL);
        if (h && h < next)
            next = h;
        if (l && l < next)
            next = l;
        struct timespec ts = {(time_t)(next / 1000000000), (long)(next % 1000000000)};
        pthread_cond_timedwait(&g.cv, &g.mu, &ts);
    }
    pthread_mutex_unlock(&g.mu);
    return NULL;
}

/* ---- set-up ------------------------------------------------------------------------ */

struct conns_config conns_defaults(unsigned max_conns, int fd_limit)
{
    struct conns_config c;
    memset(&c, 0, sizeof c);
    if (max_conns == 0)
        max_conns = DEFAULT_MAX_CONNS;
    unsigned by_fds = fd_limit > 2 * FD_SPARE ? (unsigned)(fd_limit - FD_SPARE) / 2 : 16;
    c.max_conns = max_conns < by_fds ? max_conns : by_fds;
    /* A small cap still leaves one address (a browser, a proxy) room for a few. */
    unsigned floor = c.max_conns < PER_ADDR_MIN ? c.max_conns : PER_ADDR_MIN;
    c.per_addr = c.max_conns / 8 > floor ? c.max_conns / 8 : floor;
    c.reserve = c.max_conns / 16 > 1 ? c.max_conns / 16 : 1;
    c.head_timeout_ms = 10 * 1000;
    c.linger_ms = 2 * 1000;
    c.fd_limit = fd_limit;
    return c;
}

int conns_init(const struct conns_config *cfg, char *err, size_t errlen)
{
    g.cfg = *cfg;
    g.nfd = cfg->fd_limit > 0 ? (size_t)cfg->fd_limit : 1024;
    /* Untouched pages of a calloc'd table cost no memory, however large the fd limit. */
    struct conn *_Atomic *tab = calloc(g.nfd, sizeof *tab);
    if (!tab) {
        snprintf(err, errlen, "out of memory for the connection table");
        return -1;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g.cv, &ca);
    pthread_condattr_destroy(&ca);
    g.stop = false;
    memset(&g.st, 0, sizeof g.st);
    g.nconns = g.nidle = 0;
    atomic_store(&g.fdtab, tab);
    if (pthread_create(&g.reaper, NULL, reaper_main, NULL) != 0) {
        atomic_store(&g.fdtab, NULL);
        free(tab);
        pthread_cond_destroy(&g.cv);
        snprintf(err, errlen, "cannot start the connection reaper thread");
        return -1;
    }
    g.reaper_up = true;
    return 0;
}

void conns_shutdown(void)
{
    if (g.reaper_up) {
        pthread_mutex_lock(&g.mu);
        g.stop = true;
        pthread_cond_signal(&g.cv);
        pthread_mutex_unlock(&g.mu);
        pthread_join(g.reaper, NULL);
        g.reaper_up = false;
        pthread_cond_destroy(&g.cv);
    }
    struct conn *_Atomic *tab = atomic_exchange(&g.fdtab, NULL);
    free(tab);
    /* Whatever is still registered belongs to no open connection any more. */
    for (size_t b = 0; b < ADDR_BUCKETS; b++) {
        while (g.buckets[b]) {
            struct addr_entry *e = g.buckets[b];
            g.buckets[b] = e->next;
            free(e);
        }
    }
    memset(&g.lru, 0, sizeof g.lru);
    memset(&g.heads, 0, sizeof g.heads);
    memset(&g.lingering, 0, sizeof g.lingering);
}

/* ---- connections ------------------------------------------------------------------- */

struct conn *conns_open(int fd, const struct sockaddr *sa)
{
    struct conn *_Atomic *tab = atomic_load(&g.fdtab);
    if (!tab || fd < 0 || (size_t)fd >= g.nfd)
        return NULL;
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    framing_init(&c->fr);
    struct addr_key k = addr_key_of(sa);
    pthread_mutex_lock(&g.mu);
    struct addr_entry *e = addr_get(&k);
    if (!e) {
        pthread_mutex_unlock(&g.mu);
        free(c);
        return NULL;
    }
    e->refs++;
    c->addr = e;
    /* Room in total: the oldest idle connections go (lingering ones first). */
    unsigned high = g.cfg.max_conns > g.cfg.reserve ? g.cfg.max_conns - g.cfg.reserve : 1;
    bool at_cap = g.nconns >= high;
    for (int i = 0; i < EVICT_PER_OPEN_MAX && g.nconns >= high && g.lru.head; i++) {
        evict(CONN_OF(g.lru.head, lru));
        g.st.evicted++;
    }
    /* Room for this address: its own oldest idle connection goes. */
    if (e->live >= g.cfg.per_addr && e->idle.head) {
        evict(CONN_OF(e->idle.head, alru));
        g.st.evicted++;
    }
    g.nconns++;
    if (e->live >= g.cfg.per_addr) {
        /* All of its connections are busy: this one is answered 503 at its first read. */
        c->rstate = RS_REFUSED;
        set_closing(c);
        g.st.refused++;
    } else {
        e->live++;
        c->counted = true;
        idle_set(c);
        timer_set(c, T_HEAD, g.cfg.head_timeout_ms);
        c->head_listed = true;
    }
    /* Once a minute at most, say that the cap is being enforced (an attack would otherwise
     * go unnoticed, or fill the log). */
    struct conns_stats st = g.st;
    st.open = g.nconns;
    int64_t now = mono_ns();
    bool warn = at_cap && (g.warned_ns == 0 || now - g.warned_ns > 60 * (int64_t)1000000000);
    if (warn)
        g.warned_ns = now;
    pthread_mutex_unlock(&g.mu);
    atomic_store(&tab[fd], c);
    if (warn)
        log_warn("http: %u connections held, the cap of %u less %u in reserve: closing the "
                 "oldest idle ones (%llu so far, %llu refused)",
                 st.open, g.cfg.max_conns, g.cfg.reserve, (unsigned long long)st.evicted,
                 (unsigned long long)st.refused);
    return c;
}

void conns_close(struct conn *c)
{
    if (!c)
        return;
    struct conn *_Atomic *tab = atomic_load(&g.fdtab);
    if (tab)
        atomic_store(&tab[c->fd], NULL);
    pthread_mutex_lock(&g.mu);
    if (!c->evicted) {
        idle_clear(c);
        timer_clear(c);
        uncount(c);
        g.nconns--;
    }
    addr_put(c->addr);
    pthread_mutex_unlock(&g.mu);
    free(c);
}

void conns_busy(struct conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&g.mu);
    if (!c->evicted && !c->closing && !c->busy) {
        c->busy = true;
        idle_clear(c);
    }
    pthread_mutex_unlock(&g.mu);
}

void conns_idle(struct conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&g.mu);
    if (!c->evicted && !c->closing && c->busy) {
        c->busy = false;
        idle_set(c);
    }
    pthread_mutex_unlock(&g.mu);
}

struct conns_stats conns_stats(void)
{
    pthread_mutex_lock(&g.mu);
    struct conns_stats s = g.st;
    s.open = g.nconns;
    s.idle = g.nidle;
    pthread_mutex_unlock(&g.mu);
    return s;
}

/* ---- reading ----------------------------------------------------------------------- */

/* Puts c on the head list, or takes it off, when whether it owes a head has changed. */
static void track_head(struct conn *c)
{
    bool want = framing_awaiting_head(&c->fr);
    if (want == c->head_listed)
        return;
    c->head_listed = want;
    pthread_mutex_lock(&g.mu);
    if (!c->evicted && !c->closing) {
        if (want)
            timer_set(c, T_HEAD, g.cfg.head_timeout_ms);
        else
            timer_clear(c);
    }
    pthread_mutex_unlock(&g.mu);
}

/* Writes a whole error answer to c's socket. It is short and nothing else of ours is
 * waiting to be sent (libmicrohttpd reads only between responses), so it goes in one
 * non-blocking send; if the client is not reading, it is lost with the connection. */
static void answer(struct conn *c, int status, const char *code, const char *msg,
                   const char *extra)
{
    char out[1024];
    size_t n = framing_response(out, sizeof out, status, code, msg, extra);
    if (n > 0 && send(c->fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
        log_msg(LOG_DEBUG, "http: could not send the %d answer in full", status);
    /* The FIN goes right after the answer, and the client knows it is the last. */
    shutdown(c->fd, SHUT_WR);
}

/* Reads and drops what the client still sends after our answer, so that closing does not
 * turn unread bytes into a reset that could destroy the answer before it is read. */
static ssize_t linger_drain(struct conn *c, void *buf, size_t len)
{
    size_t total = 0;
    while (total < LINGER_READ_MAX) {
        ssize_t r = recvfrom(c->fd, buf, len, 0, NULL, NULL);
        if (r == 0)
            return 0; /* the client closed: now libmicrohttpd may close too */
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1; /* EAGAIN: wait for more (or for the linger deadline) */
        }
        total += (size_t)r;
    }
    errno = EAGAIN;
    return -1;
}

/* c sent a request we refuse: answer, and linger. */
static ssize_t reject(struct conn *c, enum framing_error e, void *buf, size_t len)
{
    log_warn("http: refused a request: %s", framing_error_message(e));
    answer(c, framing_error_status(e), "BAD_REQUEST", framing_error_message(e), NULL);
    c->rstate = RS_LINGER;
    pthread_mutex_lock(&g.mu);
    set_closing(c);
    g.st.rejected++;
    pthread_mutex_unlock(&g.mu);
    return linger_drain(c, buf, len);
}

static struct conn *lookup(int fd)
{
    struct conn *_Atomic *tab = atomic_load_explicit(&g.fdtab, memory_order_acquire);
    if (!tab || fd < 0 || (size_t)fd >= g.nfd)
        return NULL;
    return atomic_load_explicit(&tab[fd], memory_order_acquire);
}

ssize_t conns_recv(int fd, void *buf, size_t len, int flags)
{
    struct conn *c = lookup(fd);
    if (!c || flags != 0)
        return recvfrom(fd, buf, len, flags, NULL, NULL);
    switch (c->rstate) {
    case RS_OPEN:
        break;
    case RS_LINGER:
        return linger_drain(c, buf, len);
    case RS_PENDING:
        /* The requests before the bad one have been answered (libmicrohttpd reads only
         * between responses); our read side is shut, so this read sees the end. */
        answer(c, framing_error_status(c->pending), "BAD_REQUEST",
               framing_error_message(c->pending), NULL);
        log_warn("http: refused a request: %s", framing_error_message(c->pending));
        return 0;
    case RS_REFUSED: {
        ssize_t n = recvfrom(fd, buf, len, 0, NULL, NULL);
        if (n <= 0)
            return n;
        answer(c, 503, "TEMPORARILY_UNAVAILABLE",
               "Too many connections from this address; retry later.", "Retry-After: 1\r\n");
        c->rstate = RS_LINGER;
        return linger_drain(c, buf, len);
    }
    }
    ssize_t n = recvfrom(fd, buf, len, 0, NULL, NULL);
    if (n <= 0)
        return n;
    size_t start;
    enum framing_error e = framing_feed(&c->fr, buf, (size_t)n, &start);
    if (e == FR_OK) {
        track_head(c);
        return n;
    }
    if (start > 0) {
        /* Whole, valid requests come first: hand them on, and make sure libmicrohttpd
         * reads again once it has answered them (it then sees the end of input). */
        c->rstate = RS_PENDING;
        c->pending = e;
        c->head_listed = false;
        pthread_mutex_lock(&g.mu);
        timer_clear(c);
        g.st.rejected++;
        pthread_mutex_unlock(&g.mu);
        shutdown(fd, SHUT_RD);
        return (ssize_t)start;
    }
    return reject(c, e, buf, len);
}
