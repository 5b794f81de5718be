/* `mltrack db check` and `mltrack db backup DEST` (see admin.h): the store's operations
 * with the server's way of naming the database (--backend-store-uri, or
 * MLFLOW_BACKEND_STORE_URI, or sqlite:///mlflow.db). */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/admin.h"

static const char usage[] =
    "Usage: mltrack db check [--backend-store-uri URI]\n"
    "       mltrack db backup [--backend-store-uri URI] DEST\n"
    "\n"
    "check   Print the database's MLflow schema revision, whether mltrack serves it as it\n"
    "        is, and run its integrity check (SQLite). Exit 1 when something is wrong.\n"
    "backup  Copy a SQLite store into the new file DEST while the server runs: one\n"
    "        consistent snapshot, synced to disk, then checked. For PostgreSQL use pg_dump.\n"
    "\n"
    "URI defaults to $MLFLOW_BACKEND_STORE_URI, then sqlite:///mlflow.db.\n";

static void report(const char *what, const struct store_check *c)
{
    printf("%s: schema revision %s", what, c->revision[0] ? c->revision : "(none)");
    if (c->usable)
        printf(c->why[0] ? " (MLflow %s), served as it is\n" : ", served as it is\n", c->why);
    else
        printf(", not served: %s\n", c->why);
    if (!c->checked)
        printf("%s: no integrity check for this database here (PostgreSQL: amcheck)\n", what);
    else if (c->sound)
        printf("%s: integrity check ok\n", what);
    else
        printf("%s: integrity check found problems:\n%s", what, c->problems);
}

static bool problems(const struct store_check *c)
{
    return !c->usable || (c->checked && !c->sound);
}

int admin_db_main(int argc, char **argv)
{
    const char *uri = getenv("MLFLOW_BACKEND_STORE_URI");
    const char *cmd = NULL, *dest = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(a, "--backend-store-uri") == 0 && i + 1 < argc) {
            uri = argv[++i];
        } else if (strncmp(a, "--backend-store-uri=", 20) == 0) {
            uri = a + 20;
        } else if (a[0] == '-') {
            fprintf(stderr, "mltrack db: unknown option '%s'\n%s", a, usage);
            return 2;
        } else if (!cmd) {
            cmd = a;
        } else if (!dest) {
            dest = a;
        } else {
            fprintf(stderr, "mltrack db: unexpected argument '%s'\n%s", a, usage);
            return 2;
        }
    }
    if (!uri || !*uri)
        uri = "sqlite:///mlflow.db";
    bool backup = cmd && strcmp(cmd, "backup") == 0;
    if (!cmd || (!backup && strcmp(cmd, "check") != 0) || (backup != (dest != NULL))) {
        fputs(usage, stderr);
        return 2;
    }
    struct store_check c;
    struct err e;
    err_clear(&e);
    if (backup) {
        if (store_db_backup(uri, dest, &c, &e) != 0) {
            fprintf(stderr, "mltrack db backup: %s\n", e.msg);
            return 1;
        }
        printf("backup written to %s\n", dest);
        report("backup", &c);
        return problems(&c);
    }
    if (store_db_check(uri, &c, &e) != 0) {
        fprintf(stderr, "mltrack db check: %s\n", e.msg);
        return 1;
    }
    report("database", &c);
    return problems(&c);
}
