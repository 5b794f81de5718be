"""Artifacts through the server (reference mlflow-api.md §2.5, §5, §7; issue 3): the real client
logs, lists, downloads and deletes artifacts through the mlflow-artifacts proxy; sklearn models
are logged, registered and loaded back; raw HTTP checks the download headers, Range, the
multipart fallback, --no-serve-artifacts and --artifacts-only.

The session server runs with --artifacts-destination <tmp>/mlartifacts, so a run's files land
in <tmp>/mlartifacts/<exp_id>/<run_id>/artifacts and a logged model's in
<tmp>/mlartifacts/<exp_id>/models/<model_id>/artifacts; the tests look at the disk too."""
import hashlib
import http.client
import json
import os
import shutil
import threading
import time
import urllib.parse

import pytest
import requests

import mlflow
from mlflow.tracking import MlflowClient

from conftest import IS_MLTRACK, Server, assert_error, free_port, uname, write_tree

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
MPU_MSG = "Multipart upload is not supported for the current artifact repository"


# ---- helpers -------------------------------------------------------------------------------

def run_dir(server, run):
    """Where the server keeps a run's artifacts on disk."""
    return os.path.join(server.artifacts, run.info.experiment_id, run.info.run_id, "artifacts")


def tree(root):
    """{relative path: bytes} of every file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root).replace(os.sep, "/")] = open(p, "rb").read()
    return out


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def listing(client, run_id, path=None):
    return sorted((f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, path))


@pytest.fixture
def run(client, exp_id):
    r = client.create_run(exp_id)
    yield r
    client.set_terminated(r.info.run_id)


# Sample tree: nested directories, an empty file, unicode names, spaces, a dotfile.
SAMPLE = {
    "a.txt": b"alpha\n",
    "empty.bin": b"",
    "sub/b.json": b'{"b": 1}',
    "sub/deeper/c.csv": b"x,y\n1,2\n",
    "sub/deeper/deepest/d.bin": bytes(range(256)) * 4,
    "with space/file name.txt": b"spaces",
    "ünïcødé/données €.txt": "unicode ✓".encode(),
    "日本語/ファイル.txt": "日本".encode(),
    ".hidden": b"dot",
}


# ---- logging through the client ------------------------------------------------------------

def test_artifact_uri_and_single_file(client, run, server, tmp_path):
    rid, eid = run.info.run_id, run.info.experiment_id
    assert run.info.artifact_uri == "mlflow-artifacts:/%s/%s/artifacts" % (eid, rid)
    p = tmp_path / "hello.txt"
    p.write_bytes(b"hello world\n")
    client.log_artifact(rid, str(p))
    client.log_artifact(rid, str(p), artifact_path="nested/dir")
    on_disk = tree(run_dir(server, run))
    assert on_disk == {"hello.txt": b"hello world\n", "nested/dir/hello.txt": b"hello world\n"}
    assert listing(client, rid) == [("hello.txt", False, 12), ("nested", True, None)]
    assert listing(client, rid, "nested") == [("nested/dir", True, None)]
    assert listing(client, rid, "nested/dir") == [("nested/dir/hello.txt", False, 12)]


def test_log_artifacts_tree_list_download(client, run, server, tmp_path):
    rid = run.info.run_id
    src = tmp_path / "src"
    write_tree(str(src), SAMPLE)
    client.log_artifacts(rid, str(src), artifact_path="tree")
    assert tree(os.path.join(run_dir(server, run), "tree")) == SAMPLE

    top = listing(client, rid, "tree")
    assert top == sorted([
        ("tree/.hidden", False, 3), ("tree/a.txt", False, 6), ("tree/empty.bin", False, None),
        ("tree/sub", True, None), ("tree/with space", True, None),
        ("tree/ünïcødé", True, None), ("tree/日本語", True, None)])
    assert listing(client, rid, "tree/sub/deeper") == [
        ("tree/sub/deeper/c.csv", False, 8), ("tree/sub/deeper/deepest", True, None)]
    assert listing(client, rid, "tree/ünïcødé") == [
        ("tree/ünïcødé/données €.txt", False, len("unicode ✓".encode()))]

    # Whole directory, a subdirectory and single files (unicode, spaces, empty).
    dst = tmp_path / "dl"
    local = client.download_artifacts(rid, "tree", str(dst))
    assert tree(local) == SAMPLE
    local = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path="tree/sub",
                                                dst_path=str(tmp_path / "dl2"),
                                                tracking_uri=client._tracking_client.tracking_uri)
    assert tree(local) == {k[4:]: v for k, v in SAMPLE.items() if k.startswith("sub/")}
    for rel in ("tree/ünïcødé/données €.txt", "tree/with space/file name.txt",
                "tree/empty.bin", "tree/sub/deeper/deepest/d.bin"):
        f = client.download_artifacts(rid, rel, str(tmp_path / "one"))
        assert open(f, "rb").read() == SAMPLE[rel[5:]], rel


def test_list_root_file_and_missing(client, run, tmp_path):
    rid = run.info.run_id
    assert client.list_artifacts(rid) == []  # nothing logged yet
    p = tmp_path / "f.txt"
    p.write_bytes(b"x")
    client.log_artifact(rid, str(p), "d")
    assert listing(client, rid) == [("d", True, None)]
    assert client.list_artifacts(rid, "d/f.txt") == []      # a file path lists nothing
    assert client.list_artifacts(rid, "no/such/dir") == []  # a missing path lists nothing


def test_fluent_log_text_dict_figure_image(tracking, server, tmp_path):
    import numpy as np

    mlflow.set_experiment(uname("art-fluent"))
    with mlflow.start_run() as r:
        mlflow.log_text("some text ✓", "texts/note.txt")
        mlflow.log_dict({"a": [1, 2], "b": {"c": "d"}}, "cfg/config.json")
        mlflow.log_dict({"k": "v"}, "cfg/config.yaml")
        # A figure: matplotlib renders PNG bytes, the client uploads them.
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [2, 1, 3])
        mlflow.log_figure(fig, "plots/line.png")
        plt.close(fig)
        img = (np.arange(16 * 16 * 3) % 256).astype(np.uint8).reshape(16, 16, 3)
        mlflow.log_image(img, "images/tile.png")
    d = run_dir(server, r)
    files = tree(d)
    assert files["texts/note.txt"] == "some text ✓".encode()
    assert json.loads(files["cfg/config.json"]) == {"a": [1, 2], "b": {"c": "d"}}
    assert b"k: v" in files["cfg/config.yaml"]
    assert files["plots/line.png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert files["images/tile.png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert mlflow.artifacts.load_text("runs:/%s/texts/note.txt" % r.info.run_id) == "some text ✓"
    assert mlflow.artifacts.load_dict("runs:/%s/cfg/config.json" % r.info.run_id) == {
        "a": [1, 2], "b": {"c": "d"}}
    got = np.asarray(mlflow.artifacts.load_image("runs:/%s/images/tile.png" % r.info.run_id))
    assert (got == img).all()


def test_overwrite_and_delete(client, run, server, tmp_path):
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri

    rid = run.info.run_id
    src = tmp_path / "src"
    write_tree(str(src), {"keep.txt": b"k", "gone/x.txt": b"x", "gone/y/z.txt": b"z",
                          "one.txt": b"1"})
    client.log_artifacts(rid, str(src))
    (src / "one.txt").write_bytes(b"second version")
    client.log_artifact(rid, str(src / "one.txt"))  # overwrite in place
    assert open(os.path.join(run_dir(server, run), "one.txt"), "rb").read() == b"second version"

    with _use_tracking_uri(client._tracking_client.tracking_uri):
        repo = get_artifact_repository(run.info.artifact_uri)
        repo.delete_artifacts("gone")        # a directory, recursively
        repo.delete_artifacts("one.txt")     # a file
        repo.delete_artifacts("never/was")   # missing: not an error
    assert tree(run_dir(server, run)) == {"keep.txt": b"k"}
    assert listing(client, rid) == [("keep.txt", False, 1)]


# ---- big files -----------------------------------------------------------------------------

BIG = 110 * 1024 * 1024


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """A 110 MB file written in 1 MB pieces (never held in memory), and its sha256."""
    p = tmp_path_factory.mktemp("big") / "big.bin"
    h = hashlib.sha256()
    block = os.urandom(1 << 20)
    with open(p, "wb") as f:
        for i in range(BIG >> 20):
            piece = i.to_bytes(8, "little") + block[8:]
            f.write(piece)
            h.update(piece)
    yield str(p), h.hexdigest()
    os.unlink(p)


@pytest.mark.slow
def test_file_over_100mb_round_trip(client, run, server, big_file, tmp_path):
    path, digest = big_file
    rid = run.info.run_id
    client.log_artifact(rid, path, "big")
    on_disk = os.path.join(run_dir(server, run), "big", "big.bin")
    assert os.path.getsize(on_disk) == BIG
    assert sha256_file(on_disk) == digest
    assert listing(client, rid, "big") == [("big/big.bin", False, BIG)]
    local = client.download_artifacts(rid, "big/big.bin", str(tmp_path))
    assert os.path.getsize(local) == BIG
    assert sha256_file(local) == digest


def vm_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class RssPoller(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop_ = pid, 0, threading.Event()

    def run(self):
        while not self.stop_.is_set():
            self.peak = max(self.peak, vm_kb(self.pid, "VmRSS"))
            time.sleep(0.01)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *a):
        self.stop_.set()
        self.join()


@pytest.mark.slow
@pytest.mark.mltrack_only(reason="reads mltrack's VmRSS from /proc; the reference is a "
                                 "process tree of Python workers")
def test_big_upload_and_download_keep_rss_small(server, big_file):
    """Streaming both ways: a 110 MB PUT and GET must not grow the server by anything near
    the file's size (the body goes to disk piece by piece; the download is pulled by MHD)."""
    path, digest = big_file
    pid = server.proc.pid
    base_rss = vm_kb(pid, "VmRSS")
    url = server.url + PROXY + "/rss-test/%s/big.bin" % uname("r")
    with RssPoller(pid) as up:
        with open(path, "rb") as f:
            r = requests.put(url, data=f, timeout=300)
    assert r.status_code == 200, r.text
    h = hashlib.sha256()
    with RssPoller(pid) as down:
        with requests.get(url, stream=True, timeout=300) as r:
            assert r.status_code == 200
            assert int(r.headers["Content-Length"]) == BIG
            for chunk in r.iter_content(1 << 20):
                h.update(chunk)
    assert h.hexdigest() == digest
    limit = base_rss + 32 * 1024  # KiB: well under the 110 MB file
    assert up.peak < limit, ("upload grew RSS", base_rss, up.peak)
    assert down.peak < limit, ("download grew RSS", base_rss, down.peak)


