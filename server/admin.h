/* `mltrack db ...`: operations on a store without running the server. */
#ifndef MLT_SERVER_ADMIN_H
#define MLT_SERVER_ADMIN_H

/* argv[0] is "db". Returns the process exit code: 0 done and sound, 1 a problem found or
 * the operation failed, 2 a usage error. */
int admin_db_main(int argc, char **argv);

#endif
