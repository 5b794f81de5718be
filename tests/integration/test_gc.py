"""`mltrack gc` (issue 15): MLflow's `mlflow gc` for mltrack. Runs, logged models and
experiments are made with the real client against a running server, some deleted, then
`mltrack gc` runs as another process on the same database while the server keeps serving
(and being written to). The rows are gone from every table that refers to them, the
artifacts from disk and from S3 (moto), nothing else is touched; --older-than, explicit ids,
MLflow's error messages, idempotence; a database gc'd by mltrack opens in MLflow, and one
gc'd by `mlflow gc` is served by mltrack."""
import os
import subprocess
import sys
import threading
import time

import pytest
import requests

from conftest import MLTRACK_BIN, Server, backend_uri_for, free_port, now_ms, uname

from mlflow.entities import Dataset, DatasetInput, InputTag, LoggedModelInput, LoggedModelOutput
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.mltrack_only("`mltrack gc` is mltrack's own command")

DAY = 86_400_000


def gc(srv, *args, env=None):
    """`mltrack gc` on srv's database and artifacts, from its working directory."""
    cmd = [MLTRACK_BIN, "gc", "--backend-store-uri", srv.backend_uri,
           "--artifacts-destination", getattr(srv, "dest", None) or srv.artifacts, *args]
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=srv.workdir,
                          env=full)


def count(srv, table, column, value):
    return srv.db_query("SELECT count(*) FROM %s WHERE %s = ?" % (table, column), (value,))[0][0]


def artifact(tmp_path, name, data=b"x"):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def make_run(client, exp_id, tmp_path, with_model_io=None):
    """A run with a param, a tag, a metric history, a dataset input with a tag, an artifact in
    a subdirectory, and (given a model id) a model input and output."""
    run = client.create_run(exp_id)
    rid = run.info.run_id
    client.log_param(rid, "p", "1")
    client.set_tag(rid, "t", "v")
    for step in range(3):
        client.log_metric(rid, "loss", 1.0 / (step + 1), step=step)
    ds = Dataset(name="ds-" + rid[:6], digest=rid[:8], source_type="local",
                 source='{"uri": "/tmp/x"}')
    client.log_inputs(rid, [DatasetInput(ds, [InputTag("mlflow.data.context", "train")])])
    if with_model_io:
        client.log_inputs(rid, models=[LoggedModelInput(with_model_io)])
        client.log_outputs(rid, [LoggedModelOutput(with_model_io, 0)])
    client.log_artifact(rid, artifact(tmp_path, "a-%s.txt" % rid[:6]), "sub")
    return rid


def make_model(client, exp_id, tmp_path, run_id):
    m = client.create_logged_model(exp_id, source_run_id=run_id, params={"a": "1"},
                                   tags={"k": "v"})
    client.log_metric(run_id, "acc", 0.5, model_id=m.model_id)
    client.log_model_artifact(m.model_id, artifact(tmp_path, "m-%s.bin" % m.model_id[-6:]))
    return m.model_id


RUN_TABLES = [("runs", "run_uuid"), ("metrics", "run_uuid"), ("latest_metrics", "run_uuid"),
              ("params", "run_uuid"), ("tags", "run_uuid"), ("inputs", "destination_id"),
              ("inputs", "source_id"), ("logged_model_metrics", "run_id")]
MODEL_TABLES = [("logged_models", "model_id"), ("logged_model_params", "model_id"),
                ("logged_model_tags", "model_id"), ("logged_model_metrics", "model_id"),
                ("inputs", "destination_id")]
EXP_TABLES = [("experiments", "experiment_id"), ("experiment_tags", "experiment_id"),
              ("runs", "experiment_id"), ("logged_models", "experiment_id"),
              ("datasets", "experiment_id")]


def rows_of_run(srv, rid):
    return {t + "." + c: count(srv, t, c, rid) for t, c in RUN_TABLES}


def rows_of_model(srv, mid):
    return {t + "." + c: count(srv, t, c, mid) for t, c in MODEL_TABLES}


