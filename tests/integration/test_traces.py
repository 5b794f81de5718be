"""GenAI tracing with the real client: @mlflow.trace and mlflow.start_span send their spans
over OTLP (/v1/traces) and the trace info with start-trace v3; get_trace, search_traces,
tags, delete and link-to-run read and change them. The same tests run against mlflow server
(MLTRACK_TARGET=mlflow)."""
import json
import os
import time
import uuid

import pytest
import requests

from conftest import IS_MLFLOW, assert_error, export_otlp_json as _export

import mlflow
from mlflow.tracing.utils.otlp import MLFLOW_EXPERIMENT_ID_HEADER

# Export synchronously, so that a trace is on the server when the traced call returns (the
# exporter reads this when the tracer provider is set up).
os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"


@mlflow.trace(span_type="LLM")
def fake_llm(prompt, temperature=0.7):
    span = mlflow.get_current_active_span()
    span.set_attributes({"model": "fake-1", "temperature": temperature, "tokens": [3, 5]})
    if prompt == "fail":
        raise ValueError("the model is down")
    return {"choices": [{"text": prompt.upper()}]}


@mlflow.trace
def agent(question):
    with mlflow.start_span("retrieve", span_type="RETRIEVER") as s:
        s.set_inputs({"query": question})
        s.set_outputs(["doc-1", "doc-2"])
        s.set_attribute("k", 2)
    return fake_llm(question)


def exported():
    """Waits for the client's pending span and trace writes (it may send them from a queue
    even when async trace logging is off), then returns the last trace's id."""
    mlflow.flush_trace_async_logging()
    return mlflow.get_last_active_trace_id()


def run_agent(question):
    agent(question)
    return exported()


def test_nested_trace_round_trip(traced, client):
    tid = run_agent("hello")
    assert tid and tid.startswith("tr-")
    t = mlflow.get_trace(tid)
    assert t.info.experiment_id == traced
    assert t.info.state.value == "OK"
    assert t.info.execution_duration is not None and t.info.execution_duration >= 0
    assert t.info.tags["mlflow.traceName"] == "agent"
    assert t.info.request_preview == '{"question": "hello"}'
    spans = {s.name: s for s in t.data.spans}
    assert set(spans) == {"agent", "retrieve", "fake_llm"}
    root = spans["agent"]
    assert root.parent_id is None
    assert spans["retrieve"].parent_id == root.span_id
    assert spans["fake_llm"].parent_id == root.span_id
    assert spans["retrieve"].span_type == "RETRIEVER"
    assert spans["retrieve"].inputs == {"query": "hello"}
    assert spans["retrieve"].outputs == ["doc-1", "doc-2"]
    assert spans["retrieve"].get_attribute("k") == 2
    llm = spans["fake_llm"]
    assert llm.span_type == "LLM"
    assert llm.get_attribute("model") == "fake-1"
    assert llm.get_attribute("temperature") == 0.7
    assert llm.get_attribute("tokens") == [3, 5]
    assert llm.outputs == {"choices": [{"text": "HELLO"}]}
    assert t.data.spans[0].name == "agent"  # root first
    for s in t.data.spans:
        assert s.trace_id == tid
        assert s.start_time_ns <= s.end_time_ns


def test_exception_marks_span_and_trace_error(traced):
    with pytest.raises(ValueError):
        agent("fail")
    tid = exported()
    t = mlflow.get_trace(tid)
    assert t.info.state.value == "ERROR"
    llm = [s for s in t.data.spans if s.name == "fake_llm"][0]
    assert llm.status.status_code.value == "ERROR"
    assert "the model is down" in llm.status.description
    events = [e for e in llm.events if e.name == "exception"]
    assert events and events[0].attributes["exception.type"] == "ValueError"
    assert events[0].attributes["exception.message"] == "the model is down"


