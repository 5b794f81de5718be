/* The allocator policy (see mem.h). glibc raises its mmap threshold each time a large
 * mmapped block is freed, after which large buffers come from the heap and stay there;
 * fixing the threshold keeps response bodies and big arenas out of the heap. Threads
 * each get an arena up to 8 per core, each keeping what it freed; one per core is enough
 * for a server whose threads mostly wait on sockets and the database.
 *
 * What the heap keeps after a burst is many small free chunks (jansson's trees, SQLite's
 * pages) spread over the arenas: only malloc_trim gives their pages back, and it walks
 * every arena, so it runs off the request path, in the sweeper, once the burst is over,
 * after the writer's and the idle threads' SQLite page caches have been emptied. */
#include "mem.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "../base/arena.h"
#include "../base/util.h"
#include "../db/writer.h"
#include "../store/store.h"

enum {
    MMAP_THRESHOLD = 128 << 10, /* blocks at least this large are mmapped */
    TRIM_THRESHOLD = 1 << 20,   /* free heap top beyond this goes back at free() */
    BIG_REQUEST = 4 << 20,      /* a request this large is followed by a trim */
    BIG_READ = 1 << 20,         /* this large, and it has filled its thread's page cache */
    IDLE_MS = 1000,             /* quiet this long after requests: sweep */
};

static _Atomic int64_t last_trim_ns;
static atomic_uint_fast64_t completed; /* requests finished since start */

static struct {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool running, stop;
    int (*inflight)(void);
} sw = {.mu = PTHREAD_MUTEX_INITIALIZER};

void mem_init(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    mallopt(M_ARENA_MAX, cpus > 0 ? (int)cpus : 2);
}

static void trim(void)
{
    atomic_store(&last_trim_ns, mono_ns());
    malloc_trim(0);
}

void mem_after_request(size_t bytes)
{
    atomic_fetch_add_explicit(&completed, 1, memory_order_relaxed);
    /* A large request read more pages than the cache holds anyway: its thread empties it
     * now rather than keep them until the sweeper comes. */
    if (bytes >= BIG_READ)
        store_thread_release_memory();
    store_thread_done();
    if (bytes < BIG_REQUEST)
        return;
    int64_t now = mono_ns(), last = atomic_load(&last_trim_ns);
    if (now - last < 1000000000LL || !atomic_compare_exchange_strong(&last_trim_ns, &last, now))
        return;
    malloc_trim(0);
}

/* Waits ms, or until told to stop; true when told to stop. */
static bool nap(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sw.mu);
    while (!sw.stop && pthread_cond_timedwait(&sw.cv, &sw.mu, &ts) == 0)
        ;
    bool stop = sw.stop;
    pthread_mutex_unlock(&sw.mu);
    return stop;
}

/* Sweeps once per quiet period: a tick that sees requests completed since the last one
 * waits for the next; a tick that sees none since, and none running, sweeps. */
static void *sweeper_main(void *arg)
{
    (void)arg;
    uint64_t seen = atomic_load(&completed), swept = seen;
    while (!nap(IDLE_MS)) {
        uint64_t now = atomic_load(&completed);
        if (now != seen) {
            seen = now;
            continue;
        }
        if (now == swept || sw.inflight() > 0)
            continue;
        db_writer_release_memory();
        store_release_idle_memory();
        arena_pool_drain();
        trim();
        swept = now;
    }
    return NULL;
}

int mem_sweeper_start(int (*inflight)(void))
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sw.cv, &ca);
    pthread_condattr_destroy(&ca);
    sw.inflight = inflight;
    sw.stop = false;
    if (pthread_create(&sw.thread, NULL, sweeper_main, NULL) != 0) {
        log_warn("memory sweeper not started: memory freed after load stays resident");
        return -1;
    }
    sw.running = true;
    return 0;
}

void mem_sweeper_stop(void)
{
    if (!sw.running)
        return;
    pthread_mutex_lock(&sw.mu);
    sw.stop = true;
    pthread_cond_signal(&sw.cv);
    pthread_mutex_unlock(&sw.mu);
    pthread_join(sw.thread, NULL);
    sw.running = false;
}
