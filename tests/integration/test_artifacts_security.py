"""Artifact handlers under attack (issue 3, "Safety"; reference mlflow-api.md §2.5).

Every request here is written to a raw socket, so neither `requests` nor `http.client` can
normalize, re-encode or refuse the request-target. The server of this module keeps its artifacts
in <tmp>/jail/inner/mlartifacts, with sentinel files planted at <tmp>/jail/inner/sentinel.txt
(one `..` up) and <tmp>/jail/sentinel.txt (two up), and a snapshot of everything in <tmp>/jail
outside the destination is compared before and after each attack: nothing outside may be read,
written, created or deleted.

Regression tests for MLflow's published advisories in these handlers (named in the docstrings):
  mlflow#7166               /get-artifact?path=../../etc/passwd (local file inclusion)
  CVE-2023-1177             model-versions/create with a local `source`, read back through
                            /model-versions/get-artifact
  CVE-2023-2356             relative paths (`..`) in a model version source
  CVE-2023-2780             backslash traversal (\\..\\..\\) in a file: source
  CVE-2023-6831             DELETE /mlflow-artifacts/artifacts/../.. (arbitrary deletion)
  CVE-2024-1560             the same with double URL encoding (%252e%252e)
  CVE-2024-1483/-3848/-1594 `#` fragments in an experiment's artifact_location
  CVE-2024-1593             `;` params in artifact_location
  mlflow PR #10653          `..` in the query string of artifact_location
  CVE-2024-1558, CVE-2026-2614  model version source validation bypasses (local source,
                            the mlflow.prompt.is_prompt tag) read through get-artifact
  mlflow#10624 / PR #10584, CVE-2026-2033 (ZDI-26-105)  arbitrary file write through the
                            artifact PUT handler
  mlflow PR #19260 and validate_path_within_directory: symlinks inside the artifact root
"""
import hashlib
import json
import os
import socket
import threading
import time
import urllib.parse

import pytest
import requests

from conftest import IS_MLFLOW, IS_MLTRACK, Server, uname

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
SECRET = "SENTINEL-" + uname("s")


# ---- a server whose artifact root sits inside a jail full of sentinels ----------------------

class JailServer(Server):
    def __init__(self, workdir, jail):
        super().__init__(workdir)
        self.jail = jail
        self.artifacts = os.path.join(jail, "inner", "mlartifacts")


def snapshot(jail, dest):
    """{path: (kind, size, mtime, sha256)} of everything under jail except the destination."""
    out = {}
    for d, dirs, files in os.walk(jail, followlinks=False):
        if os.path.abspath(d) == os.path.abspath(dest):
            dirs[:] = []
            continue
        for name in dirs + files:
            p = os.path.join(d, name)
            if os.path.abspath(p) == os.path.abspath(dest):
                continue
            st = os.lstat(p)
            digest = None
            if os.path.isfile(p) and not os.path.islink(p):
                digest = hashlib.sha256(open(p, "rb").read()).hexdigest()
            out[os.path.relpath(p, jail)] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return out


@pytest.fixture(scope="module")
def jail_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("sec")
    jail = str(base / "jail")
    os.makedirs(os.path.join(jail, "inner", "outside_dir"))
    for p in ("sentinel.txt", "inner/sentinel.txt", "inner/outside_dir/secret.txt"):
        with open(os.path.join(jail, p), "w") as f:
            f.write(SECRET + "\n")
    srv_dir = str(base / "srv")
    os.makedirs(srv_dir)
    s = JailServer(srv_dir, jail).start()
    os.makedirs(s.artifacts, exist_ok=True)
    yield s
    s.stop()


@pytest.fixture
def guard(jail_server):
    """Checks after the test that nothing outside the destination changed."""
    before = snapshot(jail_server.jail, jail_server.artifacts)
    yield jail_server
    after = snapshot(jail_server.jail, jail_server.artifacts)
    assert after == before, "files outside the artifact destination changed: %r" % (
        set(after.items()) ^ set(before.items()))


# ---- raw HTTP ------------------------------------------------------------------------------

