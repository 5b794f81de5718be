"""Runs: create / get / update / delete / restore, run names, tags, params, writes to deleted
runs, validation. Reference: mlflow-api.md §2.1 #10-18, §3."""
import re
import time

import pytest
from mlflow.entities import Param, RunStatus, RunTag, ViewType
from mlflow.exceptions import MlflowException

from conftest import assert_error, now_ms, uname

RUN_ID_RE = re.compile(r"^[0-9a-f]{32}$")
GENERATED_NAME_RE = re.compile(r"^[a-z]+-[a-z]+-\d{1,3}$")


def code(ei):
    return ei.value.error_code


# --------------------------------------------------------------------------- create / get

def test_create_run_via_client(client, api, exp_id):
    t0 = now_ms()
    run = client.create_run(exp_id, start_time=t0, tags={"a": "1"})
    info = run.info
    assert RUN_ID_RE.match(info.run_id)
    assert info.experiment_id == exp_id
    assert info.status == "RUNNING"
    assert info.lifecycle_stage == "active"
    assert info.start_time == t0
    assert info.end_time is None
    assert info.artifact_uri == "mlflow-artifacts:/%s/%s/artifacts" % (exp_id, info.run_id)
    assert GENERATED_NAME_RE.match(info.run_name), info.run_name
    assert run.data.tags == {"a": "1", "mlflow.runName": info.run_name}
    # Raw shape
    raw = api.ok_get("runs/get", {"run_id": info.run_id})["run"]
    ri = raw["info"]
    assert ri["run_id"] == ri["run_uuid"] == info.run_id
    assert ri["experiment_id"] == exp_id and isinstance(ri["experiment_id"], str)
    assert ri["status"] == "RUNNING"
    assert ri["start_time"] == t0 and isinstance(ri["start_time"], int)
    assert ri.get("end_time", 0) in (0, None)
    assert ri["lifecycle_stage"] == "active"


def test_create_run_raw_defaults(api, exp_id, server):
    """No user_id, no start_time: stored as MLflow's handler stores them, the proto's
    defaults '' and 0 (MLflow's own store cannot read a run whose user_id is NULL)."""
    run = api.ok_post("runs/create", {"experiment_id": exp_id})["run"]
    assert run["info"]["status"] == "RUNNING"
    assert run["info"]["user_id"] == ""
    assert run["info"]["start_time"] == 0
    assert server.db_query("SELECT user_id, start_time FROM runs WHERE run_uuid = ?",
                           (run["info"]["run_id"],)) == [("", 0)]
    assert GENERATED_NAME_RE.match(run["info"]["run_name"])
    assert {"key": "mlflow.runName", "value": run["info"]["run_name"]} in run["data"]["tags"]


def test_create_run_without_experiment_id_never_5xx(api):
    # The reference (3.17.2) fails here with 400 BAD_REQUEST (an FK error on experiment_id '');
    # the proto docs say an empty id means "0". Either is acceptable; a 5xx is not.
    r = api.post("runs/create", {})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert r.json()["run"]["info"]["experiment_id"] == "0"


def test_fluent_run_lifecycle(tracking, client):
    name = uname("flu")
    tracking.set_experiment(name)
    with tracking.start_run(run_name="my-run", tags={"x": "y"}, description="hello") as run:
        rid = run.info.run_id
        assert tracking.active_run().info.run_id == rid
    r = client.get_run(rid)
    assert r.info.run_name == "my-run"
    assert r.info.status == "FINISHED"
    assert r.info.end_time is not None and r.info.end_time >= r.info.start_time
    tags = r.data.tags
    assert tags["mlflow.runName"] == "my-run"
    assert tags["x"] == "y"
    assert tags["mlflow.note.content"] == "hello"
    assert tags["mlflow.source.type"] == "LOCAL"
    assert "mlflow.user" in tags
    assert r.info.experiment_id == client.get_experiment_by_name(name).experiment_id


