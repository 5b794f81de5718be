"""mltrack's own endpoints behind the web UI (README, "Web UI"): /metrics/series (several
runs' downsampled series in one request, with smoothing over the raw points),
/metrics/summary (min, max, latest per metric) and /runs/export-csv (the runs table as a
streamed CSV). They run here against the sanitized server on both backends; the browser
tests use them through the UI."""
import csv
import io
import math

import pytest
import requests

from conftest import assert_error, now_ms

pytestmark = pytest.mark.mltrack_only(reason="mltrack's own endpoints for its UI")

M = "/api/2.0/mltrack/"


def ema(values, w):
    acc, n, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(None)
            continue
        acc = acc * w + (1 - w) * v
        n += 1
        out.append(acc / (1 - w ** n))
    return out


def new_run(api, exp, name="r", **kw):
    body = {"experiment_id": exp, "run_name": name, "start_time": kw.pop("start_time", now_ms())}
    return api.ok_post("runs/create", body)["run"]["info"]["run_id"]


def log(api, run_id, metrics=(), params=(), tags=()):
    # NaN and infinities travel as protobuf's JSON strings.
    ms = [dict(m, value=m["value"] if math.isfinite(m["value"]) else
               ("NaN" if math.isnan(m["value"]) else ("Infinity" if m["value"] > 0 else "-Infinity")))
          for m in metrics]
    api.ok_post("runs/log-batch", {"run_id": run_id, "metrics": ms, "params": list(params), "tags": list(tags)})


def test_series_several_runs_and_smoothing_over_raw_points(api, exp_id):
    t = now_ms()
    a, b = new_run(api, exp_id, "a"), new_run(api, exp_id, "b")
    va = [1.0 / (s + 1) + (5.0 if s == 700 else 0.0) for s in range(3000)]
    for lo in range(0, 3000, 1000):
        log(api, a, [{"key": "loss", "value": va[s], "timestamp": t + s, "step": s} for s in range(lo, lo + 1000)])
    log(api, b, [{"key": "loss", "value": float(s), "timestamp": t + s, "step": s} for s in range(10)])
    r = api.ok_get(M + "metrics/series", [("run_id", a), ("run_id", b), ("metric_key", "loss"),
                                           ("buckets", "50"), ("smoothing", "0.9")])
    assert r["metric_key"] == "loss" and r["smoothing"] == 0.9 and [s["run_id"] for s in r["series"]] == [a, b]
    sa, sb = r["series"]
    assert sa["points_in_range"] == 3000 and sa["sampled"] and len(sa["values"]) <= 200
    assert 5.0 + 1.0 / 701 in sa["values"], "the spike is kept"
    want = ema(va, 0.9)
    for step, sm in zip(sa["steps"], sa["smoothed"]):
        assert sm == pytest.approx(want[step], rel=1e-12)
    assert sb["steps"] == list(range(10)) and sb["smoothed"] == pytest.approx(ema([float(s) for s in range(10)], 0.9), rel=1e-12)
    # Zoomed in, the smoothed values at the same steps do not change.
    z = api.ok_get(M + "metrics/series", {"run_id": a, "metric_key": "loss", "min": 600, "max": 800, "smoothing": 0.9})
    zs = z["series"][0]
    assert zs["steps"] == list(range(600, 801)) and not zs["sampled"]
    for step, sm in zip(zs["steps"], zs["smoothed"]):
        assert sm == pytest.approx(want[step], rel=1e-12)
    # Without smoothing there is no "smoothed" field; preview works as in /downsample.
    p = api.ok_get(M + "metrics/series", {"run_id": a, "metric_key": "loss", "buckets": 30, "preview": "true"})
    assert not p["series"][0]["exact"] and "smoothed" not in p["series"][0] and len(p["series"][0]["values"]) <= 30


def test_series_smoothing_in_step_order_when_timestamps_disagree(api, exp_id):
    """A history whose timestamps go down as steps go up: the average still follows the
    steps (on the step axis) and the timestamps (on the time axis)."""
    run = new_run(api, exp_id)
    t = now_ms()
    vals = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    log(api, run, [{"key": "m", "value": v, "timestamp": t + 100 - s, "step": s} for s, v in enumerate(vals)])
    r = api.ok_get(M + "metrics/series", {"run_id": run, "metric_key": "m", "smoothing": 0.5})["series"][0]
    assert r["steps"] == list(range(8)) and r["smoothed"] == pytest.approx(ema(vals, 0.5), rel=1e-12)
    r = api.ok_get(M + "metrics/series", {"run_id": run, "metric_key": "m", "smoothing": 0.5, "x": "timestamp"})["series"][0]
    by_time = list(reversed(vals))
    got = dict(zip(r["steps"], r["smoothed"]))
    want = ema(by_time, 0.5)
    for k, s in enumerate(reversed(range(8))):
        assert got[s] == pytest.approx(want[k], rel=1e-12)