# ---- models --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sk_model():
    from sklearn.linear_model import LogisticRegression
    import numpy as np
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [2.0, 1.0], [0.5, 2.0]])
    y = np.array([0, 1, 1, 0, 1, 0])
    return LogisticRegression().fit(X, y), X


def test_sklearn_log_model_and_load(tracking, server, sk_model, client):
    import numpy as np
    model, X = sk_model
    mlflow.set_experiment(uname("art-sk"))
    with mlflow.start_run() as r:
        mlflow.log_param("alpha", 1)
        info = mlflow.sklearn.log_model(model, name="model", input_example=X[:2])
    mid = info.model_id
    eid = r.info.experiment_id
    assert info.model_uri == "models:/%s" % mid
    lm = client.get_logged_model(mid)
    assert lm.artifact_location == "mlflow-artifacts:/%s/models/%s/artifacts" % (eid, mid)
    assert str(lm.status) in ("READY", "LoggedModelStatus.READY")
    files = set(tree(os.path.join(server.artifacts, eid, "models", mid, "artifacts")))
    assert {"MLmodel", "requirements.txt", "python_env.yaml", "conda.yaml"} <= files, files
    assert any(f.startswith("model.") for f in files), files  # model.skops or model.pkl
    # The model files are not under the run's artifacts in MLflow 3.
    assert not os.path.exists(os.path.join(run_dir(server, r), "model", "MLmodel"))
    loaded = mlflow.sklearn.load_model(info.model_uri)
    assert (loaded.predict(X) == model.predict(X)).all()
    # runs:/<run>/model falls back to the logged model of that name (3.x).
    loaded = mlflow.pyfunc.load_model("runs:/%s/model" % r.info.run_id)
    assert np.array_equal(np.asarray(loaded.predict(X)), model.predict(X))


