/* `mltrack gc`: MLflow's `mlflow gc` command line (its options, their environment
 * variables and defaults) over api/gc.h, naming the database as `mltrack db` does. */
#include "gc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/gc.h"

static const char usage[] =
    "Usage: mltrack gc [options]\n"
    "\n"
    "Permanently delete runs, logged models and experiments in the `deleted` lifecycle\n"
    "stage, with their artifacts, as 'mlflow gc' does. Safe while 'mltrack server' serves\n"
    "the same database: each entity is deleted in a short transaction of its own, and its\n"
    "artifacts are removed once that transaction has committed. Running it again finishes\n"
    "what an interrupted run left. Every id given is checked before anything is deleted.\n"
    "Without --experiment-ids every deleted experiment goes (with its runs and logged\n"
    "models, whatever their stage); without --run-ids every deleted run, and without\n"
    "--logged-model-ids every deleted logged model, as in MLflow.\n"
    "\n"
    "Options (also --option=value):\n"
    "  --older-than TIME            Only what was deleted (runs: deleted_time; experiments\n"
    "                               and logged models: last update) longer ago than TIME,\n"
    "                               in #d#h#m#s format, decimals allowed: 30d, 1d2h3m4s,\n"
    "                               1.5h.\n"
    "  --backend-store-uri URI      The database (default: $MLFLOW_BACKEND_STORE_URI, then\n"
    "                               sqlite:///mlflow.db).\n"
    "  --artifacts-destination URI  Where mlflow-artifacts: locations are: the server's\n"
    "                               --artifacts-destination (default:\n"
    "                               $MLFLOW_ARTIFACTS_DESTINATION, then ./mlartifacts).\n"
    "  --run-ids IDS                Comma-separated runs to delete (each must be deleted).\n"
    "  --experiment-ids IDS         Comma-separated experiments to delete, with their runs\n"
    "                               and logged models (each must be deleted).\n"
    "  --logged-model-ids IDS       Comma-separated logged models to delete (each must be\n"
    "                               deleted).\n"
    "  --tracking-uri URI           Accepted for 'mlflow gc' scripts and ignored: mltrack\n"
    "                               reads the database and the artifact stores directly.\n"
    "  --help                       Show this message and exit.\n"
    "\n"
    "Relative local artifact locations resolve against the working directory: run it\n"
    "where the server runs. S3 settings come from the environment, as for the server.\n"
    "Prints one line per deleted entity. Exit status: 0 done, 1 an error (nothing deleted\n"
    "when an id does not qualify) or some artifacts left behind (each named), 2 usage.\n";

/* Options of `mlflow gc` that mltrack does not have: refused rather than ignored, since
 * each would change what is deleted. */
static const char *const unsupported[] = {"--jobs", "--job-ids", "--workspace",
                                          "--all-workspaces"};

/* Matches "--name VALUE" or "--name=VALUE"; advances *i past the value. */
static bool take(int argc, char **argv, int *i, const char *name, const char **out)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return false;
    if (a[n] == '=') {
        *out = a + n + 1;
        return true;
    }
    if (a[n] == '\0' && *i + 1 < argc) {
        *out = argv[++*i];
        return true;
    }
    return false;
}

int gc_main(int argc, char **argv)
{
    struct gc_opts o = {.backend_uri = getenv("MLFLOW_BACKEND_STORE_URI"),
                        .artifacts_destination = getenv("MLFLOW_ARTIFACTS_DESTINATION"),
                        .out = stdout,
                        .warn = stderr};
    const char *tracking = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        for (size_t k = 0; k < sizeof unsupported / sizeof *unsupported; k++) {
            size_t n = strlen(unsupported[k]);
            if (strncmp(a, unsupported[k], n) == 0 && (a[n] == '\0' || a[n] == '=')) {
                fprintf(stderr,
                        "mltrack gc: %s is not supported: mltrack has no jobs and no "
                        "workspaces\n",
                        unsupported[k]);
                return 2;
            }
        }
        if (!take(argc, argv, &i, "--older-than", &o.older_than) &&
            !take(argc, argv, &i, "--backend-store-uri", &o.backend_uri) &&
            !take(argc, argv, &i, "--artifacts-destination", &o.artifacts_destination) &&
            !take(argc, argv, &i, "--run-ids", &o.run_ids) &&
            !take(argc, argv, &i, "--experiment-ids", &o.experiment_ids) &&
            !take(argc, argv, &i, "--logged-model-ids", &o.logged_model_ids) &&
            !take(argc, argv, &i, "--tracking-uri", &tracking)) {
            fprintf(stderr, "mltrack gc: %s '%s'\n%s",
                    a[0] == '-' ? "unknown option or missing value" : "unexpected argument", a,
                    usage);
            return 2;
        }
    }
    if (!o.backend_uri || !*o.backend_uri)
        o.backend_uri = "sqlite:///mlflow.db";
    if (!o.artifacts_destination || !*o.artifacts_destination)
        o.artifacts_destination = "./mlartifacts";
    struct err e;
    err_clear(&e);
    int rc = gc_run(&o, &e);
    if (rc < 0) {
        fprintf(stderr, "mltrack gc: %s\n", e.msg);
        return 1;
    }
    return rc;
}
