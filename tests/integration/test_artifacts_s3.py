"""Artifacts on S3 (issue 3): a server started with --artifacts-destination s3://<bucket>/<prefix>
against moto's server mode on loopback, driven by the real client: log_artifact(s) with nested
directories, an empty file and unicode names, a file over 100 MB (multipart, with the server's RSS
watched), listing, downloading, deleting, an sklearn model logged and loaded back. boto3 looks
into the bucket to check where the objects really are, and that a cut upload leaves neither an
object nor a pending multipart upload.

A second moto runs with request signing enforced (moto's IAM auth mode, which recomputes every
SigV4 signature with botocore): the server's signatures must match, and a wrong secret must give
PERMISSION_DENIED.

Runs against mltrack by default; under MLTRACK_TARGET=mlflow the same checks run against
`mlflow server --artifacts-destination s3://...` (the mltrack-only ones are skipped)."""
import hashlib
import json
import os
import socket
import threading
import time
import uuid

import pytest
import requests

pytest.importorskip("moto", reason="moto is not installed (pip install 'moto[server]', listed in "
                                   "tests/requirements.txt); the S3 artifact tests need its server")
boto3 = pytest.importorskip("boto3", reason="boto3 (installed with moto) is missing")

from conftest import IS_MLTRACK, assert_error, free_port, uname, write_tree  # noqa: E402
from s3moto import Moto, S3Server, moto_fixture, s3_env  # noqa: E402

from mlflow.tracking import MlflowClient  # noqa: E402

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
BUCKET = "mltrack-test"
PREFIX = "some/prefix"
BIG = 110 * 1024 * 1024 + 12345  # not a multiple of the 8 MiB part size


moto = moto_fixture(BUCKET)


@pytest.fixture(scope="module")
def s3(moto):
    return moto.client()


@pytest.fixture(scope="module")
def s3server(moto, tmp_path_factory):
    env = s3_env(moto)
    # Under AddressSanitizer (./dev test) freed blocks sit in a 256 MB quarantine, which the
    # RSS check would count: keep it small for this server (ignored by unsanitized builds).
    env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"),
                                                 "quarantine_size_mb=16"]))
    s = S3Server(str(tmp_path_factory.mktemp("s3server")), "s3://%s/%s" % (BUCKET, PREFIX),
                 env).start()
    yield s
    s.check_clean_exit()


@pytest.fixture
def client(s3server):
    return MlflowClient(tracking_uri=s3server.url)


@pytest.fixture
def run(client):
    exp = client.create_experiment(uname("s3"))
    r = client.create_run(exp)
    yield r
    client.set_terminated(r.info.run_id)


# ---- helpers -------------------------------------------------------------------------------

SAMPLE = {
    "a.txt": b"alpha\n",
    "empty.bin": b"",
    "sub/b.json": b'{"b": 1}',
    "sub/deeper/c.csv": b"x,y\n1,2\n",
    "sub/deeper/deepest/d.bin": bytes(range(256)) * 4,
    "with space/file name+plus&amp.txt": b"spaces",
    "ünïcødé/données €.txt": "unicode ✓".encode(),
    "日本語/ファイル.txt": "日本".encode(),
    ".hidden": b"dot",
}


def read_tree(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root).replace(os.sep, "/")] = fh.read()
    return out


def run_key(run, rel=""):
    """The object key of a run artifact under the destination prefix."""
    k = "%s/%s/%s/artifacts" % (PREFIX, run.info.experiment_id, run.info.run_id)
    return k + "/" + rel if rel else k


def bucket_objects(s3, prefix):
    """{key relative to prefix: size} of every object under prefix/."""
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/"):
        for o in page.get("Contents", []):
            out[o["Key"][len(prefix) + 1:]] = o["Size"]
    return out


def pending_uploads(s3, key_prefix):
    ups = s3.list_multipart_uploads(Bucket=BUCKET, Prefix=key_prefix).get("Uploads", [])
    return [u["Key"] for u in ups]


