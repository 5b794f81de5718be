"""A PostgreSQL database moves between MLflow and mltrack in both directions (DESIGN.md "Storage
schema"), as test_interop.py does for SQLite files:

(a) MLflow's own SQL store (MlflowClient("postgresql+psycopg2://..."), no server) creates the schema
    and writes tracking and registry data; mltrack starts on that database (alembic head check),
    serves the same data, and its new writes continue MLflow's ids and version numbers.
(b) mltrack creates the schema and writes; MLflow's SQL store reads the database directly, and
    `mlflow server` serves it and writes to it.
(c) The schema mltrack creates on an empty database is `mlflow db upgrade`'s, compared as
    `pg_dump --schema-only` text (mltrack_* objects aside): a new mlflow pin shows its drift here.

mltrack_only, like test_interop.py; skipped under MLTRACK_BACKEND=sqlite."""
import os
import re
import subprocess
import sys

import pytest
from mlflow.tracking import MlflowClient

from conftest import Server, sqlalchemy_uri
from test_interop import _dispose, check_expected, populate, snapshot

pytestmark = pytest.mark.mltrack_only(
    reason="interop moves a database between MLflow and mltrack; with MLTRACK_TARGET=mlflow there is "
           "no mltrack to move it to")


def populate_registry(c, run_id):
    """Two models, three versions, a stage, an alias and tags; returns the model names."""
    c.create_registered_model("interop-model", tags={"k": "v"}, description="from the writer")
    for _ in range(2):
        c.create_model_version("interop-model", "runs:/%s/model" % run_id, run_id=run_id)
    c.transition_model_version_stage("interop-model", "1", "Production")
    c.set_registered_model_alias("interop-model", "champion", "2")
    c.set_model_version_tag("interop-model", "2", "reviewed", "yes")
    c.create_registered_model("interop-other")
    c.create_model_version("interop-other", "s3://bucket/m", run_id=run_id)
    return ["interop-model", "interop-other"]


def registry_snapshot(c, names):
    out = {}
    for n in names:
        m = c.get_registered_model(n)
        versions = sorted(c.search_model_versions("name = '%s'" % n), key=lambda v: int(v.version))
        # The SQL store and the REST client differ in representation only: a missing
        # description is None vs "", an alias's version int vs str.
        out[n] = {
            "description": m.description or "", "tags": m.tags,
            "aliases": {k: str(v) for k, v in m.aliases.items()},
            "created": m.creation_timestamp,
            "versions": [(str(v.version), v.current_stage, v.source, v.run_id, v.status, v.tags,
                          sorted(v.aliases), v.creation_timestamp) for v in versions],
        }
    return out


def _store_client(uri):
    return MlflowClient(tracking_uri=sqlalchemy_uri(uri), registry_uri=sqlalchemy_uri(uri))


def _start(workdir, uri, target="mltrack"):
    os.makedirs(workdir, exist_ok=True)
    return Server(workdir, target=target, backend_uri=uri).start()