def rows_of_exp(srv, eid):
    return {t: count(srv, t, c, int(eid)) for t, c in EXP_TABLES}


def run_dir(srv, client, rid):
    uri = client.get_run(rid).info.artifact_uri
    assert uri.startswith("mlflow-artifacts:/"), uri
    return os.path.join(srv.artifacts, uri[len("mlflow-artifacts:/"):])


def model_dir(srv, client, mid):
    uri = client.get_logged_model(mid).artifact_location
    assert uri.startswith("mlflow-artifacts:/"), uri
    return os.path.join(srv.artifacts, uri[len("mlflow-artifacts:/"):])


class Writer:
    """Writes to the server all along (create a run, log a batch), counting failures: the
    server must keep answering while gc holds the database for one entity at a time."""

    def __init__(self, url):
        self.base = url + "/api/2.0/mlflow"
        self.stop = threading.Event()
        self.ok, self.failed = 0, []
        self.t = threading.Thread(target=self.loop)

    def loop(self):
        while not self.stop.is_set():
            try:
                r = requests.post(self.base + "/runs/create", json={"experiment_id": "0"},
                                  timeout=30)
                if r.status_code == 200:
                    rid = r.json()["run"]["info"]["run_id"]
                    r = requests.post(self.base + "/runs/log-batch", timeout=30, json={
                        "run_id": rid, "params": [{"key": "w", "value": "1"}]})
                if r.status_code == 200:
                    self.ok += 1
                else:
                    self.failed.append((r.status_code, r.text[:200]))
            except requests.RequestException as e:
                self.failed.append(repr(e))

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.t.join()


def test_gc_deletes_what_is_deleted_and_nothing_else(fresh_server, tmp_path):
    srv = fresh_server
    client = MlflowClient(tracking_uri=srv.url)
    a = client.create_experiment(uname("gc-a"))
    b = client.create_experiment(uname("gc-b"), tags={"x": "y"})
    keep_run = make_run(client, a, tmp_path)
    keep_model = make_model(client, a, tmp_path, keep_run)
    del_run = make_run(client, a, tmp_path, with_model_io=keep_model)
    del_model = make_model(client, a, tmp_path, del_run)
    b_run = make_run(client, b, tmp_path)
    b_model = make_model(client, b, tmp_path, b_run)
    dirs_gone = [run_dir(srv, client, del_run), model_dir(srv, client, del_model),
                 run_dir(srv, client, b_run), model_dir(srv, client, b_model)]
    dirs_kept = [run_dir(srv, client, keep_run), model_dir(srv, client, keep_model)]
    for d in dirs_gone + dirs_kept:
        assert os.listdir(d), d
    before_keep = (rows_of_run(srv, keep_run), rows_of_model(srv, keep_model), rows_of_exp(srv, a))
    assert all(v for k, v in before_keep[0].items() if k != "inputs.source_id")

    client.delete_run(del_run)
    client.delete_logged_model(del_model)
    client.delete_experiment(b)

    with Writer(srv.url) as w:
        time.sleep(0.2)
        out = gc(srv)
        time.sleep(0.2)
    assert out.returncode == 0, out.stdout + out.stderr
    assert not w.failed and w.ok > 0, w.failed[:5]
    lines = out.stdout.splitlines()
    for line in ["Run with ID %s has been permanently deleted." % del_run,
                 "Run with ID %s has been permanently deleted." % b_run,
                 "Logged model with ID %s has been permanently deleted." % del_model,
                 "Logged model with ID %s has been permanently deleted." % b_model,
                 "Experiment with ID %s has been permanently deleted." % b]:
        assert line in lines, out.stdout
    assert len(lines) == 5, out.stdout

    for rid in (del_run, b_run):
        assert not any(rows_of_run(srv, rid).values()), (rid, rows_of_run(srv, rid))
    for mid in (del_model, b_model):
        assert not any(rows_of_model(srv, mid).values()), (mid, rows_of_model(srv, mid))
    assert not any(rows_of_exp(srv, b).values()), rows_of_exp(srv, b)
    # Nothing dangles: every input names a run, dataset or model that is still there.
    assert srv.db_query("SELECT count(*) FROM input_tags WHERE input_uuid NOT IN "
                        "(SELECT input_uuid FROM inputs)")[0][0] == 0
    assert srv.db_query("SELECT count(*) FROM inputs WHERE destination_type = 'RUN' AND "
                        "destination_id NOT IN (SELECT run_uuid FROM runs)")[0][0] == 0
    for d in dirs_gone:
        assert not os.path.exists(d), d
    for d in dirs_kept:
        assert os.listdir(d), d
    # The kept model loses only the input and output links of the run that is gone.
    assert before_keep[1]["inputs.destination_id"] == 2
    before_keep[1]["inputs.destination_id"] = 0
    before_keep[2]["runs"] -= 1  # del_run and del_model were experiment a's too
    before_keep[2]["logged_models"] -= 1
    assert (rows_of_run(srv, keep_run), rows_of_model(srv, keep_model),
            rows_of_exp(srv, a)) == before_keep
    assert client.get_logged_model(keep_model).params == {"a": "1"}

    # The server answers for what is gone as for anything unknown, and serves the rest.
    r = requests.get(srv.url + "/api/2.0/mlflow/runs/get", params={"run_id": del_run})
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = requests.get(srv.url + "/api/2.0/mlflow/experiments/get", params={"experiment_id": b})
    assert r.status_code == 404
    assert client.get_run(keep_run).data.params == {"p": "1"}
    assert [f.path for f in client.list_artifacts(keep_run, "sub")]

    # Idempotent: nothing more to do.
    again = gc(srv)
    assert again.returncode == 0 and again.stdout == "", again.stdout + again.stderr