def listing(client, run_id, path=None):
    return sorted((f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, path))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def vm_kb(pid, field="VmRSS"):
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
            try:
                self.peak = max(self.peak, vm_kb(self.pid))
            except OSError:
                return
            time.sleep(0.01)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *a):
        self.stop_.set()
        self.join()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """BIG bytes of pseudo-random data written in 1 MiB pieces, and its sha256."""
    path = str(tmp_path_factory.mktemp("big") / "big.bin")
    h = hashlib.sha256()
    left = BIG
    with open(path, "wb") as f:
        while left:
            b = os.urandom(min(left, 1 << 20))
            h.update(b)
            f.write(b)
            left -= len(b)
    yield path, h.hexdigest()
    os.unlink(path)


# ---- the client through the server to S3 ---------------------------------------------------

def test_log_list_download_tree(client, run, s3, tmp_path):
    src = tmp_path / "src"
    write_tree(str(src), SAMPLE)
    rid = run.info.run_id
    client.log_artifacts(rid, str(src))
    client.log_artifact(rid, str(src / "a.txt"), "single")

    # The objects are where MLflow puts them: <prefix>/<exp>/<run>/artifacts/<path>.
    objs = bucket_objects(s3, run_key(run))
    want = {k: len(v) for k, v in SAMPLE.items()}
    want["single/a.txt"] = len(SAMPLE["a.txt"])
    assert objs == want
    got = s3.get_object(Bucket=BUCKET, Key=run_key(run, "ünïcødé/données €.txt"))["Body"].read()
    assert got == SAMPLE["ünïcødé/données €.txt"]

    assert listing(client, rid) == sorted([
        (".hidden", False, 3), ("a.txt", False, 6), ("empty.bin", False, None),
        ("single", True, None), ("sub", True, None), ("with space", True, None),
        ("ünïcødé", True, None), ("日本語", True, None)])
    assert listing(client, rid, "sub") == [("sub/b.json", False, 8), ("sub/deeper", True, None)]
    assert listing(client, rid, "sub/deeper") == [
        ("sub/deeper/c.csv", False, 8), ("sub/deeper/deepest", True, None)]
    assert listing(client, rid, "日本語") == [("日本語/ファイル.txt", False, 6)]
    assert listing(client, rid, "nope") == []
    assert listing(client, rid, "a.txt") == []  # a file lists as nothing, as in MLflow

    out = client.download_artifacts(rid, "", str(tmp_path / "dl"))
    got = read_tree(out)
    assert got.pop("single/a.txt") == SAMPLE["a.txt"]
    assert got == SAMPLE
    one = client.download_artifacts(rid, "sub/deeper/deepest/d.bin", str(tmp_path / "one"))
    with open(one, "rb") as f:
        assert f.read() == SAMPLE["sub/deeper/deepest/d.bin"]


def test_overwrite_and_delete(client, run, s3, tmp_path):
    rid = run.info.run_id
    p = tmp_path / "f.txt"
    p.write_bytes(b"first")
    client.log_artifact(rid, str(p), "d")
    p.write_bytes(b"second, longer")
    client.log_artifact(rid, str(p), "d")
    out = client.download_artifacts(rid, "d/f.txt", str(tmp_path / "o"))
    with open(out, "rb") as f:
        assert f.read() == b"second, longer"

    src = tmp_path / "tree"
    write_tree(str(src), {"keep.txt": b"k", "gone/x.txt": b"x", "gone/deep/y.txt": b"y",
                          "gonesibling.txt": b"s"})
    client.log_artifacts(rid, str(src), "t")
    client._tracking_client._get_artifact_repo(rid).delete_artifacts("t/gone")
    assert listing(client, rid, "t") == [("t/gonesibling.txt", False, 1), ("t/keep.txt", False, 1)]
    # A directory delete removes exactly that directory, not keys that merely share its name.
    assert sorted(bucket_objects(s3, run_key(run, "t"))) == ["gonesibling.txt", "keep.txt"]
    client._tracking_client._get_artifact_repo(rid).delete_artifacts("t/keep.txt")
    assert sorted(bucket_objects(s3, run_key(run, "t"))) == ["gonesibling.txt"]
    # Deleting what is not there is not an error.
    client._tracking_client._get_artifact_repo(rid).delete_artifacts("t/never")


