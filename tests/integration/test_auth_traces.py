"""GenAI traces under MLflow's basic-auth app: who may trace into an experiment, read, tag,
assess and delete its traces, and what a trace reply leaves out for a caller whose grants
deny a tier (assessments, the source run). Driven with the real client as each user; the
same tests run against `mlflow server --app-name basic-auth` (MLTRACK_TARGET=mlflow)."""
import os

import mlflow
import pytest
import requests

from conftest import IS_MLFLOW, _reset_fluent
from test_auth import ADMIN_PW, As, needs_mlflow_auth, new_user, start_auth_server, status_of, uniq

os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
if IS_MLFLOW:
    pytestmark = needs_mlflow_auth


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = start_auth_server(str(tmp_path_factory.mktemp("auth-traces")))
    yield s
    s.check_clean_exit()


@pytest.fixture
def login(monkeypatch, srv):
    """As(...) with the fluent API (tracing) pointed at the server too."""
    _reset_fluent()
    mlflow.set_tracking_uri(srv.url)
    yield As(monkeypatch, srv.url)
    _reset_fluent()


def trace_into(exp, question="q"):
    """One traced call in exp as the current login; the id the client gave its trace (the
    exporter only logs a refusal, so whether the server took it is for a search to tell)."""
    mlflow.tracing.reset()
    os.environ["MLFLOW_EXPERIMENT_ID"] = exp
    try:
        with mlflow.start_span("agent") as s:
            s.set_inputs({"question": question})
            s.set_outputs("answer")
    finally:
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    mlflow.flush_trace_async_logging()
    return mlflow.get_last_active_trace_id()


def info_status(srv, user, pw, tid):
    """The status of GetTraceInfoV3 for tid as user."""
    return requests.get(srv.url + "/api/3.0/mlflow/traces/" + tid, auth=(user, pw)).status_code


def artifact_status(srv, user, pw, **params):
    """The status of the UI's get-trace-artifact as user (the same on its 2.0 and 3.0 paths)."""
    got = {requests.get(srv.url + "/ajax-api/%s/mlflow/get-trace-artifact" % v, params=params,
                        auth=(user, pw)).status_code for v in ("2.0", "3.0")}
    assert len(got) == 1, got
    return got.pop()


def ids_in(tc, exp, **kw):
    return sorted(t.info.trace_id for t in tc.search_traces(locations=[exp], **kw))


def test_a_trace_follows_its_experiments_grants(login, srv):
    tc, admin = login("admin", ADMIN_PW)
    alice, apw = new_user(admin)
    bob, bpw = new_user(admin)
    tc, _ = login(alice, apw)
    exp = tc.create_experiment(uniq("alice-traces"))
    tid = trace_into(exp, "from alice")
    assert tid, "the experiment's creator traces into it"
    t = tc.get_trace(tid)
    assert [s.name for s in t.data.spans] == ["agent"]
    assert ids_in(tc, exp) == [tid]
    # default_permission READ: bob reads the traces, but changes nothing.
    tc, _ = login(bob, bpw)
    assert tc.get_trace(tid).info.request_preview == '{"question": "from alice"}'
    assert ids_in(tc, exp) == [tid]
    assert info_status(srv, bob, bpw, tid) == 200
    assert artifact_status(srv, bob, bpw, request_id=tid) == 200
    assert artifact_status(srv, bob, bpw) == 400
    assert status_of(lambda: tc.set_trace_tag(tid, "k", "v")) == 403
    assert status_of(lambda: tc.delete_trace_tag(tid, "k")) == 403
    assert status_of(lambda: mlflow.log_feedback(trace_id=tid, name="q", value=1)) == 403
    assert status_of(lambda: tc.delete_traces(experiment_id=exp, trace_ids=[tid])) == 403
    trace_into(exp, "from bob")  # refused: it does not reach the server
    assert ids_in(login(alice, apw)[0], exp) == [tid]
    # A trace that does not exist is refused like one that may not be read: no oracle.
    tc, _ = login(bob, bpw)
    assert info_status(srv, bob, bpw, "tr-" + "0" * 32) == 403
    # EDIT: bob traces, tags and assesses; deleting traces still needs MANAGE.
    _, auth = login(alice, apw)
    auth.grant_user_permission(bob, "experiment", exp, "EDIT")
    tc, _ = login(bob, bpw)
    bobs = trace_into(exp, "from bob")
    assert bobs
    tc.set_trace_tag(tid, "reviewed", "yes")
    fb = mlflow.log_feedback(trace_id=tid, name="quality", value=0.5)
    assert tc.get_trace(tid).info.tags["reviewed"] == "yes"
    assert [a.assessment_id for a in tc.get_trace(tid).info.assessments] == [fb.assessment_id]
    assert status_of(lambda: tc.delete_traces(experiment_id=exp, trace_ids=[tid])) == 403
    tc, _ = login(alice, apw)
    assert ids_in(tc, exp) == sorted([tid, bobs])
    assert tc.delete_traces(experiment_id=exp, trace_ids=[bobs]) == 1


