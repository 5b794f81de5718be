"""NUL characters inside request data (issue 12, item 8). A C string ends at a NUL, so a server
that read "a\\u0000b" as a C string would store, look up or check "a" instead of what the client
sent; PostgreSQL cannot store NUL in text at all. mltrack refuses a NUL in any JSON string of a
body, at any depth, with 400 INVALID_PARAMETER_VALUE naming the field, and refuses %00 anywhere
in the request target; nothing of a refused request is stored.

MLflow differs: on SQLite it stores such values whole (a tag value "v\\u0000w" reads back as
sent), on PostgreSQL the database refuses them with a 500, and names that its regexes check are
refused with their usual message. Hence mltrack_only."""
import json

import pytest
import requests

from conftest import assert_error, uname

pytestmark = pytest.mark.mltrack_only(
    reason="MLflow stores NUL inside strings on SQLite and answers 500 on PostgreSQL; mltrack "
           "refuses it everywhere with 400")

NUL = "\u0000"


def post_raw(base, path, body, method="POST"):
    """Sends body (a Python object, or already-encoded text) as JSON."""
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.request(method, base + "/api/2.0/mlflow/" + path, data=data.encode(),
                            headers={"Content-Type": "application/json"}, timeout=30)


@pytest.fixture
def ids(api, exp_id):
    rid = api.ok_post("runs/create", {"experiment_id": exp_id})["run"]["info"]["run_id"]
    model = uname("nulm")
    api.ok_post("registered-models/create", {"name": model})
    return {"exp": exp_id, "run": rid, "model": model}


def cases(ids):
    """(endpoint, body, field named in the message) for fields of every kind: names, values,
    keys, descriptions, sources, filters, nested tags, datasets, list items."""
    e, r, m = ids["exp"], ids["run"], ids["model"]
    x = "a" + NUL + "b"
    return [
        ("experiments/create", {"name": x}, "name"),
        ("experiments/create", {"name": uname("n"), "artifact_location": "/tmp/" + x}, "artifact_location"),
        ("experiments/create", {"name": uname("n"), "tags": [{"key": "k", "value": x}]}, "tags[0].value"),
        ("experiments/update", {"experiment_id": e, "new_name": x}, "new_name"),
        ("experiments/set-experiment-tag", {"experiment_id": e, "key": x, "value": "v"}, "key"),
        ("runs/create", {"experiment_id": e, "run_name": x}, "run_name"),
        ("runs/create", {"experiment_id": e, "tags": [{"key": x, "value": "v"}]}, "tags[0].key"),
        ("runs/log-parameter", {"run_id": r, "key": "p", "value": x}, "value"),
        ("runs/set-tag", {"run_id": r, "key": "t", "value": x}, "value"),
        ("runs/set-tag", {"run_id": r + NUL, "key": "t", "value": "v"}, "run_id"),
        ("runs/delete-tag", {"run_id": r, "key": x}, "key"),
        ("runs/log-metric", {"run_id": r, "key": x, "value": 1, "timestamp": 1}, "key"),
        ("runs/log-batch", {"run_id": r, "params": [{"key": "ok", "value": "v"},
                                                    {"key": "p2", "value": x}]}, "params[1].value"),
        ("runs/log-batch", {"run_id": r, "tags": [{"key": x, "value": "v"}]}, "tags[0].key"),
        ("runs/log-inputs", {"run_id": r, "datasets": [{"dataset": {
            "name": "d", "digest": x, "source_type": "local", "source": "{}"}}]},
         "datasets[0].dataset.digest"),
        ("runs/search", {"experiment_ids": [e], "filter": "tags.t = '" + x + "'"}, "filter"),
        ("runs/search", {"experiment_ids": [e, x]}, "experiment_ids[1]"),
        ("registered-models/create", {"name": x}, "name"),
        ("PATCH registered-models/update", {"name": m, "description": x}, "description"),
        ("registered-models/set-tag", {"name": m, "key": "k", "value": x}, "value"),
        ("registered-models/alias", {"name": m, "alias": x, "version": "1"}, "alias"),
        ("model-versions/create", {"name": m, "source": "s3://b/" + x}, "source"),
        ("logged-models", {"experiment_id": e, "name": x}, "name"),
        ("runs/update", {"run_id": r, "run_name": x}, "run_name"),
        ("unknown/but/ignored", {"ignored": {"deep": [x]}}, None),
    ]