def test_experiment_gc_takes_its_runs_in_any_stage_and_local_artifacts(fresh_server, tmp_path):
    """An experiment's own local artifact location (not the proxy): the client writes the
    files there itself; a run restored inside the deleted experiment goes with it, as
    MLflow's cascade takes it."""
    srv = fresh_server
    client = MlflowClient(tracking_uri=srv.url)
    root = tmp_path / "localroot"
    e = client.create_experiment(uname("gc-local"), artifact_location=str(root))
    r1 = client.create_run(e).info.run_id
    r2 = client.create_run(e).info.run_id
    for rid in (r1, r2):
        client.log_artifact(rid, artifact(tmp_path, "f-%s.txt" % rid[:6]))
        assert os.listdir(root / rid / "artifacts")
    client.delete_experiment(e)
    client.restore_run(r2)
    out = gc(srv, "--experiment-ids", e)
    assert out.returncode == 0, out.stdout + out.stderr
    assert sorted(out.stdout.splitlines()) == sorted([
        "Run with ID %s has been permanently deleted." % r1,
        "Run with ID %s has been permanently deleted." % r2,
        "Experiment with ID %s has been permanently deleted." % e])
    for rid in (r1, r2):
        assert not (root / rid / "artifacts").exists()
        assert not any(rows_of_run(srv, rid).values())
    assert not any(rows_of_exp(srv, e).values())
    assert root.exists()  # the experiment's own location is left, as MLflow leaves it