def test_search_traces_with_filters_and_order(traced, client):
    ids = [run_agent("q%d" % i) for i in range(3)]
    with pytest.raises(ValueError):
        agent("fail")
    bad = exported()
    client.set_trace_tag(ids[1], "team", "search")

    got = client.search_traces(locations=[traced])
    assert [t.info.trace_id for t in got] == [bad] + ids[::-1]  # newest first

    ok = client.search_traces(locations=[traced], filter_string="trace.status = 'OK'")
    assert sorted(t.info.trace_id for t in ok) == sorted(ids)
    err = client.search_traces(locations=[traced], filter_string="attributes.status = 'ERROR'")
    assert [t.info.trace_id for t in err] == [bad]
    tagged = client.search_traces(locations=[traced], filter_string="tags.team = 'search'")
    assert [t.info.trace_id for t in tagged] == [ids[1]]
    named = client.search_traces(locations=[traced], filter_string="trace.name = 'agent'")
    assert len(named) == 4
    t0 = client.get_trace(ids[0]).info.request_time
    later = client.search_traces(locations=[traced],
                                 filter_string="trace.timestamp_ms > %d" % t0)
    assert ids[0] not in [t.info.trace_id for t in later] and ids[2] in [t.info.trace_id for t in later]
    fast = client.search_traces(locations=[traced],
                                filter_string="trace.execution_time_ms >= 0 AND trace.status = 'OK'")
    assert len(fast) == 3
    meta = client.search_traces(locations=[traced],
                                filter_string="metadata.`mlflow.traceInputs` = '{\"question\": \"q2\"}'")
    assert [t.info.trace_id for t in meta] == [ids[2]]
    asc = client.search_traces(locations=[traced], order_by=["timestamp_ms ASC"])
    assert [t.info.trace_id for t in asc] == ids + [bad]

    page = client.search_traces(locations=[traced], max_results=2)
    assert len(page) == 2 and page.token
    rest = client.search_traces(locations=[traced], max_results=2, page_token=page.token)
    assert [t.info.trace_id for t in page] + [t.info.trace_id for t in rest] == [bad] + ids[::-1]

    df = mlflow.search_traces(locations=[traced], filter_string="trace.status = 'OK'")
    assert len(df) == 3


