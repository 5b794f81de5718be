/* Loading libpq on first use (see pq_load.h). */
#include "pq_load.h"

#include <pthread.h>

#include "../base/dl.h"

struct pq_api pq_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
    const struct dl_sym syms[] = {
        {"PQclear", &pq_api.clear},
        {"PQcmdTuples", &pq_api.cmdTuples},
        {"PQconnectdbParams", &pq_api.connectdbParams},
        {"PQerrorMessage", &pq_api.errorMessage},
        {"PQexec", &pq_api.exec},
        {"PQexecParams", &pq_api.execParams},
        {"PQexecPrepared", &pq_api.execPrepared},
        {"PQfinish", &pq_api.finish},
        {"PQgetisnull", &pq_api.getisnull},
        {"PQgetlength", &pq_api.getlength},
        {"PQgetvalue", &pq_api.getvalue},
        {"PQnfields", &pq_api.nfields},
        {"PQntuples", &pq_api.ntuples},
        {"PQprepare", &pq_api.prepare},
        {"PQreset", &pq_api.reset},
        {"PQresultErrorField", &pq_api.resultErrorField},
        {"PQresultErrorMessage", &pq_api.resultErrorMessage},
        {"PQresultStatus", &pq_api.resultStatus},
        {"PQstatus", &pq_api.status},
    };
    dl_bind("libpq.so.5", syms, sizeof syms / sizeof *syms, load_error, sizeof load_error);
}

int pq_load(struct err *e)
{
    pthread_once(&once, load);
    if (load_error[0])
        return err_set(e, ERR_INTERNAL_ERROR, "PostgreSQL support unavailable: %s",
                       load_error);
    return 0;
}
