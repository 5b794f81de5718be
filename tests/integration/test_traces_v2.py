"""MLflow 2's trace API (StartTrace, EndTrace, GetTraceInfo, SearchTraces), which MLflow
3.17's server keeps for older clients, driven through the real client's RestStore: its
deprecated_start_trace_v2 / deprecated_end_trace_v2, and the GetTraceInfo and SearchTraces
requests it falls back to on a server without the v3 routes. The same tests run against
mlflow server (MLTRACK_TARGET=mlflow)."""
import json
import re

import pytest

from conftest import assert_error

from mlflow.entities.trace_state import TraceState
from mlflow.entities.trace_info_v2 import TraceInfoV2
from mlflow.entities.trace_status import TraceStatus
from mlflow.exceptions import MlflowException
from mlflow.protos.service_pb2 import GetTraceInfo, SearchTraces
from mlflow.utils.rest_utils import get_single_trace_endpoint
from mlflow.tracking._tracking_service.utils import _get_store
from mlflow.utils.proto_json_utils import message_to_json

USAGE = {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}


def get_info_v2(trace_id):
    """GetTraceInfo through the client's request code, at the path MLflow's server serves
    it (the client's own fallback asks for .../traces/<id>, which mlflow server lacks)."""
    s = _get_store()
    res = s._call_endpoint(GetTraceInfo, message_to_json(GetTraceInfo(request_id=trace_id)),
                           endpoint=get_single_trace_endpoint(trace_id, use_v3=False) + "/info")
    return TraceInfoV2.from_proto(res.trace_info)


def search_v2(exps, **kw):
    """SearchTraces (a GET) as the client sends it: (request ids, next page token)."""
    res = _get_store()._call_endpoint(
        SearchTraces, message_to_json(SearchTraces(experiment_ids=exps, **kw)))
    return [t.request_id for t in res.traces], res.next_page_token or None


def start(exp, ts=1000, metadata=None, tags=None):
    return _get_store().deprecated_start_trace_v2(
        experiment_id=exp, timestamp_ms=ts, request_metadata=metadata or {}, tags=tags or {})


def test_start_end_and_read_back(traced, client):
    s = _get_store()
    info = start(traced, metadata={"k": "v", "mlflow.trace.session": "s-1"},
                 tags={"team": "a", "mlflow.traceName": "legacy"})
    assert re.fullmatch("[0-9a-f]{32}", info.request_id)  # generate_request_id_v2
    assert info.experiment_id == traced
    assert (info.timestamp_ms, info.execution_time_ms) == (1000, 0)  # 0: not ended yet
    assert info.status == TraceStatus.IN_PROGRESS
    assert info.request_metadata["k"] == "v"
    assert info.request_metadata["mlflow.trace.session"] == "s-1"
    assert "mlflow.trace.infoFinalized" not in info.request_metadata
    assert info.tags["team"] == "a"
    assert info.tags["mlflow.traceName"] == "legacy"
    assert info.tags["mlflow.artifactLocation"].endswith(
        "/traces/%s/artifacts" % info.request_id)

    ended = s.deprecated_end_trace_v2(
        request_id=info.request_id, timestamp_ms=1500, status=TraceStatus.OK,
        request_metadata={"k2": "v2", "mlflow.trace.tokenUsage": json.dumps(USAGE)},
        tags={"team": "b", "mlflow.traceName": "renamed"})
    assert (ended.timestamp_ms, ended.execution_time_ms) == (1000, 500)
    assert ended.status == TraceStatus.OK
    assert ended.request_metadata["k"] == "v" and ended.request_metadata["k2"] == "v2"
    assert json.loads(ended.request_metadata["mlflow.trace.tokenUsage"]) == USAGE
    assert ended.tags["team"] == "b"
    assert ended.tags["mlflow.traceName"] == "renamed"

    # The same trace through the v3 reads, the v2 read, and search.
    v3 = s.get_trace_info(info.request_id)
    assert v3.state == TraceState.OK
    assert (v3.request_time, v3.execution_duration) == (1000, 500)
    assert v3.trace_metadata["k2"] == "v2"
    assert v3.token_usage == USAGE
    assert v3.tags["team"] == "b"
    v2 = get_info_v2(info.request_id)
    assert (v2.request_id, v2.status, v2.execution_time_ms) == (info.request_id,
                                                                TraceStatus.OK, 500)
    assert v2.request_metadata == ended.request_metadata
    assert v2.tags == ended.tags
    # (the store's search: the client's own drops traces without span data)
    for flt in ("tags.team = 'b'", "metadata.`mlflow.trace.session` = 's-1'",
                "trace.status = 'OK'"):
        infos, _ = s.search_traces(locations=[traced], filter_string=flt)
        assert [t.trace_id for t in infos] == [info.request_id], flt