def raw(server, method, target, body=b"", headers=(), timeout=30):
    """One request over a fresh socket, the target sent byte for byte. -> (status, headers,
    body bytes)."""
    port = server.port
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1:%d" % port,
             "Connection: close", "Content-Length: %d" % len(body)] + list(headers)
    req = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(req)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
    data = b"".join(chunks)
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    assert status_line.startswith("HTTP/1."), (target, data[:200])
    status = int(status_line.split()[1])
    hdrs = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.decode("latin-1").partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, rest


def assert_refused(status, body, what):
    assert 400 <= status < 500, (what, status, body[:300])
    assert SECRET.encode() not in body, (what, "sentinel leaked")
    assert b"root:x:0:0" not in body, (what, "/etc/passwd leaked")


# The traversal table. Each entry is a path as it appears in the request-target (already
# percent-encoded where shown) and whether MLflow itself answers 4xx on POSIX. The shapes
# MLflow lets through on Linux (backslashes, drive letters and UNC names are ordinary file
# name characters there; it escapes NUL to "\\x00") still may not reach outside the root:
# for those the reference is held to "nothing outside touched", mltrack to a 4xx as well.
def traversal_table(jail):
    ab = jail.lstrip("/")
    return [
        # plain dot-dot
        ("../sentinel.txt", True),
        ("../../sentinel.txt", True),
        ("x/../../sentinel.txt", True),
        ("x/../../../sentinel.txt", True),
        ("./../sentinel.txt", True),
        # percent-encoded dots and slashes (decoded once by the server)
        ("%2e%2e/sentinel.txt", True),
        ("%2E%2E/%2E%2E/sentinel.txt", True),
        (".%2e/sentinel.txt", True),
        ("%2e./sentinel.txt", True),
        ("..%2fsentinel.txt", True),
        ("..%2F..%2Fsentinel.txt", True),
        ("%2e%2e%2f%2e%2e%2fsentinel.txt", True),
        # double-encoded (CVE-2024-1560)
        ("%252e%252e/sentinel.txt", True),
        ("%252e%252e%252fsentinel.txt", True),
        ("..%252f..%252fsentinel.txt", True),
        ("%25252e%25252e/sentinel.txt", True),
        # absolute paths
        ("%2fetc%2fpasswd", True),
        ("%2F" + ab + "%2Fsentinel.txt", True),
        ("/etc/passwd", True),
        ("/" + ab + "/sentinel.txt", True),
        # backslashes
        ("..\\..\\sentinel.txt", False),
        ("..%5c..%5csentinel.txt", False),
        ("%5c..%5csentinel.txt", False),
        ("x%5c..%5c..%5c..%5csentinel.txt", False),
        # NUL and control characters
        ("x%00.txt", False),
        ("..%00/sentinel.txt", False),  # MLflow: 500 on PUT, 200 {} on list
        ("x%0a..%2fsentinel.txt", False),  # MLflow: "x\n.." is a name; list says {}
        # drive letters and UNC
        ("C:/Windows/win.ini", False),
        ("C:%5cWindows%5cwin.ini", False),
        ("c:sentinel.txt", False),
        ("%5c%5chost%5cshare%5cx.txt", False),
        ("\\\\host\\share\\x.txt", False),
        # fragments (raw and encoded) and file: URIs
        ("x%23/../../sentinel.txt", True),
        ("x#/../../sentinel.txt", True),
        ("file:%2f%2f%2fetc%2fpasswd", True),
        ("file:///" + ab + "/sentinel.txt", True),
        ("file:../sentinel.txt", True),
    ]


def _cases(jail="/tmp/x"):
    return traversal_table(jail)


@pytest.fixture
def table(jail_server):
    return traversal_table(jail_server.jail)


def _expect_4xx(mlflow_refuses):
    return IS_MLTRACK or mlflow_refuses


