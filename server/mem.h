/* The process's memory policy: glibc's allocator told not to hoard (a fixed mmap threshold,
 * so large buffers go back to the kernel when freed; as many arenas as cores), and trimming
 * after requests that used a lot of memory, at most once a second. */
#ifndef MLT_SERVER_MEM_H
#define MLT_SERVER_MEM_H

#include <stddef.h>

/* At start-up, before any thread. */
void mem_init(void);
/* After a request that held `bytes` of memory (its arena and body): gives free memory
 * back to the kernel when that was a lot and the last trim was over a second ago. */
void mem_after_request(size_t bytes);

#endif
