/* Unit tests for the pure registry rules: stage canonicalisation, names, versions, aliases,
 * and the model version source checks (the traversal / local-path / host advisory table,
 * whose verdicts were taken from MLflow 3.17.2's own functions). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/rules.h"
#include "registry/source.h"
#include "tests/unit/t.h"

static struct arena A;

static void test_stages(void)
{
    T_STREQ(reg_stage_canonical("production"), "Production");
    T_STREQ(reg_stage_canonical("STAGING"), "Staging");
    T_STREQ(reg_stage_canonical("none"), "None");
    T_STREQ(reg_stage_canonical("ArChIvEd"), "Archived");
    T_CHECK(reg_stage_canonical("Deleted_Internal") == NULL);
    T_CHECK(reg_stage_canonical("prod") == NULL);
    T_CHECK(reg_stage_canonical("") == NULL);
    struct err e;
    const char *c;
    T_CHECK(reg_stage_check(&e, "bogus", &c) == -1);
    T_CHECK(e.code == ERR_INVALID_PARAMETER_VALUE);
    T_STREQ(e.msg, "Invalid Model Version stage: bogus. Value must be one of None, Staging, "
                   "Production, Archived.");
    T_CHECK(reg_stage_is_active("Staging") && reg_stage_is_active("Production"));
    T_CHECK(!reg_stage_is_active("None") && !reg_stage_is_active("Archived"));
}

static void test_names_versions(void)
{
    struct err e;
    T_CHECK(reg_check_model_name(&e, "churn model", "name") == 0);
    T_CHECK(reg_check_model_name(&e, "a.b-c_d", "name") == 0);
    T_CHECK(reg_check_model_name(&e, "   ", "name") == -1);
    T_STREQ(e.msg, "Missing value for required parameter 'name'.");
    T_CHECK(reg_check_model_name(&e, "a/b", "name") == -1);
    T_STREQ(e.msg, "Invalid model name 'a/b'. Names cannot contain '/' or ':'.");
    T_CHECK(reg_check_model_name(&e, "a:b", "new_name") == -1);
    T_CHECK(reg_check_model_name(&e, "..x", "name") == -1);
    T_CHECK(reg_check_model_name(&e, ".", "name") == -1);
    int64_t v;
    T_CHECK(reg_parse_version(&e, "12", &v) == 0 && v == 12);
    T_CHECK(reg_parse_version(&e, " 7 ", &v) == 0 && v == 7);
    T_CHECK(reg_parse_version(&e, "+3", &v) == 0 && v == 3);
    T_CHECK(reg_parse_version(&e, "1.0", &v) == -1);
    T_STREQ(e.msg, "Parameter 'version' must be an integer, got '1.0'.");
    T_CHECK(reg_parse_version(&e, "", &v) == -1);
    T_CHECK(reg_parse_version(&e, "abc", &v) == -1);
}

static void test_aliases(void)
{
    struct err e;
    T_CHECK(reg_check_alias(&e, "champion") == 0);
    T_CHECK(reg_check_alias(&e, "A-b_9") == 0);
    T_CHECK(reg_check_alias(&e, "") == -1);
    T_STREQ(e.msg, "Registered model alias name cannot be empty.");
    T_CHECK(reg_check_alias(&e, "bad alias") == -1);
    T_CHECK(reg_check_alias(&e, "a.b") == -1);
    T_STREQ(e.msg, "Invalid alias name: 'a.b'. Names may only contain alphanumerics, "
                   "underscores (_), and dashes (-).");
    char longa[300];
    memset(longa, 'a', 256);
    longa[256] = '\0';
    T_CHECK(reg_check_alias(&e, longa) == -1);
    T_CHECK(reg_check_alias_reserved(&e, "LaTeSt") == -1);
    T_STREQ(e.msg, "'latest' alias name (case insensitive) is reserved.");
    T_CHECK(reg_check_alias_reserved(&e, "v1") == -1);
    T_CHECK(reg_check_alias_reserved(&e, "V42") == -1);
    T_STREQ(e.msg, "Version alias name 'V42' is reserved.");
    T_CHECK(reg_check_alias_reserved(&e, "v") == 0);
    T_CHECK(reg_check_alias_reserved(&e, "v1a") == 0);
    T_CHECK(reg_check_alias_reserved(&e, "champion") == 0);
}

static void test_audit_actor(void)
{
    T_STREQ(reg_audit_actor("alice", "bob", "carol"), "alice");
    T_STREQ(reg_audit_actor(NULL, "bob", "carol"), "bob");
    T_STREQ(reg_audit_actor("", "", "carol"), "carol");
    T_CHECK(reg_audit_actor(NULL, NULL, NULL) == NULL);
}

static void test_uri_split(void)
{
    struct reg_uri u;
    reg_uri_split(&A, "file://./etc", &u);
    T_STREQ(u.scheme, "file");
    T_STREQ(u.netloc, ".");
    T_STREQ(u.path, "/etc");
    reg_uri_split(&A, "//proc/self/root", &u);
    T_STREQ(u.scheme, "");
    T_STREQ(u.netloc, "proc");
    T_STREQ(u.path, "/self/root");
    reg_uri_split(&A, " \tFILE:///etc", &u);
    T_STREQ(u.scheme, "file");
    T_STREQ(u.path, "/etc");
    reg_uri_split(&A, "s3://User@Bucket:99/x?q=1#f", &u);
    T_STREQ(u.hostname, "bucket");
    T_STREQ(u.port, "99");
    T_STREQ(u.path, "/x");
    reg_uri_split(&A, "C:/x", &u);
    T_STREQ(u.scheme, "c");
}

/* One row of the advisory table: is_local_uri() and the relative-path check, as MLflow
 * 3.17.2 answers them (local: 1 yes, 0 no, -1 error; rel: 0 accepted, -1 refused). */
