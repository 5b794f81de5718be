/* The local-disk backend (see art.h). */
#ifndef MLT_ART_LOCAL_H
#define MLT_ART_LOCAL_H

#include "art.h"

/* Opens (creating it) the directory root; it must be writable. */
struct art_store *art_local_open(const char *root, struct err *e);
/* A store over the absolute directory root, which need not exist: nothing is opened here,
 * reads of a missing root find nothing, and the first write creates it. */
struct art_store *art_local_attach(const char *root, struct err *e);

#endif