def test_fluent_failed_run_and_nested(tracking, client):
    tracking.set_experiment(uname("flu"))
    with pytest.raises(RuntimeError):
        with tracking.start_run() as parent:
            with tracking.start_run(nested=True) as child:
                pass
            raise RuntimeError("boom")
    p = client.get_run(parent.info.run_id)
    c = client.get_run(child.info.run_id)
    assert p.info.status == "FAILED"
    assert c.info.status == "FINISHED"
    assert c.data.tags["mlflow.parentRunId"] == p.info.run_id


def test_resume_run(tracking, client, exp_id):
    with tracking.start_run(experiment_id=exp_id) as run:
        rid = run.info.run_id
    ended = client.get_run(rid).info.end_time
    with tracking.start_run(run_id=rid):
        assert client.get_run(rid).info.status == "RUNNING"
        tracking.log_param("later", "1")
    r = client.get_run(rid)
    assert r.info.status == "FINISHED"
    assert r.info.end_time >= ended
    assert r.data.params == {"later": "1"}


def test_run_name_and_tag(api, exp_id):
    # Different name and tag -> 400
    r = api.post("runs/create", {"experiment_id": exp_id, "run_name": "a",
                                 "tags": [{"key": "mlflow.runName", "value": "b"}]})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "mlflow.runName")
    # Same value -> ok
    run = api.ok_post("runs/create", {"experiment_id": exp_id, "run_name": "same",
                                      "tags": [{"key": "mlflow.runName", "value": "same"}]})["run"]
    assert run["info"]["run_name"] == "same"
    # Tag only -> it becomes the name
    run = api.ok_post("runs/create", {"experiment_id": exp_id,
                                      "tags": [{"key": "mlflow.runName", "value": "fromtag"}]})["run"]
    assert run["info"]["run_name"] == "fromtag"
    # Name only -> the tag is added
    run = api.ok_post("runs/create", {"experiment_id": exp_id, "run_name": "fromname"})["run"]
    assert {"key": "mlflow.runName", "value": "fromname"} in run["data"]["tags"]


def test_generated_names_differ(client, exp_id):
    names = {client.create_run(exp_id).info.run_name for _ in range(5)}
    assert len(names) >= 4  # random adjective-noun-NNN


def test_create_run_bad_experiment(api):
    assert_error(api.post("runs/create", {"experiment_id": "987654321"}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.post("runs/create", {"experiment_id": "abc"}), 400, "INVALID_PARAMETER_VALUE")


def test_get_unknown_run(client, api):
    with pytest.raises(MlflowException) as ei:
        client.get_run("0" * 32)
    assert code(ei) == "RESOURCE_DOES_NOT_EXIST"
    assert_error(api.get("runs/get", {"run_id": "deadbeef"}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.get("runs/get", {}), 400, "INVALID_PARAMETER_VALUE", "run_id")


def test_run_uuid_alias(api, client, exp_id):
    rid = client.create_run(exp_id).info.run_id
    assert api.ok_get("runs/get", {"run_uuid": rid})["run"]["info"]["run_id"] == rid
    api.ok_post("runs/set-tag", {"run_uuid": rid, "key": "via", "value": "uuid"})
    assert client.get_run(rid).data.tags["via"] == "uuid"


@pytest.mark.parametrize("path,body", [
    ("runs/update", {"status": "FINISHED"}),
    ("runs/delete", {}),
    ("runs/restore", {}),
    ("runs/log-metric", {"key": "m", "value": 1, "timestamp": 1}),
    ("runs/log-parameter", {"key": "p", "value": "1"}),
    ("runs/set-tag", {"key": "t", "value": "1"}),
    ("runs/delete-tag", {"key": "t"}),
    ("runs/log-batch", {"tags": [{"key": "t", "value": "1"}]}),
])
def test_unknown_run_is_404(api, path, body):
    body = dict(body, run_id="f" * 32)
    assert_error(api.post(path, body), 404, "RESOURCE_DOES_NOT_EXIST")


# --------------------------------------------------------------------------- update

def test_update_run(client, api, exp_id):
    rid = client.create_run(exp_id, start_time=1000).info.run_id
    client.update_run(rid, status="KILLED")
    r = client.get_run(rid)
    assert r.info.status == "KILLED"
    client.update_run(rid, name="renamed")
    r = client.get_run(rid)
    assert r.info.run_name == "renamed"
    assert r.data.tags["mlflow.runName"] == "renamed"
    assert r.info.status == "KILLED"  # unchanged when absent
    # Raw: end_time + status; response holds run_info
    body = api.ok_post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 5000})
    assert body["run_info"]["status"] == "FINISHED"
    assert body["run_info"]["end_time"] == 5000
    assert body["run_info"]["run_name"] == "renamed"
    # Status RUNNING again: end_time is not cleared
    body = api.ok_post("runs/update", {"run_id": rid, "status": "RUNNING"})
    assert body["run_info"]["status"] == "RUNNING"
    assert body["run_info"]["end_time"] == 5000
    assert client.get_run(rid).info.end_time == 5000