class Verdicts:
    """Collects every failing row of a table, so one run shows them all."""

    def __init__(self):
        self.bad = []

    def __call__(self, status, body, what, mlflow_refuses):
        if SECRET.encode() in body:
            self.bad.append((what, status, "sentinel leaked"))
        elif b"root:x:0:0" in body:
            self.bad.append((what, status, "/etc/passwd leaked"))
        elif IS_MLFLOW and status == 308:
            pass  # Werkzeug merges "//" and redirects to a path inside the root
        elif _expect_4xx(mlflow_refuses) and not 400 <= status < 500:
            self.bad.append((what, status, body[:160]))

    def done(self):
        assert not self.bad, "\n".join(repr(b) for b in self.bad)


# ---- the proxy routes ----------------------------------------------------------------------

def test_traversal_put(guard, table):
    """Arbitrary file write through PUT /mlflow-artifacts/artifacts/<path> (mlflow#10624 /
    PR #10584; CVE-2026-2033, ZDI-26-105)."""
    check = Verdicts()
    for path, refuses in table:
        st, _, body = raw(guard, "PUT", PROXY + "/" + path, body=b"PWNED")
        check(st, body, ("PUT", path), refuses)
    check.done()


def test_traversal_get(guard, table):
    """Reads through GET /mlflow-artifacts/artifacts/<path>."""
    check = Verdicts()
    for path, refuses in table:
        st, _, body = raw(guard, "GET", PROXY + "/" + path)
        check(st, body, ("GET", path), refuses)
    check.done()


def test_traversal_delete(guard, table):
    """Arbitrary deletion through DELETE /mlflow-artifacts/artifacts/<path> (CVE-2023-6831)
    and its double-encoded bypass (CVE-2024-1560)."""
    check = Verdicts()
    for path, refuses in table:
        st, _, body = raw(guard, "DELETE", PROXY + "/" + path)
        check(st, body, ("DELETE", path), refuses)
    check.done()


MLFLOW_WIPES = pytest.mark.mltrack_only(
    reason="MLflow 3.17.2 normalizes this to the root and rmtree()s the whole artifacts "
           "destination (then answers 500)")


@pytest.mark.parametrize("spelling", [
    "/", "//", "/x/..", "/x/%2e%2e",
    pytest.param("/.", marks=MLFLOW_WIPES), pytest.param("/./", marks=MLFLOW_WIPES),
    pytest.param("/%2e", marks=MLFLOW_WIPES), pytest.param("/%2e/", marks=MLFLOW_WIPES),
    pytest.param("/x/../.", marks=MLFLOW_WIPES),
])
def test_delete_root_spellings_keep_the_destination(guard, spelling):
    """DELETE of "the root" in any spelling must not empty the destination."""
    keep = os.path.join(guard.artifacts, "keep-" + uname("k"), "f.txt")
    os.makedirs(os.path.dirname(keep))
    open(keep, "w").write("k")
    st, _, body = raw(guard, "DELETE", PROXY + spelling)
    assert os.path.exists(keep), (spelling, st)
    assert st != 200, (spelling, st, body[:200])
    if IS_MLTRACK:
        assert 400 <= st < 500, (spelling, st, body[:200])


def test_traversal_list(guard, table):
    check = Verdicts()
    for path, refuses in table:
        st, _, body = raw(guard, "GET", PROXY + "?path=" + path.replace("#", "%23"))
        check(st, body, ("list", path), refuses)
        if st == 200:
            assert json.loads(body or b"{}").get("files") in (None, []), (path, body)
    check.done()


def test_traversal_mpu(guard, table):
    """The multipart routes check the path before anything else (cf. CVE-2026-2651)."""
    for path, refuses in table[:20]:
        for op in ("create", "complete", "abort"):
            st, _, body = raw(guard, "POST", "/api/2.0/mlflow-artifacts/mpu/%s/%s" % (op, path),
                              body=json.dumps({"path": "f", "num_parts": 1, "upload_id": "u",
                                               "parts": []}).encode(),
                              headers=["Content-Type: application/json"])
            assert SECRET.encode() not in body
            if IS_MLTRACK:
                assert 400 <= st < 500, (op, path, st, body[:200])


