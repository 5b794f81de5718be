"""POST /api/3.0/mlflow/traces/calculate-filter-correlation (MLflow 3.17's
CalculateTraceFilterCorrelation) through the real TracingClient: the four counts over the
experiments (or over a base filter), and NPMI as MLflow's own calculate_npmi_from_counts
gives it for those counts. The same tests run against mlflow server (MLTRACK_TARGET=mlflow)."""
import math
import os

import pytest

from conftest import assert_error

import mlflow
from mlflow.store.analytics.trace_correlation import calculate_npmi_from_counts
from mlflow.tracing.client import TracingClient

os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"

PATH = "/api/3.0/mlflow/traces/calculate-filter-correlation"

# (team, env, fails): 10 traces, so that every cell of the 2x2 table has a different count.
DESIGN = [("a", "prod", False), ("a", "prod", False), ("a", "prod", True), ("a", "dev", False),
          ("b", "prod", False), ("b", "dev", False), ("b", "dev", True), ("b", "dev", False),
          ("b", "dev", False), ("c", "prod", False)]


@mlflow.trace
def step(team, env, fails):
    mlflow.update_current_trace(tags={"team": team, "env": env})
    if fails:
        raise ValueError("boom")
    return team


@pytest.fixture
def designed(traced):
    for team, env, fails in DESIGN:
        try:
            step(team, env, fails)
        except ValueError:
            pass
    mlflow.flush_trace_async_logging()
    return traced


def expect(f1, f2, base=lambda t: True):
    rows = [t for t in DESIGN if base(t)]
    n1 = sum(1 for t in rows if f1(t))
    n2 = sum(1 for t in rows if f2(t))
    joint = sum(1 for t in rows if f1(t) and f2(t))
    return n1, n2, joint, len(rows)


def check(res, counts):
    n1, n2, joint, total = counts
    assert (res.filter1_count, res.filter2_count, res.joint_count, res.total_count) == counts
    want = calculate_npmi_from_counts(joint, n1, n2, total)
    # An undefined NPMI is left out of the answer: the client reads a missing npmi as NaN
    # and a missing npmi_smoothed as None.
    for got, exp, missing in ((res.npmi, want.npmi, "nan"), (res.npmi_smoothed,
                                                             want.npmi_smoothed, None)):
        if math.isnan(exp):
            assert math.isnan(got) if missing else got is None
        else:
            assert got == pytest.approx(exp, abs=1e-12)


def test_counts_and_npmi(designed):
    tc = TracingClient()
    res = tc.calculate_trace_filter_correlation(
        [designed], "tags.team = 'a'", "tags.env = 'prod'")
    check(res, expect(lambda t: t[0] == "a", lambda t: t[1] == "prod"))
    assert -1 < res.npmi < 1 and res.npmi != 0
    # A filter on the trace's state: the failed traces are ERROR.
    res = tc.calculate_trace_filter_correlation(
        [designed], "trace.status = 'ERROR'", "tags.team = 'b'")
    check(res, expect(lambda t: t[2], lambda t: t[0] == "b"))


def test_base_filter_is_the_universe(designed):
    res = TracingClient().calculate_trace_filter_correlation(
        [designed], "tags.team = 'a'", "trace.status = 'OK'", base_filter="tags.env = 'prod'")
    check(res, expect(lambda t: t[0] == "a", lambda t: not t[2], base=lambda t: t[1] == "prod"))
    assert res.total_count == 5


def test_always_together_and_never_together(designed):
    tc = TracingClient()
    # team c is exactly the prod traces of team c: perfect co-occurrence.
    res = tc.calculate_trace_filter_correlation(
        [designed], "tags.team = 'c'", "tags.team = 'c' AND tags.env = 'prod'")
    check(res, (1, 1, 1, 10))
    assert res.npmi == 1.0
    res = tc.calculate_trace_filter_correlation(
        [designed], "tags.team = 'a'", "tags.team = 'b'")
    check(res, (4, 5, 0, 10))
    assert res.npmi == -1.0


def test_a_filter_matching_nothing_is_nan(designed, api):
    res = TracingClient().calculate_trace_filter_correlation(
        [designed], "tags.team = 'z'", "tags.env = 'prod'")
    check(res, (0, 5, 0, 10))
    assert math.isnan(res.npmi) and res.npmi_smoothed is None
    body = api.ok_post(PATH, {"experiment_ids": [designed], "filter_string1": "tags.team = 'z'",
                              "filter_string2": "tags.env = 'prod'"})
    assert body == {"filter1_count": 0, "filter2_count": 5, "joint_count": 0, "total_count": 10}


def test_empty_experiment(traced):
    res = TracingClient().calculate_trace_filter_correlation(
        [traced], "tags.team = 'a'", "tags.env = 'prod'")
    check(res, (0, 0, 0, 0))


def test_experiments_scope_the_counts(designed, client, traced):
    other = client.create_experiment("other-%s" % designed)
    mlflow.set_experiment(experiment_id=other)
    step("a", "prod", False)
    mlflow.flush_trace_async_logging()
    tc = TracingClient()
    res = tc.calculate_trace_filter_correlation([designed], "tags.team = 'a'", "tags.env = 'prod'")
    check(res, expect(lambda t: t[0] == "a", lambda t: t[1] == "prod"))
    res = tc.calculate_trace_filter_correlation(
        [designed, other], "tags.team = 'a'", "tags.env = 'prod'")
    assert (res.filter1_count, res.joint_count, res.total_count) == (5, 4, 11)


@pytest.mark.parametrize("body,msg", [
    ({"filter_string1": "tags.a = '1'", "filter_string2": "tags.b = '1'"}, "experiment_ids"),
    ({"experiment_ids": ["0"], "filter_string2": "tags.b = '1'"}, "filter_string1"),
    ({"experiment_ids": ["0"], "filter_string1": "tags.a = '1'"}, "filter_string2"),
])
def test_required_fields(api, body, msg):
    body = assert_error(api.post(PATH, json=body), 400, "INVALID_PARAMETER_VALUE", msg)
    assert "Missing value for required parameter" in body["message"]


def test_bad_filter(designed, api):
    r = api.post(PATH, json={"experiment_ids": [designed], "filter_string1": "tags.a = ",
                             "filter_string2": "tags.b = '1'"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    r = api.post(PATH, json={"experiment_ids": [designed], "filter_string1": "tags.a = '1'",
                             "filter_string2": "tags.b = '1'", "base_filter": "nonsense ~ 3"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_the_ui_path(designed, api):
    body = api.ok_post("/ajax-api/3.0/mlflow/traces/calculate-filter-correlation",
                       {"experiment_ids": [designed], "filter_string1": "tags.team = 'c'",
                        "filter_string2": "tags.env = 'prod'"})
    assert (body["filter1_count"], body["filter2_count"], body["joint_count"],
            body["total_count"]) == (1, 5, 1, 10)
    want = calculate_npmi_from_counts(1, 1, 5, 10)
    assert body["npmi"] == pytest.approx(want.npmi, abs=1e-12)
    assert body["npmi_smoothed"] == pytest.approx(want.npmi_smoothed, abs=1e-12)


def test_an_experiment_that_does_not_exist_counts_nothing(api):
    body = api.ok_post(PATH, {"experiment_ids": ["987654321"], "filter_string1": "tags.a = '1'",
                              "filter_string2": "tags.b = '1'"})
    assert body == {"filter1_count": 0, "filter2_count": 0, "joint_count": 0, "total_count": 0}
