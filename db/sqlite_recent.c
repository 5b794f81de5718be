/* A SQLite connection's recent one-off statements by text (see sqlite_recent.h). Eight
 * slots searched in full: a search shape repeats within a few requests or not at all. */
#include "sqlite_recent.h"

#include <string.h>

#include "../base/hash.h"

static struct sq_recent_slot *find(struct sq_recent *r, const char *sql, size_t len,
                                   uint64_t h)
{
    for (int i = 0; i < SQ_RECENT_SLOTS; i++) {
        struct sq_recent_slot *s = &r->slot[i];
        if (s->st && s->hash == h && s->len == len && memcmp(sqlite3_sql(s->st), sql, len) == 0)
            return s;
    }
    return NULL;
}

sqlite3_stmt *sq_recent_take(struct sq_recent *r, const char *sql, size_t len, uint64_t *hash)
{
    *hash = 0;
    if (len > SQ_RECENT_MAX_SQL)
        return NULL;
    *hash = hash_bytes(sql, len);
    struct sq_recent_slot *s = find(r, sql, len, *hash);
    if (!s)
        return NULL;
    sqlite3_stmt *st = s->st;
    s->st = NULL;
    return st;
}

void sq_recent_put(struct sq_recent *r, sqlite3_stmt *st, size_t len, uint64_t h)
{
    const char *sql = sqlite3_sql(st);
    if (!sql || len > SQ_RECENT_MAX_SQL || find(r, sql, len, h)) {
        sqlite3_finalize(st);
        return;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    struct sq_recent_slot *victim = &r->slot[0];
    for (int i = 0; i < SQ_RECENT_SLOTS && victim->st; i++)
        if (!r->slot[i].st || r->slot[i].used < victim->used)
            victim = &r->slot[i];
    if (victim->st)
        sqlite3_finalize(victim->st);
    *victim = (struct sq_recent_slot){st, h, len, ++r->tick};
}

void sq_recent_clear(struct sq_recent *r)
{
    for (int i = 0; i < SQ_RECENT_SLOTS; i++) {
        sqlite3_finalize(r->slot[i].st); /* NULL is a no-op */
        r->slot[i].st = NULL;
    }
}
