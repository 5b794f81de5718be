/* libpq, loaded when a PostgreSQL backend is first opened rather than at program start:
 * libpq drags in OpenSSL, Kerberos and LDAP, whose pages would otherwise sit in every
 * mltrack's memory, SQLite-only ones included. db_pg.c calls libpq through the table
 * below under the usual names (the macros), so it reads as plain libpq code. */
#ifndef MLT_PQ_LOAD_H
#define MLT_PQ_LOAD_H

#include <libpq-fe.h>

#include "../base/err.h"

struct pq_api {
    void (*clear)(PGresult *);
    char *(*cmdTuples)(PGresult *);
    PGconn *(*connectdbParams)(const char *const *, const char *const *, int);
    char *(*errorMessage)(const PGconn *);
    PGresult *(*exec)(PGconn *, const char *);
    PGresult *(*execParams)(PGconn *, const char *, int, const Oid *, const char *const *,
                            const int *, const int *, int);
    PGresult *(*execPrepared)(PGconn *, const char *, int, const char *const *, const int *,
                              const int *, int);
    void (*finish)(PGconn *);
    int (*getisnull)(const PGresult *, int, int);
    int (*getlength)(const PGresult *, int, int);
    char *(*getvalue)(const PGresult *, int, int);
    int (*nfields)(const PGresult *);
    int (*ntuples)(const PGresult *);
    PGresult *(*prepare)(PGconn *, const char *, const char *, int, const Oid *);
    void (*reset)(PGconn *);
    char *(*resultErrorField)(const PGresult *, int);
    char *(*resultErrorMessage)(const PGresult *);
    ExecStatusType (*resultStatus)(const PGresult *);
    ConnStatusType (*status)(const PGconn *);
};

/* Filled by pq_load(). */
extern struct pq_api pq_api;

/* Loads libpq.so.5 once (thread-safe); 0, or -1 with e set when it cannot be had. */
int pq_load(struct err *e);

#define PQclear pq_api.clear
#define PQcmdTuples pq_api.cmdTuples
#define PQconnectdbParams pq_api.connectdbParams
#define PQerrorMessage pq_api.errorMessage
#define PQexec pq_api.exec
#define PQexecParams pq_api.execParams
#define PQexecPrepared pq_api.execPrepared
#define PQfinish pq_api.finish
#define PQgetisnull pq_api.getisnull
#define PQgetlength pq_api.getlength
#define PQgetvalue pq_api.getvalue
#define PQnfields pq_api.nfields
#define PQntuples pq_api.ntuples
#define PQprepare pq_api.prepare
#define PQreset pq_api.reset
#define PQresultErrorField pq_api.resultErrorField
#define PQresultErrorMessage pq_api.resultErrorMessage
#define PQresultStatus pq_api.resultStatus
#define PQstatus pq_api.status

#endif