def test_file_over_100mb_multipart_round_trip(client, run, s3server, s3, big_file, tmp_path):
    path, digest = big_file
    rid = run.info.run_id
    pid = s3server.proc.pid
    base = vm_kb(pid)
    with RssPoller(pid) as up:
        client.log_artifact(rid, path, "big")
    head = s3.head_object(Bucket=BUCKET, Key=run_key(run, "big/big.bin"))
    assert head["ContentLength"] == BIG
    if IS_MLTRACK:
        # Sent as a multipart upload of 8 MiB parts: the ETag counts them.
        assert head["ETag"].endswith('-%d"' % -(-BIG // (8 << 20))), head["ETag"]
    assert pending_uploads(s3, run_key(run)) == []
    assert listing(client, rid, "big") == [("big/big.bin", False, BIG)]
    with RssPoller(pid) as down:
        local = client.download_artifacts(rid, "big/big.bin", str(tmp_path))
    assert os.path.getsize(local) == BIG
    assert sha256_file(local) == digest
    if IS_MLTRACK:
        print("S3 110 MB: RSS base %d KiB, peak upload %d KiB, peak download %d KiB"
              % (base, up.peak, down.peak))
        # One 8 MiB part in memory while uploading, a 1 MiB buffer while downloading.
        assert up.peak < base + 40 * 1024, ("upload grew RSS", base, up.peak)
        assert down.peak < base + 40 * 1024, ("download grew RSS", base, down.peak)


def test_sklearn_log_model_and_load(s3server, s3):
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [2.0, 1.0], [0.5, 2.0]])
    y = np.array([0, 1, 1, 0, 1, 0])
    model = LogisticRegression().fit(X, y)
    mlflow.set_tracking_uri(s3server.url)
    try:
        mlflow.set_experiment(uname("s3-model"))
        with mlflow.start_run() as r:
            info = mlflow.sklearn.log_model(model, name="model")
        loaded = mlflow.sklearn.load_model(info.model_uri)
        assert (loaded.predict(X) == model.predict(X)).all()
        loaded = mlflow.pyfunc.load_model("runs:/%s/model" % r.info.run_id)
        assert list(loaded.predict(X)) == list(model.predict(X))
        keys = bucket_objects(s3, "%s/%s/models/%s/artifacts"
                              % (PREFIX, r.info.experiment_id, info.model_id))
        assert "MLmodel" in keys and any(k.startswith("model.") for k in keys), keys
    finally:
        while mlflow.active_run():
            mlflow.end_run()
        mlflow.set_tracking_uri(None)


# ---- raw HTTP on the proxy -----------------------------------------------------------------

def test_proxy_raw_http(s3server, s3):
    base = s3server.url + PROXY + "/raw-%s" % uuid.uuid4().hex[:8]
    data = bytes(range(256)) * 1000
    assert requests.put(base + "/x/data.bin", data=data, timeout=60).status_code == 200
    r = requests.get(base + "/x/data.bin", timeout=60)
    assert r.status_code == 200 and r.content == data
    if IS_MLTRACK:  # mlflow server ignores Range for S3 destinations (answers 200, whole)
        r = requests.get(base + "/x/data.bin", headers={"Range": "bytes=1000-1999"}, timeout=60)
        assert r.status_code == 206 and r.content == data[1000:2000]
        r = requests.get(base + "/x/data.bin", headers={"Range": "bytes=-10"}, timeout=60)
        assert r.status_code == 206 and r.content == data[-10:]
    if IS_MLTRACK:  # as for a local destination; mlflow server answers 500 (boto3's 404)
        assert_error(requests.get(base + "/x/missing.bin", timeout=60), 404,
                     "RESOURCE_DOES_NOT_EXIST")
        assert_error(requests.get(base + "/x", timeout=60), 404, "RESOURCE_DOES_NOT_EXIST")
    r = requests.get(s3server.url + PROXY, params={"path": base.rsplit("/", 1)[1] + "/x"},
                     timeout=60)
    assert r.json() == {"files": [{"path": "data.bin", "is_dir": False, "file_size": len(data)}]}
    assert requests.delete(base + "/x", timeout=60).status_code == 200
    assert requests.get(base + "/x/data.bin", timeout=60).status_code in (
        (404,) if IS_MLTRACK else (404, 500))


