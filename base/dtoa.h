/* Doubles to the shortest decimal text that reads back to the same value (Grisu2, after
 * Florian Loitsch's "Printing Floating-Point Numbers Quickly and Accurately with
 * Integers", 2010): integer arithmetic only, no printf. */
#ifndef MLT_DTOA_H
#define MLT_DTOA_H

#include <stddef.h>

/* Writes v (finite) as JSON-compatible text into out (at least 32 bytes, not
 * NUL-terminated) and returns the length, laid out as Python's repr(float) lays it out
 * (what MLflow's JSON holds): "1.0", "0.1", "0.0001", "1e-05", "1.5e-07", "1e+16",
 * "1000000000000000.0", "-0.0". strtod() of the text gives back exactly v. */
size_t dtoa_shortest(double v, char *out);

#endif