def test_search_traces_bad_filter(traced, api):
    r = api.post("/api/3.0/mlflow/traces/search",
                 json={"locations": [{"type": "MLFLOW_EXPERIMENT",
                                      "mlflow_experiment": {"experiment_id": traced}}],
                       "filter": "trace.status = "})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    r = api.post("/api/3.0/mlflow/traces/search",
                 json={"locations": [{"type": "MLFLOW_EXPERIMENT",
                                      "mlflow_experiment": {"experiment_id": traced}}],
                       "filter": "nosuch.key = 'x'"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_trace_tags(traced, client):
    tid = run_agent("tags")
    client.set_trace_tag(tid, "stage", "dev")
    client.set_trace_tag(tid, "stage", "prod")
    assert client.get_trace(tid).info.tags["stage"] == "prod"
    client.delete_trace_tag(tid, "stage")
    assert "stage" not in client.get_trace(tid).info.tags
    with pytest.raises(mlflow.exceptions.MlflowException):
        client.delete_trace_tag(tid, "stage")
    with pytest.raises(mlflow.exceptions.MlflowException):
        client.set_trace_tag("tr-" + "0" * 32, "a", "b")


@pytest.mark.mltrack_only("mlflow server answers BAD_REQUEST (a foreign key error) for a "
                          "missing trace and links traces to runs that do not exist")
def test_missing_trace_and_run_are_not_found(traced, client):
    with pytest.raises(mlflow.exceptions.MlflowException) as ei:
        client.set_trace_tag("tr-" + "0" * 32, "a", "b")
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    tid = run_agent("link")
    with pytest.raises(mlflow.exceptions.MlflowException) as ei:
        client.link_traces_to_run([tid], "0" * 32)
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_get_missing_trace(traced, client, api):
    r = api.get("/api/3.0/mlflow/traces/tr-" + "f" * 32)
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    with pytest.raises(mlflow.exceptions.MlflowException):
        client.get_trace("tr-" + "e" * 32)


def test_delete_traces(traced, client):
    ids = [run_agent("d%d" % i) for i in range(4)]
    assert client.delete_traces(experiment_id=traced, trace_ids=[ids[0]]) == 1
    left = [t.info.trace_id for t in client.search_traces(locations=[traced])]
    assert ids[0] not in left and len(left) == 3
    # The oldest one by timestamp, at most max_traces.
    assert client.delete_traces(experiment_id=traced, max_timestamp_millis=int(time.time() * 1000) + 1000,
                                max_traces=1) == 1
    left = [t.info.trace_id for t in client.search_traces(locations=[traced])]
    assert left == [ids[3], ids[2]]
    with pytest.raises(mlflow.exceptions.MlflowException):
        client.delete_traces(experiment_id=traced)


def test_link_traces_to_run(traced, client):
    tid = run_agent("link")
    run = client.create_run(traced)
    client.link_traces_to_run([tid], run.info.run_id)
    client.link_traces_to_run([tid], run.info.run_id)  # again: no error, one link


def test_trace_inside_run_is_linked(traced, tracking, client):
    with tracking.start_run() as r:
        tid = run_agent("in-run")
    t = client.get_trace(tid)
    assert t.info.trace_metadata.get("mlflow.sourceRun") == r.info.run_id
    found = client.search_traces(locations=[traced],
                                 filter_string="trace.run_id = '%s'" % r.info.run_id)
    assert [x.info.trace_id for x in found] == [tid]


def test_otlp_bad_input(traced, base_url):
    url = base_url + "/v1/traces"
    h = {"Content-Type": "application/x-protobuf", MLFLOW_EXPERIMENT_ID_HEADER: traced}
    r = requests.post(url, data=b"\xff\xff\xff", headers=h, timeout=30)
    assert r.status_code == 400, r.text
    r = requests.post(url, data=b"", headers=h, timeout=30)
    assert r.status_code == 400, r.text
    r = requests.post(url, data=b"x", headers={"Content-Type": "text/plain",
                                              MLFLOW_EXPERIMENT_ID_HEADER: traced}, timeout=30)
    assert r.status_code == 400, r.text


def test_otlp_span_without_ids_writes_nothing(traced, base_url, client):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    req = ExportTraceServiceRequest()
    ss = req.resource_spans.add().scope_spans.add()
    good = ss.spans.add()
    good.trace_id = bytes(range(16))
    good.span_id = bytes(range(8))
    good.name = "ok"
    good.start_time_unix_nano = 1_700_000_000_000_000_000
    good.end_time_unix_nano = 1_700_000_000_100_000_000
    bad = ss.spans.add()
    bad.name = "no ids"
    r = requests.post(base_url + "/v1/traces", data=req.SerializeToString(),
                      headers={"Content-Type": "application/x-protobuf",
                               MLFLOW_EXPERIMENT_ID_HEADER: traced}, timeout=30)
    assert 400 <= r.status_code < 500, r.text
    assert list(client.search_traces(locations=[traced])) == []


def test_assessments_feedback_and_expectations(traced, client):
    from mlflow.entities import AssessmentError, AssessmentSource, Feedback
    tid = run_agent("assess")
    fb = mlflow.log_feedback(trace_id=tid, name="quality", value=0.8, rationale="fine",
                             source=AssessmentSource(source_type="HUMAN", source_id="bob"),
                             metadata={"k": "v"})
    assert fb.assessment_id.startswith("a-")
    ex = mlflow.log_expectation(trace_id=tid, name="expected", value={"answer": [1, 2]})
    plain = mlflow.log_expectation(trace_id=tid, name="label", value="yes")
    err = mlflow.log_feedback(trace_id=tid, name="judge",
                              error=AssessmentError(error_code="E1", error_message="judge down"))
    got = mlflow.get_assessment(tid, fb.assessment_id)
    assert (got.name, got.value, got.rationale, got.metadata) == ("quality", 0.8, "fine", {"k": "v"})
    assert got.source.source_type == "HUMAN" and got.source.source_id == "bob"
    assert got.valid is True
    assert mlflow.get_assessment(tid, ex.assessment_id).value == {"answer": [1, 2]}
    assert mlflow.get_assessment(tid, plain.assessment_id).value == "yes"
    e = mlflow.get_assessment(tid, err.assessment_id)
    assert e.value is None and e.error.error_code == "E1" and e.error.error_message == "judge down"

    up = mlflow.update_assessment(trace_id=tid, assessment_id=fb.assessment_id,
                                  assessment=Feedback(name="quality", value=0.9, metadata={"k2": "w"}))
    assert up.value == 0.9 and up.metadata == {"k": "v", "k2": "w"}
    assert up.last_update_time_ms >= got.last_update_time_ms
    with pytest.raises(mlflow.exceptions.MlflowException):
        mlflow.update_assessment(trace_id=tid, assessment_id=ex.assessment_id,
                                 assessment=Feedback(name="expected", value=1))

    # The trace carries its assessments.
    names = sorted(a.name for a in mlflow.get_trace(tid).info.assessments)
    assert names == ["expected", "judge", "label", "quality"]

    # An override marks the overridden one invalid; deleting the override restores it.
    over = mlflow.override_feedback(trace_id=tid, assessment_id=fb.assessment_id, value=0.1)
    assert mlflow.get_assessment(tid, fb.assessment_id).valid is False
    mlflow.delete_assessment(trace_id=tid, assessment_id=over.assessment_id)
    assert mlflow.get_assessment(tid, fb.assessment_id).valid is True

    mlflow.delete_assessment(trace_id=tid, assessment_id=ex.assessment_id)
    with pytest.raises(mlflow.exceptions.MlflowException) as ei:
        mlflow.get_assessment(tid, ex.assessment_id)
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_assessment_on_missing_trace(traced, client):
    with pytest.raises(mlflow.exceptions.MlflowException) as ei:
        mlflow.log_feedback(trace_id="tr-" + "1" * 32, name="q", value=1)
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def one_span_request(trace_byte=7, name="gz"):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    req = ExportTraceServiceRequest()
    sp = req.resource_spans.add().scope_spans.add().spans.add()
    sp.trace_id = bytes([trace_byte]) * 16
    sp.span_id = bytes([trace_byte]) * 8
    sp.name = name
    sp.start_time_unix_nano = 1_700_000_000_000_000_000
    sp.end_time_unix_nano = 1_700_000_000_200_000_000
    sp.status.code = 1
    return req.SerializeToString()


def test_otlp_gzip_body(traced, base_url, client):
    import gzip
    r = requests.post(base_url + "/v1/traces", data=gzip.compress(one_span_request()),
                      headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip",
                               MLFLOW_EXPERIMENT_ID_HEADER: traced}, timeout=30)
    assert r.status_code == 200, r.text
    t = client.get_trace("tr-" + "07" * 16)
    assert [s.name for s in t.data.spans] == ["gz"]
    assert t.info.state.value == "OK" and t.info.execution_duration == 200


@pytest.mark.mltrack_only("mltrack caps a body once inflated at the route's limit (64 MB)")
def test_otlp_gzip_bomb_and_garbage_refused(traced, base_url, client):
    import gzip
    h = {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip",
         MLFLOW_EXPERIMENT_ID_HEADER: traced}
    bomb = gzip.compress(b"\0" * (80 << 20), compresslevel=9)
    r = requests.post(base_url + "/v1/traces", data=bomb, headers=h, timeout=60)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "larger than")
    r = requests.post(base_url + "/v1/traces", data=b"not gzip at all", headers=h, timeout=30)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "not valid gzip")
    assert list(client.search_traces(locations=[traced])) == []


