/* API tokens and the auth audit log, in mltrack's own tables of the auth database (see
 * authdb.h). A token is "mlt_" and 64 hex digits of randomness; only its SHA-256 is stored,
 * so the database never holds a usable secret, and every request looks its hash up, so a
 * revocation or expiry counts at once in every process sharing the database. */
#include <openssl/evp.h>
#include <string.h>

#include "../base/util.h"
#include "authdb.h"

static int sha256_hex(const char *s, size_t n, char out[65])
{
    unsigned char d[32];
    unsigned int dn = 0;
    if (EVP_Digest(s, n, d, &dn, EVP_sha256(), NULL) != 1 || dn != 32)
        return -1;
    hex_encode(out, d, 32);
    return 0;
}

static int fail_db(struct err *e, enum db_rc rc)
{
    if (rc == DB_BUSY)
        return err_set(e, ERR_TEMPORARILY_UNAVAILABLE, "the auth database is busy; try again");
    return err_set(e, ERR_INTERNAL_ERROR, "auth database error");
}

static const char *dup_col(struct arena *a, struct db_stmt *st, int c)
{
    size_t n;
    const char *s = db_col_text(st, c, &n);
    return s ? arena_strndup(a, s, n) : NULL;
}

int authdb_token_create(struct db *db, struct arena *a, const struct auth_user *u,
                        const char *name, int64_t expires_in_days, const char **secret,
                        struct auth_token *out, struct err *e)
{
    if (expires_in_days < 0 || expires_in_days > 3650)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE,
                       "expires_in_days must be between 0 (never) and 3650, got %lld",
                       (long long)expires_in_days);
    if (strlen(name) > 255)
        return err_set(e, ERR_INVALID_PARAMETER_VALUE, "A token name is at most 255 characters.");
    unsigned char raw[32];
    random_bytes(raw, sizeof raw);
    char *tok = arena_alloc(a, 4 + 64 + 1);
    memcpy(tok, "mlt_", 4);
    hex_encode(tok + 4, raw, sizeof raw);
    char h[65];
    if (sha256_hex(tok, strlen(tok), h) != 0)
        return err_set(e, ERR_INTERNAL_ERROR, "cannot hash the token");
    char id[33];
    uuid4_hex(id);
    int64_t now = now_ms();
    int64_t exp = expires_in_days ? now + expires_in_days * 86400000LL : 0;
    struct db_stmt *st = db_prepare(db, "INSERT INTO mltrack_auth_tokens (id, user_id, name, "
                                        "token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, "
                                        "?, ?)");
    if (!st)
        return fail_db(e, DB_ERROR);
    db_bind_str(st, 1, id);
    db_bind_int(st, 2, u->id);
    db_bind_str(st, 3, name);
    db_bind_str(st, 4, h);
    db_bind_int(st, 5, now);
    if (exp)
        db_bind_int(st, 6, exp);
    else
        db_bind_null(st, 6);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return fail_db(e, rc);
    *secret = tok;
    out->id = arena_strdup(a, id);
    out->name = name;
    out->username = u->username;
    out->created_at = now;
    out->expires_at = exp;
    out->revoked_at = 0;
    return 0;
}

int authdb_token_user(struct db *db, struct arena *a, const char *secret, size_t len,
                      struct auth_user *u, struct err *e)
{
    if (len != 68 || strncmp(secret, "mlt_", 4) != 0)
        return 0;
    char h[65];
    if (sha256_hex(secret, len, h) != 0)
        return err_set(e, ERR_INTERNAL_ERROR, "cannot hash the token");
    struct db_stmt *st = db_prepare(
        db, "SELECT u.id, u.username, u.password_hash, u.is_admin FROM mltrack_auth_tokens t "
            "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL "
            "AND (t.expires_at IS NULL OR t.expires_at > ?)");
    if (!st)
        return fail_db(e, DB_ERROR);
    db_bind_str(st, 1, h);
    db_bind_int(st, 2, now_ms());
    enum db_rc rc = db_step(st);
    if (rc == DB_ROW) {
        u->id = db_col_int(st, 0);
        u->username = dup_col(a, st, 1);
        u->password_hash = dup_col(a, st, 2);
        size_t n;
        const char *b = db_col_text(st, 3, &n);
        u->is_admin = b && n && (b[0] == '1' || b[0] == 't');
    }
    db_done(st);
    if (rc == DB_ROW)
        return 1;
    return rc == DB_DONE ? 0 : fail_db(e, rc);
}

