"""A database moves between MLflow and mltrack in both directions (DESIGN.md "Storage schema").

(a) MLflow's own SQL store (MlflowClient("sqlite:///file"), no server) writes; mltrack serves that
    file; the client reads the same data back over HTTP.
(b) mltrack writes through the client and is stopped; MLflow's SQL store reads the file directly,
    and `mlflow server` serves it for a few requests.

Meaningful only with MLTRACK_TARGET=mltrack (with the reference on both sides they would test
MLflow against itself), so they are mltrack_only."""
import math
import os

import pytest
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag, ViewType
from mlflow.tracking import MlflowClient

from conftest import start_server

pytestmark = pytest.mark.mltrack_only(
    reason="interop moves a database between MLflow and mltrack; with MLTRACK_TARGET=mlflow there is "
           "no mltrack to move it to")

INF = 1.7976931348623157e308


def populate(c):
    """Write a known set of entities through client `c`; return the experiment ids."""
    e1 = c.create_experiment("interop-a", tags={"team": "x", "note": "ünïcødé ✓"})
    e2 = c.create_experiment("interop-b")
    e3 = c.create_experiment("interop-deleted")
    r1 = c.create_run(e1, start_time=1000, run_name="first", tags={"t": "1"}).info.run_id
    c.log_batch(r1, metrics=[Metric("loss", v, 1000 + i, i) for i, v in enumerate([0.5, 0.25, 0.125])]
                + [Metric("nan", float("nan"), 5, 0), Metric("pinf", float("inf"), 5, 0),
                   Metric("ninf", float("-inf"), 5, 0)],
                params=[Param("lr", "0.01"), Param("long", "x" * 6000)],
                tags=[RunTag("long", "y" * 8000)])
    c.log_inputs(r1, [DatasetInput(Dataset(name="ds", digest="abc", source_type="local",
                                           source='{"uri": "/tmp/ds"}', schema='{"a": 1}', profile='{"n": 3}'),
                                   [InputTag("mlflow.data.context", "training")])])
    c.set_terminated(r1, "FINISHED", end_time=2000)
    r2 = c.create_run(e1, start_time=3000, run_name="second").info.run_id
    c.log_metric(r2, "loss", 0.75, timestamp=3001, step=0)
    c.delete_run(r2)
    r3 = c.create_run(e2, start_time=4000, run_name="third").info.run_id
    c.log_param(r3, "p", "v")
    c.delete_experiment(e3)
    return [e1, e2, e3]


def snapshot(c, exp_ids):
    """A comparable picture of everything under exp_ids (ids included: they must survive)."""
    out = {}
    for eid in exp_ids:
        e = c.get_experiment(eid)
        runs = c.search_runs([eid], run_view_type=ViewType.ALL, order_by=["attributes.start_time ASC"])
        rs = []
        for r in runs:
            metrics = {}
            for k in sorted(r.data.metrics):
                metrics[k] = [(_v(m.value), m.timestamp, m.step) for m in c.get_metric_history(r.info.run_id, k)]
            full = c.get_run(r.info.run_id)
            rs.append({
                "run_id": r.info.run_id, "name": r.info.run_name, "status": r.info.status,
                "start": r.info.start_time, "end": r.info.end_time, "stage": r.info.lifecycle_stage,
                "user": r.info.user_id,
                "params": r.data.params, "tags": r.data.tags,
                "latest": {k: _v(v) for k, v in r.data.metrics.items()},
                "history": metrics,
                "inputs": sorted((d.dataset.name, d.dataset.digest, d.dataset.source_type, d.dataset.source,
                                  d.dataset.schema, d.dataset.profile,
                                  tuple(sorted((t.key, t.value) for t in d.tags)))
                                 for d in full.inputs.dataset_inputs),
            })
        out[eid] = {"name": e.name, "stage": e.lifecycle_stage, "tags": e.tags,
                    "created": e.creation_time, "artifact_location": e.artifact_location, "runs": rs}
    return out


def _v(x):
    return "NaN" if isinstance(x, float) and math.isnan(x) else x


def check_expected(snap, exp_ids):
    e1, e2, e3 = exp_ids
    a = snap[e1]
    assert a["name"] == "interop-a" and a["tags"] == {"team": "x", "note": "ünïcødé ✓"}
    first, second = a["runs"]
    assert first["name"] == "first" and first["status"] == "FINISHED" and first["end"] == 2000
    assert first["history"]["loss"] == [(0.5, 1000, 0), (0.25, 1001, 1), (0.125, 1002, 2)]
    assert first["latest"] == {"loss": 0.125, "nan": "NaN", "pinf": INF, "ninf": -INF}
    assert first["params"] == {"lr": "0.01", "long": "x" * 6000}
    assert first["tags"]["long"] == "y" * 8000 and first["tags"]["t"] == "1"
    assert first["inputs"] == [("ds", "abc", "local", '{"uri": "/tmp/ds"}', '{"a": 1}', '{"n": 3}',
                                (("mlflow.data.context", "training"),))]
    assert second["stage"] == "deleted" and second["history"]["loss"] == [(0.75, 3001, 0)]
    assert snap[e2]["runs"][0]["params"] == {"p": "v"}
    assert snap[e3]["stage"] == "deleted"


def _sql_client(path):
    return MlflowClient(tracking_uri="sqlite:///" + path)


def _dispose(c):
    try:
        c._tracking_client.store.engine.dispose()
    except AttributeError:
        pass


