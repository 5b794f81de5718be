/* Newer MLflow databases. An MLflow release may add alembic revisions after the head that
 * mltrack's schema was taken from; a database `mlflow server` upgraded to one of them still
 * works for mltrack when those migrations leave mltrack's tables alone (new tables for
 * features mltrack does not implement, columns of tables it never reads). Each revision
 * below was judged by reading its migration; a revision not listed is refused, since what
 * it changed cannot be known. Before a database at a later revision is used, every column
 * mltrack reads or writes is also looked up, so a schema changed some other way is refused
 * too. Nothing here writes: the database is neither downgraded nor altered. */
#include "schema_revisions.h"

#include <stdbool.h>
#include <string.h>

#include "../base/buf.h"

struct revision {
    const char *rev, *down; /* alembic revision and its down_revision */
    const char *mlflow;     /* the release that brought it */
    const char *changes;
    /* Only false when the migration changes no table or column in used_tables. */
    bool touches_used;
};

/* MLflow 3.18.0 (mlflow/store/db_migrations/versions/ of its wheel), in order. */
static const struct revision later[] = {
    {"e7d1f4b2a9c6", ALEMBIC_HEAD, "3.18.0",
     "adds the skill registry tables (skills, skill_versions, skill_tags, skill_version_tags, "
     "skill_aliases)",
     false},
    {"8b6ad64cb8f5", "e7d1f4b2a9c6", "3.18.0",
     "adds columns and indexes to issues and the issue_categories table", false},
    {"f4a9b2c7d1e6", "8b6ad64cb8f5", "3.18.0",
     "makes MCP server versions case-sensitive (MySQL and SQL Server only)", false},
};

/* Every table mltrack's SQL names and the columns of each (the pinned schema's). */
static const struct {
    const char *table;
    const char *columns; /* space-separated */
} used_tables[] = {
    {"experiments",
     "experiment_id name artifact_location lifecycle_stage creation_time last_update_time "
     "workspace"},
    {"experiment_tags", "key value experiment_id"},
    {"runs",
     "run_uuid name source_type source_name entry_point_name user_id status start_time "
     "end_time source_version lifecycle_stage artifact_uri experiment_id deleted_time"},
    {"tags", "key value run_uuid"},
    {"params", "key value run_uuid"},
    {"metrics", "key value timestamp run_uuid step is_nan"},
    {"latest_metrics", "key value timestamp step is_nan run_uuid"},
    {"datasets",
     "dataset_uuid experiment_id name digest dataset_source_type dataset_source dataset_schema "
     "dataset_profile"},
    {"inputs", "input_uuid source_type source_id destination_type destination_id step"},
    {"input_tags", "input_uuid name value"},
    {"logged_models",
     "model_id experiment_id name artifact_location creation_timestamp_ms "
     "last_updated_timestamp_ms status lifecycle_stage model_type source_run_id status_message"},
    {"logged_model_tags", "model_id experiment_id tag_key tag_value"},
    {"logged_model_params", "model_id experiment_id param_key param_value"},
    {"logged_model_metrics",
     "model_id metric_name metric_timestamp_ms metric_step metric_value experiment_id run_id "
     "dataset_uuid dataset_name dataset_digest"},
    {"registered_models", "name creation_time last_updated_time description workspace"},
    {"registered_model_tags", "key value name workspace"},
    {"registered_model_aliases", "alias version name workspace"},
    {"model_versions",
     "name version creation_time last_updated_time description user_id current_stage source "
     "run_id status status_message run_link storage_location workspace"},
    {"model_version_tags", "key value name version workspace"},
};

static const struct revision *find(const char *rev)
{
    for (size_t i = 0; i < sizeof later / sizeof *later; i++)
        if (strcmp(later[i].rev, rev) == 0)
            return &later[i];
    return NULL;
}

/* Whether table.column can be read; SQL built from the constant table above. */
static bool has_column(struct db *db, const char *table, const char *column, size_t n)
{
    struct buf sql;
    buf_init(&sql, 512);
    buf_printf(&sql, "SELECT %.*s FROM %s WHERE 1 = 0", (int)n, column, table);
    struct db_stmt *st = buf_ok(&sql) ? db_prepare_once(db, sql.ptr) : NULL;
    buf_release(&sql);
    if (!st)
        return false;
    enum db_rc rc = db_step(st);
    db_done(st);
    return rc == DB_DONE;
}

int schema_accept_revision(struct db *db, const char *rev, const char *shown,
                           const char **known_as, struct err *e)
{
    const struct revision *r = find(rev);
    if (!r)
        return err_set(e, ERR_INVALID_STATE,
                       "the database '%s' is at MLflow schema revision %s but mltrack speaks "
                       "%s (MLflow %s) and knows the later revisions up to MLflow %s only; "
                       "upgrade an older database with `mlflow db upgrade` first, and use a "
                       "newer mltrack for a database of a newer MLflow",
                       shown, rev, ALEMBIC_HEAD, MLFLOW_COMPAT_VERSION,
                       later[sizeof later / sizeof *later - 1].mlflow);
    *known_as = r->mlflow;
    /* The migrations from the head up to rev, newest first. */
    for (const struct revision *m = r; m; m = find(m->down)) {
        if (m->touches_used)
            return err_set(e, ERR_INVALID_STATE,
                           "the database '%s' is at MLflow schema revision %s (MLflow %s), "
                           "and revision %s %s, which mltrack (MLflow %s, revision %s) cannot "
                           "work with; mltrack never downgrades a database",
                           shown, rev, r->mlflow, m->rev, m->changes, MLFLOW_COMPAT_VERSION,
                           ALEMBIC_HEAD);
        if (strcmp(m->down, ALEMBIC_HEAD) == 0)
            break;
    }
    for (size_t i = 0; i < sizeof used_tables / sizeof *used_tables; i++) {
        for (const char *c = used_tables[i].columns; *c;) {
            size_t n = strcspn(c, " ");
            if (!has_column(db, used_tables[i].table, c, n))
                return err_set(e, ERR_INVALID_STATE,
                               "the database '%s' is at MLflow schema revision %s (MLflow %s) "
                               "but its table %s has no column %.*s, which mltrack uses: the "
                               "schema was changed outside MLflow's migrations, so mltrack "
                               "will not use it",
                               shown, rev, r->mlflow, used_tables[i].table, (int)n, c);
            c += n;
            c += *c == ' ';
        }
    }
    return 0;
}
