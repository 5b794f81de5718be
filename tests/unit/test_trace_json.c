/* api/trace_json.c: proto JSON Timestamps as the trace endpoints write them. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../../api/trace_json.h"
#include "t.h"

static void test_timestamps(void)
{
    char out[64];
    const struct {
        int64_t ms;
        const char *want;
    } cases[] = {
        {0, "1970-01-01T00:00:00Z"},
        {1700000000123, "2023-11-14T22:13:20.123Z"},
        {1700000000100, "2023-11-14T22:13:20.100Z"},
        {1700000000007, "2023-11-14T22:13:20.007Z"},
        {-1, "1969-12-31T23:59:59.999Z"},
        {-62135596800000, "0001-01-01T00:00:00Z"},
        {253402300799999, "9999-12-31T23:59:59.999Z"},
        {253402300800000, "10000-01-01T00:00:00Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        trace_json_timestamp(out, sizeof out, cases[i].ms);
        T_STREQ(out, cases[i].want);
    }
}

/* Every millisecond of a few days far apart reads as gmtime and printf would write it. */
static void test_timestamps_as_gmtime(void)
{
    const int64_t starts[] = {0, 951782400000 /* 2000-02-29 */, 4102444800000 /* 2100 */};
    char out[64], want[64];
    for (size_t s = 0; s < sizeof starts / sizeof *starts; s++)
        for (int64_t ms = starts[s]; ms < starts[s] + 3 * 86400000LL; ms += 997) {
            time_t t = (time_t)(ms / 1000);
            struct tm tm;
            gmtime_r(&t, &tm);
            int n = snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d",
                             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                             tm.tm_min, tm.tm_sec);
            snprintf(want + n, sizeof want - (size_t)n, ms % 1000 ? ".%03dZ" : "Z",
                     (int)(ms % 1000));
            trace_json_timestamp(out, sizeof out, ms);
            if (strcmp(out, want) != 0) {
                T_STREQ(out, want);
                return;
            }
        }
}

int main(void)
{
    T_RUN(test_timestamps);
    T_RUN(test_timestamps_as_gmtime);
    T_DONE();
}