def test_logged_model_artifact_listing(tracking, server, sk_model, api):
    model, X = sk_model
    mlflow.set_experiment(uname("art-lm"))
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="m")
    mid = info.model_id
    body = api.ok_get("logged-models/%s/artifacts/directories" % mid)
    paths = {f["path"]: f for f in body["files"]}
    assert {"MLmodel", "requirements.txt"} <= set(paths), body
    assert paths["MLmodel"]["is_dir"] is False and int(paths["MLmodel"]["file_size"]) > 0
    assert body.get("root_uri", "").endswith("/models/%s/artifacts" % mid)
    # The UI's file route.
    r = api.get("/ajax-api/2.0/mlflow/logged-models/%s/artifacts/files" % mid,
                params={"artifact_file_path": "MLmodel"})
    assert r.status_code == 200, r.text
    assert b"flavors:" in r.content
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_register_and_load_by_stage_and_alias(tracking, sk_model, client):
    model, X = sk_model
    mlflow.set_experiment(uname("art-reg"))
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="model")
    name = uname("regm")
    mv = mlflow.register_model(info.model_uri, name)
    assert mv.version in ("1", 1)
    client.transition_model_version_stage(name, mv.version, "Staging")
    client.set_registered_model_alias(name, "champion", mv.version)
    for uri in ("models:/%s/Staging" % name, "models:/%s@champion" % name,
                "models:/%s/1" % name):
        loaded = mlflow.pyfunc.load_model(uri)
        assert list(loaded.predict(X)) == list(model.predict(X)), uri
    # And through the UI's model-version file route.
    r = requests.get(client._tracking_client.tracking_uri + "/model-versions/get-artifact",
                     params={"name": name, "version": "1", "path": "MLmodel"}, timeout=30)
    assert r.status_code == 200 and b"flavors:" in r.content, (r.status_code, r.text[:300])