def test_deny_on_the_experiment_or_the_trace_tier_hides_traces(login, srv):
    tc, admin = login("admin", ADMIN_PW)
    bob, bpw = new_user(admin)
    carol, cpw = new_user(admin)
    exp = tc.create_experiment(uniq("hidden-traces"))
    other = tc.create_experiment(uniq("shown-traces"))
    tid = trace_into(exp)
    shown = trace_into(other)
    admin.grant_user_permission(bob, "experiment", exp, "DENY")
    admin.grant_user_permission(carol, "trace", "*", "DENY")
    tc, _ = login(bob, bpw)
    assert status_of(lambda: tc.get_trace(tid)) == 403
    assert info_status(srv, bob, bpw, tid) == 403
    assert artifact_status(srv, bob, bpw, request_id=tid) == 403
    assert status_of(lambda: tc.search_traces(locations=[exp])) == 403
    assert status_of(lambda: tc.search_traces(locations=[exp, other])) == 403
    assert ids_in(tc, other) == [shown]
    # The trace tier denied: no trace anywhere, though every experiment is readable.
    tc, _ = login(carol, cpw)
    assert tc.get_experiment(exp).experiment_id == exp
    assert status_of(lambda: tc.get_trace(shown)) == 403
    assert artifact_status(srv, carol, cpw, request_id=shown) == 403
    assert status_of(lambda: tc.search_traces(locations=[other])) == 403


def test_a_denied_tier_is_left_out_of_trace_replies(login):
    tc, admin = login("admin", ADMIN_PW)
    carol, cpw = new_user(admin)
    dave, dpw = new_user(admin)
    exp = tc.create_experiment(uniq("redacted"))
    mlflow.set_experiment(experiment_id=exp)
    with mlflow.start_run() as run:
        tid = trace_into(exp)
    mlflow.log_feedback(trace_id=tid, name="quality", value="good")
    full = tc.get_trace(tid).info
    assert full.trace_metadata["mlflow.sourceRun"] == run.info.run_id
    assert [a.name for a in full.assessments] == ["quality"]
    admin.grant_user_permission(carol, "assessment", "*", "DENY")
    admin.grant_user_permission(dave, "run", "*", "DENY")
    # Carol reads the trace, without its assessments; filtering on them is refused.
    tc, _ = login(carol, cpw)
    t = tc.get_trace(tid).info
    assert t.assessments == [] and t.trace_metadata["mlflow.sourceRun"] == run.info.run_id
    [found] = tc.search_traces(locations=[exp])
    assert found.info.assessments == []
    assert status_of(lambda: tc.search_traces(locations=[exp],
                                              filter_string="feedback.quality = 'good'")) == 403
    # Dave reads it without the run it came from; filtering or sorting by the run is refused.
    tc, _ = login(dave, dpw)
    t = tc.get_trace(tid).info
    assert "mlflow.sourceRun" not in t.trace_metadata
    assert [a.name for a in t.assessments] == ["quality"]
    [found] = tc.search_traces(locations=[exp])
    assert "mlflow.sourceRun" not in found.info.trace_metadata
    assert ids_in(tc, exp, filter_string="feedback.quality = 'good'") == [tid]
    assert status_of(lambda: tc.search_traces(
        locations=[exp], filter_string="run_id = '%s'" % run.info.run_id)) == 403
    assert status_of(lambda: tc.search_traces(locations=[exp], order_by=["run_id DESC"])) == 403