def test_otlp_json_body(traced, base_url, client):
    body = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "0a" * 16, "spanId": "0b" * 8, "name": "root",
         "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000300000000",
         "status": {"code": "STATUS_CODE_OK"},
         "attributes": [{"key": "mlflow.spanInputs", "value": {"stringValue": "{\"q\": 1}"}},
                        {"key": "n", "value": {"intValue": "5"}}]},
        {"traceId": "0a" * 16, "spanId": "0c" * 8, "parentSpanId": "0b" * 8, "name": "child",
         "startTimeUnixNano": "1700000000100000000", "endTimeUnixNano": "1700000000200000000"}]}]}]}
    r = requests.post(base_url + "/v1/traces", json=body,
                      headers={MLFLOW_EXPERIMENT_ID_HEADER: traced}, timeout=30)
    assert r.status_code == 200, r.text
    t = client.get_trace("tr-" + "0a" * 16)
    spans = {s.name: s for s in t.data.spans}
    assert set(spans) == {"root", "child"}
    assert spans["child"].parent_id == spans["root"].span_id
    assert spans["root"].inputs == {"q": 1} and spans["root"].get_attribute("n") == 5
    bad = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz", "spanId": "0b" * 8}]}]}]}
    r = requests.post(base_url + "/v1/traces", json=bad,
                      headers={MLFLOW_EXPERIMENT_ID_HEADER: traced}, timeout=30)
    assert r.status_code == 400, r.text


