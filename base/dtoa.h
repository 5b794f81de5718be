/* Doubles to the shortest decimal text that reads back to the same value (Grisu2, after
 * Florian Loitsch's "Printing Floating-Point Numbers Quickly and Accurately with
 * Integers", 2010): integer arithmetic only, no printf. */
#ifndef MLT_DTOA_H
#define MLT_DTOA_H

#include <stddef.h>

/* Writes v (finite) as JSON-compatible text into out (at least 32 bytes, not
 * NUL-terminated) and returns the length, laid out as Python's repr(float) lays it out
 * (what MLflow's JSON holds): "1.0", "0.1", "0.0001", "1e-05", "1.5e-07", "1e+16",
 * "1000000000000000.0", "-0.0". strtod() of the text gives back exactly v. The digits are
 * Grisu2's: where 16 or 17 are needed they are not always the closest ones, so the last digit
 * may differ from Python's (36.900000000000009 where repr gives 36.900000000000006; about
 * two in three 17-digit values); a reader gets the same double from either. */
size_t dtoa_shortest(double v, char *out);

#endif