struct src_case {
    const char *source;
    int local;
    int rel;
};

static const struct src_case src_cases[] = {
    {"file:///etc/passwd", 1, 0},
    {"file://./etc", 1, 0},
    {"file://localhost/etc", 1, 0},
    {"file://evil.com/etc", -1, 0},
    {"//proc/self/root", 1, 0},
    {"/etc/passwd", 1, 0},
    {"./model", 1, -1},
    {"model", 1, -1},
    {" file:///etc", 1, 0},
    {"\tfile:///etc", 1, 0},
    {"file:", 1, -1},
    {"file:/etc", 1, 0},
    {"runs:/abc/model", 0, 0},
    {"runs:/abc/../x", 0, -1},
    {"runs:/abc/%2e%2e/x", 0, -1},
    {"runs:/abc/%252e%252e/x", 0, -1},
    {"runs:/abc/..%2fx", 0, -1},
    {"runs:/abc/a/./b", 0, -1},
    {"runs:/abc/model%00", 0, -1},
    {"mlflow-artifacts:/1/abc/artifacts/model", 0, 0},
    {"mlflow-artifacts:/1/./x", 0, -1},
    {"mlflow-artifacts:/1//x", 0, 0},
    {"mlflow-artifacts:x/y", 0, -1},
    {"s3://bucket/path/model", 0, 0},
    {"s3://bucket", 0, -1},
    {"s3://bucket/a/../b", 0, -1},
    {"s3://b/a/%2E%2E/c", 0, -1},
    {"s3://b/a+..+b", 0, 0},
    {"gs://b/p/", 0, 0},
    {"models:/m-abc", 0, 0},
    {"models:/name/1", 0, 0},
    {"dbfs:/x", 0, 0},
    {"C:/x", 0, 0},
    {"c:\\x", 0, -1},
};

