"""Raw HTTP behaviour: routing, request decoding, error bodies, response encoding, misc routes,
security middleware. Reference: mlflow-api.md §0."""
import gzip
import json
import re
import socket
from urllib.parse import urlparse

import mlflow
import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from conftest import IS_MLTRACK, IS_MLFLOW, assert_error, uname

# --------------------------------------------------------------------------- misc routes


def test_health(base_url):
    r = requests.get(base_url + "/health")
    assert r.status_code == 200
    assert r.text == "OK"


def test_version(base_url):
    r = requests.get(base_url + "/version")
    assert r.status_code == 200
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", r.text.strip()), r.text
    major, minor = (int(x) for x in r.text.split(".")[:2])
    # The 3.x client uses this to decide on span logging (needs >= 3.4).
    assert (major, minor) >= (3, 4)
    if IS_MLFLOW:
        assert r.text == mlflow.__version__


def test_server_info(base_url):
    r = requests.get(base_url + "/api/3.0/mlflow/server-info")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    # Local artifact destination: no multipart either way.
    assert body.get("multipart_uploads_enabled", False) is False
    assert body.get("multipart_downloads_enabled", False) is False


def test_ajax_api_is_the_same_handler(api, client):
    name = uname("ajax")
    eid = client.create_experiment(name)
    a = requests.get(api.base + "/api/2.0/mlflow/experiments/get", params={"experiment_id": eid})
    b = requests.get(api.base + "/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": eid})
    assert a.status_code == b.status_code == 200
    assert a.json() == b.json()
    r = requests.post(api.base + "/ajax-api/2.0/mlflow/experiments/set-experiment-tag",
                      json={"experiment_id": eid, "key": "via", "value": "ajax"})
    assert r.status_code == 200 and r.json() == {}
    assert client.get_experiment(eid).tags == {"via": "ajax"}
    r = requests.get(api.base + "/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": "987654321"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


def test_unknown_route_is_404(base_url):
    for path in ("/api/2.0/mlflow/no-such-thing", "/api/2.0/mlflow/experiments/get/extra",
                 "/api/9.0/mlflow/experiments/get"):
        r = requests.get(base_url + path)
        assert r.status_code == 404, (path, r.status_code)


@pytest.mark.mltrack_only(reason="MLflow (Flask) answers unknown routes with an HTML 404 page")
def test_unknown_route_json_endpoint_not_found(base_url):
    r = requests.post(base_url + "/api/2.0/mlflow/no-such-thing", json={})
    assert_error(r, 404, "ENDPOINT_NOT_FOUND")


def test_client_sees_unknown_route_as_endpoint_not_found(base_url):
    """Whatever the body (MLflow: HTML, mltrack: JSON), the client derives ENDPOINT_NOT_FOUND;
    the 3.x client relies on this for API fallbacks."""
    from mlflow.utils.rest_utils import MlflowHostCreds, call_endpoint
    from mlflow.protos.service_pb2 import GetExperiment
    with pytest.raises(MlflowException) as ei:
        call_endpoint(MlflowHostCreds(base_url), "/api/2.0/mlflow/no-such-endpoint", "GET",
                      json.dumps({"experiment_id": "0"}), GetExperiment.Response())
    assert ei.value.error_code == "ENDPOINT_NOT_FOUND"


def test_wrong_method(base_url):
    # POST-only route hit with GET / PUT: MLflow gives 405; 404 is also acceptable.
    for method in ("GET", "PUT", "DELETE"):
        r = requests.request(method, base_url + "/api/2.0/mlflow/experiments/create", json={"name": "x"})
        assert r.status_code in (404, 405), (method, r.status_code)
    # runs/search is POST-only; experiments/search takes GET and POST.
    assert requests.get(base_url + "/api/2.0/mlflow/runs/search").status_code in (404, 405)


# --------------------------------------------------------------------------- request decoding

def test_post_requires_json_content_type(base_url):
    url = base_url + "/api/2.0/mlflow/experiments/create"
    data = json.dumps({"name": uname()})
    for headers in ({}, {"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}):
        r = requests.post(url, data=data, headers=headers)
        # MLflow: "Content-Type header is missing." / "Content-Type must be one of [...]"
        assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Content-Type")
    # Parameters after ';' are ignored
    r = requests.post(url, data=json.dumps({"name": uname()}),
                      headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200 and r.json()["experiment_id"].isdigit()


def test_malformed_json_is_400(base_url):
    r = requests.post(base_url + "/api/2.0/mlflow/experiments/create", data='{"name": ',
                      headers={"Content-Type": "application/json"})
    # MLflow parses with silent=True, so the body counts as empty: "Missing value for required
    # parameter 'name'". Any 400 INVALID_PARAMETER_VALUE is fine.
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.mltrack_only(reason="MLflow 3.17 crashes with an HTML 500 on a JSON body that is not an object")
def test_json_array_body_is_4xx(base_url):
    r = requests.post(base_url + "/api/2.0/mlflow/experiments/create", data="[1, 2]",
                      headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_double_encoded_json_body(base_url, client):
    name = uname("dbl")
    r = requests.post(base_url + "/api/2.0/mlflow/experiments/create", data=json.dumps(json.dumps({"name": name})),
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert client.get_experiment(r.json()["experiment_id"]).name == name


def test_empty_body_is_empty_request(base_url):
    r = requests.post(base_url + "/api/2.0/mlflow/experiments/create", data=b"",
                      headers={"Content-Type": "application/json"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "'name'")


@pytest.mark.parametrize("path,body,param,typ", [
    ("experiments/create", {"name": 5}, "name", "int"),
    ("experiments/create", {"name": ["a"]}, "name", "list"),
    ("experiments/search", {"max_results": "abc"}, "max_results", "str"),
    ("runs/log-parameter", {"run_id": "r", "key": "k", "value": 7}, "value", "int"),
    ("runs/set-tag", {"run_id": "r", "key": {"a": 1}, "value": "v"}, "key", "dict"),
])
def test_wrong_json_types(api, path, body, param, typ):
    r = api.post(path, body)
    msg = assert_error(r, 400, "INVALID_PARAMETER_VALUE")["message"]
    assert "Invalid value" in msg and "'%s'" % param in msg, msg
    assert "Hint: Value was of type '%s'" % typ in msg, msg


def test_wrong_query_types(api):
    r = api.get("experiments/search", {"max_results": "abc"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "max_results")


def test_unknown_fields_ignored_and_null_is_unset(api, client):
    name = uname("unk")
    body = api.ok_post("experiments/create", {"name": name, "no_such_field": {"x": [1]}, "artifact_location": None})
    e = client.get_experiment(body["experiment_id"])
    assert e.name == name and e.artifact_location == "mlflow-artifacts:/%s" % body["experiment_id"]
    got = api.ok_get("experiments/get", {"experiment_id": body["experiment_id"], "bogus": "1"})
    assert got["experiment"]["name"] == name


def test_camel_case_json_names(api):
    # Protobuf's JSON parser accepts lowerCamelCase names for optional fields. (Required fields
    # are checked by MLflow against the raw snake_case keys, so `runId` alone is "missing".)
    body = api.ok_post("experiments/search", {"maxResults": 1, "viewType": "ALL"})
    assert len(body["experiments"]) == 1
    # Both spellings of one field: refused (MLflow 3.17+).
    assert_error(api.post("experiments/search", {"maxResults": 1, "max_results": 1}), 400,
                 "INVALID_PARAMETER_VALUE", "both")


def test_get_repeated_query_keys(api, client):
    grp = uname("rep")
    for n in ("b", "a", "c"):
        client.create_experiment("%s-%s" % (grp, n), tags={"g": grp})
    f = ("filter", "tags.g = '%s'" % grp)
    body = api.ok_get("experiments/search", [f, ("max_results", "10"), ("order_by", "name DESC"),
                                             ("order_by", "experiment_id ASC")])
    assert [e["name"] for e in body["experiments"]] == ["%s-%s" % (grp, n) for n in "cba"]
    # The second order_by is read too: an invalid one is rejected.
    r = api.get("experiments/search", [f, ("max_results", "10"), ("order_by", "name DESC"),
                                       ("order_by", "bogus_key")])
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    # Scalars take the first value.
    body = api.ok_get("experiments/search", [f, ("max_results", "2"), ("max_results", "1"),
                                             ("order_by", "name")])
    assert [e["name"] for e in body["experiments"]] == ["%s-%s" % (grp, n) for n in "ab"]


def test_get_enum_by_name_or_number(api, client):
    grp = uname("enum")
    eid = client.create_experiment(grp)
    client.delete_experiment(eid)
    f = "name = '%s'" % grp
    for vt in ("DELETED_ONLY", "2", "ALL", "3"):
        body = api.ok_get("experiments/search", {"filter": f, "max_results": 5, "view_type": vt})
        assert [e["experiment_id"] for e in body["experiments"]] == [eid], vt
    assert api.ok_get("experiments/search", {"filter": f, "max_results": 5, "view_type": "ACTIVE_ONLY"}) == {}


@pytest.fixture(scope="module")
def deleted_logged_model(base_url, api):
    from mlflow.tracking import MlflowClient
    eid = MlflowClient(base_url).create_experiment(uname("lm"))
    model = api.ok_post("logged-models", {"experiment_id": eid, "name": "bool-model"})["model"]
    mid = model["info"]["model_id"]
    r = api.request("DELETE", "logged-models/" + mid)
    assert r.status_code == 200, r.text
    return mid


@pytest.mark.parametrize("value", ["true", "True", "TRUE", "tRuE"])
def test_get_booleans_any_case(api, deleted_logged_model, value):
    r = api.get("logged-models/" + deleted_logged_model, {"allow_deleted": value})
    assert r.status_code == 200, r.text
    assert r.json()["model"]["info"]["model_id"] == deleted_logged_model


@pytest.mark.parametrize("value", ["false", "False", "FALSE"])
def test_get_booleans_false(api, deleted_logged_model, value):
    assert_error(api.get("logged-models/" + deleted_logged_model, {"allow_deleted": value}), 404,
                 "RESOURCE_DOES_NOT_EXIST")


def test_get_proto_bool_invalid_value(base_url):
    """Proto-parsed GET bools accept true/false in any case; anything else is a 400."""
    url = base_url + "/api/3.0/mlflow/traces/get"
    r = requests.get(url, params={"trace_id": "tr-0", "allow_partial": "maybe"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "must be 'true' or 'false'")


def test_run_id_and_run_uuid_both_sent(api, client, exp_id):
    """The client sends both run_id and run_uuid; a request with only run_uuid also works."""
    rid = client.create_run(exp_id).info.run_id
    api.ok_post("runs/log-parameter", {"run_id": rid, "run_uuid": rid, "key": "a", "value": "1"})
    api.ok_post("runs/log-parameter", {"run_uuid": rid, "key": "b", "value": "2"})
    api.ok_post("runs/log-metric", {"run_uuid": rid, "key": "m", "value": 1.5, "timestamp": 5})
    body = api.ok_get("metrics/get-history", {"run_uuid": rid, "metric_key": "m"})
    assert body["metrics"][0]["value"] == 1.5
    assert client.get_run(rid).data.params == {"a": "1", "b": "2"}


# --------------------------------------------------------------------------- bodies and sizes

def test_large_legitimate_log_batch_over_1mb(client, exp_id):
    """The client splits log_batch only by item counts (<=100 params, <=100 tags, <=1000 items),
    never by bytes, so one request may carry 100 max-size params + 100 max-size tags + 800
    metrics (~1.45 MB). MLflow accepts it: its "1 MB" log-batch check measures len() of the
    parsed dict (its key count), not the body size. A server enforcing 1 MB breaks this client
    call."""
    from mlflow.entities import Metric, Param, RunTag
    rid = client.create_run(exp_id).info.run_id
    client.log_batch(rid,
                     params=[Param("p%03d" % i, "p" * 6000) for i in range(100)],
                     tags=[RunTag("t%03d" % i, "t" * 8000) for i in range(100)],
                     metrics=[Metric("m", float(i), 1, i) for i in range(800)])
    r = client.get_run(rid)
    assert len(r.data.params) == 100 and all(len(v) == 6000 for v in r.data.params.values())
    assert sum(1 for k in r.data.tags if k.startswith("t")) == 100
    assert len(client.get_metric_history(rid, "m")) == 800


def test_long_query_string_gets_mlflow_400(base_url):
    """1,000 run ids in the query string (about 14 KB) are answered with MLflow's 400, on both
    bulk routes, and the connection is not dropped on the way (issue 12 item 7)."""
    ids = ["r%05d" % i for i in range(1000)]
    r = requests.get(base_url + "/ajax-api/2.0/mlflow/metrics/get-history-bulk",
                     params=[("run_id", i) for i in ids] + [("metric_key", "m")], timeout=60)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE",
                 "GetMetricHistoryBulk request cannot specify more than 100 run_ids. "
                 "Received 1000 run_ids.")
    r = requests.get(base_url + "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
                     params=[("run_ids", i) for i in ids] + [("metric_key", "m")], timeout=60)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE",
                 "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. "
                 "Received 1000 run_ids.")
    assert requests.get(base_url + "/health", timeout=10).status_code == 200


@pytest.mark.mltrack_only(reason="MLflow (uvicorn + h11) takes heads up to about 16 KiB reliably")
def test_long_query_string_of_real_run_ids_gets_mlflow_400(base_url):
    """1,000 run ids as they really are (32 hex digits: a 40 KB query string) still reach the
    handler: request heads up to 64 KiB are read."""
    r = requests.get(base_url + "/ajax-api/2.0/mlflow/metrics/get-history-bulk",
                     params=[("run_id", "%032x" % i) for i in range(1000)] + [("metric_key", "m")],
                     timeout=60)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "cannot specify more than 100 run_ids")


def test_oversized_body_is_4xx_not_5xx(base_url):
    body = b'{"name": "' + b"x" * (40 * 1024 * 1024) + b'"}'
    try:
        r = requests.post(base_url + "/api/2.0/mlflow/experiments/create", data=body,
                          headers={"Content-Type": "application/json"}, timeout=120)
        assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    except requests.ConnectionError:
        # A server may refuse to read the rest of a body it has rejected and close the connection.
        pass
    # Still serving
    assert requests.get(base_url + "/health", timeout=10).status_code == 200


# --------------------------------------------------------------------------- response encoding

def test_json_types_in_responses(api, client, exp_id):
    rid = client.create_run(exp_id, start_time=1_700_000_000_123).info.run_id
    client.log_metric(rid, "m", 1.0, timestamp=1_700_000_000_456, step=2 ** 40)
    client.log_param(rid, "p", "v")
    r = api.get("runs/get", {"run_id": rid})
    assert r.headers["Content-Type"].startswith("application/json")
    run = r.json()["run"]
    info = run["info"]
    for k in ("run_id", "run_uuid", "experiment_id", "run_name", "user_id", "status", "artifact_uri",
              "lifecycle_stage"):
        assert isinstance(info[k], str), k
    assert info["start_time"] == 1_700_000_000_123
    m = run["data"]["metrics"][0]
    assert m["timestamp"] == 1_700_000_000_456 and type(m["timestamp"]) is int
    assert m["step"] == 2 ** 40 and type(m["step"]) is int
    assert type(m["value"]) is float
    e = api.ok_get("experiments/get", {"experiment_id": exp_id})["experiment"]
    assert isinstance(e["experiment_id"], str)
    assert type(e["creation_time"]) is int and type(e["last_update_time"]) is int
    # Enums are names
    assert info["status"] == "RUNNING"
    assert api.ok_post("experiments/search", {"max_results": 1, "filter": "name = '%s'" % e["name"]})         ["experiments"][0]["lifecycle_stage"] == "active"


def test_error_body_shape(api):
    r = api.get("runs/get", {"run_id": "f" * 32})
    body = assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    assert "f" * 32 in body["message"]


def test_resource_already_exists_is_http_400(api):
    name = uname()
    api.ok_post("experiments/create", {"name": name})
    assert_error(api.post("experiments/create", {"name": name}), 400, "RESOURCE_ALREADY_EXISTS")


def large_search(api, grp):
    return requests.post(api.base + "/api/2.0/mlflow/experiments/search",
                         json={"max_results": 50, "filter": "tags.g = '%s'" % grp},
                         headers={"Accept-Encoding": "gzip"})


@pytest.fixture(scope="module")
def big_group(base_url):
    c = MlflowClient(base_url)
    grp = uname("gz")
    for i in range(30):
        c.create_experiment("%s-%02d" % (grp, i), tags={"g": grp, "pad": "x" * 200})
    return grp


@pytest.mark.mltrack_only(reason="MLflow does not compress responses")
def test_gzip_large_response(api, big_group):
    r = large_search(api, big_group)
    assert r.status_code == 200
    assert r.headers.get("Content-Encoding") == "gzip"
    assert len(r.json()["experiments"]) == 30  # requests decoded it transparently
    # Raw bytes really are gzip
    raw = requests.post(api.base + "/api/2.0/mlflow/experiments/search",
                        json={"max_results": 50, "filter": "tags.g = '%s'" % big_group},
                        headers={"Accept-Encoding": "gzip"}, stream=True)
    data = raw.raw.read(decode_content=False)
    assert json.loads(gzip.decompress(data))["experiments"][0]["name"].startswith(big_group)


def test_no_gzip_without_accept_encoding(api, big_group):
    r = requests.post(api.base + "/api/2.0/mlflow/experiments/search",
                      json={"max_results": 50, "filter": "tags.g = '%s'" % big_group},
                      headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.headers.get("Content-Encoding") in (None, "identity")
    assert len(r.json()["experiments"]) == 30


# --------------------------------------------------------------------------- security middleware

def raw_get(base_url, path, host):
    """GET with an arbitrary Host header (requests would overwrite it in some versions)."""
    u = urlparse(base_url)
    with socket.create_connection((u.hostname, u.port), timeout=30) as s:
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


@pytest.mark.parametrize("host", ["evil.example.com", "evil.example.com:80", "localhost.evil.com", "8.8.8.8"])
def test_foreign_host_header_rejected(base_url, host):
    """DNS-rebinding protection (MLflow 3.5+): default allowed hosts are loopback names and
    private ranges; others get 403 on API routes."""
    status, data = raw_get(base_url, "/api/2.0/mlflow/experiments/get?experiment_id=0", host)
    assert status == 403, data[:300]
    # /health and /version stay reachable (load balancers)
    assert raw_get(base_url, "/health", host)[0] == 200
    assert raw_get(base_url, "/version", host)[0] == 200


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "127.0.0.1:{port}", "127.0.0.1",
                                  "10.1.2.3:5000", "192.168.0.7", "172.16.5.5:80"])
def test_allowed_host_headers(base_url, host):
    port = urlparse(base_url).port
    status, data = raw_get(base_url, "/api/2.0/mlflow/experiments/get?experiment_id=0", host.format(port=port))
    assert status == 200, data[:300]


def test_cross_origin_state_change_blocked(base_url):
    url = base_url + "/api/2.0/mlflow/experiments/create"
    r = requests.post(url, json={"name": uname("cors")}, headers={"Origin": "http://evil.example.com"})
    assert r.status_code == 403
    r = requests.post(url, json={"name": uname("cors")}, headers={"Origin": "http://localhost:3000"})
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") == "http://localhost:3000"
    # Reads from a foreign origin are not blocked
    r = requests.get(base_url + "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                     headers={"Origin": "http://evil.example.com"})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers
