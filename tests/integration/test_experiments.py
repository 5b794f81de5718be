"""Experiments: create / get / get-by-name / update (rename) / delete / restore / search,
experiment tags, the Default experiment. Reference: mlflow-api.md §2.1 #1-9, §3, §4.3, §4.7."""
import os
import re
import time

import pytest
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

from conftest import assert_error, uname


def err_code(excinfo):
    return excinfo.value.error_code


# --------------------------------------------------------------------------- create / get

def test_create_get_roundtrip(client, api):
    name = uname("exp")
    before = int(time.time() * 1000) - 1000
    eid = client.create_experiment(name, tags={"team": "a", "k2": "v2"})
    assert isinstance(eid, str) and eid.isdigit()
    e = client.get_experiment(eid)
    assert e.experiment_id == eid
    assert e.name == name
    assert e.lifecycle_stage == "active"
    assert e.tags == {"team": "a", "k2": "v2"}
    # Server runs with serve-artifacts on and no --default-artifact-root.
    assert e.artifact_location == "mlflow-artifacts:/%s" % eid
    assert before <= e.creation_time <= int(time.time() * 1000) + 1000
    assert e.last_update_time == e.creation_time
    by_name = client.get_experiment_by_name(name)
    assert by_name.experiment_id == eid and by_name.tags == e.tags
    # Raw shape: ids are JSON strings, times JSON numbers.
    body = api.ok_get("experiments/get", {"experiment_id": eid})["experiment"]
    assert body["experiment_id"] == eid
    assert isinstance(body["creation_time"], int) and isinstance(body["last_update_time"], int)
    assert body["lifecycle_stage"] == "active"
    assert sorted(body["tags"], key=lambda t: t["key"]) == [
        {"key": "k2", "value": "v2"}, {"key": "team", "value": "a"}]


def test_experiment_ids_increase(client):
    a = int(client.create_experiment(uname()))
    b = int(client.create_experiment(uname()))
    assert b > a > 0


def test_create_with_artifact_location_kept_verbatim(client, tmp_path):
    loc = "file://" + str(tmp_path / "somewhere")
    eid = client.create_experiment(uname(), artifact_location=loc)
    assert client.get_experiment(eid).artifact_location == loc


@pytest.mark.parametrize("given,want", [
    ("rel/dir", "{cwd}/rel/dir"),
    ("./a//b/./c/", "{cwd}/a/b/c"),
    ("../up", "{cwd}/../up"),
    ("my%20dir", "{cwd}/my dir"),
    ("file:rel2", "file://{cwd}/rel2"),
    ("file:./rel3?x=1", "file://{cwd}/rel3?x=1"),
    ("/abs/dir", "/abs/dir"),
    ("file:///abs/%20x", "file:///abs/%20x"),
    ("s3://bucket/rel", "s3://bucket/rel"),
])
def test_create_with_relative_artifact_location_resolves_it(api, server, given, want):
    """A relative local artifact_location is made absolute against the server's working
    directory, as MLflow's store does (resolve_uri_if_local; issue 12, item 4)."""
    eid = api.ok_post("experiments/create", {"name": uname(), "artifact_location": given})
    got = api.ok_get("experiments/get", {"experiment_id": eid["experiment_id"]})
    cwd = os.path.realpath(server.workdir)
    assert got["experiment"]["artifact_location"] == want.format(cwd=cwd)


def test_create_duplicate_name_is_resource_already_exists_http_400(client, api):
    name = uname()
    client.create_experiment(name)
    with pytest.raises(MlflowException) as ei:
        client.create_experiment(name)
    assert err_code(ei) == "RESOURCE_ALREADY_EXISTS"
    r = api.post("experiments/create", {"name": name})
    assert_error(r, 400, "RESOURCE_ALREADY_EXISTS")


def test_deleted_experiment_keeps_its_name(client, api):
    name = uname()
    eid = client.create_experiment(name)
    client.delete_experiment(eid)
    assert_error(api.post("experiments/create", {"name": name}), 400, "RESOURCE_ALREADY_EXISTS")
    # get-by-name still finds it, as deleted.
    e = client.get_experiment_by_name(name)
    assert e is not None and e.experiment_id == eid and e.lifecycle_stage == "deleted"