def test_otlp_spans_for_a_deleted_experiment_are_kept(client, base_url):
    """log_spans does not look at the experiment's state: spans exported to a deleted
    experiment (the client's exporter may still be running) are stored, and their trace is
    found once the experiment is restored."""
    exp = client.create_experiment("otlp-deleted-%s" % uuid.uuid4().hex[:8])
    client.delete_experiment(exp)
    tid = "3f" * 16
    _export(base_url, exp, _otlp_span(tid, "01" * 8, name="late"))
    assert [s.name for s in client.get_trace("tr-" + tid).data.spans] == ["late"]
    client.restore_experiment(exp)
    assert [t.info.trace_id for t in client.search_traces(locations=[exp])] == ["tr-" + tid]


def test_token_usage_and_cost_come_back_with_the_trace(traced, client):
    """The client sums its LLM spans' token usage (and cost) into the trace's metadata; MLflow
    3.17 keeps them in trace_info's columns and gives them back as the same metadata."""
    with mlflow.start_span("chat", span_type="LLM") as s:
        s.set_attribute("mlflow.chat.tokenUsage",
                        {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15})
        s.set_attribute("mlflow.llm.cost",
                        {"input_cost": 0.001, "output_cost": 0.0025, "total_cost": 0.0035})
    tid = exported()
    t = mlflow.get_trace(tid)
    assert t.info.token_usage == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
    [found] = client.search_traces(locations=[traced])
    assert found.info.token_usage == t.info.token_usage
    assert found.info.trace_metadata.get("mlflow.trace.cost") == t.info.trace_metadata.get(
        "mlflow.trace.cost")


def _otlp_span(tid_hex, sid, parent=None, name="s", **attrs):
    span = {"traceId": tid_hex, "spanId": sid, "name": name,
            "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000500000000",
            "attributes": [{"key": k.replace("__", "."), "value": {"stringValue": v}}
                           for k, v in attrs.items()]}
    if parent:
        span["parentSpanId"] = parent
    return span


