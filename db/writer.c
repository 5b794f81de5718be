/* The single writer connection and the lock that takes it in turn (see writer.h). */
#include "writer.h"

#include <pthread.h>

static struct db *writer;
static pthread_mutex_t writer_mu = PTHREAD_MUTEX_INITIALIZER;

int db_writer_adopt(struct db *db)
{
    if (!db_dialect(db)->single_writer)
        return 0;
    if (db->drv->writer_start && db->drv->writer_start(db) != 0)
        return -1;
    writer = db;
    return 1;
}

struct db *db_writer_acquire(void)
{
    if (!writer)
        return NULL;
    pthread_mutex_lock(&writer_mu);
    return writer;
}

void db_writer_release(struct db *w)
{
    (void)w;
    pthread_mutex_unlock(&writer_mu);
}

void db_writer_close(void)
{
    if (!writer)
        return;
    pthread_mutex_lock(&writer_mu);
    struct db *w = writer;
    writer = NULL;
    pthread_mutex_unlock(&writer_mu);
    /* The checkpointer's last TRUNCATE runs once the writer has nothing in flight. */
    if (w->drv->writer_stop)
        w->drv->writer_stop(w);
    db_close(w);
}
