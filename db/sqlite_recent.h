/* A SQLite connection's recent one-off statements, kept by their text after use (inside
 * db/ only). A search's SQL is built per request, but its values are bound, so the next
 * search of the same shape has the same text: it takes the kept statement and skips
 * SQLite's parse and planning (5% of a trace search's time). Statements kept under a
 * literal's address (db_prepare) are not here; nor is anything on PostgreSQL, where a
 * statement kept on the server could switch to a generic plan. */
#ifndef MLT_DB_SQLITE_RECENT_H
#define MLT_DB_SQLITE_RECENT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

enum { SQ_RECENT_SLOTS = 8, SQ_RECENT_MAX_SQL = 16 * 1024 };

struct sq_recent {
    struct sq_recent_slot {
        sqlite3_stmt *st; /* NULL: free; its text is sqlite3_sql(st) */
        uint64_t hash;
        size_t len;
        uint64_t used; /* tick of its last use, for eviction */
    } slot[SQ_RECENT_SLOTS];
    uint64_t tick;
};

/* The kept statement whose text is sql[0..len), taken out of the cache; or NULL. *hash
 * gets the text's hash, for sq_recent_put when the statement is done. */
sqlite3_stmt *sq_recent_take(struct sq_recent *r, const char *sql, size_t len, uint64_t *hash);
/* Resets st and keeps it under its text (len bytes, hash from sq_recent_take), in place of
 * the least recently used when full (which is finalized); finalizes st itself when its
 * text is too long or already kept. */
void sq_recent_put(struct sq_recent *r, sqlite3_stmt *st, size_t len, uint64_t hash);
/* Finalizes every kept statement (when the connection closes or gives back its memory). */
void sq_recent_clear(struct sq_recent *r);

#endif