def test_series_nan_and_infinity(api, exp_id):
    run = new_run(api, exp_id)
    t = now_ms()
    vals = [1.0, float("nan"), 2.0, float("inf"), 3.0]
    log(api, run, [{"key": "m", "value": v, "timestamp": t + s, "step": s} for s, v in enumerate(vals)])
    r = api.ok_get(M + "metrics/series", {"run_id": run, "metric_key": "m", "smoothing": 0.5})["series"][0]
    assert r["nan_points"] == 1 and r["steps"] == [0, 2, 3, 4]
    # NaN is left out of the average; infinity is stored as the largest double (MLflow's
    # rule for its SQL stores) and averages as that.
    e = ema([1.0, float("nan"), 2.0, 1.7976931348623157e308, 3.0], 0.5)
    assert r["smoothed"] == pytest.approx([e[0], e[2], e[3], e[4]], rel=1e-12)


def test_series_errors(api, exp_id):
    run = new_run(api, exp_id)
    g = lambda q: api.get(M + "metrics/series", q)  # noqa: E731
    assert_error(g({"metric_key": "m"}), 400, "INVALID_PARAMETER_VALUE", "run_id")
    assert_error(g({"run_id": run}), 400, "INVALID_PARAMETER_VALUE", "metric_key")
    assert_error(g([("run_id", run)] * 101 + [("metric_key", "m")]), 400, "INVALID_PARAMETER_VALUE", "at most 100")
    for bad in ("1", "1.5", "-0.1", "nan", "x"):
        assert_error(g({"run_id": run, "metric_key": "m", "smoothing": bad}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(g({"run_id": run, "metric_key": "m", "smoothing": 0.3, "preview": "true"}), 400,
                 "INVALID_PARAMETER_VALUE", "preview")
    assert_error(g({"run_id": run, "metric_key": "m", "buckets": 0}), 400, "INVALID_PARAMETER_VALUE", "buckets")
    assert_error(g({"run_id": run, "metric_key": "m", "min": 5, "max": 1}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(g({"run_id": "bad id", "metric_key": "m"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(g({"run_id": "f" * 32, "metric_key": "m"}), 404, "RESOURCE_DOES_NOT_EXIST")
    # A run without the metric: an empty series, not an error.
    r = api.ok_get(M + "metrics/series", {"run_id": run, "metric_key": "absent", "smoothing": 0.5})["series"][0]
    assert r["values"] == [] and r["smoothed"] == []


def test_summary(api, exp_id):
    run = new_run(api, exp_id)
    t = now_ms()
    log(api, run, [{"key": "loss", "value": v, "timestamp": t + s, "step": s}
                   for s, v in enumerate([5.0, 2.0, 7.0, float("nan"), 3.0])] +
        [{"key": "acc", "value": 0.5, "timestamp": t, "step": 0}])
    r = api.ok_get(M + "metrics/summary", {"run_id": run})
    by = {m["key"]: m for m in r["metrics"]}
    assert by["loss"]["points"] == 5 and by["loss"]["nan_points"] == 1
    assert by["loss"]["min"] == {"value": 2.0, "step": 1, "timestamp": t + 1}
    assert by["loss"]["max"] == {"value": 7.0, "step": 2, "timestamp": t + 2}
    assert by["loss"]["latest"]["step"] == 4 and by["loss"]["latest"]["value"] == 3.0
    assert by["acc"]["min"]["value"] == by["acc"]["max"]["value"] == 0.5 and by["acc"]["points"] == 1
    assert_error(api.get(M + "metrics/summary", {}), 400, "INVALID_PARAMETER_VALUE", "run_id")
    assert_error(api.get(M + "metrics/summary", {"run_id": "f" * 32}), 404, "RESOURCE_DOES_NOT_EXIST")


def read_csv(resp):
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(resp.content.decode("utf-8"), newline="")))


def test_export_csv_streams_every_run(api, exp_id):
    """More runs than one page of the stream (500), in the requested order, with the
    requested columns; values with commas, quotes and line breaks quoted; a client that
    hangs up in the middle."""
    t0 = 1767600000000
    ids = []
    for i in range(520):
        rid = new_run(api, exp_id, "run-%04d" % i, start_time=t0 + i * 1000)
        ids.append(rid)
        log(api, rid, [{"key": "loss", "value": i / 10, "timestamp": t0, "step": 0}],
            [{"key": "lr", "value": str(i % 3)}],
            [{"key": "note", "value": 'a, "b"\nc' if i == 7 else "x"}])
    api.ok_post("runs/update", {"run_id": ids[3], "status": "FINISHED", "end_time": t0 + 3000 + 1500})
    r = api.s.get(api.url(M + "runs/export-csv"), params=[
        ("experiment_ids", exp_id), ("order_by", "attributes.start_time ASC"),
        ("columns", "attributes.run_name"), ("columns", "attributes.run_id"), ("columns", "metrics.loss"),
        ("columns", "params.lr"), ("columns", "tags.note"), ("columns", "attributes.start_time"),
        ("columns", "attributes.duration"), ("columns", "metrics.absent")], stream=True, timeout=120)
    assert r.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in r.headers
    rows = read_csv(r)
    assert rows[0] == ["run_name", "run_id", "metrics.loss", "params.lr", "tags.note", "start_time", "duration", "metrics.absent"]
    assert len(rows) == 521
    assert [row[0] for row in rows[1:]] == ["run-%04d" % i for i in range(520)]
    assert [row[1] for row in rows[1:]] == ids
    assert float(rows[1 + 505][2]) == 50.5 and rows[1 + 505][3] == "1"
    assert rows[1 + 7][4] == 'a, "b"\nc'
    assert rows[1][5] == "2026-01-05T08:00:00.000Z"
    assert rows[1 + 3][6] == "1.500" and rows[1][6] == ""
    assert all(row[7] == "" for row in rows[1:])
    # A filter, and POST with a JSON body.
    r = api.s.post(api.url(M + "runs/export-csv"), json={
        "experiment_ids": [exp_id], "filter": "metrics.loss >= 51 and params.lr = '0'",
        "order_by": ["metrics.loss DESC"], "columns": ["attributes.run_name", "metrics.loss"]}, timeout=60)
    rows = read_csv(r)
    assert rows[1:] == [["run-0519", "51.9"], ["run-0516", "51.6"], ["run-0513", "51.3"], ["run-0510", "51.0"]]
    # A client that reads a little and hangs up: the server drops the stream and goes on.
    with requests.get(api.url(M + "runs/export-csv"), params={"experiment_ids": exp_id}, stream=True, timeout=30) as r:
        assert r.status_code == 200
        next(r.iter_content(256))
    assert api.ok_get("experiments/get", {"experiment_id": exp_id})["experiment"]["experiment_id"] == exp_id


def test_export_csv_default_columns(api, exp_id):
    a = new_run(api, exp_id, "a")
    log(api, a, [{"key": "m2", "value": float("nan"), "timestamp": now_ms(), "step": 0}],
        [{"key": "p1", "value": "v"}], [{"key": "t1", "value": "w"}])
    rows = read_csv(api.s.get(api.url(M + "runs/export-csv"), params={"experiment_ids": exp_id}, timeout=60))
    head = rows[0]
    assert head[:11] == ["run_id", "run_name", "experiment_id", "status", "user_id", "start_time", "end_time",
                         "duration", "source", "lifecycle_stage", "artifact_uri"]
    assert "params.p1" in head and "metrics.m2" in head and "tags.t1" in head and "tags.mlflow.runName" in head
    row = dict(zip(head, rows[1]))
    assert row["run_id"] == a and row["metrics.m2"] == "NaN" and row["params.p1"] == "v" and row["status"] == "RUNNING"


def test_export_csv_errors(api, exp_id):
    g = lambda q: api.get(M + "runs/export-csv", q)  # noqa: E731
    assert_error(g({"experiment_ids": exp_id, "columns": "nope"}), 400, "INVALID_PARAMETER_VALUE", "nope")
    assert_error(g({"experiment_ids": exp_id, "columns": "attributes.colour"}), 400, "INVALID_PARAMETER_VALUE", "colour")
    assert_error(g({"experiment_ids": exp_id, "columns": "metrics."}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(g({"experiment_ids": exp_id, "filter": "metrics.loss <<< 1"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(g({"experiment_ids": exp_id, "order_by": "metrics.loss SIDEWAYS"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(g({"experiment_ids": "abc"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(g({"experiment_ids": exp_id, "run_view_type": "SOME"}), 400, "INVALID_PARAMETER_VALUE")
    r = api.s.post(api.url(M + "runs/export-csv"), data="{", headers={"Content-Type": "application/json"}, timeout=30)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    r = api.s.post(api.url(M + "runs/export-csv"), json={"experiment_ids": [exp_id], "columns": "x"}, timeout=30)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    # No experiments: a header line and nothing else, as runs/search finds nothing.
    rows = read_csv(api.s.get(api.url(M + "runs/export-csv"), params={"columns": "attributes.run_id"}, timeout=30))
    assert rows == [["run_id"]]
