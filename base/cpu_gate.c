/* The CPU gate (see cpu_gate.h): a counter and a condition variable. */
#include "cpu_gate.h"

#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_limit; /* 0: not yet read from the machine */
static int gate_inside;

void cpu_gate_set_limit(int n)
{
    pthread_mutex_lock(&gate_mu);
    gate_limit = n > 0 ? n : 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

void cpu_gate_enter(void)
{
    pthread_mutex_lock(&gate_mu);
    if (!gate_limit) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        gate_limit = cores > 2 ? (int)cores - 1 : 1;
    }
    while (gate_inside >= gate_limit)
        pthread_cond_wait(&gate_cv, &gate_mu);
    gate_inside++;
    pthread_mutex_unlock(&gate_mu);
}

void cpu_gate_leave(void)
{
    pthread_mutex_lock(&gate_mu);
    gate_inside--;
    pthread_cond_signal(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}