def test_otlp_spans_give_their_trace_token_usage_cost_session_and_user(traced, base_url, client):
    """Spans exported without start-trace: log_spans sums their mlflow.chat.tokenUsage and
    mlflow.llm.cost into the trace, and takes its session and user from their attributes."""
    tid = "1d" * 16
    _export(base_url, traced,
            _otlp_span(tid, "01" * 8, name="agent", session__id="sess-1", user__id="alice"),
            _otlp_span(tid, "02" * 8, "01" * 8, "llm-a", mlflow__chat__tokenUsage=json.dumps(
                {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}),
                mlflow__llm__cost=json.dumps({"input_cost": 0.5, "output_cost": 0.25,
                                               "total_cost": 0.75})),
            _otlp_span(tid, "03" * 8, "01" * 8, "llm-b", mlflow__chat__tokenUsage=json.dumps(
                {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2,
                 "cache_read_input_tokens": 3})))
    info = client.get_trace("tr-" + tid).info
    assert info.token_usage == {"input_tokens": 6, "output_tokens": 3, "total_tokens": 9,
                                "cache_read_input_tokens": 3}
    assert json.loads(info.trace_metadata["mlflow.trace.cost"]) == {
        "input_cost": 0.5, "output_cost": 0.25, "total_cost": 0.75}
    assert info.trace_metadata["mlflow.trace.session"] == "sess-1"
    assert info.trace_metadata["mlflow.trace.user"] == "alice"


def test_a_rollup_parent_logged_later_is_not_counted_twice(traced, base_url, client):
    """Children first, their parent (holding their sum, as rollup autologgers write it) in a
    later batch: the trace's usage is recomputed over every stored span, so the children
    under a parent with usage no longer count."""
    tid = "2e" * 16
    usage = lambda n: json.dumps({"input_tokens": n, "output_tokens": n, "total_tokens": 2 * n})
    _export(base_url, traced,
            _otlp_span(tid, "02" * 8, "01" * 8, "llm-a", mlflow__chat__tokenUsage=usage(4)),
            _otlp_span(tid, "03" * 8, "01" * 8, "llm-b", mlflow__chat__tokenUsage=usage(6)))
    assert client.get_trace("tr-" + tid, ).info.token_usage == {
        "input_tokens": 10, "output_tokens": 10, "total_tokens": 20}
    _export(base_url, traced,
            _otlp_span(tid, "01" * 8, name="agent", mlflow__chat__tokenUsage=usage(11)))
    assert client.get_trace("tr-" + tid).info.token_usage == {
        "input_tokens": 11, "output_tokens": 11, "total_tokens": 22}


def test_a_session_id_longer_than_250_characters_is_refused(traced, base_url, client):
    def start(session):
        info = {"trace_id": "tr-" + uuid.uuid4().hex,
                "trace_location": {"type": "MLFLOW_EXPERIMENT",
                                   "mlflow_experiment": {"experiment_id": traced}},
                "request_time": "2026-01-01T00:00:00Z", "state": "OK",
                "trace_metadata": {"mlflow.trace.session": session}}
        return requests.post(base_url + "/api/3.0/mlflow/traces",
                             json={"trace": {"trace_info": info}}, timeout=30)

    assert_error(start("s" * 251), 400, "INVALID_PARAMETER_VALUE", "Session ID")
    r = start("s" * 250)
    assert r.status_code == 200, r.text
    assert r.json()["trace"]["trace_info"]["trace_metadata"]["mlflow.trace.session"] == "s" * 250


def test_a_span_sent_twice_in_one_batch_is_stored_once_with_the_later_copy(traced, base_url,
                                                                           client, backend):
    """An exporter that resends a span inside one request (a retry merged into a batch):
    MLflow's log_spans merges span by span, so the later copy wins and nothing fails."""
    if IS_MLFLOW and backend == "postgres":
        pytest.skip("mlflow server's PostgreSQL store fails such a batch (a 400 carrying "
                    "'ON CONFLICT DO UPDATE command cannot affect row a second time'), unlike "
                    "its SQLite store: a bug in MLflow, not a behaviour")
    tid = uuid.uuid4().hex
    _export(base_url, traced,
            _otlp_span(tid, "01" * 8, name="first-copy"),
            _otlp_span(tid, "02" * 8, "01" * 8, "child"),
            _otlp_span(tid, "01" * 8, name="second-copy"))
    spans = client.get_trace("tr-" + tid).data.spans
    assert sorted(s.name for s in spans) == ["child", "second-copy"]