def test_older_than(fresh_server, tmp_path):
    srv = fresh_server
    client = MlflowClient(tracking_uri=srv.url)
    e = client.create_experiment(uname("gc-age"))
    old_run, new_run = (client.create_run(e).info.run_id for _ in range(2))
    m_old, m_new = (client.create_logged_model(e).model_id for _ in range(2))
    old_exp, new_exp = (client.create_experiment(uname("gc-age-x")) for _ in range(2))
    for rid in (old_run, new_run):
        client.delete_run(rid)
    for mid in (m_old, m_new):
        client.delete_logged_model(mid)
    for x in (old_exp, new_exp):
        client.delete_experiment(x)
    two_days = now_ms() - 2 * DAY
    srv.db_query("UPDATE runs SET deleted_time = ? WHERE run_uuid = ?", (two_days, old_run))
    srv.db_query("UPDATE logged_models SET last_updated_timestamp_ms = ? WHERE model_id = ?",
                 (two_days, m_old))
    srv.db_query("UPDATE experiments SET last_update_time = ? WHERE experiment_id = ?",
                 (two_days, int(old_exp)))

    # An explicit id younger than the limit is refused, with MLflow's words, and nothing goes.
    for flag, ident, msg in [
            ("--run-ids", new_run, "Run %s is not older than the required age. Only runs older "
                                   "than 1d12h can be deleted." % new_run),
            ("--logged-model-ids", m_new, "Logged model %s is not older than the required age. "
                                          "Only logged models older than 1d12h can be deleted."
                                          % m_new),
            ("--experiment-ids", new_exp, "Experiments ['%s'] are not older than the required "
                                          "age. Only experiments older than 1d12h can be "
                                          "deleted." % new_exp)]:
        out = gc(srv, "--older-than", "1d12h", flag, ident)
        assert out.returncode == 1 and msg in out.stderr, out.stderr
        assert out.stdout == ""
    assert count(srv, "runs", "run_uuid", old_run) == 1

    out = gc(srv, "--older-than", "1.5d")
    assert out.returncode == 0, out.stderr
    assert sorted(out.stdout.splitlines()) == sorted([
        "Run with ID %s has been permanently deleted." % old_run,
        "Logged model with ID %s has been permanently deleted." % m_old,
        "Experiment with ID %s has been permanently deleted." % old_exp])
    assert count(srv, "runs", "run_uuid", new_run) == 1
    assert count(srv, "logged_models", "model_id", m_new) == 1
    assert count(srv, "experiments", "experiment_id", int(new_exp)) == 1
    # A run deleted without a deleted_time (before MLflow recorded it) is never old enough,
    # nor picked without --older-than (MLflow compares deleted_time <= now).
    srv.db_query("UPDATE runs SET deleted_time = NULL WHERE run_uuid = ?", (new_run,))
    out = gc(srv, "--older-than", "1s", "--run-ids", new_run)
    assert out.returncode == 1 and "is not older than the required age" in out.stderr
    out = gc(srv, "--older-than", "0s")
    assert out.returncode == 0 and new_run not in out.stdout
    assert count(srv, "runs", "run_uuid", new_run) == 1
    out = gc(srv, "--run-ids", new_run)
    assert out.returncode == 0 and new_run in out.stdout, out.stderr