@pytest.fixture(scope="module")
def mlflow_db(pg):
    """A database at the alembic head made by `mlflow db upgrade` (once: it takes seconds). The
    schema test dumps it, the interop test writes into it; in either order, since a schema-only
    dump without mltrack_* objects does not see the rows."""
    uri = pg.create_database()
    subprocess.run([sys.executable, "-m", "mlflow", "db", "upgrade", sqlalchemy_uri(uri)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    return uri


def test_mlflow_store_writes_mltrack_serves(tmp_path, mlflow_db):
    uri = mlflow_db
    writer = _store_client(uri)
    ids = populate(writer)
    run_id = writer.search_runs([ids[0]], "attributes.run_name = 'first'")[0].info.run_id
    models = populate_registry(writer, run_id)
    want = snapshot(writer, ids)
    want_reg = registry_snapshot(writer, models)
    check_expected(want, ids)
    _dispose(writer)

    srv = _start(str(tmp_path / "mltrack"), uri)
    try:
        c = MlflowClient(srv.url)
        assert snapshot(c, ids) == want
        assert registry_snapshot(c, models) == want_reg
        assert c.get_model_version_by_alias("interop-model", "champion").version == "2"
        # New writes continue MLflow's sequence and version numbers.
        new = c.create_experiment("after-adoption")
        assert int(new) > max(int(i) for i in ids)
        assert c.create_model_version("interop-model", "s3://b/m3").version == "3"
        rid = c.create_run(ids[0]).info.run_id
        c.log_metric(rid, "loss", 1.0, step=0)
        assert c.get_run(rid).data.metrics == {"loss": 1.0}
        names = [r.info.run_name for r in c.search_runs([ids[0]], "metrics.loss < 0.2 and params.lr = '0.01'")]
        assert names == ["first"]
    finally:
        srv.check_clean_exit()

    # and MLflow reads what mltrack added
    reader = _store_client(uri)
    try:
        assert reader.get_experiment_by_name("after-adoption").experiment_id == new
        assert reader.get_model_version("interop-model", "3").source == "s3://b/m3"
        assert reader.get_run(rid).data.metrics == {"loss": 1.0}
    finally:
        _dispose(reader)


@pytest.mark.slow
def test_mltrack_writes_mlflow_reads(tmp_path, pg):
    uri = pg.create_database()
    srv = _start(str(tmp_path / "mltrack"), uri)
    try:
        c = MlflowClient(srv.url)
        ids = populate(c)
        run_id = c.search_runs([ids[0]], "attributes.run_name = 'first'")[0].info.run_id
        models = populate_registry(c, run_id)
        want = snapshot(c, ids)
        want_reg = registry_snapshot(c, models)
        check_expected(want, ids)
    finally:
        srv.check_clean_exit()

    reader = _store_client(uri)
    try:
        assert snapshot(reader, ids) == want
        assert registry_snapshot(reader, models) == want_reg
    finally:
        _dispose(reader)

    # One round through `mlflow server` on the same database, which also writes to it.
    ref = _start(str(tmp_path / "ref"), uri, target="mlflow")
    try:
        rc = MlflowClient(ref.url)
        r = rc.search_runs([ids[0]], "attributes.run_name = 'first'")
        assert len(r) == 1 and r[0].data.params["lr"] == "0.01"
        assert [m.value for m in rc.get_metric_history(r[0].info.run_id, "loss")] == [0.5, 0.25, 0.125]
        assert rc.get_model_version_by_alias("interop-model", "champion").version == "2"
        assert rc.create_model_version("interop-model", "s3://b/from-mlflow").version == "3"
        new = rc.create_experiment("from-mlflow")
        rid = rc.create_run(ids[1]).info.run_id
        rc.log_param(rid, "from", "mlflow")
    finally:
        ref.stop()

    # mltrack again on what `mlflow server` left.
    srv = _start(str(tmp_path / "mltrack2"), uri)
    try:
        c = MlflowClient(srv.url)
        assert c.get_run(rid).data.params == {"from": "mlflow"}
        assert c.get_experiment_by_name("from-mlflow").experiment_id == new
        assert c.create_model_version("interop-model", "s3://b/m4").version == "4"
    finally:
        srv.check_clean_exit()


def _dump(pg, uri):
    """Schema DDL statements of the database at uri, as dump_schema.py keeps them."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
    import dump_schema
    db = uri.rsplit("/", 1)[1]
    r = subprocess.run([os.path.join(pg.bindir, "pg_dump"), "--schema-only", "--no-owner",
                        "--no-privileges", "--no-comments", "-h", "127.0.0.1", "-p", str(pg.port),
                        "-U", "postgres", db], check=True, stdout=subprocess.PIPE)
    text = dump_schema.clean_pg_dump(r.stdout.decode())
    stmts = [x.strip() for x in re.split(r";\n", text) if x.strip()]
    return [x for x in stmts if "mltrack_" not in x]


def test_schema_is_mlflow_db_upgrade(tmp_path, pg, mlflow_db):
    ref = mlflow_db
    ours = pg.create_database()
    srv = _start(str(tmp_path), ours)
    srv.check_clean_exit()
    want, got = _dump(pg, ref), _dump(pg, ours)
    assert len(want) > 100
    assert [x for x in want if x not in got] == [], "missing in mltrack's database"
    assert [x for x in got if x not in want] == [], "extra in mltrack's database (prefix own objects mltrack_)"
    assert want == got  # and in the same order
    assert pg.psql("SELECT version_num FROM alembic_version", db=ref.rsplit("/", 1)[1]) == \
        pg.psql("SELECT version_num FROM alembic_version", db=ours.rsplit("/", 1)[1])