int authdb_token_revoke(struct db *db, const char *id, const char *secret, int64_t owner_id,
                        struct err *e)
{
    char h[65] = "";
    if (secret && sha256_hex(secret, strlen(secret), h) != 0)
        return err_set(e, ERR_INTERNAL_ERROR, "cannot hash the token");
    struct db_stmt *st = db_prepare(
        db, "UPDATE mltrack_auth_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND "
            "(id = ? OR token_hash = ?) AND (? < 0 OR user_id = ?)");
    if (!st)
        return fail_db(e, DB_ERROR);
    db_bind_int(st, 1, now_ms());
    db_bind_str(st, 2, id ? id : "");
    db_bind_str(st, 3, secret ? h : "");
    db_bind_int(st, 4, owner_id);
    db_bind_int(st, 5, owner_id);
    enum db_rc rc = db_step(st);
    db_done(st);
    if (rc != DB_DONE)
        return fail_db(e, rc);
    if (db_changes(db) == 0)
        return err_set(e, ERR_RESOURCE_DOES_NOT_EXIST, "No live token %s%s of yours found",
                       id ? "with id=" : "matching the given secret", id ? id : "");
    return 0;
}

int authdb_token_list(struct db *db, struct arena *a, int64_t user_id, struct auth_token **out,
                      size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    struct db_stmt *st = db_prepare(
        db, "SELECT t.id, t.name, u.username, t.created_at, t.expires_at, t.revoked_at FROM "
            "mltrack_auth_tokens t JOIN users u ON u.id = t.user_id WHERE ? < 0 OR t.user_id = ? "
            "ORDER BY t.created_at DESC, t.id");
    if (!st)
        return fail_db(e, DB_ERROR);
    db_bind_int(st, 1, user_id);
    db_bind_int(st, 2, user_id);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *out = arena_grow(a, *out, *n, sizeof **out);
        struct auth_token *t = &(*out)[(*n)++];
        t->id = dup_col(a, st, 0);
        t->name = dup_col(a, st, 1);
        t->username = dup_col(a, st, 2);
        t->created_at = db_col_int(st, 3);
        t->expires_at = db_col_null(st, 4) ? 0 : db_col_int(st, 4);
        t->revoked_at = db_col_null(st, 5) ? 0 : db_col_int(st, 5);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : fail_db(e, rc);
}

void authdb_audit(struct db *db, const char *actor, const char *action, const char *target,
                  const char *detail)
{
    struct db_stmt *st = db_prepare(db, "INSERT INTO mltrack_auth_audit (ts, actor, action, "
                                        "target, detail) VALUES (?, ?, ?, ?, ?)");
    enum db_rc rc = DB_ERROR;
    if (st) {
        db_bind_int(st, 1, now_ms());
        db_bind_str(st, 2, actor);
        db_bind_str(st, 3, action);
        db_bind_str(st, 4, target);
        db_bind_str(st, 5, detail);
        rc = db_step(st);
        db_done(st);
    }
    if (rc != DB_DONE)
        log_error("auth audit: cannot record %s %s by %s", action, target ? target : "",
                  actor ? actor : "");
}

int authdb_audit_list(struct db *db, struct arena *a, int64_t before, int64_t max,
                      struct auth_event **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    struct db_stmt *st = db_prepare(db, "SELECT id, ts, actor, action, target, detail FROM "
                                        "mltrack_auth_audit WHERE ? <= 0 OR id < ? ORDER BY id "
                                        "DESC LIMIT ?");
    if (!st)
        return fail_db(e, DB_ERROR);
    db_bind_int(st, 1, before);
    db_bind_int(st, 2, before);
    db_bind_int(st, 3, max);
    enum db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        *out = arena_grow(a, *out, *n, sizeof **out);
        struct auth_event *x = &(*out)[(*n)++];
        x->id = db_col_int(st, 0);
        x->ts = db_col_int(st, 1);
        x->actor = dup_col(a, st, 2);
        x->action = dup_col(a, st, 3);
        x->target = dup_col(a, st, 4);
        x->detail = dup_col(a, st, 5);
    }
    db_done(st);
    return rc == DB_DONE ? 0 : fail_db(e, rc);
}