def correlation_status(srv, user, pw, exps, f1, f2, base=None):
    body = {"experiment_ids": exps, "filter_string1": f1, "filter_string2": f2}
    if base is not None:
        body["base_filter"] = base
    r = requests.post(srv.url + "/api/3.0/mlflow/traces/calculate-filter-correlation",
                      json=body, auth=(user, pw))
    return r.status_code


def hidden_and_shown(login, prefix):
    """Two experiments with a trace each; bob denied the first, carol every assessment."""
    tc, admin = login("admin", ADMIN_PW)
    bob, bpw = new_user(admin)
    carol, cpw = new_user(admin)
    exp = tc.create_experiment(uniq(prefix + "-hidden"))
    other = tc.create_experiment(uniq(prefix + "-shown"))
    trace_into(exp)
    trace_into(other)
    admin.grant_user_permission(bob, "experiment", exp, "DENY")
    admin.grant_user_permission(carol, "assessment", "*", "DENY")
    return bob, bpw, carol, cpw, exp, other


def test_filter_correlation_needs_read_on_every_experiment_and_the_filters_tiers(login, srv):
    bob, bpw, carol, cpw, exp, other = hidden_and_shown(login, "corr")
    tags = ("tags.a = '1'", "tags.b = '1'")
    assert correlation_status(srv, bob, bpw, [other], *tags) == 200
    assert correlation_status(srv, bob, bpw, [exp], *tags) == 403
    assert correlation_status(srv, bob, bpw, [other, exp], *tags) == 403
    # A filter on assessments, in any of the three places, needs the assessment tier.
    assert correlation_status(srv, carol, cpw, [other], *tags) == 200
    assert correlation_status(srv, carol, cpw, [other], "feedback.quality = 'good'",
                              "tags.b = '1'") == 403
    assert correlation_status(srv, carol, cpw, [other], "tags.a = '1'",
                              "feedback.quality = 'good'") == 403
    assert correlation_status(srv, carol, cpw, [other], *tags,
                              base="feedback.quality = 'good'") == 403


def metrics_status(srv, user, pw, exps, view="TRACES"):
    metric = {"TRACES": "trace_count", "ASSESSMENTS": "assessment_count"}[view]
    r = requests.post(srv.url + "/api/3.0/mlflow/traces/metrics", auth=(user, pw), json={
        "experiment_ids": exps, "view_type": view, "metric_name": metric,
        "aggregations": [{"aggregation_type": "COUNT"}]})
    return r.status_code


def test_trace_metrics_need_read_on_every_experiment_and_assessments_for_theirs(login, srv):
    bob, bpw, carol, cpw, exp, other = hidden_and_shown(login, "metrics")
    assert metrics_status(srv, bob, bpw, [other]) == 200
    assert metrics_status(srv, bob, bpw, [exp]) == 403
    assert metrics_status(srv, bob, bpw, [other, exp]) == 403
    assert metrics_status(srv, carol, cpw, [other]) == 200
    assert metrics_status(srv, carol, cpw, [other], "ASSESSMENTS") == 403
    assert metrics_status(srv, bob, bpw, [other], "ASSESSMENTS") == 200


def test_deleting_traces_needs_delete_on_the_trace_tier_or_the_experiment(login):
    tc, admin = login("admin", ADMIN_PW)
    eve, epw = new_user(admin)
    exp = tc.create_experiment(uniq("delete-traces"))
    ids = [trace_into(exp, "q%d" % i) for i in range(2)]
    admin.grant_user_permission(eve, "experiment", exp, "EDIT")
    tc, _ = login(eve, epw)
    assert status_of(lambda: tc.delete_traces(experiment_id=exp, trace_ids=ids[:1])) == 403
    _, admin = login("admin", ADMIN_PW)
    admin.grant_user_permission(eve, "trace", "*", "MANAGE")
    tc, _ = login(eve, epw)
    assert tc.delete_traces(experiment_id=exp, trace_ids=ids[:1]) == 1
    assert ids_in(tc, exp) == ids[1:]