# ---- raw HTTP ------------------------------------------------------------------------------

def put(base, path, data, **kw):
    return requests.put(base + PROXY + "/" + path, data=data, timeout=60, **kw)


@pytest.fixture
def prefix():
    return "raw/" + uname("p")


def test_download_headers(base_url, prefix, server):
    cases = {
        "page.html": ("text/html", b"<script>alert(1)</script>"),
        "img.png": ("image/png", b"\x89PNG\r\n\x1a\nxxxx"),
        "notes.txt": ("text/plain", b"plain"),
        "MLmodel": ("text/plain", b"flavors: {}\n"),
        "blob.bin": ("application/octet-stream", b"\x00\x01"),
    }
    for name, (ctype, data) in cases.items():
        assert put(base_url, prefix + "/" + name, data).status_code == 200
        r = requests.get(base_url + PROXY + "/" + prefix + "/" + name, timeout=30)
        assert r.status_code == 200 and r.content == data, name
        assert r.headers["Content-Type"].split(";")[0] == ctype, (name, r.headers)
        cd = r.headers["Content-Disposition"]
        assert cd.startswith("attachment; filename="), cd
        assert name in cd, cd
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert int(r.headers["Content-Length"]) == len(data)
    # A non-ASCII name gets the RFC 5987 form.
    assert put(base_url, prefix + "/" + urllib.parse.quote("résumé.txt"), b"r").status_code == 200
    r = requests.get(base_url + PROXY + "/" + prefix + "/" + urllib.parse.quote("résumé.txt"),
                     timeout=30)
    assert r.status_code == 200
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.txt" in r.headers["Content-Disposition"]