def snapshot(api, ids):
    run = api.ok_get("runs/get", {"run_id": ids["run"]})["run"]
    exp = api.ok_get("experiments/get", {"experiment_id": ids["exp"]})["experiment"]
    model = api.ok_get("registered-models/get", {"name": ids["model"]})["registered_model"]
    exps = api.ok_post("experiments/search", {"max_results": 1000}).get("experiments", [])
    models = api.ok_get("registered-models/search", {"max_results": 1000})
    run.get("info", {}).pop("end_time", None)
    exp.pop("last_update_time", None)
    model.pop("last_updated_timestamp", None)
    return run, exp, model, sorted(x["name"] for x in exps), \
        sorted(x["name"] for x in models.get("registered_models", []))


def test_nul_in_any_json_string_is_refused_and_nothing_stored(base_url, api, ids):
    before = snapshot(api, ids)
    for path, body, field in cases(ids):
        method, _, p = path.rpartition(" ")
        r = post_raw(base_url, p, body, method or "POST")
        if path.startswith("unknown/"):
            assert r.status_code == 404, r.text  # no such route: answered before the body
            continue
        err = assert_error(r, 400, "INVALID_PARAMETER_VALUE", "NUL")
        assert "'%s'" % field in err["message"], (path, field, err)
    assert snapshot(api, ids) == before


def test_nul_in_ignored_field_and_double_encoded_body(base_url, api, ids):
    r = post_raw(base_url, "runs/set-tag",
                 {"run_id": ids["run"], "key": "t", "value": "v", "extra": ["ok", NUL]})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "'extra[1]'")
    inner = json.dumps({"run_id": ids["run"], "key": "t2", "value": "v" + NUL + "w"})
    r = post_raw(base_url, "runs/set-tag", json.dumps(inner))
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "'value'")
    tags = api.ok_get("runs/get", {"run_id": ids["run"]})["run"]["data"].get("tags", [])
    assert not [t for t in tags if t["key"] in ("t", "t2")]
    # The same requests without the NUL are accepted (the check is not a blanket refusal).
    api.ok_post("runs/set-tag", {"run_id": ids["run"], "key": "t", "value": "v w"})
    tags = api.ok_get("runs/get", {"run_id": ids["run"]})["run"]["data"]["tags"]
    assert {"key": "t", "value": "v w"} in tags


def test_nul_in_object_key_is_malformed_json(base_url, ids):
    r = post_raw(base_url, "runs/set-tag",
                 '{"run_id": "%s", "key": "t", "value": "v", "a\\u0000b": 1}' % ids["run"])
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Malformed JSON")


@pytest.mark.parametrize("target", [
    "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default%00x",
    "/api/2.0/mlflow/runs/get?run_id=abc%00def",
    "/api/2.0/mlflow/metrics/get-history?run_id=abc&metric_key=m%00x",
    "/api/2.0/mlflow/registered-models/get?na%00me=x",
    "/api/2.0/mlflow-artifacts/artifacts/a%00.txt",
    "/get-artifact?run_uuid=abc&path=a.txt%00.png",
])
def test_nul_in_request_target_is_refused(base_url, target):
    """A decoded %00 would cut a query value, a query key or a path short: refused before any
    route sees it."""
    r = requests.get(base_url + target, timeout=30)
    assert_error(r, 400, "BAD_REQUEST", "Malformed request path")