def test_mlflow_store_writes_mltrack_serves(tmp_path):
    db = str(tmp_path / "from-mlflow.db")
    writer = _sql_client(db)
    ids = populate(writer)
    want = snapshot(writer, ids)
    check_expected(want, ids)
    _dispose(writer)

    srv = start_server(str(tmp_path), db_path=db)
    try:
        c = MlflowClient(srv.url)
        got = snapshot(c, ids)
        assert got == want
        # Default experiment and new writes keep working on the adopted file.
        assert c.get_experiment("0").name == "Default"
        new = c.create_experiment("after-adoption")
        assert int(new) > max(int(i) for i in ids)
        rid = c.create_run(ids[0]).info.run_id
        c.log_metric(rid, "loss", 1.0, step=0)
        assert c.get_run(rid).data.metrics == {"loss": 1.0}
        # Searches over MLflow-written rows
        names = [r.info.run_name for r in c.search_runs([ids[0]], "metrics.loss < 0.2 and params.lr = '0.01'")]
        assert names == ["first"]
    finally:
        srv.check_clean_exit()


def test_mltrack_writes_mlflow_reads(tmp_path):
    srv = start_server(str(tmp_path))
    try:
        c = MlflowClient(srv.url)
        ids = populate(c)
        want = snapshot(c, ids)
        check_expected(want, ids)
    finally:
        srv.check_clean_exit()

    reader = _sql_client(srv.db_path)
    got = snapshot(reader, ids)
    # The SQL store reports artifact locations exactly as stored, like the server does.
    assert got == want
    _dispose(reader)

    # One round through `mlflow server` on the same file.
    os.makedirs(str(tmp_path / "ref"), exist_ok=True)
    ref = start_server(str(tmp_path / "ref"), db_path=srv.db_path, target="mlflow")
    try:
        rc = MlflowClient(ref.url)
        r = rc.search_runs([ids[0]], "attributes.run_name = 'first'")
        assert len(r) == 1 and r[0].data.params["lr"] == "0.01"
        assert [m.value for m in rc.get_metric_history(r[0].info.run_id, "loss")] == [0.5, 0.25, 0.125]
        # and MLflow can write to it
        rid = rc.create_run(ids[1]).info.run_id
        rc.log_param(rid, "from", "mlflow")
    finally:
        ref.stop()


# ---- traces ------------------------------------------------------------------------------


def _trace_some(tracking_uri):
    """Two traces through the fluent API into a new experiment of tracking_uri: an agent
    calling an LLM span with token usage and cost, and a failing one; a tag and a feedback
    on the first. Returns (experiment id, [trace ids])."""
    import mlflow
    os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
    mlflow.set_tracking_uri(tracking_uri)
    exp = MlflowClient(tracking_uri).create_experiment("interop-traces")
    os.environ["MLFLOW_EXPERIMENT_ID"] = exp
    mlflow.tracing.reset()
    try:
        ids = []
        with mlflow.start_span("agent") as root:
            root.set_inputs({"question": "why?"})
            with mlflow.start_span("llm", span_type="LLM") as s:
                s.set_attribute("mlflow.chat.tokenUsage",
                                {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10})
                s.set_attribute("mlflow.llm.cost", {"input_cost": 0.25, "total_cost": 0.5})
                s.set_outputs({"text": "because"})
            root.set_outputs("because")
        mlflow.flush_trace_async_logging()
        ids.append(mlflow.get_last_active_trace_id())
        try:
            with mlflow.start_span("broken"):
                raise ValueError("down")
        except ValueError:
            pass
        mlflow.flush_trace_async_logging()
        ids.append(mlflow.get_last_active_trace_id())
        MlflowClient(tracking_uri).set_trace_tag(ids[0], "team", "interop")
        mlflow.log_feedback(trace_id=ids[0], name="quality", value=0.75)
    finally:
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    return exp, ids


def _trace_picture(c, exp):
    out = []
    for t in c.search_traces(locations=[exp], order_by=["timestamp_ms ASC"]):
        full = c.get_trace(t.info.trace_id)
        i = full.info
        out.append({
            "id": i.trace_id, "state": i.state.value, "preview": i.request_preview,
            "tags": {k: v for k, v in i.tags.items() if k != "mlflow.artifactLocation"},
            "usage": i.token_usage, "cost": i.trace_metadata.get("mlflow.trace.cost"),
            "assessments": [(a.name, a.value) for a in i.assessments],
            "spans": sorted((s.name, s.span_type, s.status.status_code.value, str(s.outputs))
                            for s in full.data.spans),
        })
    return out


def _check_traces(pic, ids):
    assert [p["id"] for p in pic] == ids
    first, broken = pic
    assert first["state"] == "OK" and broken["state"] == "ERROR"
    assert first["usage"] == {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10}
    assert first["tags"]["team"] == "interop"
    assert first["assessments"] == [("quality", 0.75)]
    assert [s[0] for s in first["spans"]] == ["agent", "llm"]


def test_traces_move_from_mlflow_to_mltrack(tmp_path):
    db = str(tmp_path / "traces-from-mlflow.db")
    exp, ids = _trace_some("sqlite:///" + db)
    writer = _sql_client(db)
    want = _trace_picture(writer, exp)
    _check_traces(want, ids)
    _dispose(writer)
    srv = start_server(str(tmp_path), db_path=db)
    try:
        assert _trace_picture(MlflowClient(srv.url), exp) == want
    finally:
        srv.check_clean_exit()


def test_traces_move_from_mltrack_to_mlflow(tmp_path):
    srv = start_server(str(tmp_path))
    try:
        exp, ids = _trace_some(srv.url)
        want = _trace_picture(MlflowClient(srv.url), exp)
        _check_traces(want, ids)
    finally:
        srv.check_clean_exit()
    reader = _sql_client(srv.db_path)
    assert _trace_picture(reader, exp) == want
    _dispose(reader)