# Names whose type MLflow's own rule decides (its text extensions, compared case-sensitively,
# and extension-less names equal to one of them, "MLmodel" and "mlproject"), and names left to
# Python's mimetypes (its built-in table and the system's mime.types, suffix and encoding maps,
# case folding, leading dots).
CONTENT_TYPE_NAMES = [
    "MLmodel", "mlproject", "MLproject", "MLMODEL", "x.MLmodel", "txt", "json", "yaml",
    "requirements.txt", "conda.yaml", "python_env.yaml", "LICENSE", ".hidden", ".txt", "a..txt",
    "a.", "notes.TXT", "b.JSON", "c.Json", "x.py", "x.ipynb", "x.csv", "x.tsv", "x.md",
    "model.pkl", "x.npy", "x.parquet", "x.png", "x.PNG", "x.jpg", "x.jpeg", "x.gif", "x.svg",
    "x.svgz", "x.html", "x.htm", "x.pdf", "x.zip", "x.tar", "x.gz", "x.tar.gz", "x.tgz",
    "x.tar.bz2", "x.Z", "x.z", "x.css", "x.mjs", "x.wasm", "x.webp", "x.mp4", "x.wav", "x.h5",
    "x.bin", "x.sh", "x.c", "x.tiff", "x.doc", "x.rtf", "x.txt.bak", "data:x", "data:x,y",
    "a:b.png", "x.unknownext",
]


def test_download_content_types(base_url, prefix):
    """Content-Type of downloads as MLflow's _guess_mime_type picks it (issue 12, item 6)."""
    from mlflow.utils.mime_type_utils import _guess_mime_type
    # Anchors, so that the oracle itself is checked: MLflow's text rule is case-sensitive.
    assert _guess_mime_type("MLmodel") == "text/plain"
    assert _guess_mime_type("mlproject") == "text/plain"
    assert _guess_mime_type("json") == "text/plain"
    assert _guess_mime_type("MLMODEL") == "application/octet-stream"
    for name in CONTENT_TYPE_NAMES:
        path = prefix + "/" + urllib.parse.quote(name)
        assert put(base_url, path, b"x").status_code == 200, name
        r = requests.get(base_url + PROXY + "/" + path, timeout=30)
        assert r.status_code == 200, (name, r.status_code, r.text[:200])
        assert r.headers["Content-Type"] == _guess_mime_type(name), name


def test_get_artifact_ui_route_headers(client, run, base_url, tmp_path):
    p = tmp_path / "x.html"
    p.write_bytes(b"<b>hi</b>")
    client.log_artifact(run.info.run_id, str(p), "d")
    r = requests.get(base_url + "/get-artifact",
                     params={"run_uuid": run.info.run_id, "path": "d/x.html"}, timeout=30)
    assert r.status_code == 200 and r.content == b"<b>hi</b>"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = requests.get(base_url + "/get-artifact",
                     params={"run_id": run.info.run_id, "path": "d/missing.txt"}, timeout=30)
    assert 400 <= r.status_code < 500, r.status_code


def test_range_requests(base_url, prefix):
    data = bytes(range(256)) * 40  # 10240 bytes
    assert put(base_url, prefix + "/r.bin", data).status_code == 200
    url = base_url + PROXY + "/" + prefix + "/r.bin"
    for rng, lo, hi in (("bytes=10-19", 10, 19), ("bytes=10000-", 10000, 10239),
                        ("bytes=-16", 10224, 10239), ("bytes=10200-99999", 10200, 10239)):
        r = requests.get(url, headers={"Range": rng}, timeout=30)
        assert r.status_code == 206, (rng, r.status_code)
        assert r.content == data[lo:hi + 1], rng
        assert r.headers["Content-Range"] == "bytes %d-%d/%d" % (lo, hi, len(data)), rng
        assert int(r.headers["Content-Length"]) == hi - lo + 1
    r = requests.get(url, timeout=30)
    assert r.status_code == 200 and r.content == data
    assert r.headers.get("Accept-Ranges") == "bytes"


