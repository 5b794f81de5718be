/* The allocator policy (see mem.h). glibc raises its mmap threshold each time a large
 * mmapped block is freed, after which large buffers come from the heap and stay there;
 * fixing the threshold keeps response bodies and big arenas out of the heap. Threads
 * each get an arena up to 8 per core, each keeping what it freed; one per core is enough
 * for a server whose threads mostly wait on sockets and the database. */
#include "mem.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "../base/util.h"

enum {
    MMAP_THRESHOLD = 128 << 10, /* blocks at least this large are mmapped */
    TRIM_THRESHOLD = 1 << 20,   /* free heap top beyond this goes back at free() */
    BIG_REQUEST = 4 << 20,      /* a request this large is followed by a trim */
};

static _Atomic int64_t last_trim_ns;

void mem_init(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    mallopt(M_ARENA_MAX, cpus > 0 ? (int)cpus : 2);
}

void mem_after_request(size_t bytes)
{
    if (bytes < BIG_REQUEST)
        return;
    int64_t now = mono_ns(), last = atomic_load(&last_trim_ns);
    if (now - last < 1000000000LL || !atomic_compare_exchange_strong(&last_trim_ns, &last, now))
        return;
    malloc_trim(0);
}