def test_the_reply_is_trace_info_v2s_json(traced, api):
    tid = start(traced, ts=7, metadata={"m": "1"}, tags={"t": "2"}).request_id
    got = api.get("/api/2.0/mlflow/traces/%s/info" % tid).json()["trace_info"]
    assert got["request_id"] == tid
    assert got["experiment_id"] == traced
    assert got["timestamp_ms"] == 7 and got["execution_time_ms"] == 0
    assert got["status"] == "IN_PROGRESS"
    assert {"key": "m", "value": "1"} in got["request_metadata"]
    assert {"key": "t", "value": "2"} in got["tags"]
    r = api.request("PATCH", "/api/2.0/mlflow/traces/" + tid, json={"timestamp_ms": 9, "status": 2})
    assert r.status_code == 200, r.text
    got = r.json()["trace_info"]
    assert (got["status"], got["execution_time_ms"]) == ("ERROR", 2)


def test_search_pages_and_filters(traced):
    ids = [start(traced, ts=1000 + i, tags={"n": str(i)}).request_id for i in range(5)]
    newest_first = ids[::-1]
    page, tok = search_v2([traced], max_results=2)
    assert page == newest_first[:2] and tok
    page2, tok2 = search_v2([traced], max_results=2, page_token=tok)
    assert page2 == newest_first[2:4] and tok2
    page3, tok3 = search_v2([traced], max_results=2, page_token=tok2)
    assert page3 == newest_first[4:] and tok3 is None
    assert search_v2([traced], filter="tags.n = '3'") == ([ids[3]], None)
    assert search_v2([traced], order_by=["timestamp_ms ASC"])[0] == ids
    assert search_v2([traced], filter="trace.status = 'OK'") == ([], None)


def test_refusals(traced, api, client):
    missing = "0" * 32
    with pytest.raises(MlflowException) as e:
        _get_store().deprecated_end_trace_v2(request_id=missing, timestamp_ms=1,
                                              status=TraceStatus.OK, request_metadata={},
                                              tags={})
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert_error(api.get("/api/2.0/mlflow/traces/%s/info" % missing), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    with pytest.raises(MlflowException) as e:
        start("123456789")
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    deleted = client.create_experiment("v2-deleted-%s" % traced)
    client.delete_experiment(deleted)
    with pytest.raises(MlflowException) as e:
        start(deleted)
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "must be in the 'active' state" in e.value.message
    # StartTraceV3 refuses it alike.
    assert_error(api.post("/api/3.0/mlflow/traces", json={"trace": {"trace_info": {
        "trace_id": "tr-" + "1" * 32, "request_time": "2024-01-01T00:00:00Z",
        "state": "OK", "trace_location": {"type": "MLFLOW_EXPERIMENT",
                                          "mlflow_experiment": {"experiment_id": deleted}}}}}),
        400, "INVALID_PARAMETER_VALUE", "must be in the 'active' state")
    assert_error(api.post("/api/2.0/mlflow/traces", json={
        "experiment_id": traced, "tags": [{"value": "no key"}]}), 400, "INVALID_PARAMETER_VALUE",
        "for parameter 'tags' supplied")
    assert_error(api.post("/api/2.0/mlflow/traces", json={
        "experiment_id": traced, "tags": [{"key": "mlflow.traceName", "value": "x" * 4097}]}),
        400, "INVALID_PARAMETER_VALUE", "Trace name")
    assert_error(api.get("/api/2.0/mlflow/traces", params={"experiment_ids": traced,
                                                           "max_results": 501}),
                 400, "INVALID_PARAMETER_VALUE", "for parameter 'max_results' supplied")
    assert_error(api.get("/api/2.0/mlflow/traces"), 400, "INVALID_PARAMETER_VALUE",
                 "Missing value for required parameter 'experiment_ids'")