def test_otlp_export_needs_edit_on_the_headers_experiment(login, srv):
    tc, admin = login("admin", ADMIN_PW)
    bob, bpw = new_user(admin)
    exp = tc.create_experiment(uniq("otlp"))
    body = {"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": "5b8aa5a2d2c872e8321cf37308d69df2", "spanId": "051581bf3cb55c13",
        "name": "raw", "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000"}]}]}]}

    def export(user, pw):
        return requests.post(srv.url + "/v1/traces", json=body, auth=(user, pw),
                             headers={"x-mlflow-experiment-id": exp})

    assert export(bob, bpw).status_code == 403
    assert tc.search_traces(locations=[exp]) == []
    admin.grant_user_permission(bob, "experiment", exp, "EDIT")
    assert export(bob, bpw).status_code == 200
    assert len(tc.search_traces(locations=[exp])) == 1
    assert requests.post(srv.url + "/v1/traces", json=body,
                         headers={"x-mlflow-experiment-id": exp}).status_code == 401


def test_mlflow_2s_trace_api_follows_the_same_grants(login, srv):
    """StartTrace, EndTrace, GetTraceInfo and SearchTraces (MLflow 2's paths): EDIT on the
    experiment to start and end, READ to read and search."""
    tc, admin = login("admin", ADMIN_PW)
    bob, bpw = new_user(admin)

    def call(method, path, user=bob, pw=bpw, **kw):
        return requests.request(method, srv.url + "/api/2.0/mlflow" + path, auth=(user, pw),
                                **kw)

    exp, denied = (tc.create_experiment(uniq("v2-" + n)) for n in ("shared", "denied"))
    ids = [call("POST", "/traces", "admin", ADMIN_PW, json={"experiment_id": e}).json()[
        "trace_info"]["request_id"] for e in (exp, denied)]
    admin.grant_user_permission(bob, "experiment", denied, "DENY")
    # default_permission READ: bob reads and searches exp, starts and ends nothing.
    assert call("GET", "/traces/%s/info" % ids[0]).status_code == 200
    assert call("GET", "/traces", params={"experiment_ids": exp}).status_code == 200
    assert call("POST", "/traces", json={"experiment_id": exp}).status_code == 403
    assert call("PATCH", "/traces/" + ids[0], json={"status": "OK"}).status_code == 403
    assert call("GET", "/traces/%s/info" % ids[1]).status_code == 403
    assert call("GET", "/traces", params={"experiment_ids": [exp, denied]}).status_code == 403
    admin.grant_user_permission(bob, "experiment", exp, "EDIT")
    r = call("POST", "/traces", json={"experiment_id": exp, "timestamp_ms": 5})
    assert r.status_code == 200, r.text
    r = call("PATCH", "/traces/" + r.json()["trace_info"]["request_id"],
             json={"timestamp_ms": 8, "status": "OK"})
    assert r.status_code == 200 and r.json()["trace_info"]["execution_time_ms"] == 3
    assert call("POST", "/traces", json={"experiment_id": denied}).status_code == 403


def test_linking_prompts_needs_edit_on_the_trace(login, srv):
    tc, admin = login("admin", ADMIN_PW)
    bob, bpw = new_user(admin)
    exp = tc.create_experiment(uniq("link-prompts"))
    tid = trace_into(exp)

    def link():
        return requests.post(srv.url + "/api/2.0/mlflow/traces/link-prompts", auth=(bob, bpw),
                             json={"trace_id": tid, "prompt_versions": [
                                 {"name": "p", "version": "1"}]}).status_code
    assert link() == 403
    admin.grant_user_permission(bob, "experiment", exp, "EDIT")
    assert link() == 200