@pytest.mark.parametrize("body,fragment", [
    ({}, "Missing value for required parameter 'name'"),
    ({"name": ""}, "Missing value for required parameter 'name'"),
    ({"name": "x" * 501}, "exceeds the maximum length of 500"),
    ({"name": 5}, "Invalid value 5 for parameter 'name'"),
    ({"name": uname(), "artifact_location": "runs:/abc/def"}, "runs:/"),
    ({"name": uname(), "artifact_location": "/tmp/a#frag"}, "fragments"),
    ({"name": uname(), "tags": [{"key": "../k", "value": "v"}]}, None),
])
def test_create_invalid(api, body, fragment):
    assert_error(api.post("experiments/create", body), 400, "INVALID_PARAMETER_VALUE", fragment)


def test_create_name_of_500_chars_ok(client, backend):
    name = uname()
    name = name + "n" * (500 - len(name))
    if backend == "postgres":
        # experiments.name is VARCHAR(256) in MLflow's schema; PostgreSQL enforces it and MLflow
        # answers the DataError with BAD_REQUEST (SQLite stores the long name).
        with pytest.raises(MlflowException) as ei:
            client.create_experiment(name)
        assert err_code(ei) == "BAD_REQUEST"
        return
    eid = client.create_experiment(name)
    assert client.get_experiment(eid).name == name