# ---- the tracking and UI routes ------------------------------------------------------------

@pytest.fixture(scope="module")
def victim(jail_server):
    """An experiment, a run with one artifact, a registered model version and a logged model,
    all on the jail server."""
    api = jail_server.url + "/api/2.0/mlflow/"
    eid = requests.post(api + "experiments/create", json={"name": uname("sec")},
                        timeout=30).json()["experiment_id"]
    run = requests.post(api + "runs/create", json={"experiment_id": eid},
                        timeout=30).json()["run"]["info"]
    rid = run["run_id"]
    r = requests.put(jail_server.url + PROXY + "/%s/%s/artifacts/ok.txt" % (eid, rid),
                     data=b"ok", timeout=30)
    assert r.status_code == 200
    name = uname("secm")
    requests.post(api + "registered-models/create", json={"name": name}, timeout=30)
    r = requests.post(api + "model-versions/create",
                      json={"name": name, "source": run["artifact_uri"], "run_id": rid},
                      timeout=30)
    assert r.status_code == 200, r.text
    lm = requests.post(api + "logged-models", json={"experiment_id": eid, "name": "lm"},
                       timeout=30).json()["model"]["info"]["model_id"]
    return {"eid": eid, "rid": rid, "name": name, "version": "1", "model_id": lm}


def query_routes(v):
    return [
        ("/get-artifact?run_uuid=%s&path=" % v["rid"], True),
        ("/get-artifact?run_id=%s&path=" % v["rid"], True),
        ("/model-versions/get-artifact?name=%s&version=1&path=" % v["name"], True),
        ("/api/2.0/mlflow/artifacts/list?run_id=%s&path=" % v["rid"], True),
        ("/ajax-api/2.0/mlflow/logged-models/%s/artifacts/files?artifact_file_path="
         % v["model_id"], True),
        ("/api/2.0/mlflow/logged-models/%s/artifacts/directories?artifact_directory_path="
         % v["model_id"], True),
    ]


def enc_query(path):
    # In a query string a raw '#' would end it; '&' and '+' would split or mangle it.
    return path.replace("#", "%23").replace("&", "%26").replace("+", "%2B")


def test_query_routes_work_on_good_paths(guard, victim):
    st, _, body = raw(guard, "GET", "/get-artifact?run_uuid=%s&path=ok.txt" % victim["rid"])
    assert st == 200 and body == b"ok"
    st, _, body = raw(guard, "GET", "/model-versions/get-artifact?name=%s&version=1&path=ok.txt"
                      % victim["name"])
    assert st == 200 and body == b"ok"


def test_traversal_query_routes(guard, victim, table):
    """/get-artifact?path=../../etc/passwd (mlflow#7166, the first LFI report), and the same
    table through /model-versions/get-artifact, artifacts/list and the logged-model routes."""
    check = Verdicts()
    for route, _ in query_routes(victim):
        for path, refuses in table:
            st, _, body = raw(guard, "GET", route + enc_query(path))
            check(st, body, (route, path), refuses)
    check.done()


def test_traversal_ui_upload(guard, victim, table):
    check = Verdicts()
    for path, refuses in table:
        st, _, body = raw(guard, "POST", "/ajax-api/2.0/mlflow/upload-artifact?run_uuid=%s&path=%s"
                          % (victim["rid"], enc_query(path)), body=b"PWNED")
        check(st, body, ("upload-artifact", path), refuses)
    check.done()


# ---- symlinks inside the destination -------------------------------------------------------

@pytest.fixture
def links(guard):
    d = os.path.join(guard.artifacts, "links-" + uname("l"))
    os.makedirs(d)
    os.symlink(os.path.join(guard.jail, "inner", "outside_dir"), os.path.join(d, "linkdir"))
    os.symlink(os.path.join(guard.jail, "sentinel.txt"), os.path.join(d, "linkfile"))
    os.symlink(os.path.join(guard.jail, "sentinel.txt"), os.path.join(d, "linkfile.txt"))
    return os.path.relpath(d, guard.artifacts)


