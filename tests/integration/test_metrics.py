"""Metrics: log-metric, log-batch (limits, duplicates), latest values, NaN/±Inf, history paging,
get-history-bulk-interval, get-history-bulk. Reference: mlflow-api.md §2.1 #14, 20, 25, 26; §3."""
import math

import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from conftest import assert_error, now_ms, uname

DBL_MAX = 1.7976931348623157e308


@pytest.fixture
def run_id(client, exp_id):
    return client.create_run(exp_id).info.run_id


def hist(client, rid, key):
    return [(m.value, m.timestamp, m.step) for m in client.get_metric_history(rid, key)]


def test_log_metric_and_history(client, run_id):
    client.log_metric(run_id, "loss", 0.5, timestamp=1000, step=0)
    client.log_metric(run_id, "loss", 0.4, timestamp=2000, step=1)
    client.log_metric(run_id, "loss", 0.3, timestamp=3000, step=2)
    assert hist(client, run_id, "loss") == [(0.5, 1000, 0), (0.4, 2000, 1), (0.3, 3000, 2)]
    m = client.get_run(run_id).data.metrics
    assert m == {"loss": 0.3}
    assert client.get_metric_history(run_id, "never") == []


def test_history_order_is_timestamp_step_value(client, run_id):
    client.log_batch(run_id, metrics=[
        Metric("m", 3.0, 30, 1), Metric("m", 1.0, 10, 5), Metric("m", 2.0, 10, 2),
        Metric("m", 0.0, 10, 2), Metric("m", 9.0, 20, 0)])
    assert hist(client, run_id, "m") == [(0.0, 10, 2), (2.0, 10, 2), (1.0, 10, 5), (9.0, 20, 0), (3.0, 30, 1)]


def test_latest_metric_is_max_step_then_timestamp_then_value(client, api, run_id):
    # Highest step wins even if logged earlier in wall time with an older timestamp.
    client.log_metric(run_id, "a", 1.0, timestamp=5000, step=1)
    client.log_metric(run_id, "a", 2.0, timestamp=1000, step=7)
    client.log_metric(run_id, "a", 3.0, timestamp=9000, step=3)
    # Same step: higher timestamp wins
    client.log_metric(run_id, "b", 1.0, timestamp=2000, step=0)
    client.log_metric(run_id, "b", 2.0, timestamp=1000, step=0)
    # Same step and timestamp: higher value wins
    client.log_metric(run_id, "c", 5.0, timestamp=1000, step=0)
    client.log_metric(run_id, "c", 4.0, timestamp=1000, step=0)
    got = client.get_run(run_id).data.metrics
    assert got == {"a": 2.0, "b": 1.0, "c": 5.0}
    raw = api.ok_get("runs/get", {"run_id": run_id})["run"]["data"]["metrics"]
    a = [m for m in raw if m["key"] == "a"][0]
    assert a == {"key": "a", "value": 2.0, "timestamp": 1000, "step": 7}


def test_nan_and_infinity_roundtrip(client, api, run_id):
    client.log_metric(run_id, "nan", float("nan"), timestamp=1, step=0)
    client.log_metric(run_id, "pinf", float("inf"), timestamp=1, step=0)
    client.log_metric(run_id, "ninf", float("-inf"), timestamp=1, step=0)
    m = client.get_run(run_id).data.metrics
    assert math.isnan(m["nan"])
    # The SQL store clamps ±Inf to ±DBL_MAX; NaN survives via is_nan.
    assert m["pinf"] == DBL_MAX
    assert m["ninf"] == -DBL_MAX
    assert math.isnan(client.get_metric_history(run_id, "nan")[0].value)
    assert client.get_metric_history(run_id, "pinf")[0].value == DBL_MAX
    raw = {x["key"]: x["value"] for x in api.ok_get("runs/get", {"run_id": run_id})["run"]["data"]["metrics"]}
    assert raw["nan"] == "NaN"  # JSON string
    assert raw["pinf"] == DBL_MAX and raw["ninf"] == -DBL_MAX
    h = api.ok_get("metrics/get-history", {"run_id": run_id, "metric_key": "nan"})["metrics"]
    assert h == [{"key": "nan", "value": "NaN", "timestamp": 1, "step": 0}]


