"""Model registry: registered models, versions, stages, aliases, tags, searches, sources,
concurrency, and (mltrack only) the audit log. Reference: mlflow-api.md §2.3, §4.4-4.5, §6.
Runs against both targets (MLTRACK_TARGET=mlflow for the reference server)."""
import json
import threading
import time
import uuid

import pytest
import requests
from mlflow.exceptions import MlflowException

from conftest import IS_MLFLOW, IS_MLTRACK, assert_error, uname

JSON = {"Content-Type": "application/json"}


def rname(prefix="rm"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def run(client):
    exp = client.create_experiment(uname("reg"))
    return client.create_run(exp)


@pytest.fixture
def model(client):
    name = rname()
    client.create_registered_model(name)
    return name


def new_version(client, name, run, path="model", **kw):
    return client.create_model_version(name, "runs:/%s/%s" % (run.info.run_id, path),
                                       run_id=run.info.run_id, **kw)


def call(api, method, path, body):
    return api.request(method, path, json=body, headers=JSON)


# --------------------------------------------------------------------- registered models

def test_create_get_update_rename_delete(client, api):
    name = rname()
    rm = client.create_registered_model(name, tags={"team": "a"}, description="first")
    assert rm.name == name and rm.description == "first" and rm.tags == {"team": "a"}
    assert rm.creation_timestamp > 0 and rm.last_updated_timestamp == rm.creation_timestamp
    got = client.get_registered_model(name)
    assert got.tags == {"team": "a"} and got.latest_versions == []
    time.sleep(0.01)
    upd = client.update_registered_model(name, description="second")
    assert upd.description == "second" and upd.last_updated_timestamp > rm.creation_timestamp
    new = name + "-renamed"
    client.rename_registered_model(name, new)
    assert client.get_registered_model(new).tags == {"team": "a"}
    with pytest.raises(MlflowException) as ei:
        client.get_registered_model(name)
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    client.delete_registered_model(new)
    r = api.get("registered-models/get", {"name": new})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=%s not found" % new)


def test_create_duplicate_is_resource_already_exists(api, model):
    r = api.post("registered-models/create", {"name": model})
    assert_error(r, 400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=%s) already exists." % model)


def test_rename_onto_existing_name(client, api, model):
    other = rname()
    client.create_registered_model(other)
    r = api.post("registered-models/rename", {"name": model, "new_name": other})
    assert_error(r, 400, "RESOURCE_ALREADY_EXISTS")


def test_rename_carries_versions_tags_aliases(client, model, run):
    new_version(client, model, run, tags={"k": "v"})
    client.set_registered_model_alias(model, "champion", "1")
    new = model + "-x"
    client.rename_registered_model(model, new)
    mv = client.get_model_version(new, "1")
    assert mv.name == new and mv.tags == {"k": "v"} and mv.aliases == ["champion"]
    assert client.get_model_version_by_alias(new, "champion").version == "1"


def test_name_validation(api):
    assert_error(api.post("registered-models/create", {}), 400, "INVALID_PARAMETER_VALUE",
                 "Missing value for required parameter 'name'")
    assert_error(api.post("registered-models/create", {"name": "a/b"}), 400,
                 "INVALID_PARAMETER_VALUE", "Names cannot contain '/' or ':'")
    assert_error(api.post("registered-models/create", {"name": "   "}), 400,
                 "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'")


def test_registered_model_tags(client, api, model):
    client.set_registered_model_tag(model, "k", "v1")
    client.set_registered_model_tag(model, "k", "v2")
    assert client.get_registered_model(model).tags == {"k": "v2"}
    client.delete_registered_model_tag(model, "k")
    client.delete_registered_model_tag(model, "missing")  # a no-op, not an error
    assert client.get_registered_model(model).tags == {}
    r = api.post("registered-models/set-tag", {"name": rname(), "key": "k", "value": "v"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    r = api.post("registered-models/set-tag", {"name": model, "key": "../x", "value": "v"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_delete_model_cascades(client, api, model, run):
    new_version(client, model, run, tags={"a": "b"})
    client.set_registered_model_alias(model, "champion", "1")
    client.delete_registered_model(model)
    assert_error(api.get("model-versions/get", {"name": model, "version": "1"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    client.create_registered_model(model)  # the name is free again, versions restart at 1
    assert new_version(client, model, run).version == "1"
    assert client.get_registered_model(model).aliases == {}


# ------------------------------------------------------------------------ model versions

def test_create_model_version_shape(client, api, model, run):
    mv = new_version(client, model, run, description="d", tags={"t": "1"})
    assert mv.version == "1" and mv.current_stage == "None" and mv.status == "READY"
    assert mv.run_id == run.info.run_id and mv.description == "d" and mv.tags == {"t": "1"}
    assert mv.source == "runs:/%s/model" % run.info.run_id
    body = api.ok_get("model-versions/get", {"name": model, "version": "1"})["model_version"]
    assert body["version"] == "1" and isinstance(body["creation_timestamp"], int)
    assert body["status"] == "READY" and body["current_stage"] == "None"
    mv2 = new_version(client, model, run)
    assert mv2.version == "2" and mv2.description == ""
    assert client.get_registered_model(model).last_updated_timestamp >= mv2.creation_timestamp


def test_create_version_errors(api, model, run):
    rid = run.info.run_id
    r = api.post("model-versions/create", {"name": rname(), "source": "runs:/%s/m" % rid,
                                           "run_id": rid})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=")
    r = api.post("model-versions/create", {"name": model})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'source'")
    # runs:/ needs the run_id that names the run of the source
    r = api.post("model-versions/create", {"name": model, "source": "runs:/%s/m" % rid})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE",
                 "The run_id request parameter must identify the resource that contains the source")
    r = api.post("model-versions/create", {"name": model, "source": "runs:/%s/m" % rid,
                                           "run_id": uuid.uuid4().hex})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_update_and_tags(client, api, model, run):
    new_version(client, model, run, description="old")
    mv = client.update_model_version(model, "1", description="new")
    assert mv.description == "new"
    client.set_model_version_tag(model, "1", "k", "v")
    assert client.get_model_version(model, "1").tags == {"k": "v"}
    client.delete_model_version_tag(model, "1", "k")
    client.delete_model_version_tag(model, "1", "k")  # missing: a no-op
    assert client.get_model_version(model, "1").tags == {}
    r = api.post("model-versions/set-tag", {"name": model, "version": "9", "key": "k", "value": "v"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "Model Version (name=%s, version=9) not found" % model)
    r = api.get("model-versions/get", {"name": model, "version": "x"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Parameter 'version' must be an integer, got 'x'.")


def test_stages_transitions_and_archive(client, api, model, run):
    for _ in range(3):
        new_version(client, model, run)
    mv = client.transition_model_version_stage(model, "1", "production")
    assert mv.current_stage == "Production"
    client.transition_model_version_stage(model, "2", "STAGING")
    latest = {m.current_stage: m.version for m in client.get_latest_versions(model)}
    assert latest == {"Production": "1", "Staging": "2", "None": "3"}
    client.transition_model_version_stage(model, "2", "Production", archive_existing_versions=True)
    assert client.get_model_version(model, "1").current_stage == "Archived"
    prod = client.get_latest_versions(model, stages=["production"])
    assert [m.version for m in prod] == ["2"]
    r = api.post("registered-models/get-latest-versions", {"name": model, "stages": ["Staging"]})
    assert r.status_code == 200 and r.json() == {}
    r = api.get("registered-models/get-latest-versions", {"name": model, "stages": "Archived"})
    assert [m["version"] for m in r.json()["model_versions"]] == ["1"]
    rm = client.get_registered_model(model)
    assert sorted((m.current_stage, m.version) for m in rm.latest_versions) == [
        ("Archived", "1"), ("None", "3"), ("Production", "2")]


def test_transition_errors(api, model, client, run):
    new_version(client, model, run)
    r = api.post("model-versions/transition-stage",
                 {"name": model, "version": "1", "stage": "prod", "archive_existing_versions": False})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Invalid Model Version stage: prod.")
    # MLflow raises this one without a code: INTERNAL_ERROR / 500
    r = api.post("model-versions/transition-stage",
                 {"name": model, "version": "1", "stage": "none", "archive_existing_versions": True})
    assert_error(r, 500, "INTERNAL_ERROR", "is not an Active stage")
    r = api.post("model-versions/transition-stage",
                 {"name": model, "version": "5", "stage": "Staging", "archive_existing_versions": True})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


def test_soft_delete_and_numbers_never_reused(client, api, model, run):
    new_version(client, model, run)
    new_version(client, model, run)
    client.set_registered_model_alias(model, "champion", "2")
    client.delete_model_version(model, "2")
    assert_error(api.get("model-versions/get", {"name": model, "version": "2"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    assert client.get_registered_model(model).aliases == {}
    assert new_version(client, model, run).version == "3"
    found = client.search_model_versions("name='%s'" % model)
    assert sorted(m.version for m in found) == ["1", "3"]
    r = call(api, "DELETE", "model-versions/delete", {"name": model, "version": "2"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


# ------------------------------------------------------------------------------- aliases

def test_aliases(client, api, model, run):
    new_version(client, model, run)
    new_version(client, model, run)
    client.set_registered_model_alias(model, "champion", "1")
    client.set_registered_model_alias(model, "champion", "2")  # moves
    client.set_registered_model_alias(model, "challenger", "1")
    mv = client.get_model_version_by_alias(model, "champion")
    assert mv.version == "2" and mv.aliases == ["champion"]
    assert client.get_registered_model(model).aliases == {"champion": "2", "challenger": "1"}
    assert client.get_model_version(model, "1").aliases == ["challenger"]
    assert client.get_model_version_by_alias(model, "latest").version == "2"
    client.delete_registered_model_alias(model, "challenger")
    client.delete_registered_model_alias(model, "challenger")  # no-op
    r = api.get("registered-models/alias", {"name": model, "alias": "challenger"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Registered model alias challenger not found.")


def test_alias_validation(api, model, client, run):
    new_version(client, model, run)
    for alias, msg in [("latest", "'latest' alias name (case insensitive) is reserved."),
                       ("v3", "Version alias name 'v3' is reserved."),
                       ("bad alias", "Invalid alias name: 'bad alias'.")]:
        r = api.post("registered-models/alias", {"name": model, "alias": alias, "version": "1"})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE", msg)
    r = api.post("registered-models/alias", {"name": model, "alias": "ok", "version": "7"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    r = call(api, "DELETE", "registered-models/alias", {"name": rname(), "alias": "ok"})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


# ------------------------------------------------------------------- download uri & load

def test_download_uri_by_version_stage_alias(client, model, run):
    new_version(client, model, run, path="model")
    client.transition_model_version_stage(model, "1", "Production")
    client.set_registered_model_alias(model, "champion", "1")
    uri = client.get_model_version_download_uri(model, "1")
    rid = run.info.run_id
    if IS_MLTRACK:  # resolved to where the bytes are
        assert uri == "%s/model" % client.get_run(rid).info.artifact_uri
    else:
        assert uri == "runs:/%s/model" % rid
    assert client.get_latest_versions(model, ["Production"])[0].version == "1"
    assert client.get_model_version_by_alias(model, "champion").source == "runs:/%s/model" % rid


def test_mlflow_artifacts_source_inside_run_root(client, api, model, run):
    root = client.get_run(run.info.run_id).info.artifact_uri
    assert root.startswith("mlflow-artifacts:/")
    mv = client.create_model_version(model, root + "/model", run_id=run.info.run_id)
    assert client.get_model_version_download_uri(model, mv.version) == root + "/model"
    r = api.post("model-versions/create", {"name": model, "source": root + "/model"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "The run_id request parameter must identify")
    other = "mlflow-artifacts:/0/%s/artifacts/model" % uuid.uuid4().hex
    r = api.post("model-versions/create", {"name": model, "source": other, "run_id": run.info.run_id})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_local_source_inside_run_artifact_dir(client, api, tmp_path):
    exp = client.create_experiment(uname("local"), artifact_location="file://" + str(tmp_path))
    run = client.create_run(exp)
    art = run.info.artifact_uri
    assert art.startswith("file://")
    name = rname()
    client.create_registered_model(name)
    mv = client.create_model_version(name, art + "/model", run_id=run.info.run_id)
    assert mv.version == "1"
    for src in [art + "/../../etc", "file:///etc/passwd", str(tmp_path) + "/../x"]:
        r = api.post("model-versions/create", {"name": name, "source": src,
                                               "run_id": run.info.run_id})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE", "To use a local path as a model version source")


BAD_SOURCES = [
    "file:///etc/passwd", "file://./etc", "file://localhost/etc/passwd", "//proc/self/root",
    "/etc/passwd", "model", "./model", "", "runs:/RID/../../etc", "runs:/RID/%2e%2e/%2e%2e/etc",
    "runs:/RID/%252e%252e/x", "runs:/RID/..%2fx", "runs:/RID/model%00", "s3://bucket/a/../b",
    "mlflow-artifacts:/0/RID/artifacts/../../x", "mlflow-artifacts://evil.example/0/x",
    "http://evil.example/api/2.0/mlflow-artifacts/artifacts/x", "ftp://evil.example/x",
    "models:/m-0123456789abcdef0123456789abcdef", "s3://bucket",
]


@pytest.mark.parametrize("src", BAD_SOURCES)
def test_bad_sources_rejected(api, model, run, src):
    src = src.replace("RID", run.info.run_id)
    r = api.post("model-versions/create", {"name": model, "source": src, "run_id": run.info.run_id})
    assert r.status_code == 400, (src, r.text)
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_other_object_store_sources_accepted(client, model, run):
    mv = client.create_model_version(model, "s3://bucket/path/model", run_id=run.info.run_id)
    assert client.get_model_version_download_uri(model, mv.version) == "s3://bucket/path/model"


def test_run_of_another_tracking_store_accepted(client, api, model):
    """A run_id this tracking store does not hold (the model was trained against another
    server) registers as MLflow registers it (issue 12, item 2): only sources that must be
    checked against the run's artifacts need it to exist."""
    rid = uuid.uuid4().hex
    for src in ("runs:/%s/model" % rid, "s3://bucket/elsewhere/model", "gs://b/model"):
        r = api.post("model-versions/create", {"name": model, "source": src, "run_id": rid})
        assert r.status_code == 200, (src, r.text)
        mv = r.json()["model_version"]
        assert (mv["source"], mv["run_id"]) == (src, rid)
        assert client.get_model_version_download_uri(model, mv["version"]) == src
    for src in ("mlflow-artifacts:/0/%s/artifacts/model" % rid, "/tmp/%s/model" % rid,
                "runs:/%s/../../etc" % rid):
        r = api.post("model-versions/create", {"name": model, "source": src, "run_id": rid})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Invalid model version source")


def _logged_model(client, server, exp_id, run_id):
    """A logged model via the API when the server has it, else written into the database."""
    try:
        lm = client.create_logged_model(exp_id, name="model", source_run_id=run_id)
        return lm.model_id, lm.artifact_location
    except MlflowException:
        if not IS_MLTRACK:
            raise
    mid = "m-" + uuid.uuid4().hex
    loc = "mlflow-artifacts:/%s/models/%s/artifacts" % (exp_id, mid)
    now = int(time.time() * 1000)
    server.db_query("INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, "
                    "creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, "
                    "source_run_id) VALUES (?, ?, 'model', ?, ?, ?, 2, 'active', ?)",
                    (mid, int(exp_id), loc, now, now, run_id))
    return mid, loc


def test_models_source_of_logged_model(client, api, server, model, run):
    mid, loc = _logged_model(client, server, run.info.experiment_id, run.info.run_id)
    mv = client.create_model_version(model, "models:/%s" % mid, model_id=mid)
    assert mv.source == "models:/%s" % mid
    assert mv.run_id == run.info.run_id  # defaulted from the logged model
    assert client.get_model_version_download_uri(model, mv.version) == loc
    if IS_MLTRACK:
        ((tag,),) = server.db_query("SELECT tag_value FROM logged_model_tags WHERE model_id = ? "
                                    "AND tag_key = 'mlflow.modelVersions'", (mid,))
    else:
        tag = client.get_logged_model(mid).tags["mlflow.modelVersions"]
    assert tag == '[{"name": "%s", "version": 1}]' % model
    # models:/<id> with another model_id, or a runs:/ source with a model_id, are refused
    r = api.post("model-versions/create", {"name": model, "source": "models:/%s" % mid,
                                           "model_id": "m-other"})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")
    r = api.post("model-versions/create", {"name": model, "source": "runs:/%s/m" % run.info.run_id,
                                           "model_id": mid})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "The model_id request parameter")


def test_models_source_tag_writes_the_name_as_json_dumps(client, server, run):
    """The logged model's mlflow.modelVersions tag is json.dumps' text: a name outside ASCII
    is written with \\u escapes (a surrogate pair past the BMP)."""
    name = rname("mod\u00e8le-\U0001f680")
    client.create_registered_model(name)
    mid, _ = _logged_model(client, server, run.info.experiment_id, run.info.run_id)
    client.create_model_version(name, "models:/%s" % mid, model_id=mid)
    if IS_MLTRACK:
        ((tag,),) = server.db_query("SELECT tag_value FROM logged_model_tags WHERE model_id = ? "
                                    "AND tag_key = 'mlflow.modelVersions'", (mid,))
    else:
        tag = client.get_logged_model(mid).tags["mlflow.modelVersions"]
    assert tag == json.dumps([{"name": name, "version": 1}])
    assert "\\ud83d\\ude80" in tag


def test_models_source_of_registered_version(client, model, run):
    new_version(client, model, run)
    client.set_registered_model_alias(model, "champion", "1")
    copy = rname()
    client.create_registered_model(copy)
    mv = client.create_model_version(copy, "models:/%s@champion" % model)
    assert mv.source == "models:/%s/1" % model and mv.run_id == run.info.run_id
    assert client.get_model_version_download_uri(copy, "1") == \
        client.get_model_version_download_uri(model, "1")


# ------------------------------------------------------------------------------- search

def test_search_registered_models(client, api, run):
    base = rname("srch")
    names = [base + "-" + s for s in ("a", "b", "c")]
    for i, n in enumerate(names):
        client.create_registered_model(n, tags={"idx": str(i)})
    found = client.search_registered_models("name LIKE '%s-%%'" % base, order_by=["name DESC"])
    assert [m.name for m in found] == names[::-1]
    found = client.search_registered_models("tags.idx = '1' AND name LIKE '%s%%'" % base)
    assert [m.name for m in found] == [names[1]]
    page = client.search_registered_models("name LIKE '%s-%%'" % base, max_results=2)
    assert len(page) == 2 and page.token
    rest = client.search_registered_models("name LIKE '%s-%%'" % base, max_results=2,
                                           page_token=page.token)
    assert [m.name for m in rest] == [names[2]] and not rest.token
    r = api.get("registered-models/search", {"max_results": 1001})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "max_results")


def test_prompts_are_excluded_from_model_search(client, api):
    base = rname("pr")
    client.create_registered_model(base + "-model")
    api.ok_post("registered-models/create", {  # the client refuses to register prompts itself
        "name": base + "-prompt", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]})
    found = client.search_registered_models("name LIKE '%s%%'" % base)
    assert [m.name for m in found] == [base + "-model"]


def test_search_model_versions(client, api, model, run):
    for i in range(3):
        new_version(client, model, run, tags={"i": str(i)})
    found = client.search_model_versions("name = '%s'" % model, order_by=["version_number ASC"])
    assert [m.version for m in found] == ["1", "2", "3"]
    found = client.search_model_versions("name = '%s' AND tags.i = '2'" % model)
    assert [m.version for m in found] == ["3"]
    found = client.search_model_versions("run_id = '%s'" % run.info.run_id)
    assert len(found) == 3
    found = client.search_model_versions("name = '%s' AND version_number > 1" % model,
                                         max_results=1, order_by=["version_number DESC"])
    assert [m.version for m in found] == ["3"] and found.token
    r = api.get("model-versions/search", {"max_results": 0})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "It must be a positive integer")


# --------------------------------------------------------------------------- concurrency

@pytest.mark.slow
def test_concurrent_create_model_version_numbers_are_unique(base_url, client, model, run):
    rid = run.info.run_id
    results, errors = [], []

    def worker():
        s = requests.Session()
        for _ in range(10):
            r = s.post(base_url + "/api/2.0/mlflow/model-versions/create",
                       json={"name": model, "source": "runs:/%s/model" % rid, "run_id": rid},
                       timeout=120)
            if r.status_code == 200:
                results.append(int(r.json()["model_version"]["version"]))
            else:
                errors.append(r.text)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == list(range(1, 81))
    found = client.search_model_versions("name = '%s'" % model)
    assert sorted(int(m.version) for m in found) == list(range(1, 81))


# ------------------------------------------------------------------------- audit (ours)

@pytest.mark.mltrack_only(reason="the registry audit log is mltrack's own endpoint")
def test_audit_log(client, api, model, run):
    new_version(client, model, run)
    new_version(client, model, run)
    api.ok_post("model-versions/transition-stage", {"name": model, "version": "1",
                                                    "stage": "Production", "user_id": "ci-bot",
                                                    "archive_existing_versions": False})
    client.transition_model_version_stage(model, "2", "Production", archive_existing_versions=True)
    client.set_registered_model_alias(model, "champion", "2")
    client.set_registered_model_alias(model, "champion", "1")
    client.delete_registered_model_alias(model, "champion")
    body = api.ok_get("/api/2.0/mltrack/registry/audit", {"name": model})
    ev = [(e["action"], e["version"], e["alias"], e["old_value"], e["new_value"], e["user_id"])
          for e in body["events"]]
    assert ev == [
        ("transition_stage", "1", None, "None", "Production", "ci-bot"),
        ("transition_stage", "1", None, "Production", "Archived", None),
        ("transition_stage", "2", None, "None", "Production", None),
        ("set_alias", "2", "champion", None, "2", None),
        ("set_alias", "1", "champion", "2", "1", None),
        ("delete_alias", "1", "champion", "1", None, None),
    ]
    assert all(isinstance(e["timestamp"], int) and e["name"] == model for e in body["events"])
    assert "next_page_token" not in body
    page = api.ok_get("/ajax-api/2.0/mltrack/registry/audit", {"name": model, "max_results": 4})
    assert len(page["events"]) == 4 and page["next_page_token"]
    rest = api.ok_get("/api/2.0/mltrack/registry/audit",
                      {"name": model, "max_results": 4, "page_token": page["next_page_token"]})
    assert len(rest["events"]) == 2 and "next_page_token" not in rest
    # the history follows a rename
    client.rename_registered_model(model, model + "-r")
    assert len(api.ok_get("/api/2.0/mltrack/registry/audit", {"name": model + "-r"})["events"]) == 6
    r = api.get("/api/2.0/mltrack/registry/audit", {"max_results": 0})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE")


def test_names_with_url_special_characters(client, api, run):
    """A name travels percent-encoded in GET queries and raw in JSON bodies: one model."""
    name = rname("odd name + 100%&x=ü")
    client.create_registered_model(name)
    assert client.get_registered_model(name).name == name
    new_version(client, name, run)
    client.set_registered_model_alias(name, "champion", "1")
    assert client.get_model_version_by_alias(name, "champion").name == name
    assert client.get_model_version_download_uri(name, "1")
    body = api.ok_get("registered-models/get", {"name": name})
    assert body["registered_model"]["name"] == name
    r = api.s.get(api.url("registered-models/get") + "?name=" + requests.utils.quote(name, safe=""))
    assert r.status_code == 200 and r.json()["registered_model"]["name"] == name
