"""Artifacts of every location the server can reach (issue 12, item 1), as `mlflow server` serves
them: deployments whose artifact root is a local path, a file:// URI, s3://... (clients write to
the bucket themselves, the server reads it with its own credentials) or an http(s) URI through
the mlflow-artifacts proxy. The real client writes the files wherever the location says; the
server's routes (artifacts/list over REST and ajax, get-artifact, upload-artifact, the logged
model and model version artifact routes) must then list, serve and accept them. Path validation
comes first on every route: a bad path is "Invalid path" (400) even for a run that does not
exist."""
import os
import urllib.parse

import pytest
import requests

from mlflow.tracking import MlflowClient

from conftest import IS_MLTRACK, Server, assert_error, backend_uri_for, uname, write_tree
from s3moto import S3Server, moto_fixture, s3_env

SAMPLE = {
    "a.txt": b"alpha\n",
    "empty.bin": b"",
    "sub/b.json": b'{"b": 1}',
    "sub/deeper/c.csv": b"x,y\n1,2\n",
    "with space/file name.txt": b"spaces",
    "ünïcødé/données €.txt": "unicode ✓".encode(),
    "MLmodel": b"flavors: {}\n",
}
ROUTE_PATHS = ("../x", "a/../../x", "/etc/passwd", "%2e%2e/x", "file:///etc/passwd")


def files_of(body):
    return {f["path"]: (f["is_dir"], f.get("file_size")) for f in body.get("files", [])}


def expected_listing(tree, sub=""):
    """What artifacts/list answers for directory sub of a tree {path: bytes}."""
    out = {}
    pre = sub + "/" if sub else ""
    for rel, data in tree.items():
        if not rel.startswith(pre):
            continue
        head, _, rest = rel[len(pre):].partition("/")
        out[pre + head] = (True, None) if rest else (False, len(data) or None)
    return out


def get(base, path, params):
    return requests.get(base + path, params=params, timeout=60)


def check_run_served(base, rid, tree):
    """The server lists and serves the run's files (REST and ajax), paths sorted as MLflow's
    repositories sort them."""
    for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
        for sub in ("", "sub", "sub/deeper", "ünïcødé"):
            params = {"run_id": rid}
            if sub:
                params["path"] = sub
            r = get(base, prefix + "/artifacts/list", params)
            assert r.status_code == 200, (sub, r.text)
            assert files_of(r.json()) == expected_listing(tree, sub), sub
            paths = [f["path"] for f in r.json().get("files", [])]
            assert paths == sorted(paths), paths
        r = get(base, prefix + "/artifacts/list", {"run_id": rid, "path": "nope"})
        assert r.status_code == 200 and "files" not in r.json(), r.text
    for rel, data in tree.items():
        r = get(base, "/get-artifact", {"run_uuid": rid, "path": rel})
        assert r.status_code == 200 and r.content == data, (rel, r.status_code, r.text[:200])
        assert r.headers["Content-Disposition"].startswith("attachment")
    r = get(base, "/get-artifact", {"run_uuid": rid, "path": "sub/missing.txt"})
    assert r.status_code != 200
    if IS_MLTRACK:  # MLflow: 404 from a local directory, 500 from S3
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


def ui_upload(base, rid, path, data):
    return requests.post(base + "/ajax-api/2.0/mlflow/upload-artifact",
                         params={"run_uuid": rid, "path": path}, data=data, timeout=60)


def check_invalid_paths_first(base):
    """Every artifact route validates its path before it looks anything up."""
    ghost_run, ghost_model = "0" * 32, "m-" + "0" * 32
    for bad in ROUTE_PATHS:
        for r in (get(base, "/api/2.0/mlflow/artifacts/list", {"run_id": ghost_run, "path": bad}),
                  get(base, "/ajax-api/2.0/mlflow/artifacts/list",
                      {"run_id": ghost_run, "path": bad}),
                  get(base, "/get-artifact", {"run_uuid": ghost_run, "path": bad}),
                  ui_upload(base, ghost_run, bad, b"x"),
                  get(base, "/model-versions/get-artifact",
                      {"name": "no-such-model", "version": "1", "path": bad}),
                  get(base, "/ajax-api/2.0/mlflow/logged-models/%s/artifacts/files" % ghost_model,
                      {"artifact_file_path": bad}),
                  get(base, "/ajax-api/2.0/mlflow/logged-models/%s/artifacts/directories"
                      % ghost_model, {"artifact_directory_path": bad})):
            assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Invalid path")