static void test_source_table(void)
{
    for (size_t i = 0; i < sizeof src_cases / sizeof *src_cases; i++) {
        const struct src_case *k = &src_cases[i];
        struct err e;
        bool local = false;
        int rc = reg_source_is_local(&A, k->source, &local, &e);
        int got_local = rc != 0 ? -1 : local ? 1 : 0;
        if (got_local != k->local) {
            fprintf(stderr, "  is_local(%s): got %d want %d\n", k->source, got_local, k->local);
            t_cur_failed = 1;
        }
        if (k->local == 0) {
            int r = reg_source_check_relative(&A, k->source, &e);
            if (r != k->rel) {
                fprintf(stderr, "  relative(%s): got %d want %d\n", k->source, r, k->rel);
                t_cur_failed = 1;
            }
        }
    }
    struct err e;
    T_CHECK(reg_source_check_relative(&A, "runs:/abc/../../etc", &e) == -1);
    T_CHECK(strstr(e.msg, "Invalid model version source: 'runs:/abc/../../etc'. If supplying") ==
            e.msg);
}

static void test_host_policy(void)
{
    struct err e;
    T_CHECK(reg_source_check_host(&A, "mlflow-artifacts:/1/x", NULL, NULL, "source", &e) == 0);
    T_CHECK(reg_source_check_host(&A, "s3://b/x", NULL, NULL, "source", &e) == 0);
    T_CHECK(reg_source_check_host(&A, "mlflow-artifacts://host/1/x", NULL, NULL, "source", &e) ==
            -1);
    T_CHECK(strncmp(e.msg, "'source' cannot use the 'mlflow-artifacts' scheme:", 50) == 0);
    T_CHECK(reg_source_check_host(&A, "http://h/x", NULL, NULL, "source", &e) == -1);
    T_CHECK(reg_source_check_host(&A, "ftp://h/x", NULL, NULL, "source", &e) == -1);
    T_CHECK(reg_source_check_host(&A, "hdfs:/x", NULL, NULL, "source", &e) == -1);
    T_CHECK(reg_source_check_host(&A, "ftp://h/x", NULL, "sftp, FTP", "source", &e) == 0);
    /* the server's own artifact host is trusted, port defaults included */
    T_CHECK(reg_source_check_host(&A, "https://store.example/x", "https://Store.example:443/r",
                                  NULL, "source", &e) == 0);
    T_CHECK(reg_source_check_host(&A, "https://other.example/x", "https://store.example/r",
                                  NULL, "source", &e) == -1);
    T_CHECK(reg_source_check_host(&A, "http://store.example\\@evil/x", "http://store.example/",
                                  NULL, "source", &e) == -1);
}

static void test_artifact_roots(void)
{
    T_CHECK(reg_source_is_mlflow_artifacts(&A, "mlflow-artifacts:/1/x"));
    T_CHECK(reg_source_is_mlflow_artifacts(&A, "http://h/api/2.0/mlflow-artifacts/artifacts/x"));
    T_CHECK(!reg_source_is_mlflow_artifacts(&A, "http://h/x"));
    T_CHECK(!reg_source_is_mlflow_artifacts(&A, "s3://b/x"));
    const char *root = "mlflow-artifacts:/0/abc/artifacts";
    T_CHECK(reg_uri_within_root(&A, "mlflow-artifacts:/0/abc/artifacts/model", root));
    T_CHECK(reg_uri_within_root(&A, "mlflow-artifacts:/0/abc/artifacts", root));
    T_CHECK(reg_uri_within_root(&A, "mlflow-artifacts:/0/abc/%61rtifacts/m", root));
    T_CHECK(!reg_uri_within_root(&A, "mlflow-artifacts:/0/abd/artifacts/model", root));
    T_CHECK(!reg_uri_within_root(&A, "mlflow-artifacts:/0/abc/artifactsX", root));
    T_CHECK(!reg_uri_within_root(&A, "mlflow-artifacts://h/0/abc/artifacts/m", root));
    T_CHECK(!reg_uri_within_root(&A, "mlflow-artifacts:/x", "mlflow-artifacts:/"));
}