@pytest.mark.parametrize("status", ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"])
def test_update_all_statuses(client, exp_id, status):
    rid = client.create_run(exp_id).info.run_id
    client.set_terminated(rid, status=status)
    assert client.get_run(rid).info.status == status


def test_update_status_by_number(api, client, exp_id):
    rid = client.create_run(exp_id).info.run_id
    body = api.ok_post("runs/update", {"run_id": rid, "status": 4})
    assert body["run_info"]["status"] == "FAILED"


def test_set_tag_run_name_updates_run_name(client, exp_id):
    rid = client.create_run(exp_id).info.run_id
    client.set_tag(rid, "mlflow.runName", "via-tag")
    assert client.get_run(rid).info.run_name == "via-tag"
    client.log_batch(rid, tags=[RunTag("mlflow.runName", "via-batch")])
    r = client.get_run(rid)
    assert r.info.run_name == "via-batch"
    assert r.data.tags["mlflow.runName"] == "via-batch"


# --------------------------------------------------------------------------- delete / restore

def test_delete_restore_run(client, exp_id):
    rid = client.create_run(exp_id).info.run_id
    client.delete_run(rid)
    r = client.get_run(rid)  # still readable
    assert r.info.lifecycle_stage == "deleted"
    assert rid not in [x.info.run_id for x in client.search_runs([exp_id])]
    assert rid in [x.info.run_id for x in client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)]
    client.restore_run(rid)
    assert client.get_run(rid).info.lifecycle_stage == "active"
    assert rid in [x.info.run_id for x in client.search_runs([exp_id])]


def test_run_delete_and_restore_are_idempotent(api, client, exp_id):
    """Unlike experiments (404 on a second delete / restoring an active one), runs accept both."""
    rid = client.create_run(exp_id).info.run_id
    api.ok_post("runs/restore", {"run_id": rid})
    api.ok_post("runs/delete", {"run_id": rid})
    api.ok_post("runs/delete", {"run_id": rid})
    assert client.get_run(rid).info.lifecycle_stage == "deleted"
    api.ok_post("runs/restore", {"run_id": rid})
    api.ok_post("runs/restore", {"run_id": rid})
    assert client.get_run(rid).info.lifecycle_stage == "active"


WRITES = [
    ("runs/log-metric", {"key": "m", "value": 1.0, "timestamp": 1, "step": 0}),
    ("runs/log-parameter", {"key": "p", "value": "1"}),
    ("runs/set-tag", {"key": "t", "value": "1"}),
    ("runs/delete-tag", {"key": "keep"}),
    ("runs/update", {"status": "FINISHED"}),
    ("runs/log-batch", {"metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": 0}]}),
    ("runs/log-batch", {"params": [{"key": "p2", "value": "1"}]}),
    ("runs/log-batch", {"tags": [{"key": "t2", "value": "1"}]}),
    ("runs/log-inputs", {"datasets": []}),
    ("runs/outputs", {"models": [{"model_id": "m-0123456789abcdef0123456789abcdef", "step": 0}]}),
]


@pytest.fixture(scope="module")
def deleted_run(base_url):
    from mlflow.tracking import MlflowClient
    c = MlflowClient(base_url)
    eid = c.create_experiment(uname("delrun"))
    rid = c.create_run(eid, tags={"keep": "x"}).info.run_id
    c.delete_run(rid)
    return rid


@pytest.mark.parametrize("path,body", WRITES, ids=[p + ":" + ",".join(b) for p, b in WRITES])
def test_writes_to_deleted_run_rejected(api, deleted_run, path, body):
    r = api.post(path, dict(body, run_id=deleted_run))
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "must be in the 'active' state")


