/* The process's memory policy: glibc's allocator told not to hoard (a fixed mmap threshold,
 * so large buffers go back to the kernel when freed; as many arenas as cores), a trim after
 * requests that used a lot of memory, and a sweeper that gives caches and free heap back
 * once the server has gone idle, so a burst of load does not leave its peak resident. */
#ifndef MLT_SERVER_MEM_H
#define MLT_SERVER_MEM_H

#include <stddef.h>

/* At start-up, before any thread. */
void mem_init(void);
/* Starts the sweeper thread; inflight() tells it how many requests are running. After
 * requests, once none has run for IDLE_MS, it empties the page caches of the writer and of
 * every thread's connection not in use, and trims the heap. 0, or -1 when the thread cannot start (the server runs without). */
int mem_sweeper_start(int (*inflight)(void));
void mem_sweeper_stop(void);
/* After a request that held `bytes` of memory (its arena and bodies), on its thread: when
 * that was a lot, empties the thread's database page cache and gives free memory back to
 * the kernel (at most once a second); marks the thread's connection idle (store_thread_done)
 * and counts the request for the sweeper. */
void mem_after_request(size_t bytes);

#endif