def test_nan_and_infinity_as_json_strings(api, client, run_id):
    """Protobuf JSON accepts "NaN" / "Infinity" / "-Infinity" strings for doubles."""
    api.ok_post("runs/log-metric", {"run_id": run_id, "key": "s1", "value": "NaN", "timestamp": 1})
    api.ok_post("runs/log-metric", {"run_id": run_id, "key": "s2", "value": "Infinity", "timestamp": 1})
    api.ok_post("runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "s3", "value": "-Infinity", "timestamp": 1, "step": 0}]})
    m = client.get_run(run_id).data.metrics
    assert math.isnan(m["s1"]) and m["s2"] == DBL_MAX and m["s3"] == -DBL_MAX


def test_nan_latest_vs_numbers(client, run_id):
    """A NaN at a higher step is the latest value."""
    client.log_metric(run_id, "x", 1.0, timestamp=1, step=0)
    client.log_metric(run_id, "x", float("nan"), timestamp=1, step=1)
    assert math.isnan(client.get_run(run_id).data.metrics["x"])


def test_metric_defaults_and_types(api, client, run_id):
    # step defaults to 0; int-valued timestamp as a string is accepted (proto JSON)
    api.ok_post("runs/log-metric", {"run_id": run_id, "key": "d", "value": 2, "timestamp": "123"})
    h = client.get_metric_history(run_id, "d")
    assert [(m.value, m.timestamp, m.step) for m in h] == [(2.0, 123, 0)]
    # negative step and large values
    api.ok_post("runs/log-metric", {"run_id": run_id, "key": "n", "value": -1e300, "timestamp": 2 ** 42,
                                    "step": -5})
    h = client.get_metric_history(run_id, "n")
    assert [(m.value, m.timestamp, m.step) for m in h] == [(-1e300, 2 ** 42, -5)]
    raw = api.ok_get("metrics/get-history", {"run_id": run_id, "metric_key": "n"})["metrics"][0]
    assert isinstance(raw["timestamp"], int) and isinstance(raw["step"], int)


@pytest.mark.parametrize("body,fragment", [
    ({"key": "s", "value": "abc", "timestamp": 1}, "Invalid value \"abc\" for parameter 'value'"),
    ({"key": "s", "value": 1, "timestamp": "abc"}, "parameter 'timestamp'"),
    ({"key": "s", "value": 1}, "Missing value for required parameter 'timestamp'"),
    ({"key": "s", "timestamp": 1}, "Missing value for required parameter 'value'"),
    ({"value": 1, "timestamp": 1}, "Missing value for required parameter 'key'"),
    ({"key": "../x", "value": 1, "timestamp": 1}, None),
    ({"key": "/abs", "value": 1, "timestamp": 1}, None),
    ({"key": "bad$", "value": 1, "timestamp": 1}, None),
    ({"key": "k" * 251, "value": 1, "timestamp": 1}, "250"),
    ({"key": "s", "value": 1, "timestamp": -1}, "nonnegative"),
])
def test_log_metric_invalid(api, run_id, body, fragment):
    assert_error(api.post("runs/log-metric", dict(body, run_id=run_id)), 400, "INVALID_PARAMETER_VALUE",
                 fragment)


def test_log_metric_invalid_key_via_client(client, run_id):
    with pytest.raises(MlflowException) as ei:
        client.log_metric(run_id, "../escape", 1.0)
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"


def test_valid_metric_keys(client, run_id):
    for k in ["k" * 250, "a:b c-d.e/f_g"]:
        client.log_metric(run_id, k, 1.0, step=0)
    assert set(client.get_run(run_id).data.metrics) == {"k" * 250, "a:b c-d.e/f_g"}


# --------------------------------------------------------------------------- log-batch

def test_log_batch_everything(client, run_id):
    t = now_ms()
    client.log_batch(run_id,
                     metrics=[Metric("m1", 1.0, t, 0), Metric("m1", 2.0, t + 1, 1), Metric("m2", 5.0, t, 0)],
                     params=[Param("p1", "a"), Param("p2", "b")],
                     tags=[RunTag("t1", "x")])
    r = client.get_run(run_id)
    assert r.data.metrics == {"m1": 2.0, "m2": 5.0}
    assert r.data.params == {"p1": "a", "p2": "b"}
    assert r.data.tags["t1"] == "x"
    assert hist(client, run_id, "m1") == [(1.0, t, 0), (2.0, t + 1, 1)]


def test_log_batch_empty_is_ok(api, run_id):
    assert api.ok_post("runs/log-batch", {"run_id": run_id}) == {}


@pytest.mark.parametrize("what,n,fragment", [
    ("metrics", 1001, "at most 1000 metrics"),
    ("params", 101, "at most 100 params"),
    ("tags", 101, "at most 100 tags"),
])
def test_log_batch_limits(api, client, run_id, what, n, fragment):
    items = {
        "metrics": [{"key": "m", "value": i, "timestamp": 1, "step": i} for i in range(n)],
        "params": [{"key": "p%d" % i, "value": "v"} for i in range(n)],
        "tags": [{"key": "t%d" % i, "value": "v"} for i in range(n)],
    }[what]
    assert_error(api.post("runs/log-batch", {"run_id": run_id, what: items}), 400, "INVALID_PARAMETER_VALUE",
                 fragment)
    r = client.get_run(run_id)
    assert not r.data.metrics and not r.data.params
    assert set(r.data.tags) == {"mlflow.runName"}


def test_log_batch_total_limit(api, run_id):
    body = {"run_id": run_id,
            "metrics": [{"key": "m", "value": i, "timestamp": 1, "step": i} for i in range(1000)],
            "params": [{"key": "p", "value": "v"}]}
    assert_error(api.post("runs/log-batch", body), 400, "INVALID_PARAMETER_VALUE", "at most 1000")


def test_log_batch_at_limits_ok(api, client, run_id):
    body = {"run_id": run_id,
            "metrics": [{"key": "m", "value": i, "timestamp": 1, "step": i} for i in range(900)],
            "params": [{"key": "p%d" % i, "value": "v"} for i in range(100)]}
    api.ok_post("runs/log-batch", body)
    assert len(client.get_metric_history(run_id, "m")) == 900
    assert len(client.get_run(run_id).data.params) == 100


def test_log_batch_duplicate_metrics_tolerated(api, client, run_id):
    m = {"key": "d", "value": 1.0, "timestamp": 7, "step": 0}
    api.ok_post("runs/log-batch", {"run_id": run_id, "metrics": [m, m, m]})
    api.ok_post("runs/log-batch", {"run_id": run_id, "metrics": [m]})
    api.ok_post("runs/log-metric", dict(m, run_id=run_id))
    # Exact duplicates collapse (the primary key covers run, key, value, timestamp, step).
    assert hist(client, run_id, "d") == [(1.0, 7, 0)]


def test_log_batch_duplicate_param_keys_rejected(api, client, run_id):
    for params in ([{"key": "dp", "value": "1"}, {"key": "dp", "value": "1"}],
                   [{"key": "dp", "value": "1"}, {"key": "dp", "value": "2"}]):
        assert_error(api.post("runs/log-batch", {"run_id": run_id, "params": params}), 400,
                     "INVALID_PARAMETER_VALUE", "Duplicate parameter keys")
    assert client.get_run(run_id).data.params == {}


def test_log_batch_duplicate_tags_last_wins(api, client, run_id):
    api.ok_post("runs/log-batch", {"run_id": run_id, "tags": [{"key": "dt", "value": "1"},
                                                              {"key": "dt", "value": "2"}]})
    assert client.get_run(run_id).data.tags["dt"] == "2"


@pytest.mark.parametrize("metric,fragment", [
    ({"key": "m", "value": 1, "step": 0}, "timestamp"),
    ({"key": "m", "timestamp": 1, "step": 0}, "value"),
    ({"value": 1, "timestamp": 1, "step": 0}, "key"),
    ({"key": "../m", "value": 1, "timestamp": 1, "step": 0}, None),
    ({"key": "m", "value": 1, "timestamp": -1, "step": 0}, "nonnegative"),
])
def test_log_batch_invalid_metric(api, client, run_id, metric, fragment):
    assert_error(api.post("runs/log-batch", {"run_id": run_id, "metrics": [metric]}), 400,
                 "INVALID_PARAMETER_VALUE", fragment)


def test_log_batch_wrong_types(api, run_id):
    assert_error(api.post("runs/log-batch", {"run_id": run_id, "metrics": {"key": "m"}}), 400,
                 "INVALID_PARAMETER_VALUE")
    # A nested wrong type. MLflow's protobuf parse stops at the bad field and keeps what it parsed
    # so far: with run_id first it answers 200 and stores param p with value "" (3.17 quirk); with
    # run_id after params it answers 400 on run_id. mltrack should answer 400; accept MLflow's
    # outcome too, but never a 5xx, and on 400 nothing may be stored.
    r = api.post("runs/log-batch", {"run_id": run_id, "params": [{"key": "p", "value": 5}]})
    assert r.status_code in (200, 400), r.text
    params = api.ok_get("runs/get", {"run_id": run_id})["run"]["data"].get("params", [])
    if r.status_code == 400:
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert params == []
    else:
        assert params in ([], [{"key": "p", "value": ""}], [{"key": "p", "value": "5"}])


def test_log_batch_bad_run_id(api):
    assert_error(api.post("runs/log-batch", {"run_id": "no/such run", "tags": [{"key": "a", "value": "b"}]}),
                 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("runs/log-batch", {"tags": [{"key": "a", "value": "b"}]}), 400,
                 "INVALID_PARAMETER_VALUE", "run_id")


def test_fluent_log_metrics(tracking, client, exp_id):
    with tracking.start_run(experiment_id=exp_id) as run:
        for step in range(3):
            tracking.log_metrics({"acc": step / 10, "loss": 1 - step / 10}, step=step)
        tracking.log_metric("single", 42, step=9)
    r = client.get_run(run.info.run_id)
    assert r.data.metrics == {"acc": 0.2, "loss": 0.8, "single": 42.0}
    assert [m.step for m in client.get_metric_history(run.info.run_id, "acc")] == [0, 1, 2]


# --------------------------------------------------------------------------- history paging

@pytest.mark.slow
def test_history_over_25000_points_pages_completely(client, api, run_id):
    n = 25_250
    t0 = 1_600_000_000_000
    for start in range(0, n, 1000):
        client.log_batch(run_id, metrics=[Metric("big", float(i), t0 + i, i)
                                          for i in range(start, min(n, start + 1000))])
    h = client.get_metric_history(run_id, "big")  # pages at 25000 per request
    assert len(h) == n
    assert [m.step for m in h] == list(range(n))
    assert all(m.value == float(m.step) and m.timestamp == t0 + m.step for m in h)
    first = api.ok_get("metrics/get-history", {"run_id": run_id, "metric_key": "big", "max_results": 25000})
    assert len(first["metrics"]) == 25000 and first["next_page_token"]
    second = api.ok_get("metrics/get-history", {"run_id": run_id, "metric_key": "big", "max_results": 25000,
                                                "page_token": first["next_page_token"]})
    assert [m["step"] for m in second["metrics"]] == list(range(25000, n))
    assert "next_page_token" not in second
    assert client.get_run(run_id).data.metrics["big"] == float(n - 1)


def test_history_raw_paging(api, client, run_id):
    client.log_batch(run_id, metrics=[Metric("p", float(i), 100 + i, i) for i in range(7)])
    steps, token, pages = [], None, 0
    while True:
        params = {"run_id": run_id, "metric_key": "p", "max_results": 3}
        if token:
            params["page_token"] = token
        body = api.ok_get("metrics/get-history", params)
        pages += 1
        steps += [m["step"] for m in body["metrics"]]
        token = body.get("next_page_token")
        if not token:
            break
    assert steps == list(range(7)) and pages == 3
    # Exactly full last page: no token (max+1 fetch)
    body = api.ok_get("metrics/get-history", {"run_id": run_id, "metric_key": "p", "max_results": 7})
    assert len(body["metrics"]) == 7 and "next_page_token" not in body
    # No max_results: everything
    body = api.ok_get("metrics/get-history", {"run_id": run_id, "metric_key": "p"})
    assert len(body["metrics"]) == 7
    assert_error(api.get("metrics/get-history", {"run_id": run_id, "metric_key": "p", "max_results": 3,
                                                 "page_token": "not-a-token"}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.get("metrics/get-history", {"run_id": run_id}), 400, "INVALID_PARAMETER_VALUE",
                 "metric_key")


def test_history_unknown_key_is_empty(api, run_id):
    assert api.ok_get("metrics/get-history", {"run_id": run_id, "metric_key": "nope"}) == {}


# --------------------------------------------------------------------------- bulk interval

@pytest.fixture(scope="module")
def two_runs_1000_steps(base_url):
    from mlflow.tracking import MlflowClient
    c = MlflowClient(base_url)
    eid = c.create_experiment(uname("bulk"))
    r1 = c.create_run(eid).info.run_id
    r2 = c.create_run(eid).info.run_id
    c.log_batch(r1, metrics=[Metric("m", float(i), 1000 + i, i) for i in range(1000)])
    c.log_batch(r2, metrics=[Metric("m", float(-i), 1000 + i, i) for i in range(10)])
    return r1, r2


def test_bulk_interval_sampling(api, two_runs_1000_steps):
    r1, r2 = two_runs_1000_steps
    body = api.ok_get("metrics/get-history-bulk-interval", {"run_ids": [r1, r2], "metric_key": "m",
                                                            "max_results": 5})
    ms = body["metrics"]
    by_run = {}
    for m in ms:
        assert set(m) == {"key", "value", "timestamp", "step", "run_id"}
        by_run.setdefault(m["run_id"], []).append(m["step"])
    # Runs in request order; per run at most max_results points, evenly spread, the first and the
    # last step always kept (NTILE buckets; the last bucket's head is replaced by the final point).
    assert [m["run_id"] for m in ms] == [r1] * len(by_run[r1]) + [r2] * len(by_run[r2])
    assert by_run[r1] == [0, 200, 400, 600, 999]
    assert by_run[r2] == [0, 2, 4, 6, 9]
    assert [m["value"] for m in ms if m["run_id"] == r2] == [0.0, -2.0, -4.0, -6.0, -9.0]


def test_bulk_interval_step_window_and_defaults(api, two_runs_1000_steps):
    r1, r2 = two_runs_1000_steps
    body = api.ok_get("metrics/get-history-bulk-interval", {"run_ids": r1, "metric_key": "m",
                                                            "start_step": 10, "end_step": 20, "max_results": 3})
    assert [m["step"] for m in body["metrics"]] == [10, 14, 20]
    body = api.ok_get("metrics/get-history-bulk-interval", {"run_ids": r2, "metric_key": "m"})
    assert [m["step"] for m in body["metrics"]] == list(range(10))  # fewer than 2500: all points
    body = api.ok_get("metrics/get-history-bulk-interval", {"run_ids": r1, "metric_key": "m"})
    assert len(body["metrics"]) == 1000
    body = api.ok_get("metrics/get-history-bulk-interval", {"run_ids": r1, "metric_key": "m", "max_results": 1})
    assert [m["step"] for m in body["metrics"]] == [999]  # max_results 1 -> only the last point
    assert api.ok_get("metrics/get-history-bulk-interval", {"run_ids": r1, "metric_key": "zz"}) == {}


@pytest.mark.parametrize("params,fragment", [
    ({"metric_key": "m"}, "run_ids"),
    ({"run_ids": "R"}, "metric_key"),
    ({"run_ids": "R", "metric_key": "m", "start_step": 1}, "both must be specified"),
    ({"run_ids": "R", "metric_key": "m", "start_step": 20, "end_step": 10}, "start_step"),
    ({"run_ids": "R", "metric_key": "m", "max_results": 0}, "between 1 and 2500"),
    ({"run_ids": "R", "metric_key": "m", "max_results": 2501}, "between 1 and 2500"),
    ({"run_ids": ["R"] * 101, "metric_key": "m"}, "at most 100"),
])
def test_bulk_interval_invalid(api, two_runs_1000_steps, params, fragment):
    r1, _ = two_runs_1000_steps
    p = dict(params)
    if "run_ids" in p:
        p["run_ids"] = [r1] * len(p["run_ids"]) if isinstance(p["run_ids"], list) else r1
    assert_error(api.get("metrics/get-history-bulk-interval", p), 400, "INVALID_PARAMETER_VALUE", fragment)


def test_get_history_bulk_ajax(api, two_runs_1000_steps):
    """UI-only route /ajax-api/2.0/mlflow/metrics/get-history-bulk (no /api/ twin)."""
    r1, r2 = two_runs_1000_steps
    r = api.get("/ajax-api/2.0/mlflow/metrics/get-history-bulk",
                {"run_id": [r2, r1], "metric_key": "m", "max_results": 15})
    assert r.status_code == 200, r.text
    ms = r.json()["metrics"]
    assert len(ms) == 15
    assert all(set(m) >= {"key", "value", "timestamp", "step", "run_id"} for m in ms)
    assert {m["run_id"] for m in ms} <= {r1, r2}
    r = api.get("/ajax-api/2.0/mlflow/metrics/get-history-bulk", {"metric_key": "m"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


# --------------------------------------------------------------------------- bulk ordering
# Issue 12, item 5. The expected answers follow MLflow's definitions: get-history-bulk is its
# store's `run_uuid IN (...) ORDER BY run_uuid, timestamp, step, value LIMIT max_results`;
# get-history-bulk-interval takes the runs in request order and, per run, NTILE(max_results)
# over the points in (step, timestamp, value) order, the first point of each bucket, the last
# of them replaced by the run's last point.

def ntile_sample(points, max_results):
    """MLflow's sample of one run's points [(step, timestamp, value)]."""
    rows = sorted(points)
    n = len(rows)
    if n <= max_results:
        return rows
    q, r = divmod(n, max_results)
    starts = [i * q + min(i, r) for i in range(max_results)]
    picked = [rows[b] for b in starts]
    picked[-1] = rows[-1]
    return picked


def series(kind, rnd):
    """(step, timestamp, value) points: one per step, several per step (timestamps and values
    tied in places), sparse steps with duplicates, everything at step 0."""
    if kind == "dense":
        return [(s, 1000 + s, float(s)) for s in range(100)]
    if kind == "multi":
        return [(s, 1000 + rnd.randrange(5), float(rnd.randrange(4))) for s in range(30)
                for _ in range(3)]
    if kind == "sparse":
        return [(s, 5000 - s, float(i)) for i, s in enumerate([0, 7, 7, 14, 15, 40, 41, 41, 90,
                                                               91, 92, 200, 201, 1000])]
    return [(0, 1000 + i, float(i % 3)) for i in range(50)]


@pytest.fixture(scope="module")
def ordered_runs(base_url):
    import random
    from mlflow.tracking import MlflowClient
    rnd = random.Random(12)
    c = MlflowClient(base_url)
    eid = c.create_experiment(uname("order"))
    runs = {}
    for kind in ("dense", "multi", "sparse", "step0"):
        rid = c.create_run(eid).info.run_id
        pts = sorted(set(series(kind, rnd)))
        c.log_batch(rid, metrics=[Metric("m", v, ts, s) for s, ts, v in pts])
        runs[kind] = (rid, pts)
    return runs


def points_of(ms, rid):
    return [(m["step"], m["timestamp"], m["value"]) for m in ms if m["run_id"] == rid]


@pytest.mark.parametrize("max_results", [1, 2, 3, 7, 10, 25])
def test_bulk_interval_order_and_sampling(api, ordered_runs, max_results):
    # Requested in descending id order: request order, not id order, must decide.
    kinds = sorted(ordered_runs, key=lambda k: ordered_runs[k][0], reverse=True)
    ids = [ordered_runs[k][0] for k in kinds]
    body = api.ok_get("metrics/get-history-bulk-interval",
                      {"run_ids": ids, "metric_key": "m", "max_results": max_results})
    ms = body["metrics"]
    # Runs in request order, each run's points together.
    order = [m["run_id"] for m in ms]
    assert [rid for i, rid in enumerate(order) if i == 0 or order[i - 1] != rid] == ids
    for k in kinds:
        rid, pts = ordered_runs[k]
        assert points_of(ms, rid) == ntile_sample(pts, max_results), (k, max_results)


def test_bulk_interval_repeats_and_unknown_runs(api, ordered_runs):
    dense, sparse = ordered_runs["dense"][0], ordered_runs["sparse"][0]
    body = api.ok_get("metrics/get-history-bulk-interval",
                      {"run_ids": [sparse, "0" * 32, dense, sparse], "metric_key": "m",
                       "max_results": 4})
    want = ([sparse] * 4) + ([dense] * 4) + ([sparse] * 4)
    assert [m["run_id"] for m in body["metrics"]] == want
    assert api.ok_get("metrics/get-history-bulk-interval",
                      {"run_ids": ["0" * 32], "metric_key": "m"}) == {}


def test_bulk_interval_sampling_inside_a_step_window(api, ordered_runs):
    rid, pts = ordered_runs["multi"]
    body = api.ok_get("metrics/get-history-bulk-interval",
                      {"run_ids": rid, "metric_key": "m", "max_results": 5, "start_step": 4,
                       "end_step": 20})
    inside = [p for p in pts if 4 <= p[0] <= 20]
    assert points_of(body["metrics"], rid) == ntile_sample(inside, 5)


@pytest.mark.parametrize("max_results", [None, 1, 13, 60, 500])
def test_bulk_history_order_and_cap(api, ordered_runs, max_results):
    ids = sorted((rid for rid, _ in ordered_runs.values()), reverse=True)
    params = {"run_id": ids + [ids[0], "0" * 32], "metric_key": "m"}
    if max_results is not None:
        params["max_results"] = max_results
    r = api.get("/ajax-api/2.0/mlflow/metrics/get-history-bulk", params)
    assert r.status_code == 200, r.text
    points = dict(ordered_runs.values())
    want = []
    for rid in sorted(set(ids)):
        want += [(rid, ts, s, v) for s, ts, v in sorted(points[rid], key=lambda p: (p[1], p[0], p[2]))]
    if max_results is not None:
        want = want[:max_results]
    got = [(m["run_id"], m["timestamp"], m["step"], m["value"]) for m in r.json()["metrics"]]
    assert got == want


# --------------------------------------------------------------------------- concurrency, async

def test_concurrent_writers(base_url, client, exp_id):
    """Many threads logging at once (the same run and different runs): nothing is lost."""
    from concurrent.futures import ThreadPoolExecutor
    from mlflow.tracking import MlflowClient
    shared = client.create_run(exp_id).info.run_id
    own = [client.create_run(exp_id).info.run_id for _ in range(4)]

    def work(w):
        c = MlflowClient(base_url)
        for i in range(25):
            c.log_metric(shared, "m", float(w * 100 + i), timestamp=1000 + i, step=w * 100 + i)
            c.log_metric(own[w % 4], "w%d" % w, float(i), timestamp=1000 + i, step=i)
        c.log_param(shared, "w%d" % w, str(w))
        c.set_tag(shared, "w%d" % w, str(w))

    with ThreadPoolExecutor(8) as ex:
        list(ex.map(work, range(8)))
    h = client.get_metric_history(shared, "m")
    assert sorted(m.step for m in h) == sorted(w * 100 + i for w in range(8) for i in range(25))
    r = client.get_run(shared)
    assert r.data.metrics["m"] == 724.0  # highest step
    assert r.data.params == {"w%d" % w: str(w) for w in range(8)}
    for w in range(8):
        assert [m.value for m in client.get_metric_history(own[w % 4], "w%d" % w)] == [float(i) for i in range(25)]


def test_async_logging(tracking, client, exp_id):
    """synchronous=False: the client queues and coalesces into log-batch requests."""
    with tracking.start_run(experiment_id=exp_id) as run:
        for i in range(300):
            tracking.log_metric("a", float(i), step=i, synchronous=False)
        tracking.log_params({"p%d" % i: i for i in range(150)}, synchronous=False)
        tracking.set_tags({"t%d" % i: i for i in range(120)}, synchronous=False)
        tracking.flush_async_logging()
    r = client.get_run(run.info.run_id)
    assert [m.step for m in client.get_metric_history(run.info.run_id, "a")] == list(range(300))
    assert len(r.data.params) == 150
    assert sum(1 for k in r.data.tags if k.startswith("t")) == 120


@pytest.mark.parametrize("encoding", ["gzip, deflate", "identity"])
def test_long_history_whole_through_http(client, api, run_id, encoding):
    """A history long enough to be sent in pieces (chunked, gzipped when asked) reaches the
    client whole and in order, with NaN and infinities as MLflow writes them; a history
    whose steps disagree with its timestamps is still in MLflow's order."""
    n = 40000
    for start in range(0, n, 1000):
        api.ok_post("runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "long", "value": ("NaN" if i == 777 else i / 2), "timestamp": 10 + i,
             "step": i} for i in range(start, start + 1000)]})
    r = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "long"},
                headers={"Accept-Encoding": encoding})
    assert r.status_code == 200, r.text[:300]
    pts = r.json()["metrics"]
    assert [p["step"] for p in pts] == list(range(n))
    assert pts[777]["value"] == "NaN" and pts[778]["value"] == 389.0
    got = client.get_metric_history(run_id, "long")
    assert len(got) == n and math.isnan(got[777].value) and got[-1].value == (n - 1) / 2
    # Out of order: timestamps fall as steps rise, so MLflow's (timestamp, step) order is
    # the reverse of the step order.
    for start in range(0, 20000, 1000):
        api.ok_post("runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "rev", "value": 1.0, "timestamp": 100000 - i, "step": i}
            for i in range(start, start + 1000)]})
    rev = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "rev"},
                  headers={"Accept-Encoding": encoding}).json()["metrics"]
    assert [p["step"] for p in rev] == list(range(19999, -1, -1))


def test_history_page_when_one_step_has_points_logged_out_of_order(api, exp_id):
    """Two points of one step, the later timestamp logged first: a page of one point is the
    earlier timestamp, as MLflow orders a history (timestamp, step, value)."""
    rid = api.ok_post("runs/create", {"experiment_id": exp_id})["run"]["info"]["run_id"]
    api.ok_post("runs/log-batch", {"run_id": rid, "metrics": [
        {"key": "m", "value": 1.0, "timestamp": 1001, "step": 0},
        {"key": "m", "value": 0.0, "timestamp": 1000, "step": 0},
        {"key": "m", "value": 2.0, "timestamp": 1002, "step": 1}]})
    for n, want in ((1, [1000]), (2, [1000, 1001]), (3, [1000, 1001, 1002])):
        d = api.ok_get("metrics/get-history", {"run_id": rid, "metric_key": "m",
                                               "max_results": n})
        assert [m["timestamp"] for m in d["metrics"]] == want, n
