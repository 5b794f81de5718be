/* Loading libpq on first use (see pq_load.h). */
#include "pq_load.h"

#include <dlfcn.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>

#include "../base/banned.h"

struct pq_api pq_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

#define SYM(field, name)                                                                     \
    do {                                                                                     \
        void *p_ = dlsym(h, name);                                                           \
        if (!p_) {                                                                           \
            snprintf(load_error, sizeof load_error, "libpq lacks %s", name);                \
            return;                                                                          \
        }                                                                                    \
        memcpy(&pq_api.field, &p_, sizeof p_);                                               \
    } while (0)

static void load(void)
{
    void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load libpq.so.5 (%s)",
                 why ? why : "unknown");
        return;
    }
    SYM(clear, "PQclear");
    SYM(cmdTuples, "PQcmdTuples");
    SYM(connectdbParams, "PQconnectdbParams");
    SYM(errorMessage, "PQerrorMessage");
    SYM(exec, "PQexec");
    SYM(execParams, "PQexecParams");
    SYM(execPrepared, "PQexecPrepared");
    SYM(finish, "PQfinish");
    SYM(getisnull, "PQgetisnull");
    SYM(getlength, "PQgetlength");
    SYM(getvalue, "PQgetvalue");
    SYM(nfields, "PQnfields");
    SYM(ntuples, "PQntuples");
    SYM(prepare, "PQprepare");
    SYM(reset, "PQreset");
    SYM(resultErrorField, "PQresultErrorField");
    SYM(resultErrorMessage, "PQresultErrorMessage");
    SYM(resultStatus, "PQresultStatus");
    SYM(status, "PQstatus");
}

int pq_load(struct err *e)
{
    pthread_once(&once, load);
    if (load_error[0])
        return err_set(e, ERR_INTERNAL_ERROR, "PostgreSQL support unavailable: %s",
                       load_error);
    return 0;
}