def test_get_missing_and_malformed_ids(client, api):
    with pytest.raises(MlflowException) as ei:
        client.get_experiment("987654321")
    assert err_code(ei) == "RESOURCE_DOES_NOT_EXIST"
    assert_error(api.get("experiments/get", {"experiment_id": "987654321"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    # Non-numeric id: a 4xx, never a 5xx from an int cast.
    assert_error(api.get("experiments/get", {"experiment_id": "abc"}), 400,
                 "INVALID_PARAMETER_VALUE", "must be a valid integer")
    assert_error(api.get("experiments/get", {}), 400, "INVALID_PARAMETER_VALUE",
                 "Missing value for required parameter 'experiment_id'")


def test_get_by_name_missing(client, api):
    assert client.get_experiment_by_name(uname("missing")) is None
    r = api.get("experiments/get-by-name", {"experiment_name": uname("missing")})
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.get("experiments/get-by-name", {}), 400, "INVALID_PARAMETER_VALUE")


def test_default_experiment_zero(client, api):
    e = client.get_experiment("0")
    assert e.name == "Default"
    assert e.artifact_location == "mlflow-artifacts:/0"
    assert client.get_experiment_by_name("Default").experiment_id == "0"
    assert api.ok_get("experiments/get", {"experiment_id": "0"})["experiment"]["experiment_id"] == "0"


def test_fresh_database_has_only_default(fresh_server):
    from mlflow.tracking import MlflowClient
    c = MlflowClient(fresh_server.url)
    exps = c.search_experiments(view_type=ViewType.ALL)
    assert [(e.experiment_id, e.name, e.lifecycle_stage) for e in exps] == [("0", "Default", "active")]
    assert c.search_runs(["0"]) == []
    # First user experiment gets id "1".
    assert c.create_experiment("first") == "1"


# --------------------------------------------------------------------------- rename

def test_rename(client):
    old = uname("old")
    eid = client.create_experiment(old)
    before = client.get_experiment(eid)
    time.sleep(0.01)
    new = uname("new")
    client.rename_experiment(eid, new)
    after = client.get_experiment(eid)
    assert after.name == new
    assert after.creation_time == before.creation_time
    assert after.last_update_time > before.last_update_time
    assert client.get_experiment_by_name(old) is None
    assert client.get_experiment_by_name(new).experiment_id == eid


def test_rename_to_existing_name_rejected(client, api):
    a, b = uname(), uname()
    client.create_experiment(a)
    eid = client.create_experiment(b)
    r = api.post("experiments/update", {"experiment_id": eid, "new_name": a})
    # MLflow 3.17 answers 400 BAD_REQUEST with the SQL IntegrityError text; any 400 that refuses
    # is fine, a 5xx or success is not.
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] in ("BAD_REQUEST", "RESOURCE_ALREADY_EXISTS", "INVALID_PARAMETER_VALUE")
    assert client.get_experiment(eid).name == b


def test_rename_missing_new_name(api, exp_id):
    assert_error(api.post("experiments/update", {"experiment_id": exp_id, "new_name": ""}), 400,
                 "INVALID_PARAMETER_VALUE", "new_name")


def test_rename_deleted_experiment_is_invalid_state(client, api):
    eid = client.create_experiment(uname())
    client.delete_experiment(eid)
    r = api.post("experiments/update", {"experiment_id": eid, "new_name": uname()})
    # MLflow raises INVALID_STATE, which its status table maps to HTTP 500 (and the client then
    # retries 500s). The error code is what the client surfaces; accept 400 too so mltrack may
    # avoid a retried 5xx for a permanent error.
    assert r.status_code in (400, 500), r.text
    assert r.json()["error_code"] == "INVALID_STATE", r.text


def test_rename_missing_experiment(api):
    assert_error(api.post("experiments/update", {"experiment_id": "987654321", "new_name": uname()}),
                 404, "RESOURCE_DOES_NOT_EXIST")


# --------------------------------------------------------------------------- delete / restore

def test_delete_restore_cascades_to_runs(client):
    eid = client.create_experiment(uname())
    r1 = client.create_run(eid).info.run_id
    r2 = client.create_run(eid).info.run_id
    client.delete_run(r2)
    before = client.get_experiment(eid).last_update_time
    time.sleep(0.01)
    client.delete_experiment(eid)
    e = client.get_experiment(eid)
    assert e.lifecycle_stage == "deleted"
    assert e.last_update_time > before
    assert client.get_run(r1).info.lifecycle_stage == "deleted"
    assert client.search_runs([eid], run_view_type=ViewType.ACTIVE_ONLY) == []
    assert {r.info.run_id for r in client.search_runs([eid], run_view_type=ViewType.DELETED_ONLY)} == {r1, r2}
    client.restore_experiment(eid)
    assert client.get_experiment(eid).lifecycle_stage == "active"
    assert client.get_run(r1).info.lifecycle_stage == "active"
    # MLflow restores every run of the experiment, including one deleted on its own before.
    assert {r.info.run_id for r in client.search_runs([eid])} == {r1, r2}


def test_delete_twice_and_restore_active_are_not_found(client, api):
    eid = client.create_experiment(uname())
    # Restoring an active experiment: MLflow answers 404 (it looks for a deleted one).
    assert_error(api.post("experiments/restore", {"experiment_id": eid}), 404, "RESOURCE_DOES_NOT_EXIST")
    client.delete_experiment(eid)
    # Deleting an already deleted experiment: 404 as well.
    assert_error(api.post("experiments/delete", {"experiment_id": eid}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.post("experiments/delete", {"experiment_id": "987654321"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    assert_error(api.post("experiments/delete", {}), 400, "INVALID_PARAMETER_VALUE")


def test_client_refuses_deleted_experiment_for_new_runs(client, tracking):
    name = uname()
    eid = client.create_experiment(name)
    client.delete_experiment(eid)
    with pytest.raises(MlflowException):
        tracking.set_experiment(name)
    # The server refuses too.
    with pytest.raises(MlflowException) as ei:
        client.create_run(eid)
    assert err_code(ei) == "INVALID_PARAMETER_VALUE"


# --------------------------------------------------------------------------- tags

def test_set_and_delete_experiment_tag(client, api, exp_id):
    client.set_experiment_tag(exp_id, "k", "v1")
    client.set_experiment_tag(exp_id, "k", "v2")  # upsert
    client.set_experiment_tag(exp_id, "other", "")
    assert client.get_experiment(exp_id).tags == {"k": "v2", "other": ""}
    client.delete_experiment_tag(exp_id, "k")
    assert client.get_experiment(exp_id).tags == {"other": ""}
    with pytest.raises(MlflowException) as ei:
        client.delete_experiment_tag(exp_id, "k")
    assert err_code(ei) == "RESOURCE_DOES_NOT_EXIST"
    assert_error(api.post("experiments/delete-experiment-tag", {"experiment_id": exp_id, "key": "nope"}),
                 404, "RESOURCE_DOES_NOT_EXIST")


def test_experiment_tag_on_deleted_experiment(client, api):
    eid = client.create_experiment(uname(), tags={"a": "1"})
    client.delete_experiment(eid)
    assert_error(api.post("experiments/set-experiment-tag", {"experiment_id": eid, "key": "k", "value": "v"}),
                 400, "INVALID_PARAMETER_VALUE", "must be in the 'active' state")


def test_experiment_tag_validation(api, exp_id):
    assert_error(api.post("experiments/set-experiment-tag", {"experiment_id": exp_id, "value": "v"}),
                 400, "INVALID_PARAMETER_VALUE", "key")
    assert_error(api.post("experiments/set-experiment-tag", {"experiment_id": "987654321", "key": "k",
                                                             "value": "v"}),
                 404, "RESOURCE_DOES_NOT_EXIST")


# --------------------------------------------------------------------------- search

@pytest.fixture(scope="module")
def search_set(base_url):
    """Five experiments sharing a unique tag; the last one deleted."""
    from mlflow.tracking import MlflowClient
    c = MlflowClient(base_url)
    grp = uname("grp")
    ids = []
    for i in range(5):
        ids.append(c.create_experiment("%s-%d" % (grp, i), tags={"grp": grp, "i": str(i)}))
        time.sleep(0.005)  # distinct creation_time
    c.delete_experiment(ids[4])
    return grp, ids


def names(exps):
    return [e.name for e in exps]


def test_search_name_filters(client, search_set):
    grp, ids = search_set
    assert set(names(client.search_experiments(filter_string="name LIKE '%s-%%'" % grp))) == \
        {"%s-%d" % (grp, i) for i in range(4)}
    assert names(client.search_experiments(filter_string="name = '%s-2'" % grp)) == ["%s-2" % grp]
    assert names(client.search_experiments(filter_string="name ILIKE '%s-3'" % grp.upper())) == ["%s-3" % grp]
    # LIKE is case-sensitive.
    assert client.search_experiments(filter_string="name LIKE '%s-3'" % grp.upper()) == []
    got = names(client.search_experiments(filter_string="name != '%s-1' and tags.grp = '%s'" % (grp, grp)))
    assert sorted(got) == ["%s-%d" % (grp, i) for i in (0, 2, 3)]


def test_search_default_order_is_creation_time_desc(client, search_set):
    grp, ids = search_set
    assert names(client.search_experiments(filter_string="tags.grp = '%s'" % grp)) == \
        ["%s-%d" % (grp, i) for i in (3, 2, 1, 0)]


def test_search_tag_filters_and_order(client, search_set):
    grp, ids = search_set
    got = names(client.search_experiments(filter_string="tags.grp = '%s' and tags.i != '2'" % grp,
                                          order_by=["name DESC"]))
    assert got == ["%s-%d" % (grp, i) for i in (3, 1, 0)]
    got = names(client.search_experiments(filter_string="tag.i LIKE '1%%' and attribute.name LIKE '%s%%'" % grp))
    assert got == ["%s-1" % grp]
    got = names(client.search_experiments(filter_string="tags.`grp` ILIKE '%s' and tags.i = '0'" % grp.upper()))
    assert got == ["%s-0" % grp]
    got = names(client.search_experiments(filter_string="tags.grp = '%s'" % grp,
                                          order_by=["experiment_id ASC"]))
    assert got == ["%s-%d" % (grp, i) for i in range(4)]


def test_search_time_filters(client, search_set):
    grp, ids = search_set
    e2 = client.get_experiment(ids[2])
    got = names(client.search_experiments(
        filter_string="tags.grp = '%s' and creation_time >= %d" % (grp, e2.creation_time),
        order_by=["creation_time ASC"]))
    assert got == ["%s-2" % grp, "%s-3" % grp]
    got = names(client.search_experiments(
        filter_string="tags.grp = '%s' and creation_time < %d" % (grp, e2.creation_time),
        order_by=["last_update_time"]))
    assert got == ["%s-0" % grp, "%s-1" % grp]


def test_search_view_type(client, search_set):
    grp, ids = search_set
    f = "tags.grp = '%s'" % grp
    assert len(client.search_experiments(filter_string=f)) == 4
    assert names(client.search_experiments(filter_string=f, view_type=ViewType.DELETED_ONLY)) == ["%s-4" % grp]
    assert len(client.search_experiments(filter_string=f, view_type=ViewType.ALL)) == 5


def test_search_paging(client, search_set):
    grp, ids = search_set
    f = "tags.grp = '%s'" % grp
    seen, token, pages = [], None, 0
    while True:
        page = client.search_experiments(filter_string=f, max_results=2, order_by=["name"],
                                         page_token=token, view_type=ViewType.ALL)
        pages += 1
        seen += names(page)
        token = page.token
        if not token:
            break
        assert pages < 10
    assert seen == ["%s-%d" % (grp, i) for i in range(5)]
    # Experiments fetch max+1: an exactly-full last page carries no token.
    assert pages == 3
    page = client.search_experiments(filter_string=f, max_results=4, order_by=["name"])
    assert len(page) == 4 and not page.token


def test_search_get_and_post(api, search_set):
    grp, ids = search_set
    f = "tags.grp = '%s'" % grp
    g = api.ok_get("experiments/search", {"filter": f, "max_results": 10, "view_type": "ALL",
                                          "order_by": ["name DESC"]})
    p = api.ok_post("experiments/search", {"filter": f, "max_results": 10, "view_type": "ALL",
                                           "order_by": ["name DESC"]})
    assert [e["name"] for e in g["experiments"]] == ["%s-%d" % (grp, i) for i in (4, 3, 2, 1, 0)]
    assert g == p
    assert "next_page_token" not in g
    # Enum as number (3 = ALL) over GET.
    n = api.ok_get("experiments/search", {"filter": f, "max_results": 10, "view_type": "3"})
    assert len(n["experiments"]) == 5
    # Empty result: `{}`, experiments omitted.
    assert api.ok_post("experiments/search", {"filter": "name = '%s'" % uname("none"),
                                              "max_results": 5}) == {}


@pytest.mark.parametrize("body,fragment", [
    ({}, "max_results"),  # the reference store rejects 0/absent
    ({"max_results": 0}, "max_results"),
    ({"max_results": 50001}, "max_results"),
    ({"max_results": 1, "page_token": "garbage!"}, None),
    ({"max_results": 1, "filter": "foo = 'x'"}, "Invalid attribute key 'foo'"),
    ({"max_results": 1, "filter": "name = 'x' OR name = 'y'"}, None),
    ({"max_results": 1, "order_by": ["bogus"]}, None),
    ({"max_results": 1, "filter": "creation_time = 'abc'"}, None),
    # Only 'attribute' (singular) is an experiment entity; 'attributes.' is rejected.
    ({"max_results": 1, "filter": "attributes.name = 'x'"}, "Invalid entity type 'attributes'"),
    ({"max_results": 1, "filter": "name IN ('a')"}, None),
    ({"max_results": 1, "filter": "tags.k IN ('a')"}, None),
])
def test_search_invalid(api, body, fragment):
    assert_error(api.post("experiments/search", body), 400, "INVALID_PARAMETER_VALUE", fragment)


def test_search_max_results_50000_ok(api):
    assert api.post("experiments/search", {"max_results": 50000, "filter": "name = 'x-none'"}).status_code == 200


def test_page_token_is_opaque_but_stable(client, search_set):
    """Re-using a token returns the same page."""
    grp, _ = search_set
    f = "tags.grp = '%s'" % grp
    p1 = client.search_experiments(filter_string=f, max_results=1, order_by=["name"])
    a = client.search_experiments(filter_string=f, max_results=1, order_by=["name"], page_token=p1.token)
    b = client.search_experiments(filter_string=f, max_results=1, order_by=["name"], page_token=p1.token)
    assert names(a) == names(b) == ["%s-1" % grp]
    assert re.fullmatch(r"[\x21-\x7e]+", p1.token)