static void test_local_paths(void)
{
    T_STREQ(reg_path_resolve(&A, "/nonexistent-mlt/a/./b//c/../d"), "/nonexistent-mlt/a/b/d");
    T_STREQ(reg_path_resolve(&A, "/nonexistent-mlt/../../x"), "/x");
    T_STREQ(reg_path_resolve(&A, "/"), "/");
    T_STREQ(reg_local_path(&A, "file:///tmp/a%20b"), "/tmp/a b");
    T_STREQ(reg_local_path(&A, "file://./etc"), "/etc");
    T_STREQ(reg_local_path(&A, "//proc/self"), "//proc/self");
    T_CHECK(reg_path_within("/art/1", "/art/1"));
    T_CHECK(reg_path_within("/art/1", "/art/1/model"));
    T_CHECK(!reg_path_within("/art/1", "/art/10"));
    T_CHECK(!reg_path_within("/art/1", "/etc"));
    T_CHECK(reg_path_within("/", "/etc"));
    /* a symlink inside the root that points outside resolves outside */
    char dir[] = "/tmp/mlt-reg-XXXXXX";
    if (mkdtemp(dir)) {
        char *link = arena_printf(&A, "%s/escape", dir);
        if (symlink("/etc", link) == 0) {
            const char *p = reg_path_resolve(&A, arena_printf(&A, "%s/passwd", link));
            T_STREQ(p, "/etc/passwd");
            T_CHECK(!reg_path_within(reg_path_resolve(&A, dir), p));
            unlink(link);
        }
        rmdir(dir);
    }
}

static void test_models_runs_uris(void)
{
    struct err e;
    struct reg_models_uri m;
    T_CHECK(reg_parse_models_uri(&A, "models:/m-123", &m, &e) == 0);
    T_STREQ(m.model_id, "m-123");
    T_CHECK(reg_parse_models_uri(&A, "models:/churn/3", &m, &e) == 0);
    T_STREQ(m.name, "churn");
    T_STREQ(m.version, "3");
    T_CHECK(reg_parse_models_uri(&A, "models:/churn/Production", &m, &e) == 0);
    T_STREQ(m.stage, "Production");
    T_CHECK(reg_parse_models_uri(&A, "models:/churn/LATEST", &m, &e) == 0);
    T_CHECK(m.name && !m.version && !m.stage && !m.alias && !m.model_id);
    T_CHECK(reg_parse_models_uri(&A, "models:/churn@champion", &m, &e) == 0);
    T_STREQ(m.name, "churn");
    T_STREQ(m.alias, "champion");
    T_CHECK(reg_parse_models_uri(&A, "models:/a/b/c", &m, &e) == -1);
    T_CHECK(reg_parse_models_uri(&A, "models:/", &m, &e) == -1);
    T_CHECK(reg_parse_models_uri(&A, "models:/x@", &m, &e) == -1);
    T_CHECK(reg_parse_models_uri(&A, "runs:/x", &m, &e) == -1);
    const char *rid, *path;
    T_CHECK(reg_parse_runs_uri(&A, "runs:/abc/model/sub", &rid, &path, &e) == 0);
    T_STREQ(rid, "abc");
    T_STREQ(path, "model/sub");
    T_CHECK(reg_parse_runs_uri(&A, "runs:/abc", &rid, &path, &e) == 0);
    T_STREQ(path, "");
    T_CHECK(reg_parse_runs_uri(&A, "runs:/", &rid, &path, &e) == -1);
    T_CHECK(reg_unquote_all(&A, "%25252e", false)[0] == '.');
    T_STREQ(reg_unquote_all(&A, "a+b%2Bc", true), "a b c"); /* as Python loops it */
}

int main(void)
{
    arena_init(&A);
    T_RUN(test_stages);
    T_RUN(test_names_versions);
    T_RUN(test_aliases);
    T_RUN(test_audit_actor);
    T_RUN(test_uri_split);
    T_RUN(test_source_table);
    T_RUN(test_host_policy);
    T_RUN(test_artifact_roots);
    T_RUN(test_local_paths);
    T_RUN(test_models_runs_uris);
    arena_release(&A);
    T_DONE();
}
