"""Databases of a newer MLflow (issue 12, item 9). mlflow 3.18.0 adds three alembic revisions
after the pinned head (e7d1f4b2a9c6: skill registry tables; 8b6ad64cb8f5: issues columns and
issue_categories; f4a9b2c7d1e6: MCP version collation, MySQL/SQL Server only). 3.18 does not
install here, so its three migration files (mlflow_3_18_migrations/, copied from the wheel) are
run with alembic on a database mltrack created at the pinned head, exactly as `mlflow db
upgrade` runs them, and the revision is stamped as it stamps it.

mltrack must then open such a database and work on it, leave it as it found it (no downgrade,
no change to MLflow's tables), and refuse with a clear message a database whose tables or
columns it uses were changed, or whose revision it does not know."""
import importlib.util
import os
import subprocess

import pytest
import requests
import sqlalchemy
from alembic.migration import MigrationContext
from alembic.operations import Operations
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from conftest import Server, backend_uri_for, sqlalchemy_uri, uname

pytestmark = pytest.mark.mltrack_only(
    reason="mlflow 3.17 refuses every database that is not at its own head; knowing the later "
           "revisions is mltrack's")

MIGRATIONS = os.path.join(os.path.dirname(__file__), "mlflow_3_18_migrations")
REVISIONS = [("e7d1f4b2a9c6", "e7d1f4b2a9c6_add_skill_registry_tables"),
             ("8b6ad64cb8f5", "8b6ad64cb8f5_extend_issue_contract"),
             ("f4a9b2c7d1e6", "f4a9b2c7d1e6_make_mcp_versions_case_sensitive")]


def sa_url(server):
    return "sqlite:///" + server.db_path if server.backend_kind == "sqlite" \
        else sqlalchemy_uri(server.backend_uri)


def upgrade(server, upto):
    """Runs 3.18's migrations up to revision upto on the server's database, as alembic does,
    and stamps it."""
    engine = sqlalchemy.create_engine(sa_url(server))
    try:
        with engine.begin() as conn:
            ops = Operations(MigrationContext.configure(conn))
            with Operations.context(ops.migration_context):
                for rev, name in REVISIONS:
                    spec = importlib.util.spec_from_file_location(
                        "mlflow318_" + rev, os.path.join(MIGRATIONS, name + ".py"))
                    mod = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(mod)
                    assert mod.revision == rev
                    mod.upgrade()
                    conn.execute(sqlalchemy.text("UPDATE alembic_version SET version_num = :r"),
                                 {"r": rev})
                    if rev == upto:
                        break
    finally:
        engine.dispose()


def schema_of(server):
    """MLflow's part of the schema (mltrack's own mltrack_* tables left out), comparable."""
    engine = sqlalchemy.create_engine(sa_url(server))
    try:
        insp = sqlalchemy.inspect(engine)
        out = {}
        for t in sorted(insp.get_table_names()):
            if t.startswith("mltrack_"):
                continue
            out[t] = ([(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(t)],
                      sorted(i["name"] or "" for i in insp.get_indexes(t)))
        with engine.connect() as conn:
            out["alembic_version"] = [r[0] for r in conn.execute(
                sqlalchemy.text("SELECT version_num FROM alembic_version"))]
        return out
    finally:
        engine.dispose()


def start_fails(server):
    """Runs the server on its database; it must exit by itself. -> stderr"""
    p = subprocess.run(server.command(), cwd=server.workdir, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
    assert p.returncode != 0, p.stderr.decode(errors="replace")[-2000:]
    return p.stderr.decode(errors="replace")


@pytest.fixture
def head_db(tmp_path, backend):
    """A database mltrack created at the pinned head, with some data in it."""
    s = Server(str(tmp_path), backend_uri=backend_uri_for(backend)).start()
    c = MlflowClient(s.url)
    eid = c.create_experiment(uname("old"))
    rid = c.create_run(eid).info.run_id
    c.log_batch(rid, metrics=[Metric("m", float(i), 1000 + i, i) for i in range(5)])
    c.create_registered_model("before-3.18")
    c.create_model_version("before-3.18", "runs:/%s/model" % rid, run_id=rid)
    s.check_clean_exit()
    return s, eid, rid


def fresh(server):
    """A new Server object on the same database (a stopped Server cannot be started again)."""
    return Server(server.workdir, db_path=server.db_path,
                  backend_uri=None if server.backend_kind == "sqlite" else server.backend_uri)


@pytest.mark.parametrize("upto", [r for r, _ in REVISIONS])
def test_database_of_mlflow_3_18_opens_and_works(head_db, upto):
    old, eid, rid = head_db
    upgrade(old, upto)
    before = schema_of(old)
    assert before["alembic_version"] == [upto]
    assert "skills" in before
    s = fresh(old).start()
    try:
        c = MlflowClient(s.url)
        assert [m.value for m in c.get_metric_history(rid, "m")] == [0.0, 1.0, 2.0, 3.0, 4.0]
        assert c.get_registered_model("before-3.18").latest_versions[0].run_id == rid
        r2 = c.create_run(eid).info.run_id
        c.log_metric(r2, "m2", 1.5, step=3)
        c.set_tag(r2, "t", "v")
        c.create_model_version("before-3.18", "runs:/%s/model" % r2, run_id=r2)
        assert c.get_run(r2).data.metrics == {"m2": 1.5}
        assert [x.version for x in c.search_model_versions("name='before-3.18'")] == ["2", "1"]
        log = s.tail(200)
        assert "revision %s (MLflow 3.18.0)" % upto in log, log
    finally:
        s.check_clean_exit()
    assert schema_of(old) == before  # neither downgraded nor altered


def test_changed_column_is_refused_and_left_alone(head_db):
    old, _, _ = head_db
    upgrade(old, "f4a9b2c7d1e6")
    engine = sqlalchemy.create_engine(sa_url(old))
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("ALTER TABLE runs RENAME COLUMN deleted_time TO deleted_at"))
    engine.dispose()
    before = schema_of(old)
    err = start_fails(fresh(old))
    assert "revision f4a9b2c7d1e6 (MLflow 3.18.0)" in err, err
    assert "table runs has no column deleted_time" in err, err
    assert schema_of(old) == before


@pytest.mark.parametrize("rev", ["0123456789ab", "ffffffffffff"])
def test_unknown_revision_is_refused(head_db, rev):
    old, _, _ = head_db
    engine = sqlalchemy.create_engine(sa_url(old))
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE alembic_version SET version_num = :r"), {"r": rev})
    engine.dispose()
    err = start_fails(fresh(old))
    assert "schema revision %s" % rev in err and "mlflow db upgrade" in err, err
    engine = sqlalchemy.create_engine(sa_url(old))
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(
            sqlalchemy.text("SELECT version_num FROM alembic_version"))] == [rev]
    engine.dispose()