def test_explicit_ids_and_errors(fresh_server, tmp_path):
    srv = fresh_server
    client = MlflowClient(tracking_uri=srv.url)
    e = client.create_experiment(uname("gc-ids"))
    active = client.create_run(e).info.run_id
    d1, d2 = (client.create_run(e).info.run_id for _ in range(2))
    client.delete_run(d1)
    client.delete_run(d2)
    live_model = client.create_logged_model(e).model_id

    cases = [
        (["--run-ids", active], "Run %s is not in `deleted` lifecycle stage. Only runs in "
                                "`deleted` lifecycle stage can be deleted." % active),
        (["--run-ids", "%s,nope" % d1], "Run with id=nope not found"),
        (["--logged-model-ids", live_model],
         "Logged model %s is not in `deleted` lifecycle stage. Only logged models in "
         "`deleted` lifecycle stage can be deleted." % live_model),
        (["--logged-model-ids", "m-nope"], "Logged model with ID 'm-nope' not found."),
        (["--experiment-ids", e], "Experiments ['%s'] are not in the deleted lifecycle stage. "
                                  "Only experiments in the deleted lifecycle stage can be "
                                  "hard-deleted." % e),
        (["--experiment-ids", "987654"], "No Experiment with id=987654 exists"),
        (["--experiment-ids", "abc"], "Invalid experiment ID 'abc'. Experiment ID must be a "
                                      "valid integer."),
        (["--older-than", "1x"], "Could not parse any time information from '1x'. Examples "
                                 "of valid strings: '8h', '2d8h5m20s', '2m4s'"),
        (["--older-than", "1h2d"], "Could not parse any time information from '1h2d'."),
        (["--older-than", "1.2.3d"], "Could not parse any time information"),
    ]
    for args, msg in cases:
        out = gc(srv, *args)
        assert out.returncode == 1, (args, out.stdout, out.stderr)
        assert msg in out.stderr, (args, out.stderr)
        assert out.stdout == "", args
    # Checked before anything is deleted: d1 survived the failed runs above.
    assert count(srv, "runs", "run_uuid", d1) == 1

    for args in (["--jobs"], ["--job-ids", "1"], ["--workspace", "w"], ["--all-workspaces"],
                 ["--bogus"], ["--run-ids"]):
        out = gc(srv, *args)
        assert out.returncode == 2, (args, out.stderr)
    assert subprocess.run([MLTRACK_BIN, "gc", "--help"], capture_output=True,
                          text=True).stdout.startswith("Usage: mltrack gc")

    # Only the named run (d2 stays deleted, for a later gc).
    out = gc(srv, "--run-ids", d1, "--tracking-uri", "http://ignored")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["Run with ID %s has been permanently deleted." % d1]
    assert count(srv, "runs", "run_uuid", d2) == 1
    assert count(srv, "runs", "run_uuid", active) == 1
    # A named run that another gc already took: not found, as MLflow says.
    out = gc(srv, "--run-ids", d1)
    assert out.returncode == 1 and "Run with id=%s not found" % d1 in out.stderr


def test_unreachable_location_is_passed_over(fresh_server, tmp_path):
    """A location gc cannot reach (another server's proxy) is passed over with MLflow's
    warning; the rows go all the same."""
    srv = fresh_server
    client = MlflowClient(tracking_uri=srv.url)
    e = client.create_experiment(uname("gc-far"))
    rid = client.create_run(e).info.run_id
    client.delete_run(rid)
    srv.db_query("UPDATE runs SET artifact_uri = ? WHERE run_uuid = ?",
                 ("https://elsewhere.example/x/artifacts", rid))
    out = gc(srv)
    assert out.returncode == 1, out.stderr
    assert "Unable to resolve the provided artifact URL: 'https://elsewhere.example/x/" \
           "artifacts'" in out.stderr
    assert out.stdout.splitlines() == ["Run with ID %s has been permanently deleted." % rid]
    assert count(srv, "runs", "run_uuid", rid) == 0


def test_interrupted_gc_is_finished_by_the_next(fresh_server, tmp_path):
    """A gc that stopped after a run's rows were committed away, before its files went: the
    location is still queued (mltrack_gc_pending, written in the deleting transaction), and
    the next gc removes it first. Made here by hand as the stopped gc would leave it."""
    srv = fresh_server
    client = MlflowClient(tracking_uri=srv.url)
    e = client.create_experiment(uname("gc-cut"))
    rid = make_run(client, e, tmp_path)
    d = run_dir(srv, client, rid)
    uri = client.get_run(rid).info.artifact_uri
    client.delete_run(rid)
    for t, c in RUN_TABLES[::-1]:
        srv.db_query("DELETE FROM %s WHERE %s = ?" % (t, c), (rid,))
    srv.db_query("INSERT INTO mltrack_gc_pending (location, entity, entity_id, queued_time) "
                 "VALUES (?, 'run', ?, ?)", (uri, rid, now_ms()))
    assert os.listdir(d)
    out = gc(srv)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "Artifacts of run %s at '%s', left by an earlier gc, have been removed." % (rid, uri)]
    assert not os.path.exists(d)
    assert srv.db_query("SELECT count(*) FROM mltrack_gc_pending")[0][0] == 0
    # And a normal gc leaves nothing queued behind.
    other = make_run(client, e, tmp_path)
    client.delete_run(other)
    out = gc(srv)
    assert out.returncode == 0 and other in out.stdout, out.stderr
    assert srv.db_query("SELECT count(*) FROM mltrack_gc_pending")[0][0] == 0