def test_list_paginates(s3server, s3):
    """More than one ListObjectsV2 page (1000 keys) in one directory."""
    d = "many-%s" % uuid.uuid4().hex[:8]
    for i in range(1105):
        s3.put_object(Bucket=BUCKET, Key="%s/%s/f%04d" % (PREFIX, d, i), Body=b"z")
    for i in range(3):
        s3.put_object(Bucket=BUCKET, Key="%s/%s/sub%d/x" % (PREFIX, d, i), Body=b"zz")
    r = requests.get(s3server.url + PROXY, params={"path": d}, timeout=120)
    files = r.json()["files"]
    assert len(files) == 1108
    assert sum(1 for f in files if f["is_dir"]) == 3
    assert requests.delete(s3server.url + PROXY + "/" + d, timeout=300).status_code == 200
    assert bucket_objects(s3, "%s/%s" % (PREFIX, d)) == {}


@pytest.mark.mltrack_only(reason="checks mltrack's multipart abort in the bucket")
def test_cut_upload_leaves_nothing(s3server, s3):
    """A PUT cut after 20 MB (two parts sent): no object, no pending multipart upload, and the
    server keeps serving."""
    rel = "cut-%s/big.bin" % uuid.uuid4().hex[:8]
    total = 64 << 20
    with socket.create_connection(("127.0.0.1", s3server.port)) as sock:
        sock.sendall(("PUT %s/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n"
                      % (PROXY, rel, total)).encode())
        chunk = b"\0" * (1 << 20)
        for _ in range(20):
            sock.sendall(chunk)
        time.sleep(1.0)  # let the server send the parts it has
    key = "%s/%s" % (PREFIX, rel)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and pending_uploads(s3, key):
        time.sleep(0.2)
    assert pending_uploads(s3, key) == []
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=key)
    r = requests.put(s3server.url + PROXY + "/" + rel, data=b"after", timeout=60)
    assert r.status_code == 200
    assert requests.get(s3server.url + PROXY + "/" + rel, timeout=60).content == b"after"


def test_multipart_proxy_endpoints_fall_back(s3server):
    """The /mpu/ endpoints answer as for a local destination, so a client with
    MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD falls back to one PUT (which the server streams into
    an S3 multipart upload itself)."""
    if not IS_MLTRACK:
        pytest.skip("mlflow server presigns S3 parts here")
    r = requests.post(s3server.url + "/api/2.0/mlflow-artifacts/mpu/create/x/y.bin",
                      json={"path": "y.bin", "num_parts": 2}, timeout=60)
    assert_error(r, 501, "NOT_IMPLEMENTED",
                 "Multipart upload is not supported for the current artifact repository")


# ---- errors and signatures -----------------------------------------------------------------

@pytest.mark.mltrack_only(reason="mltrack's error mapping for an unreachable or missing store")
def test_unreachable_endpoint_and_missing_bucket(moto, tmp_path):
    dead = {"MLFLOW_S3_ENDPOINT_URL": "http://127.0.0.1:%d" % free_port(),
            "AWS_ACCESS_KEY_ID": "AKIDEAD", "AWS_SECRET_ACCESS_KEY": "sekrit-dead"}
    s = S3Server(str(tmp_path / "dead"), "s3://%s/p" % BUCKET, dead).start()
    try:
        r = requests.put(s.url + PROXY + "/a.txt", data=b"x", timeout=60)
        body = assert_error(r, 503, "TEMPORARILY_UNAVAILABLE")
        assert "could not be reached" in body["message"]
        assert "sekrit" not in body["message"]  # no credentials in messages
        assert "sekrit" not in s.tail(200)
        assert_error(requests.get(s.url + PROXY, params={"path": "a"}, timeout=60), 503,
                     "TEMPORARILY_UNAVAILABLE")
    finally:
        s.check_clean_exit()
    s = S3Server(str(tmp_path / "nobucket"), "s3://no-such-bucket-here/p", s3_env(moto)).start()
    try:
        r = requests.put(s.url + PROXY + "/a.txt", data=b"x", timeout=60)
        body = assert_error(r, 500, "INTERNAL_ERROR")
        assert "no-such-bucket-here" in body["message"] and "does not exist" in body["message"]
    finally:
        s.check_clean_exit()


