/* What differs between the SQL of SQLite and PostgreSQL, in one table per dialect, so that
 * the SQL of entity modules and search builders is written once.
 *
 * In the common subset, written as is: upserts (INSERT ... ON CONFLICT (cols) DO UPDATE SET
 * c = excluded.c), RETURNING, row values, window functions, CASE, boolean columns tested as
 * `x` / `NOT x`. Rewritten by the PostgreSQL driver at prepare time (db/pg_rewrite.c):
 * `?` and `?N` placeholders become $n; `json_each(?)` (a JSON array bound as text, read as a
 * table with a text column `value`) becomes json_array_elements_text($n::json); SQLite's
 * planner hint `INDEXED BY <index>` is dropped (PostgreSQL takes no hints). Looked up here by
 * whoever builds SQL at run time or runs a transaction: the rest. */
#ifndef MLT_DB_DIALECT_H
#define MLT_DB_DIALECT_H

#include <stdbool.h>

struct db_dialect {
    const char *name;
    /* Starts a write transaction. SQLite's BEGIN IMMEDIATE takes the write lock at once,
     * so read-then-write logic cannot fail to upgrade a read lock; PostgreSQL locks rows
     * as it writes them. */
    const char *begin_write;
    /* How a `LIMIT ?` that limits nothing is bound: SQLite takes -1, PostgreSQL refuses a
     * negative LIMIT but takes NULL. */
    bool no_limit_is_null;
    /* How MLflow's case-sensitive LIKE is written. SQLite's LIKE folds ASCII case unless a
     * pragma says otherwise, so it becomes GLOB with the pattern translated (% -> *, _ -> ?,
     * and * ? [ bracketed), which is exact; PostgreSQL's LIKE is already case-sensitive,
     * with backslash escapes, as MLflow's. */
    bool like_as_glob;
    /* ILIKE: PostgreSQL has it; SQLite gets `lower(x) LIKE lower(?)`, what SQLAlchemy
     * emits for it. */
    bool has_ilike;
    /* RLIKE (MLflow's regular-expression search) as a binary operator: " ~ " on
     * PostgreSQL, " REGEXP " on SQLite, where db/sqlite_regexp.c defines regexp() on every
     * connection (base/pyre.c's translation of Python's re into POSIX regex). */
    const char *regexp_op;
    /* One connection writes for the whole process (SQLite admits one writer at a time);
     * otherwise each worker writes on its own connection. */
    bool single_writer;
    /* The schema catalog: the number of tables, and whether table ?1 exists (a row). */
    const char *count_tables_sql;
    const char *table_exists_sql;
    /* Run inside the set-up transaction to serialize schema creation among processes
     * starting at once; NULL where the write transaction itself does (SQLite). */
    const char *setup_lock_sql;
    /* Operations (`mltrack db`): the integrity check, rows of problems or one "ok" row; and
     * an online, consistent copy of the database into the file ?1. NULL where the
     * database has its own tools for both (PostgreSQL: amcheck, pg_dump). */
    const char *integrity_check_sql;
    const char *backup_into_sql;
    /* Run outside a transaction by `mltrack gc` on its own connection: foreign keys
     * enforced, so that the schema's ON DELETE CASCADE / SET NULL apply as they do under
     * MLflow's store (which turns them on for SQLite). NULL where they always apply. */
    const char *enforce_fk_sql;
    /* The column that names a row of any table, for deleting a large set of rows in
     * bounded pieces (`DELETE ... WHERE rowid IN (SELECT rowid ... LIMIT n)`) where one
     * lock serves every writer (SQLite); NULL where writers lock rows and one statement
     * holds up nobody else (PostgreSQL). */
    const char *row_id;
    /* How a percentile of x at p (0-100) is aggregated: PostgreSQL's `percentile_cont(p /
     * 100) WITHIN GROUP (ORDER BY x)`, or SQLite's `percentile(x, p)`, which
     * db/sqlite_percentile.c defines on every connection as MLflow's store does. */
    bool percentile_cont;
    /* Written before a column to keep its indexes out of a plan: SQLite's unary plus, where
     * the planner has no statistics to weigh a selective IN on another column against an
     * index range on this one; "" on PostgreSQL, whose planner weighs them. */
    const char *index_off;
};

extern const struct db_dialect db_dialect_sqlite;
extern const struct db_dialect db_dialect_postgresql;

#endif