def test_a_repeated_attribute_key_keeps_its_first_place_and_last_value(traced, base_url, client):
    """OTLP attributes are a list; MLflow reads them into a dict, so a key sent twice is kept
    once, where it first came, with its last value (span and event attributes alike)."""
    tid = uuid.uuid4().hex
    span = _otlp_span(tid, "01" * 8, name="dup")
    span["attributes"] = [{"key": k, "value": {"stringValue": v}}
                          for k, v in [("x.a", "1"), ("x.b", "2"), ("x.a", "3"), ("x.c", "4"),
                                       ("x.b", "5")]]
    span["events"] = [{"name": "ev", "timeUnixNano": "1700000000100000000",
                       "attributes": [{"key": k, "value": {"intValue": str(v)}}
                                      for k, v in [("e", 1), ("f", 2), ("e", 3)]]}]
    _export(base_url, traced, span)
    (sp,) = client.get_trace("tr-" + tid).data.spans
    assert [(k, v) for k, v in sp.attributes.items() if k.startswith("x.")] == [
        ("x.a", "3"), ("x.b", "5"), ("x.c", "4")]
    assert list(sp.events[0].attributes.items()) == [("e", 3), ("f", 2)]


@pytest.mark.parametrize("inputs,outputs,request_preview,response_preview", [
    # OpenAI chat completions: the last user message, the first choice's message.
    ({"messages": [{"role": "system", "content": "Be brief."},
                   {"role": "user", "content": "What is MLflow?"},
                   {"role": "assistant", "content": "earlier answer"}]},
     {"choices": [{"message": {"role": "assistant", "content": "A platform."}}]},
     "What is MLflow?", "A platform."),
    # The Responses API: content parts; a ResponsesAgent's request wraps its input.
    ({"request": {"input": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]}},
     {"output": [{"type": "message", "role": "assistant",
                  "content": [{"type": "output_text", "text": "Hello there"}]}]},
     "Hi", "Hello there"),
    # No message of the role: the last message; no text in it: the JSON itself.
    ({"messages": [{"role": "tool", "content": "42"}]},
     {"messages": [{"role": "user", "content": ""}]},
     "42", '{"messages": [{"role": "user", "content": ""}]}'),
    # Not messages at all: the JSON text.
    ({"question": "plain"}, ["a", "b"], '{"question": "plain"}', '["a", "b"]'),
    # Past 1,000 characters (not bytes): the first 997 and "...".
    ({"messages": [{"role": "user", "content": "\u00e9\u20ac" * 700}]}, {"q": "x" * 2000},
     "\u00e9\u20ac" * 498 + "\u00e9...", ('{"q": "' + "x" * 2000)[:997] + "..."),
])
def test_otlp_root_span_previews_take_the_chat_message(traced, base_url, client, inputs, outputs,
                                                       request_preview, response_preview):
    """A trace made from OTLP spans alone gets MLflow's previews of its root span's inputs and
    outputs: the text of the chat message they hold, else their JSON."""
    tid = uuid.uuid4().hex
    _export(base_url, traced, _otlp_span(tid, "01" * 8, name="chat",
                                         mlflow__spanInputs=json.dumps(inputs),
                                         mlflow__spanOutputs=json.dumps(outputs)))
    info = client.get_trace("tr-" + tid).info
    assert info.request_preview == request_preview
    assert info.response_preview == response_preview