@pytest.fixture(scope="module")
def moto_auth(tmp_path_factory):
    """A moto that checks every signature: an IAM user allowed s3:* and its key, then
    /moto-api/reset-auth turns enforcement on."""
    m = Moto(str(tmp_path_factory.mktemp("moto-auth")))
    iam = m.client("iam")
    iam.create_user(UserName="mltrack")
    iam.put_user_policy(UserName="mltrack", PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="mltrack")["AccessKey"]
    m.client().create_bucket(Bucket=BUCKET)
    r = requests.post(m.url + "/moto-api/reset-auth", data=b"0", timeout=30)
    assert r.status_code == 200, r.text
    m.key, m.secret = key["AccessKeyId"], key["SecretAccessKey"]
    yield m
    m.stop()


@pytest.mark.mltrack_only(reason="checks mltrack's SigV4 requests (mlflow's boto3 GETs trip "
                                 "moto's checker here)")
def test_signatures_verified(moto_auth, tmp_path):
    """PUT, multipart create/part/complete, HEAD and GET with Range pass a server that
    recomputes SigV4 signatures. moto's checker rebuilds the request from the decoded path and
    query, so it rejects boto3 itself for keys with '+', '=' or non-ASCII and for any '/' in a
    query value (every ListObjectsV2 we send: delimiter=/), so listing and deleting are not
    checked here; the encoding they use is covered by tests/unit/test_s3.c."""
    s = S3Server(str(tmp_path / "signed"), "s3://%s/signed prefix" % BUCKET,
                 s3_env(moto_auth, moto_auth.key, moto_auth.secret)).start()
    try:
        base = s.url + PROXY + "/dir ~x/"
        small = b"small body"
        big = os.urandom((8 << 20) + 1000)
        r = requests.put(base + "s m~all.txt", data=small, timeout=60)
        assert r.status_code == 200, (r.text, s.tail())
        r = requests.put(base + "big.bin", data=big, timeout=120)
        assert r.status_code == 200, (r.text, s.tail())
        assert requests.get(base + "s m~all.txt", timeout=60).content == small
        r = requests.get(base + "big.bin", headers={"Range": "bytes=100-"}, timeout=60)
        assert r.status_code == 206 and r.content == big[100:]
        assert_error(requests.get(base + "missing", timeout=60), 404, "RESOURCE_DOES_NOT_EXIST")
        c = moto_auth.client(key=moto_auth.key, secret=moto_auth.secret)
        assert c.get_object(Bucket=BUCKET, Key="signed prefix/dir ~x/big.bin")["Body"].read() == big
    finally:
        s.check_clean_exit()


@pytest.mark.mltrack_only(reason="mltrack's PERMISSION_DENIED mapping")
def test_wrong_secret_is_permission_denied(moto_auth, tmp_path):
    s = S3Server(str(tmp_path / "wrong"), "s3://%s/p" % BUCKET,
                 s3_env(moto_auth, moto_auth.key, "not-the-secret")).start()
    try:
        r = requests.put(s.url + PROXY + "/a.txt", data=b"x", timeout=60)
        body = assert_error(r, 403, "PERMISSION_DENIED")
        assert "not-the-secret" not in body["message"]
        assert_error(requests.get(s.url + PROXY + "/a.txt", timeout=60), 403, "PERMISSION_DENIED")
        assert "not-the-secret" not in s.tail(200)
    finally:
        s.check_clean_exit()