def check_model_routes(base, client, exp_id, tmp_path):
    """A logged model's files, written by the client to the model's own location, through the
    logged model routes, and through a model version registered from it."""
    model = client.create_logged_model(exp_id, name="loc-model")
    src = tmp_path / "model"
    write_tree(str(src), {"MLmodel": b"flavors: {}\n", "data/w.bin": b"\x00\x01\x02"})
    client.log_model_artifacts(model.model_id, str(src))
    lm = "/ajax-api/2.0/mlflow/logged-models/%s/artifacts" % model.model_id
    r = get(base, lm + "/directories", {})
    assert r.status_code == 200, r.text
    assert r.json()["root_uri"] == model.artifact_location
    assert files_of(r.json()) == {"MLmodel": (False, 12), "data": (True, None)}
    r = get(base, lm + "/directories", {"artifact_directory_path": "data"})
    assert files_of(r.json()) == {"data/w.bin": (False, 3)}
    r = get(base, lm + "/files", {"artifact_file_path": "data/w.bin"})
    assert r.status_code == 200 and r.content == b"\x00\x01\x02", r.text[:200]
    name = uname("locmv")
    client.create_registered_model(name)
    mv = client.create_model_version(name, "models:/%s" % model.model_id, model_id=model.model_id)
    r = get(base, "/model-versions/get-artifact",
            {"name": name, "version": mv.version, "path": "MLmodel"})
    assert r.status_code == 200 and r.content == b"flavors: {}\n", r.text[:200]
    assert r.headers["Content-Type"] == "text/plain"


# ---- a local directory as the default artifact root ----------------------------------------

@pytest.fixture(scope="module")
def local_server(tmp_path_factory, backend):
    work = tmp_path_factory.mktemp("localroot")
    root = str(work / "artifact root")
    s = Server(str(work), backend_uri=backend_uri_for(backend),
               extra_args=["--default-artifact-root", root]).start()
    s.root = root
    yield s
    s.check_clean_exit()


@pytest.fixture
def local_client(local_server):
    return MlflowClient(tracking_uri=local_server.url)


def test_local_root_served(local_server, local_client, tmp_path):
    c = local_client
    eid = c.create_experiment(uname("loc"))
    assert c.get_experiment(eid).artifact_location == os.path.join(local_server.root, eid)
    rid = c.create_run(eid).info.run_id
    src = tmp_path / "src"
    write_tree(str(src), SAMPLE)
    c.log_artifacts(rid, str(src))  # the client writes into the directory itself
    run_dir = os.path.join(local_server.root, eid, rid, "artifacts")
    assert os.path.isfile(os.path.join(run_dir, "sub", "b.json"))
    check_run_served(local_server.url, rid, SAMPLE)

    r = ui_upload(local_server.url, rid, "ui/up.txt", b"from the ui")
    assert r.status_code == 200, r.text
    with open(os.path.join(run_dir, "ui", "up.txt"), "rb") as f:
        assert f.read() == b"from the ui"


def test_local_root_of_a_run_without_files(local_server, local_client):
    """Listing a run whose directory does not exist yet is empty, and creates nothing."""
    eid = local_client.create_experiment(uname("loc-empty"))
    rid = local_client.create_run(eid).info.run_id
    r = get(local_server.url, "/api/2.0/mlflow/artifacts/list", {"run_id": rid})
    assert r.status_code == 200 and "files" not in r.json(), r.text
    assert not os.path.exists(os.path.join(local_server.root, eid, rid))
    r = get(local_server.url, "/get-artifact", {"run_uuid": rid, "path": "x.txt"})
    assert 400 <= r.status_code < 500