@pytest.fixture(scope="module")
def run_in_deleted_experiment(base_url):
    from mlflow.tracking import MlflowClient
    c = MlflowClient(base_url)
    eid = c.create_experiment(uname("delexp"))
    rid = c.create_run(eid, tags={"keep": "x"}).info.run_id
    c.delete_experiment(eid)
    return rid


@pytest.mark.parametrize("path,body", WRITES[:5], ids=[p for p, _ in WRITES[:5]])
def test_writes_to_run_of_deleted_experiment_rejected(api, run_in_deleted_experiment, path, body):
    r = api.post(path, dict(body, run_id=run_in_deleted_experiment))
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_client_writes_to_deleted_run(client, exp_id):
    rid = client.create_run(exp_id).info.run_id
    client.delete_run(rid)
    with pytest.raises(MlflowException) as ei:
        client.log_param(rid, "p", "1")
    assert code(ei) == "INVALID_PARAMETER_VALUE"


# --------------------------------------------------------------------------- tags

def test_set_and_delete_tag(client, api, exp_id):
    rid = client.create_run(exp_id).info.run_id
    client.set_tag(rid, "k", "v1")
    client.set_tag(rid, "k", "v2")
    client.set_tag(rid, "empty", "")
    client.set_tag(rid, "num", 5)  # client stringifies
    tags = client.get_run(rid).data.tags
    assert tags["k"] == "v2" and tags["empty"] == "" and tags["num"] == "5"
    client.delete_tag(rid, "k")
    assert "k" not in client.get_run(rid).data.tags
    with pytest.raises(MlflowException) as ei:
        client.delete_tag(rid, "k")
    assert code(ei) == "RESOURCE_DOES_NOT_EXIST"
    assert_error(api.post("runs/delete-tag", {"run_id": rid, "key": "never"}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_tag_value_truncated_at_8000(api, client, exp_id):
    rid = client.create_run(exp_id).info.run_id
    api.ok_post("runs/set-tag", {"run_id": rid, "key": "long", "value": "t" * 9000})
    api.ok_post("runs/log-batch", {"run_id": rid, "tags": [{"key": "long2", "value": "u" * 8500}]})
    tags = client.get_run(rid).data.tags
    assert tags["long"] == "t" * 8000
    assert tags["long2"] == "u" * 8000


# --------------------------------------------------------------------------- params

def test_log_param(client, api, exp_id):
    rid = client.create_run(exp_id).info.run_id
    client.log_param(rid, "p", 1)
    client.log_param(rid, "p", "1")  # same value (as string) is fine
    client.log_param(rid, "f", 0.5)
    client.log_param(rid, "e", "")
    assert client.get_run(rid).data.params == {"p": "1", "f": "0.5", "e": ""}
    with pytest.raises(MlflowException) as ei:
        client.log_param(rid, "p", "2")
    assert code(ei) == "INVALID_PARAMETER_VALUE"
    assert "Changing param values is not allowed" in str(ei.value)
    r = api.post("runs/log-parameter", {"run_id": rid, "key": "p", "value": "3"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed")
    # log-batch with a changed param value is rejected too, and nothing from that batch lands
    r = api.post("runs/log-batch", {"run_id": rid, "params": [{"key": "p", "value": "4"}],
                                    "tags": [{"key": "side", "value": "effect"}]})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert client.get_run(rid).data.params["p"] == "1"
    # same value via batch: fine
    api.ok_post("runs/log-batch", {"run_id": rid, "params": [{"key": "p", "value": "1"}]})


def test_param_value_truncated_at_6000(api, client, exp_id):
    rid = client.create_run(exp_id).info.run_id
    api.ok_post("runs/log-parameter", {"run_id": rid, "key": "long", "value": "x" * 7000})
    api.ok_post("runs/log-batch", {"run_id": rid, "params": [{"key": "long2", "value": "y" * 6001}]})
    api.ok_post("runs/log-parameter", {"run_id": rid, "key": "exact", "value": "z" * 6000})
    params = client.get_run(rid).data.params
    assert params["long"] == "x" * 6000
    assert params["long2"] == "y" * 6000
    assert params["exact"] == "z" * 6000
    # Re-logging the long value is "the same value" after truncation
    api.ok_post("runs/log-parameter", {"run_id": rid, "key": "long", "value": "x" * 7000})


def test_log_params_many_via_client(client, exp_id):
    """The client splits log_batch at 100 params."""
    rid = client.create_run(exp_id).info.run_id
    params = [Param("p%03d" % i, str(i)) for i in range(250)]
    client.log_batch(rid, params=params)
    got = client.get_run(rid).data.params
    assert got == {p.key: p.value for p in params}


@pytest.mark.parametrize("key", ["../x", "/abs", "a//b", "./a", "a/", "bad$", "k" * 251, "."])
def test_invalid_param_and_tag_keys(api, client, exp_id, key):
    rid = client.create_run(exp_id).info.run_id
    assert_error(api.post("runs/log-parameter", {"run_id": rid, "key": key, "value": "1"}),
                 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("runs/set-tag", {"run_id": rid, "key": key, "value": "1"}),
                 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("key", ["a:b c-d.e/f_g", "k" * 250, "UPPER.lower", "x/y/z"])
def test_valid_unusual_keys(client, exp_id, key):
    rid = client.create_run(exp_id).info.run_id
    client.log_param(rid, key, "1")
    client.set_tag(rid, key, "2")
    r = client.get_run(rid)
    assert r.data.params[key] == "1" and r.data.tags[key] == "2"


def test_missing_required_fields(api, client, exp_id):
    rid = client.create_run(exp_id).info.run_id
    assert_error(api.post("runs/log-parameter", {"run_id": rid, "value": "1"}), 400,
                 "INVALID_PARAMETER_VALUE", "'key'")
    assert_error(api.post("runs/set-tag", {"run_id": rid, "key": ""}), 400, "INVALID_PARAMETER_VALUE")
    assert_error(api.post("runs/log-parameter", {"key": "k", "value": "1"}), 400,
                 "INVALID_PARAMETER_VALUE", "run_id")


# --------------------------------------------------------------------------- text handling

UNICODE = "ünïcødé 测试 ✓ \U0001F600"


def test_unicode_everywhere(client, api):
    name = uname("uni") + " " + UNICODE
    eid = client.create_experiment(name, tags={"k": UNICODE})
    assert client.get_experiment_by_name(name).experiment_id == eid
    rid = client.create_run(eid, run_name=UNICODE).info.run_id
    client.log_param(rid, "p", UNICODE)
    client.set_tag(rid, "t", UNICODE)
    r = client.get_run(rid)
    assert r.info.run_name == UNICODE
    assert r.data.params["p"] == UNICODE and r.data.tags["t"] == UNICODE
    assert client.get_experiment(eid).tags["k"] == UNICODE
    found = client.search_runs([eid], "params.p = '%s' and attributes.run_name LIKE '%%测试%%'" % UNICODE)
    assert [x.info.run_id for x in found] == [rid]
    # Raw bytes are UTF-8 JSON
    raw = api.get("runs/get", {"run_id": rid})
    assert raw.json()["run"]["info"]["run_name"] == UNICODE


def test_param_values_count_characters_not_bytes(api, client, exp_id):
    """Truncation at 6000 is in characters: 7000 three-byte characters keep 6000 characters."""
    rid = client.create_run(exp_id).info.run_id
    api.ok_post("runs/log-parameter", {"run_id": rid, "key": "u", "value": "€" * 7000})
    assert client.get_run(rid).data.params["u"] == "€" * 6000


@pytest.mark.parametrize("suffix", [" with space", "&amp=1", "a+b", "100%", "semi;colon", "q?x=1", "hash#tag",
                                    "slash/inside", "quote'single", 'quote"double'])
def test_query_string_decoding(api, client, suffix):
    name = uname("qs") + suffix
    eid = client.create_experiment(name)
    got = api.ok_get("experiments/get-by-name", {"experiment_name": name})["experiment"]
    assert got["experiment_id"] == eid and got["name"] == name
    assert client.get_experiment_by_name(name).experiment_id == eid
