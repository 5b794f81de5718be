"""Harness for the integration suite.

The server under test is chosen by MLTRACK_TARGET:
  mltrack (default)  -> $MLTRACK_BIN server <flags>   (MLTRACK_BIN defaults to <repo>/build/server/mltrack)
  mlflow             -> python -m mlflow server <flags> --workers 1   (the reference)

Both get: --backend-store-uri sqlite:///<tmp>/mlflow.db --host 127.0.0.1 --port <free>
          --artifacts-destination <tmp>/mlartifacts

Tests marked `mltrack_only` encode behaviour where mltrack deliberately differs from (or goes
beyond) the reference; they are skipped, with the reason printed, under MLTRACK_TARGET=mlflow.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import requests

# The client retries 500/502/503/504/429/408 up to 7 times with exponential backoff, which turns
# a wrong 5xx from the server into minutes of waiting. Fail fast instead: the suite wants to see
# the first answer. (Set before mlflow reads them; they are read at call time.)
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "60"
for _v in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME",
           "MLFLOW_RUN_ID", "MLFLOW_ENABLE_ASYNC_LOGGING"):
    os.environ.pop(_v, None)

import mlflow  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("MLTRACK_TARGET", "mltrack").strip().lower()
if TARGET not in ("mltrack", "mlflow"):
    raise pytest.UsageError("MLTRACK_TARGET must be 'mltrack' or 'mlflow', not %r" % TARGET)
MLTRACK_BIN = os.environ.get("MLTRACK_BIN", os.path.join(REPO, "build", "server", "mltrack"))
IS_MLTRACK = TARGET == "mltrack"
IS_MLFLOW = TARGET == "mlflow"

START_TIMEOUT = 60.0 if IS_MLFLOW else 15.0


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "mltrack_only(reason): behaviour mltrack defines where MLflow differs (or a test that "
        "needs the mltrack binary); skipped under MLTRACK_TARGET=mlflow")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


def pytest_report_header(config):
    if IS_MLTRACK:
        return "server under test: mltrack (%s)" % MLTRACK_BIN
    return "server under test: mlflow %s (reference)" % mlflow.__version__


def pytest_collection_modifyitems(config, items):
    if not IS_MLFLOW:
        return
    for item in items:
        m = item.get_closest_marker("mltrack_only")
        if m is not None:
            why = m.kwargs.get("reason") or (m.args[0] if m.args else "mltrack-specific behaviour")
            item.add_marker(pytest.mark.skip(reason="mltrack_only (target is mlflow): " + why))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process on a fresh (or given) SQLite file."""

    def __init__(self, workdir, db_path=None, target=TARGET):
        self.workdir = workdir
        self.target = target
        self.db_path = db_path or os.path.join(workdir, "mlflow.db")
        self.artifacts = os.path.join(workdir, "mlartifacts")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.stderr_path = os.path.join(workdir, "server-%d.stderr" % self.port)
        self.proc = None
        self.returncode = None

    def command(self):
        flags = ["--backend-store-uri", "sqlite:///" + self.db_path,
                 "--host", "127.0.0.1", "--port", str(self.port),
                 "--artifacts-destination", self.artifacts]
        if self.target == "mltrack":
            return [MLTRACK_BIN, "server"] + flags
        return [sys.executable, "-m", "mlflow", "server"] + flags + ["--workers", "1"]

    def tail(self, n=60):
        try:
            with open(self.stderr_path, errors="replace") as f:
                lines = f.readlines()
            return "".join(lines[-n:])
        except OSError:
            return "(no stderr captured)"

    def start(self):
        if self.target == "mltrack" and not os.access(MLTRACK_BIN, os.X_OK):
            pytest.fail("mltrack binary not found or not executable: %s (build it with "
                        "`meson setup build && ninja -C build`, or set MLTRACK_BIN, or run "
                        "with MLTRACK_TARGET=mlflow)" % MLTRACK_BIN, pytrace=False)
        env = dict(os.environ)
        # Reference server: no background job runner (huey consumer) eating a core.
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.command(), cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=self._err, stderr=self._err, env=env,
                                     start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail("server exited with code %s during start-up:\n%s"
                            % (self.proc.returncode, self.tail()), pytrace=False)
            try:
                r = requests.get(self.url + "/health", timeout=2)
                if r.status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.kill()
        pytest.fail("server did not answer /health within %.0fs:\n%s" % (START_TIMEOUT, self.tail()),
                    pytrace=False)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def stop(self):
        """SIGTERM; returns the exit code. mlflow server is a tree (uvicorn child), so the
        reference gets the signal on its whole process group; mltrack only on its pid."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            if self.target == "mltrack":
                self.proc.send_signal(signal.SIGTERM)
            else:
                try:
                    os.killpg(self.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
                self.returncode = "timeout (killed)"
                return self.returncode
        # Reap anything left in the group (uvicorn children of the reference).
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._err.close()
        self.returncode = self.proc.returncode
        return self.returncode

    def check_clean_exit(self):
        rc = self.stop()
        if self.target == "mltrack" and rc != 0:
            pytest.fail("mltrack exited with %r after SIGTERM (expected 0):\n%s" % (rc, self.tail()),
                        pytrace=False)
        return rc


def start_server(workdir, db_path=None, target=TARGET):
    return Server(workdir, db_path=db_path, target=target).start()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = start_server(str(tmp_path_factory.mktemp("server")))
    yield s
    s.check_clean_exit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        srv = getattr(item, "funcargs", {}).get("server") or getattr(item, "_mltrack_server", None)
        if srv is None:
            for v in getattr(item, "funcargs", {}).values():
                if isinstance(v, Server):
                    srv = v
                    break
        if isinstance(srv, Server):
            rep.sections.append(("server stderr (tail)", srv.tail(40)))


@pytest.fixture(scope="session")
def base_url(server):
    return server.url


@pytest.fixture
def fresh_server(tmp_path):
    """A server on an empty database, for the few tests that need one (slow for mlflow)."""
    s = start_server(str(tmp_path))
    yield s
    s.check_clean_exit()


def _reset_fluent():
    while mlflow.active_run() is not None:
        mlflow.end_run()
    import mlflow.tracking.fluent as fluent
    fluent._active_experiment_id = None
    for v in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"):
        os.environ.pop(v, None)


@pytest.fixture
def client(base_url):
    return MlflowClient(tracking_uri=base_url)


@pytest.fixture
def tracking(base_url):
    """mlflow.* fluent API pointed at the server; active run/experiment reset around the test."""
    _reset_fluent()
    mlflow.set_tracking_uri(base_url)
    yield mlflow
    _reset_fluent()


def uname(prefix="exp"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


@pytest.fixture
def exp_id(client):
    """A fresh, uniquely named experiment."""
    return client.create_experiment(uname("it"))


class Api:
    """Small raw-HTTP helper. `get`/`post` take the path after /api/2.0/mlflow/."""

    def __init__(self, base):
        self.base = base
        self.s = requests.Session()

    def url(self, path, prefix="/api/2.0/mlflow/"):
        if path.startswith("/"):
            return self.base + path
        return self.base + prefix + path

    def get(self, path, params=None, **kw):
        return self.s.get(self.url(path), params=params, timeout=60, **kw)

    def post(self, path, json=None, **kw):
        return self.s.post(self.url(path), json=json, timeout=60, **kw)

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 60)
        return self.s.request(method, self.url(path), **kw)

    # Convenience wrappers that assert success and return the JSON body.
    def ok_get(self, path, params=None):
        r = self.get(path, params)
        assert r.status_code == 200, (path, r.status_code, r.text[:500])
        return r.json()

    def ok_post(self, path, json=None):
        r = self.post(path, json)
        assert r.status_code == 200, (path, r.status_code, r.text[:500])
        return r.json()


@pytest.fixture(scope="session")
def api(base_url):
    return Api(base_url)


def assert_error(r, status, code, msg_contains=None):
    """Assert an MLflow JSON error answer."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert body.get("error_code") == code, body
    assert isinstance(body.get("message"), str) and body["message"], body
    if msg_contains is not None:
        assert msg_contains in body["message"], body
    return body


def now_ms():
    return int(time.time() * 1000)