def test_symlink_not_followed_on_get_and_list(guard, links):
    """validate_path_within_directory (MLflow) / O_NOFOLLOW walk (mltrack): a link planted
    inside the root must not lead outside it."""
    for p in ("linkdir/secret.txt", "linkfile", "linkfile.txt"):
        st, _, body = raw(guard, "GET", PROXY + "/%s/%s" % (links, p))
        assert_refused(st, body, ("GET", p))
    st, _, body = raw(guard, "GET", PROXY + "?path=%s/linkdir" % links)
    assert SECRET.encode() not in body
    if st == 200:
        assert b"secret.txt" not in body, body
    else:
        assert 400 <= st < 500, st


@pytest.mark.parametrize("target", ["linkdir/new.txt", "linkdir/secret.txt", "linkfile",
                                    "linkdir/sub/new.txt"])
def test_symlink_not_followed_on_put(guard, links, target):
    st, _, body = raw(guard, "PUT", PROXY + "/%s/%s" % (links, target), body=b"PWNED")
    # Either refused, or the write landed inside the root (replacing the link itself);
    # the guard fixture checks that nothing outside changed.
    assert st < 500 or IS_MLFLOW, (target, st, body[:200])


@pytest.mark.mltrack_only(reason="MLflow 3.17.2 follows the link on DELETE: "
                                 "LocalArtifactRepository.delete_artifacts has no "
                                 "validate_path_within_directory, so DELETE linkdir/secret.txt "
                                 "removes the file outside the destination")
@pytest.mark.parametrize("target", ["linkdir/secret.txt", "linkdir", "linkfile"])
def test_symlink_not_followed_on_delete(guard, links, target):
    st, _, body = raw(guard, "DELETE", PROXY + "/%s/%s" % (links, target))
    assert os.path.exists(os.path.join(guard.jail, "inner", "outside_dir", "secret.txt"))
    assert os.path.exists(os.path.join(guard.jail, "sentinel.txt"))


# ---- cut uploads ---------------------------------------------------------------------------

def files_under(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, fs in os.walk(root) for f in fs)


def settle_cut_uploads(guard, sub, n, keep=()):
    """What is left under sub once the server has got to its n cut uploads and nothing but
    keep remains. The clients' bytes sit in socket buffers, so a busy server may reach the
    uploads after the clients are gone: mltrack logs each cut upload; on other servers the
    directory they write to exists by then."""
    d = os.path.join(guard.artifacts, sub)

    def handled():
        if not IS_MLTRACK:
            return os.path.isdir(d)
        with open(guard.stderr_path, errors="replace") as f:
            return sum(("/%s/" % sub) in ln and "cut short" in ln for ln in f) == n

    def left():
        return files_under(d) if os.path.isdir(d) else []

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (handled() and left() == sorted(keep)):
        time.sleep(0.1)
    assert handled(), "the server never got to the cut uploads"
    return left()


def test_cut_upload_leaves_nothing(guard):
    """Content-Length 10 MB, 1 MB sent, connection closed: no file, no temporary file, and the
    server keeps serving."""
    sub = "cut-" + uname("c")
    target = PROXY + "/%s/big.bin" % sub
    s = socket.create_connection(("127.0.0.1", guard.port), timeout=30)
    s.sendall(("PUT %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: %d\r\n"
               "Content-Type: application/octet-stream\r\n\r\n"
               % (target, guard.port, 10 << 20)).encode())
    block = b"x" * 65536
    for _ in range(16):
        s.sendall(block)
    time.sleep(0.3)
    s.close()
    d = os.path.join(guard.artifacts, sub)
    assert settle_cut_uploads(guard, sub, 1) == []
    st, _, body = raw(guard, "GET", PROXY + "?path=" + sub)
    assert st == 200 and json.loads(body or b"{}").get("files") in (None, []), body
    st, _, _ = raw(guard, "GET", PROXY + "/%s/big.bin" % sub)
    assert 400 <= st < 500
    # Still serving, and the same name uploads cleanly afterwards.
    assert requests.get(guard.url + "/health", timeout=10).status_code == 200
    r = requests.put(guard.url + target, data=b"whole", timeout=30)
    assert r.status_code == 200
    assert requests.get(guard.url + target, timeout=30).content == b"whole"
    assert files_under(d) == ["big.bin"]


