/* `mltrack gc ...`: MLflow's `mlflow gc` on a store, beside a running server or not. */
#ifndef MLT_SERVER_GC_H
#define MLT_SERVER_GC_H

/* argv[0] is "gc". Returns the process exit code: 0 done, 1 an error or artifacts left
 * behind, 2 a usage error. */
int gc_main(int argc, char **argv);

#endif