# ---- S3 ----------------------------------------------------------------------------------

BUCKET = "mltrack-gc"


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    pytest.importorskip("moto", reason="moto is not installed (tests/requirements.txt)")
    from s3moto import Moto
    m = Moto(str(tmp_path_factory.mktemp("moto")))
    m.client().create_bucket(Bucket=BUCKET)
    yield m
    m.stop()


def test_s3_artifacts_removed(moto, tmp_path, backend):
    from s3moto import S3Server, s3_env
    env = s3_env(moto)
    dest = "s3://%s/pre" % BUCKET
    srv = S3Server(str(tmp_path / "srv"), dest, env,
                   backend_uri=backend_uri_for(backend)).start()
    try:
        client = MlflowClient(tracking_uri=srv.url)
        e = client.create_experiment(uname("gc-s3"))
        keep = make_run(client, e, tmp_path)
        gone = make_run(client, e, tmp_path)
        keep_m = make_model(client, e, tmp_path, keep)
        gone_m = make_model(client, e, tmp_path, keep)
        s3 = moto.client()

        def keys(prefix):
            r = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
            return [o["Key"] for o in r.get("Contents", [])]

        def prefix_of(uri):
            assert uri.startswith("mlflow-artifacts:/"), uri
            return "pre/" + uri[len("mlflow-artifacts:/"):].strip("/") + "/"

        run_p = {r: prefix_of(client.get_run(r).info.artifact_uri) for r in (keep, gone)}
        model_p = {m: prefix_of(client.get_logged_model(m).artifact_location)
                   for m in (keep_m, gone_m)}
        for p in list(run_p.values()) + list(model_p.values()):
            assert keys(p), p
        client.delete_run(gone)
        client.delete_logged_model(gone_m)
        out = gc(srv, env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        assert len(out.stdout.splitlines()) == 2, out.stdout
        assert keys(run_p[gone]) == [] and keys(model_p[gone_m]) == []
        assert keys(run_p[keep]) and keys(model_p[keep_m])
        assert client.get_run(keep).info.run_id == keep
    finally:
        srv.check_clean_exit()


# ---- with MLflow ---------------------------------------------------------------------------

def test_mlflow_and_mltrack_gc_agree(tmp_path):
    """SQLite: a database gc'd by mltrack is read by MLflow's own store; then `mlflow gc` (its
    artifacts through mltrack's proxy) collects more on the same database while mltrack
    serves it, and mltrack then finds nothing left."""
    srv = Server(str(tmp_path)).start()
    try:
        client = MlflowClient(tracking_uri=srv.url)
        e = client.create_experiment(uname("gc-both"))
        keep = make_run(client, e, tmp_path)
        first = make_run(client, e, tmp_path)
        second = make_run(client, e, tmp_path)
        second_dir = run_dir(srv, client, second)
        client.delete_run(first)
        out = gc(srv)
        assert out.returncode == 0, out.stderr
        store = MlflowClient(tracking_uri="sqlite:///" + srv.db_path)
        ids = {r.info.run_id for r in store.search_runs([e], run_view_type=3)}
        assert ids == {keep, second}
        assert store.get_run(keep).data.params == {"p": "1"}

        client.delete_run(second)
        env = dict(os.environ, MLFLOW_TRACKING_URI=srv.url)
        r = subprocess.run([sys.executable, "-m", "mlflow", "gc", "--backend-store-uri",
                            "sqlite:///" + srv.db_path], capture_output=True, text=True,
                           timeout=300, env=env, cwd=str(tmp_path))
        assert r.returncode == 0, r.stdout + r.stderr
        assert "Run with ID %s has been permanently deleted." % second in r.stdout
        assert not os.path.exists(second_dir) or not os.listdir(second_dir)
        again = gc(srv)
        assert again.returncode == 0 and again.stdout == "", again.stdout + again.stderr
        assert client.get_run(keep).data.params == {"p": "1"}
    finally:
        srv.check_clean_exit()