def test_file_uri_location_served(local_server, local_client, tmp_path):
    root = tmp_path / "file root"
    root.mkdir()
    loc = "file://" + urllib.parse.quote(str(root))
    eid = local_client.create_experiment(uname("fileuri"), artifact_location=loc)
    rid = local_client.create_run(eid).info.run_id
    src = tmp_path / "src"
    write_tree(str(src), SAMPLE)
    local_client.log_artifacts(rid, str(src))
    assert os.path.isfile(os.path.join(str(root), rid, "artifacts", "a.txt"))
    check_run_served(local_server.url, rid, SAMPLE)


def test_local_root_stays_inside_the_run(local_server, local_client, tmp_path):
    """Traversal is refused and a symlink planted in the run's directory is not followed."""
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"SECRET-OUTSIDE")
    eid = local_client.create_experiment(uname("loc-jail"))
    rid = local_client.create_run(eid).info.run_id
    run_dir = os.path.join(local_server.root, eid, rid, "artifacts")
    os.makedirs(run_dir)
    os.symlink(str(outside), os.path.join(run_dir, "link.txt"))
    r = get(local_server.url, "/get-artifact", {"run_uuid": rid, "path": "link.txt"})
    assert r.status_code != 200 and b"SECRET-OUTSIDE" not in r.content
    for bad in ("../../../outside.txt", "../" + rid + "/artifacts/../../x"):
        r = get(local_server.url, "/get-artifact", {"run_uuid": rid, "path": bad})
        assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Invalid path")


def test_local_root_logged_model_and_model_version(local_server, local_client, tmp_path):
    eid = local_client.create_experiment(uname("loc-model"))
    check_model_routes(local_server.url, local_client, eid, tmp_path)


def test_invalid_path_first_on_every_route(local_server):
    check_invalid_paths_first(local_server.url)


@pytest.mark.mltrack_only(reason="MLflow has no gs:// client installed here and answers 500; "
                                 "mltrack says which locations it can reach")
def test_unreachable_location_is_not_implemented(local_server, local_client):
    eid = local_client.create_experiment(uname("gs"), artifact_location="gs://bucket/x")
    rid = local_client.create_run(eid).info.run_id
    r = get(local_server.url, "/api/2.0/mlflow/artifacts/list", {"run_id": rid})
    assert_error(r, 501, "NOT_IMPLEMENTED", "gs://bucket/x")
    r = get(local_server.url, "/get-artifact", {"run_uuid": rid, "path": "a.txt"})
    assert_error(r, 501, "NOT_IMPLEMENTED")


# ---- an http(s) URI through this server's proxy as the default artifact root ---------------

@pytest.fixture(scope="module")
def http_server(tmp_path_factory):
    work = tmp_path_factory.mktemp("httproot")
    s = Server(str(work))
    s.root = "%s/api/2.0/mlflow-artifacts/artifacts/via-http" % s.url
    s.extra_args = ["--default-artifact-root", s.root]
    s.start()
    yield s
    s.check_clean_exit()


def test_http_proxy_root_served(http_server, tmp_path):
    c = MlflowClient(tracking_uri=http_server.url)
    eid = c.create_experiment(uname("http"))
    assert c.get_experiment(eid).artifact_location == http_server.root + "/" + eid
    rid = c.create_run(eid).info.run_id
    src = tmp_path / "src"
    write_tree(str(src), SAMPLE)
    c.log_artifacts(rid, str(src))  # PUTs through the proxy
    on_disk = os.path.join(http_server.artifacts, "via-http", eid, rid, "artifacts")
    assert os.path.isfile(os.path.join(on_disk, "sub", "deeper", "c.csv"))
    check_run_served(http_server.url, rid, SAMPLE)
    check_model_routes(http_server.url, c, eid, tmp_path)