def test_proxy_list_shapes(base_url, prefix):
    assert put(base_url, prefix + "/a/b.txt", b"bb").status_code == 200
    assert put(base_url, prefix + "/top.txt", b"t").status_code == 200
    assert put(base_url, prefix + "/empty", b"").status_code == 200
    r = requests.get(base_url + PROXY, params={"path": prefix}, timeout=30)
    assert r.status_code == 200
    files = sorted(r.json()["files"], key=lambda f: f["path"])
    assert files == [{"path": "a", "is_dir": True},
                     # MLflow's FileInfo.to_proto drops a zero file_size.
                     {"path": "empty", "is_dir": False},
                     {"path": "top.txt", "is_dir": False, "file_size": 1}]
    for p in (prefix + "/top.txt", prefix + "/missing"):
        r = requests.get(base_url + PROXY, params={"path": p}, timeout=30)
        assert r.status_code == 200 and r.json() == {}, (p, r.text)
    r = requests.get(base_url + PROXY + "/" + prefix + "/missing.txt", timeout=30)
    assert 400 <= r.status_code < 500
    # A directory is not a file to download.
    r = requests.get(base_url + PROXY + "/" + prefix + "/a", timeout=30)
    assert 400 <= r.status_code < 500


def test_proxy_list_sorted_by_path(base_url, prefix, client, run, api, tmp_path):
    """Listings come sorted by path, files and directories mixed, as MLflow's repositories
    sort them (issue 12, item 5), whatever order the files were written in."""
    names = ["m.txt", "b", "Z.txt", "a.txt", "c", "_x", "é.txt", "B.txt", "a", "a-b", "0"]
    for n in names:  # "b", "c", "a" become directories
        rel = n + "/inner.txt" if n in ("b", "c", "a") else n
        assert put(base_url, prefix + "/" + urllib.parse.quote(rel), b"x").status_code == 200
    r = requests.get(base_url + PROXY, params={"path": prefix}, timeout=30)
    got = [f["path"] for f in r.json()["files"]]
    assert got == sorted(names), got
    src = tmp_path / "src"
    for n in names:
        p = src / (n + "/inner.txt" if n in ("b", "c", "a") else n)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"y")
    client.log_artifacts(run.info.run_id, str(src))
    body = api.ok_get("artifacts/list", {"run_id": run.info.run_id})
    assert [f["path"] for f in body["files"]] == sorted(names)


def test_put_chunked_body(base_url, prefix):
    def gen():
        for i in range(50):
            yield bytes([i]) * 1000
    r = requests.put(base_url + PROXY + "/" + prefix + "/chunked.bin", data=gen(), timeout=60)
    assert r.status_code == 200, r.text
    r = requests.get(base_url + PROXY + "/" + prefix + "/chunked.bin", timeout=30)
    assert r.content == b"".join(bytes([i]) * 1000 for i in range(50))


def test_tracking_artifacts_list_route(client, run, api, tmp_path):
    p = tmp_path / "f.txt"
    p.write_bytes(b"12345")
    client.log_artifact(run.info.run_id, str(p), "d/e")
    body = api.ok_get("artifacts/list", {"run_id": run.info.run_id})
    assert body["root_uri"] == run.info.artifact_uri
    assert body["files"] == [{"path": "d", "is_dir": True}]
    body = api.ok_get("artifacts/list", {"run_id": run.info.run_id, "path": "d/e"})
    assert body["files"] == [{"path": "d/e/f.txt", "is_dir": False, "file_size": 5}]


def test_ui_upload_artifact(client, run, server, base_url):
    r = requests.post(base_url + "/ajax-api/2.0/mlflow/upload-artifact",
                      params={"run_uuid": run.info.run_id, "path": "ui/up.txt"},
                      data=b"from the ui", timeout=30)
    assert r.status_code == 200, r.text
    assert open(os.path.join(run_dir(server, run), "ui", "up.txt"), "rb").read() == b"from the ui"


def test_ui_upload_artifact_errors(client, run, server, base_url):
    """upload-artifact's own messages, in MLflow's order: run_uuid, then path, then the path's
    safety, then the data (issue 12, item 3)."""
    url = base_url + "/ajax-api/2.0/mlflow/upload-artifact"
    rid = run.info.run_id
    for params in ({}, {"path": "a.txt"}, {"run_uuid": "", "path": "a.txt"},
                   {"run_id": rid, "path": "a.txt"}):
        r = requests.post(url, params=params, data=b"x", timeout=30)
        assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Request must specify run_uuid.")
    for params in ({"run_uuid": rid}, {"run_uuid": rid, "path": ""}):
        r = requests.post(url, params=params, data=b"x", timeout=30)
        assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Request must specify path.")
    r = requests.post(url, params={"run_uuid": rid, "path": "../a.txt"}, data=b"x", timeout=30)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Invalid path")
    r = requests.post(url, params={"run_uuid": rid, "path": "nothing.txt"}, data=b"", timeout=30)
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Request must specify data.")
    assert not os.path.exists(os.path.join(run_dir(server, run), "nothing.txt"))
    r = requests.post(url, params={"run_uuid": "0" * 32, "path": "a.txt"}, data=b"x", timeout=30)
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")