def _start_trace_info(base_url, exp, metadata=None):
    """start-trace (v3) of a trace no span has reached yet; its id."""
    tid = "tr-" + uuid.uuid4().hex
    info = {"trace_id": tid, "request_time": "2026-01-02T03:04:05Z", "state": "OK",
            "trace_location": {"type": "MLFLOW_EXPERIMENT",
                               "mlflow_experiment": {"experiment_id": exp}}}
    if metadata:
        info["trace_metadata"] = metadata
    r = requests.post(base_url + "/api/3.0/mlflow/traces", json={"trace": {"trace_info": info}},
                      timeout=30)
    assert r.status_code == 200, r.text
    return tid


def test_batch_get_is_scoped_to_experiments_and_returns_complete_traces(traced, base_url,
                                                                        client):
    """The client's batch_get_traces: experiment_ids limits the answer to those experiments,
    trace_ids is required, and a trace whose spans are not all in yet (fewer than its size
    stats announce) is left out, as MLflow's store leaves it out."""
    other = client.create_experiment("batch-" + uuid.uuid4().hex[:8])
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    _export(base_url, traced, _otlp_span(a, "01" * 8, name="in-first"))
    _export(base_url, other, _otlp_span(b, "01" * 8, name="in-other"))
    ids = ["tr-" + a, "tr-" + b]
    url = base_url + "/api/3.0/mlflow/traces/batchGet"

    def got(**params):
        r = requests.get(url, params=dict(trace_ids=ids, **params), timeout=30)
        assert r.status_code == 200, r.text
        return sorted(t["trace_info"]["trace_id"] for t in r.json().get("traces", []))

    assert got() == sorted(ids)
    assert got(experiment_ids=[traced]) == ["tr-" + a]
    assert got(experiment_ids=[traced, other]) == sorted(ids)
    assert_error(requests.get(url, params={"trace_ids": ids, "experiment_ids": ["x1"]},
                              timeout=30), 400, "INVALID_PARAMETER_VALUE", "Invalid experiment ID")
    assert_error(requests.get(url, timeout=30), 400, "INVALID_PARAMETER_VALUE",
                 "Missing value for required parameter 'trace_ids'")
    # batchGetInfos (POST) takes the same scope.
    r = requests.post(base_url + "/api/3.0/mlflow/traces/batchGetInfos",
                      json={"trace_ids": ids, "experiment_ids": [other]}, timeout=30)
    assert r.status_code == 200, r.text
    assert [t["trace_id"] for t in r.json()["trace_infos"]] == ["tr-" + b]
    # Announced three spans, one arrived: not complete, not returned.
    tid = _start_trace_info(base_url, traced, {"mlflow.trace.sizeStats": json.dumps(
        {"total_size_bytes": 10, "num_spans": 3})})
    _export(base_url, traced, _otlp_span(tid[3:], "01" * 8, name="first-of-three"))
    assert got() == sorted(ids)
    r = requests.get(url, params={"trace_ids": [tid] + ids}, timeout=30)
    assert sorted(t["trace_info"]["trace_id"] for t in r.json()["traces"]) == sorted(ids)


def test_spans_keep_their_model_and_cost_in_mlflows_columns(traced, base_url, server):
    """MLflow 3.17's log_spans fills spans.model_name, model_provider and the three cost
    columns, which its trace analytics read: a database written here must carry them too."""
    tid = uuid.uuid4().hex
    _export(base_url, traced,
            _otlp_span(tid, "01" * 8, name="agent"),
            _otlp_span(tid, "02" * 8, "01" * 8, "llm", mlflow__llm__model="model-x" * 80,
                       mlflow__llm__provider="prov",
                       mlflow__llm__cost=json.dumps({"input_cost": 0.5, "output_cost": 0.25})))
    rows = dict((r[0], r[1:]) for r in server.db_query(
        "SELECT span_id, model_name, model_provider, input_cost, output_cost, total_cost "
        "FROM spans WHERE trace_id = ?", ("tr-" + tid,)))
    assert rows["0101010101010101"] == (None, None, None, None, None)
    assert rows["0202020202020202"] == (("model-x" * 80)[:500], "prov", 0.5, 0.25, None)