@pytest.mark.mltrack_only(reason="MLflow's upload-artifact puts a proxied upload at "
                                 "<exp>/<run>/artifacts under the destination whatever the run's "
                                 "root is, so a run rooted below via-http/ never lists it; mltrack "
                                 "writes into the run's root")
def test_http_proxy_root_ui_upload(http_server):
    c = MlflowClient(tracking_uri=http_server.url)
    eid = c.create_experiment(uname("http-up"))
    rid = c.create_run(eid).info.run_id
    r = ui_upload(http_server.url, rid, "ui/up.txt", b"up")
    assert r.status_code == 200, r.text
    on_disk = os.path.join(http_server.artifacts, "via-http", eid, rid, "artifacts")
    with open(os.path.join(on_disk, "ui", "up.txt"), "rb") as f:
        assert f.read() == b"up"
    r = get(http_server.url, "/api/2.0/mlflow/artifacts/list", {"run_id": rid, "path": "ui"})
    assert files_of(r.json()) == {"ui/up.txt": (False, 2)}


# ---- s3:// as the default artifact root, without the proxy ---------------------------------

BUCKET = "mltrack-roots"


moto = moto_fixture(BUCKET)


@pytest.fixture(scope="module")
def s3_root_server(moto, tmp_path_factory, backend):
    s = S3Server(str(tmp_path_factory.mktemp("s3root")), None, s3_env(moto),
                 backend_uri=backend_uri_for(backend),
                 extra_args=["--default-artifact-root", "s3://%s/roots" % BUCKET,
                             "--no-serve-artifacts"]).start()
    yield s
    s.check_clean_exit()


@pytest.fixture
def s3_client(s3_root_server, moto, monkeypatch):
    """The client writes to the bucket itself, with the same settings as the server."""
    for k, v in s3_env(moto).items():
        monkeypatch.setenv(k, v)
    return MlflowClient(tracking_uri=s3_root_server.url)


def test_s3_root_served(s3_root_server, s3_client, moto, tmp_path):
    c = s3_client
    eid = c.create_experiment(uname("s3root"))
    assert c.get_experiment(eid).artifact_location == "s3://%s/roots/%s" % (BUCKET, eid)
    rid = c.create_run(eid).info.run_id
    src = tmp_path / "src"
    write_tree(str(src), SAMPLE)
    c.log_artifacts(rid, str(src))
    key = "roots/%s/%s/artifacts" % (eid, rid)
    s3 = moto.client()
    assert s3.get_object(Bucket=BUCKET, Key=key + "/sub/b.json")["Body"].read() == b'{"b": 1}'
    check_run_served(s3_root_server.url, rid, SAMPLE)
    r = ui_upload(s3_root_server.url, rid, "ui/up.txt", b"into the bucket")
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=BUCKET, Key=key + "/ui/up.txt")["Body"].read() == \
        b"into the bucket"


def test_s3_root_logged_model_and_model_version(s3_root_server, s3_client, tmp_path):
    eid = s3_client.create_experiment(uname("s3model"))
    check_model_routes(s3_root_server.url, s3_client, eid, tmp_path)


def test_s3_root_invalid_path_first(s3_root_server):
    check_invalid_paths_first(s3_root_server.url)


@pytest.mark.mltrack_only(reason="counts mltrack's log lines: one S3 store per bucket, reused")
def test_s3_store_opened_once_per_bucket(s3_root_server, s3_client, tmp_path):
    eid = s3_client.create_experiment(uname("s3once"))
    rids = [s3_client.create_run(eid).info.run_id for _ in range(3)]
    for rid in rids:
        for _ in range(3):
            r = get(s3_root_server.url, "/api/2.0/mlflow/artifacts/list", {"run_id": rid})
            assert r.status_code == 200, r.text
    with open(s3_root_server.stderr_path, errors="replace") as f:
        opened = [line for line in f if "artifacts in S3 bucket '%s'" % BUCKET in line]
    assert len(opened) == 1, opened