def test_cut_chunked_upload_and_overwrite_keeps_old_version(guard):
    """A chunked PUT that dies midway over an existing file leaves the old bytes in place."""
    sub = "cutc-" + uname("c")
    target = PROXY + "/%s/f.bin" % sub
    assert requests.put(guard.url + target, data=b"old version", timeout=30).status_code == 200
    s = socket.create_connection(("127.0.0.1", guard.port), timeout=30)
    s.sendall(("PUT %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nTransfer-Encoding: chunked\r\n\r\n"
               % (target, guard.port)).encode())
    for _ in range(8):
        s.sendall(b"10000\r\n" + b"y" * 0x10000 + b"\r\n")
    time.sleep(0.3)
    s.close()
    assert settle_cut_uploads(guard, sub, 1, keep=["f.bin"]) == ["f.bin"]
    assert requests.get(guard.url + target, timeout=30).content == b"old version"


def test_many_cut_uploads_in_parallel(guard):
    """Twenty cut uploads at once: no leftovers, server alive."""
    sub = "cutp-" + uname("c")

    def one(i):
        try:
            s = socket.create_connection(("127.0.0.1", guard.port), timeout=30)
            s.sendall(("PUT %s/%s/f%d.bin HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                       "Content-Length: 5000000\r\n\r\n" % (PROXY, sub, i, guard.port)).encode())
            s.sendall(b"z" * 200000)
            s.close()
        except OSError:
            pass
    ts = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert settle_cut_uploads(guard, sub, 20) == []
    assert requests.get(guard.url + "/health", timeout=10).status_code == 200


# ---- experiment artifact_location validation -----------------------------------------------

def create_exp(server, loc):
    return requests.post(server.url + "/api/2.0/mlflow/experiments/create",
                         json={"name": uname("loc"), "artifact_location": loc}, timeout=30)


@pytest.mark.parametrize("loc", [
    "http:///#/../../../../../../../../etc/",          # CVE-2024-1483 proof of concept
    "mlflow-artifacts:/x#/../../../../etc/",            # CVE-2024-3848 / CVE-2024-1594
    "file:///tmp/x#/../../etc",
    "s3://bucket/path#frag",
    "http://localhost/x;/../../etc/passwd;p",          # CVE-2024-1593: `;` params
    "runs:/0123456789abcdef/artifacts",
    "runs:/x",
])
def test_artifact_location_fragments_params_runs_refused(jail_server, loc):
    r = create_exp(jail_server, loc)
    assert r.status_code == 400, (loc, r.status_code, r.text)
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize("loc", [
    "s3://bucket/path?x=../../etc",
    "mlflow-artifacts:/x?p=../../../etc",
    "s3://bucket/path?x=%2e%2e%2f%2e%2e%2fetc",
    "s3://bucket/path?x=%252e%252e%252fetc",
])
def test_artifact_location_dotdot_in_query_refused(jail_server, loc):
    """`..` in the query string of artifact_location (mlflow PR #10653, Dec 2023): the run's
    URI is built by appending /<run_id>/artifacts before the query, so a query holding `..`
    could steer the path."""
    r = create_exp(jail_server, loc)
    assert r.status_code == 400, (loc, r.status_code, r.text)
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_user_supplied_url_is_never_fetched(jail_server):
    """An experiment whose artifact_location names some host: the server must not connect to
    it when asked to list or serve the run's artifacts (MLflow refuses host-addressed schemes
    at creation; mltrack serves only mlflow-artifacts: locations)."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(8)
    lst.settimeout(0.5)
    port = lst.getsockname()[1]
    try:
        r = create_exp(jail_server, "http://127.0.0.1:%d/steal" % port)
        if r.status_code != 200:
            assert 400 <= r.status_code < 500
            return
        eid = r.json()["experiment_id"]
        api = jail_server.url + "/api/2.0/mlflow/"
        rid = requests.post(api + "runs/create", json={"experiment_id": eid},
                            timeout=30).json()["run"]["info"]["run_id"]
        for path in ("/get-artifact?run_uuid=%s&path=a.txt" % rid,
                     "/api/2.0/mlflow/artifacts/list?run_id=%s" % rid,
                     "/api/2.0/mlflow/artifacts/list?run_id=%s&path=x" % rid):
            st, _, _ = raw(jail_server, "GET", path)
            assert st != 200 or path.startswith("/api"), (path, st)
        st, _, _ = raw(jail_server, "POST",
                       "/ajax-api/2.0/mlflow/upload-artifact?run_uuid=%s&path=a.txt" % rid,
                       body=b"x")
        with pytest.raises(socket.timeout):
            conn, _ = lst.accept()
            conn.close()
    finally:
        lst.close()


# ---- model version sources (read back through /model-versions/get-artifact) ----------------

def mv_read(server, name, version, path):
    return raw(server, "GET", "/model-versions/get-artifact?name=%s&version=%s&path=%s"
               % (name, version, urllib.parse.quote(path)))


def try_source(server, source, run_id=None, tags=None):
    """Registers a version with this source; if the server takes it, reads sentinel.txt and
    passwd back through the UI route. Returns the create status."""
    api = server.url + "/api/2.0/mlflow/"
    name = uname("src")
    requests.post(api + "registered-models/create", json={"name": name}, timeout=30)
    body = {"name": name, "source": source}
    if run_id:
        body["run_id"] = run_id
    if tags:
        body["tags"] = tags
    r = requests.post(api + "model-versions/create", json=body, timeout=30)
    if r.status_code != 200:
        assert 400 <= r.status_code < 500, (source, r.status_code, r.text)
        return r.status_code
    v = r.json()["model_version"]["version"]
    for p in ("sentinel.txt", "inner/sentinel.txt", "passwd", "../sentinel.txt",
              "outside_dir/secret.txt"):
        st, _, data = mv_read(server, name, v, p)
        assert SECRET.encode() not in data, (source, p, st)
        assert b"root:x:0:0" not in data, (source, p, st)
    return r.status_code


def test_mv_local_source_not_served(jail_server, victim):
    """CVE-2023-1177: a model version whose source is a local directory, read back through
    /model-versions/get-artifact (and CVE-2024-1558: with a run_id whose artifacts are not
    local)."""
    j = jail_server.jail
    for src in (j, j + "/", "file://" + j, "file://" + j + "/inner", "/etc", "file:///etc/"):
        try_source(jail_server, src)
        try_source(jail_server, src, run_id=victim["rid"])


def test_mv_prompt_tag_does_not_bypass(jail_server, victim):
    """CVE-2026-2614: the mlflow.prompt.is_prompt tag skipped source validation in
    _create_model_version, and get-artifact then served the local path."""
    tags = [{"key": "mlflow.prompt.is_prompt", "value": "true"}]
    for src in (jail_server.jail, "file://" + jail_server.jail, "/etc"):
        try_source(jail_server, src, tags=tags)
        try_source(jail_server, src, run_id=victim["rid"], tags=tags)


def test_mv_relative_and_backslash_sources(jail_server, victim):
    """CVE-2023-2356 (`..` in the source, any scheme) and CVE-2023-2780 (`\\..\\..\\` in a
    file: source)."""
    eid, rid = victim["eid"], victim["rid"]
    up = "../" * 12
    for src in ("mlflow-artifacts:/%s/%s/artifacts/../../../../" % (eid, rid),
                "mlflow-artifacts:/%s/%s/artifacts/%s%s" % (eid, rid, up, jail_server.jail[1:]),
                "mlflow-artifacts:/%s/%s/artifacts/%%2e%%2e/%%2e%%2e/%%2e%%2e" % (eid, rid),
                "runs:/%s/../../../../../../etc" % rid,
                "file://" + jail_server.artifacts + "/../..",
                "file://" + jail_server.artifacts + "\\..\\..",
                "file:///" + jail_server.artifacts + "/\\..\\..\\",
                jail_server.artifacts + "/../../"):
        try_source(jail_server, src)
        try_source(jail_server, src, run_id=rid)


def test_fragment_location_chain(jail_server):
    """CVE-2024-1483 end to end: experiment at http:///#/../../<jail>/, a run in it, a model
    version whose source is the local jail, read through /model-versions/get-artifact."""
    r = create_exp(jail_server, "http:///#/../../../../../../../.." + jail_server.jail + "/")
    if r.status_code == 200:
        eid = r.json()["experiment_id"]
        rid = requests.post(jail_server.url + "/api/2.0/mlflow/runs/create",
                            json={"experiment_id": eid}, timeout=30).json()["run"]["info"]["run_id"]
        try_source(jail_server, "file://" + jail_server.jail + "/", run_id=rid)
        st, _, body = raw(jail_server, "GET", "/get-artifact?run_uuid=%s&path=sentinel.txt" % rid)
        assert SECRET.encode() not in body
    else:
        assert r.status_code == 400


def test_local_artifact_location_confined_to_the_run(jail_server):
    """An experiment may name a local directory as its artifact_location (MLflow allows it, and
    serves the run's files from <location>/<run_id>/artifacts): nothing outside that directory
    can be read or written through the run."""
    r = create_exp(jail_server, jail_server.jail)
    assert r.status_code == 200
    eid = r.json()["experiment_id"]
    rid = requests.post(jail_server.url + "/api/2.0/mlflow/runs/create",
                        json={"experiment_id": eid}, timeout=30).json()["run"]["info"]["run_id"]
    run_root = os.path.join(jail_server.jail, rid, "artifacts")
    for path in ("/get-artifact?run_uuid=%s&path=sentinel.txt" % rid,
                 "/get-artifact?run_uuid=%s&path=../sentinel.txt" % rid,
                 "/get-artifact?run_uuid=%s&path=../../sentinel.txt" % rid,
                 "/get-artifact?run_uuid=%s&path=%%2e%%2e/%%2e%%2e/sentinel.txt" % rid,
                 "/api/2.0/mlflow/artifacts/list?run_id=%s&path=../.." % rid):
        st, _, body = raw(jail_server, "GET", path)
        assert SECRET.encode() not in body and st != 200, (path, st, body[:200])
    # Listing the (not yet existing) run directory shows nothing and creates nothing.
    st, _, body = raw(jail_server, "GET", "/api/2.0/mlflow/artifacts/list?run_id=%s" % rid)
    assert st == 200 and SECRET.encode() not in body, (st, body[:200])
    assert not os.path.exists(os.path.join(jail_server.jail, rid))
    for target in ("../dropped.txt", "../../dropped.txt", "%2e%2e/%2e%2e/dropped.txt"):
        st, _, _ = raw(jail_server, "POST", "/ajax-api/2.0/mlflow/upload-artifact?run_uuid=%s"
                       "&path=%s" % (rid, target), body=b"PWNED")
        assert st == 400, (target, st)
    assert not os.path.exists(os.path.join(jail_server.jail, "dropped.txt"))
    assert not os.path.exists(os.path.join(jail_server.jail, rid))
    st, _, _ = raw(jail_server, "POST",
                   "/ajax-api/2.0/mlflow/upload-artifact?run_uuid=%s&path=dropped.txt" % rid,
                   body=b"inside")
    assert st == 200
    with open(os.path.join(run_root, "dropped.txt"), "rb") as f:
        assert f.read() == b"inside"
    # A symlink planted in the run's directory leads nowhere.
    os.symlink(os.path.join(jail_server.jail, "sentinel.txt"), os.path.join(run_root, "ln.txt"))
    st, _, body = raw(jail_server, "GET", "/get-artifact?run_uuid=%s&path=ln.txt" % rid)
    assert SECRET.encode() not in body and st != 200, (st, body[:200])
