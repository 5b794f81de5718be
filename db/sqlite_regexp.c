/* regexp(pattern, s) on every SQLite connection, what SQLite's `s REGEXP pattern` calls and
 * what MLflow registers for RLIKE: true when Python's re.search(pattern, s) finds a match,
 * false for a NULL argument or a pattern re refuses. The pattern is translated into POSIX
 * (base/pyre.c, which lists what differs) and compiled once per statement (SQLite's
 * auxiliary data keeps it while the pattern argument stays the same). Matching runs in the
 * C.UTF-8 locale so that `.` and classes take characters, not bytes. */
#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "../base/buf.h"
#include "../base/pyre.h"
#include "sqlite.h"

#define PATTERN_MAX (64 * 1024) /* a translated pattern's bound */

struct compiled {
    bool ok; /* false: refused, matches nothing */
    regex_t re;
};

static locale_t utf8_locale;

static void locale_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static void compiled_free(void *p)
{
    struct compiled *c = p;
    if (c->ok)
        regfree(&c->re);
    free(c);
}

static struct compiled *compile(const char *pat, size_t n)
{
    struct compiled *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    struct buf ere;
    buf_init(&ere, PATTERN_MAX);
    struct pyre_flags fl;
    if (pyre_to_ere(pat, n, &ere, &fl) == 0) {
        int flags = REG_EXTENDED | REG_NOSUB | (fl.icase ? REG_ICASE : 0);
        c->ok = regcomp(&c->re, ere.ptr ? ere.ptr : "", flags) == 0;
    }
    buf_release(&ere);
    return c;
}

static void regexp_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, locale_init);
    locale_t old = utf8_locale ? uselocale(utf8_locale) : (locale_t)0;
    struct compiled *c = sqlite3_get_auxdata(ctx, 0);
    bool fresh = !c;
    if (fresh) {
        const char *pat = (const char *)sqlite3_value_text(argv[0]);
        int pn = sqlite3_value_bytes(argv[0]);
        c = pat ? compile(pat, (size_t)pn) : NULL;
        if (!c) {
            if (utf8_locale)
                uselocale(old);
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }
    int match = 0;
    const char *s = (const char *)sqlite3_value_text(argv[1]);
    if (c->ok && s) {
        regmatch_t m[1] = {{0, (regoff_t)sqlite3_value_bytes(argv[1])}};
        match = regexec(&c->re, s, 1, m, REG_STARTEND) == 0;
    }
    /* SQLite owns it from here: kept for the next rows while the pattern argument stays
     * the same, or freed at once. */
    if (fresh)
        sqlite3_set_auxdata(ctx, 0, c, compiled_free);
    if (utf8_locale)
        uselocale(old);
    sqlite3_result_int(ctx, match);
}

int db_sqlite_regexp_register(struct sqlite3 *conn)
{
    return sqlite3_create_function_v2(conn, "regexp", 2,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                      regexp_fn, NULL, NULL, NULL) == SQLITE_OK
               ? 0
               : -1;
}
