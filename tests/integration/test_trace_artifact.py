"""get-trace-artifact, the route the UI reads a trace's spans from (traces.json), and its
attachments: spans in the tracking store, spans in the trace's artifact location (as older
clients logged them), attachments by UUID, and the errors. The same tests run against mlflow
server (MLTRACK_TARGET=mlflow)."""
import json
import os
import uuid

import pytest
import requests

from conftest import assert_error

import mlflow

os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"

AJAX = ("/ajax-api/2.0/mlflow/get-trace-artifact", "/ajax-api/3.0/mlflow/get-trace-artifact")


@mlflow.trace
def outer(x):
    with mlflow.start_span("inner") as s:
        s.set_inputs({"x": x})
        s.set_outputs(x * 2)
    with mlflow.start_span("second"):
        pass
    return x + 1


def get_artifact(base_url, route, **params):
    return requests.get(base_url + route, params=params, timeout=30)


@pytest.mark.parametrize("route", AJAX)
def test_spans_in_the_store_come_as_traces_json(traced, base_url, route):
    outer(3)
    mlflow.flush_trace_async_logging()
    tid = mlflow.get_last_active_trace_id()
    r = get_artifact(base_url, route, request_id=tid)
    assert r.status_code == 200, r.text
    assert "traces.json" in r.headers["Content-Disposition"]
    assert r.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(r.content)
    names = [s["name"] for s in data["spans"]]
    assert names[0] == "outer" and sorted(names[1:]) == ["inner", "second"]
    assert data["spans"][0]["parent_span_id"] is None
    # Each span is the client's Span.to_dict(): what the trace's get returns, span by span.
    t = mlflow.get_trace(tid)
    by_id = {s.to_dict()["span_id"]: s.to_dict() for s in t.data.spans}
    for s in data["spans"]:
        assert by_id[s["span_id"]]["name"] == s["name"]
        assert by_id[s["span_id"]]["attributes"] == s["attributes"]
    inner = next(s for s in data["spans"] if s["name"] == "inner")
    assert json.loads(inner["attributes"]["mlflow.spanInputs"]) == {"x": 3}
    # The file parses back into the client's TraceData.
    from mlflow.entities import TraceData
    assert sorted(s.name for s in TraceData.from_dict(data).spans) == ["inner", "outer", "second"]


def start_trace_without_spans(base_url, exp):
    """A trace whose info went through start-trace and whose spans never reached the store
    (an older client's): the answer's trace_info, with its artifact location tag."""
    tid = "tr-" + uuid.uuid4().hex
    body = {"trace": {"trace_info": {
        "trace_id": tid,
        "trace_location": {"type": "MLFLOW_EXPERIMENT",
                           "mlflow_experiment": {"experiment_id": exp}},
        "request_time": "2026-01-02T03:04:05Z", "execution_duration": "0.5s", "state": "OK"}}}
    r = requests.post(base_url + "/api/3.0/mlflow/traces", json=body, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["trace"]["trace_info"]


def proxy_path(location):
    assert location.startswith("mlflow-artifacts:/"), location
    return "/api/2.0/mlflow-artifacts/artifacts/" + location[len("mlflow-artifacts:/"):]


def test_spans_in_the_artifact_location_are_served_from_there(traced, base_url):
    info = start_trace_without_spans(base_url, traced)
    tid = info["trace_id"]
    assert "mlflow.trace.spansLocation" not in info["tags"]
    where = proxy_path(info["tags"]["mlflow.artifactLocation"])
    # Spans as the client wrote them for an older trace: a real trace's, renamed.
    outer(1)
    mlflow.flush_trace_async_logging()
    doc = mlflow.get_trace(mlflow.get_last_active_trace_id()).data.to_dict()
    doc["spans"][0]["name"] = "from-the-artifact"
    raw = json.dumps(doc).encode()
    assert requests.put(base_url + where + "/traces.json", data=raw, timeout=30).status_code == 200
    for route in AJAX:
        r = get_artifact(base_url, route, request_id=tid)
        assert r.status_code == 200, r.text
        assert r.content == raw
        assert "traces.json" in r.headers["Content-Disposition"]
    # The client reads the same file through the artifact proxy.
    t = mlflow.get_trace(tid)
    assert sorted(s.name for s in t.data.spans) == ["from-the-artifact", "inner", "second"]


def test_an_artifact_backed_trace_without_its_file_is_an_error(traced, base_url):
    tid = start_trace_without_spans(base_url, traced)["trace_id"]
    assert_error(get_artifact(base_url, AJAX[0], request_id=tid), 404, "NOT_FOUND",
                 "Trace data not found for path=traces.json")
    assert_error(get_artifact(base_url, AJAX[0], request_id=tid, path=str(uuid.uuid4())), 404,
                 "RESOURCE_DOES_NOT_EXIST", "No such artifact: 'attachments/")
    # The client finds no spans in either place: no trace, and no crash.
    assert mlflow.get_trace(tid) is None


def test_attachments_by_uuid(traced, base_url):
    info = start_trace_without_spans(base_url, traced)
    where = proxy_path(info["tags"]["mlflow.artifactLocation"])
    att = str(uuid.uuid4())
    payload = b"\x89PNG\r\n\x1a\n not really an image"
    r = requests.put(base_url + where + "/attachments/" + att, data=payload, timeout=30)
    assert r.status_code == 200, r.text
    r = get_artifact(base_url, AJAX[0], request_id=info["trace_id"], path=att)
    assert r.status_code == 200, r.text
    assert r.content == payload
    assert att in r.headers["Content-Disposition"]
    for bad in ("../traces.json", att.upper(), att.replace("-", ""), "attachments/" + att):
        assert_error(get_artifact(base_url, AJAX[0], request_id=info["trace_id"], path=bad),
                     400, "INVALID_PARAMETER_VALUE")
    assert_error(get_artifact(base_url, AJAX[0], request_id="tr-" + "0" * 32, path=att), 404,
                 "RESOURCE_DOES_NOT_EXIST", "not found")


def test_request_id_is_required_and_must_exist(base_url):
    for route in AJAX:
        assert_error(get_artifact(base_url, route), 400, "BAD_REQUEST", "request_id")
        assert_error(get_artifact(base_url, route, request_id="tr-" + "f" * 32), 404,
                     "RESOURCE_DOES_NOT_EXIST")


def test_only_under_ajax_api(base_url):
    """MLflow mounts the route for its UI only: the /api twin does not exist."""
    r = requests.get(base_url + "/api/2.0/mlflow/get-trace-artifact",
                     params={"request_id": "tr-" + "1" * 32}, timeout=30)
    assert r.status_code == 404