def test_mpu_create_answers_not_implemented(base_url, prefix):
    r = requests.post(base_url + "/api/2.0/mlflow-artifacts/mpu/create/" + prefix + "/f.bin",
                      json={"path": "f.bin", "num_parts": 2}, timeout=30)
    body = assert_error(r, 501, "NOT_IMPLEMENTED")
    assert body["message"].startswith(MPU_MSG), body


def test_multipart_env_falls_back_to_single_put(client, run, server, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "1024")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", "1024")
    data = os.urandom(5000)
    p = tmp_path / "mp.bin"
    p.write_bytes(data)
    client.log_artifact(run.info.run_id, str(p))
    assert open(os.path.join(run_dir(server, run), "mp.bin"), "rb").read() == data


# ---- server modes --------------------------------------------------------------------------

class ModeServer(Server):
    """A server with extra flags (and, for --artifacts-only, no backend store)."""

    def __init__(self, workdir, extra, backend=True):
        super().__init__(workdir)
        self.extra, self.backend = extra, backend

    def command(self):
        cmd = super().command()
        if not self.backend:
            i = cmd.index("--backend-store-uri")
            del cmd[i:i + 2]
        return cmd + self.extra


@pytest.fixture
def mode_server(tmp_path):
    servers = []

    def start(extra, backend=True):
        s = ModeServer(str(tmp_path), extra, backend).start()
        servers.append(s)
        return s
    yield start
    for s in servers:
        s.stop()


def test_no_serve_artifacts_gives_503(mode_server):
    s = mode_server(["--no-serve-artifacts"])
    b = s.url + PROXY
    assert requests.put(b + "/x/y.txt", data=b"x", timeout=30).status_code == 503
    assert requests.get(b + "/x/y.txt", timeout=30).status_code == 503
    assert requests.get(b, params={"path": "x"}, timeout=30).status_code == 503
    assert requests.delete(b + "/x/y.txt", timeout=30).status_code == 503
    r = requests.post(s.url + "/api/2.0/mlflow-artifacts/mpu/create/x/y.bin",
                      json={"path": "y.bin", "num_parts": 1}, timeout=30)
    assert r.status_code == 503
    assert not os.path.exists(os.path.join(s.artifacts, "x"))
    # Tracking still works.
    r = requests.post(s.url + "/api/2.0/mlflow/experiments/create", json={"name": "e"},
                      timeout=30)
    assert r.status_code == 200


def test_artifacts_only_mode(mode_server):
    s = mode_server(["--artifacts-only"], backend=False)
    r = requests.post(s.url + "/api/2.0/mlflow/experiments/create", json={"name": "e"},
                      timeout=30)
    assert r.status_code == 503
    r = requests.get(s.url + "/api/2.0/mlflow/experiments/search", timeout=30)
    assert r.status_code == 503
    r = requests.post(s.url + "/api/2.0/mlflow/runs/create", json={"experiment_id": "0"},
                      timeout=30)
    assert r.status_code == 503
    r = requests.put(s.url + PROXY + "/only/a.txt", data=b"only", timeout=30)
    assert r.status_code == 200, r.text
    assert open(os.path.join(s.artifacts, "only", "a.txt"), "rb").read() == b"only"
    r = requests.get(s.url + PROXY + "/only/a.txt", timeout=30)
    assert r.status_code == 200 and r.content == b"only"
    r = requests.get(s.url + PROXY, params={"path": "only"}, timeout=30)
    assert r.json() == {"files": [{"path": "a.txt", "is_dir": False, "file_size": 4}]}
    assert requests.delete(s.url + PROXY + "/only/a.txt", timeout=30).status_code == 200
    assert not os.path.exists(os.path.join(s.artifacts, "only", "a.txt"))
