"""Harness for the integration suite.

The server under test is chosen by MLTRACK_TARGET:
  mltrack (default)  -> $MLTRACK_BIN server <flags>   (MLTRACK_BIN defaults to <repo>/build/server/mltrack)
  mlflow             -> python -m mlflow server <flags> --workers 1   (the reference)

Both get: --backend-store-uri <db> --host 127.0.0.1 --port <free>
          --artifacts-destination <tmp>/mlartifacts

The database is chosen by MLTRACK_BACKEND: sqlite | postgres | both (default: both). The session
fixture `server` (and everything built on it: base_url, client, api, tracking, fresh_server) is
parametrized by the `backend` fixture, so the suite runs once per backend; test ids end in
[sqlite] or [postgres]. <db> is sqlite:///<tmp>/mlflow.db, or a fresh database in a private
PostgreSQL cluster that the suite starts on loopback (pgcluster.py; Debian's `postgresql`
package). MLTRACK_BACKEND=sqlite is the SQLite-only subset for a machine without PostgreSQL:
PostgreSQL-only tests are then skipped with that reason.

Tests marked `mltrack_only` encode behaviour where mltrack deliberately differs from (or goes
beyond) the reference; they are skipped, with the reason printed, under MLTRACK_TARGET=mlflow.
"""
import atexit
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

import pgcluster  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("MLTRACK_TARGET", "mltrack").strip().lower()
if TARGET not in ("mltrack", "mlflow"):
    raise pytest.UsageError("MLTRACK_TARGET must be 'mltrack' or 'mlflow', not %r" % TARGET)
MLTRACK_BIN = os.environ.get("MLTRACK_BIN", os.path.join(REPO, "build", "server", "mltrack"))
IS_MLTRACK = TARGET == "mltrack"
IS_MLFLOW = TARGET == "mlflow"

START_TIMEOUT = 60.0 if IS_MLFLOW else 15.0

BACKEND = os.environ.get("MLTRACK_BACKEND", "both").strip().lower()
if BACKEND not in ("sqlite", "postgres", "both"):
    raise pytest.UsageError("MLTRACK_BACKEND must be 'sqlite', 'postgres' or 'both', not %r" % BACKEND)
BACKENDS = ["sqlite", "postgres"] if BACKEND == "both" else [BACKEND]
SQLITE_ONLY_REASON = ("PostgreSQL backend not selected (MLTRACK_BACKEND=%s); run with "
                      "MLTRACK_BACKEND=both to include it" % BACKEND)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "mltrack_only(reason): behaviour mltrack defines where MLflow differs (or a test that "
        "needs the mltrack binary); skipped under MLTRACK_TARGET=mlflow")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


def pytest_report_header(config):
    be = "backends: %s" % ", ".join(BACKENDS)
    if IS_MLTRACK:
        return "server under test: mltrack (%s); %s" % (MLTRACK_BIN, be)
    return "server under test: mlflow %s (reference); %s" % (mlflow.__version__, be)


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
    """One server process on a fresh (or given) SQLite file, or on the PostgreSQL database
    backend_uri (postgresql://...)."""

    def __init__(self, workdir, db_path=None, target=TARGET, backend_uri=None, extra_args=(),
                 extra_env=None):
        self.workdir = workdir
        self.extra_env = dict(extra_env or {})
        self.target = target
        self.db_path = db_path or os.path.join(workdir, "mlflow.db")
        self.backend_uri = backend_uri or "sqlite:///" + self.db_path
        self.backend_kind = "postgres" if self.backend_uri.startswith("postgres") else "sqlite"
        self.extra_args = list(extra_args)
        self.artifacts = os.path.join(workdir, "mlartifacts")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.stderr_path = os.path.join(workdir, "server-%d.stderr" % self.port)
        self.proc = None
        self.returncode = None

    def command(self):
        uri = self.backend_uri
        if self.target == "mlflow" and self.backend_kind == "postgres":
            uri = sqlalchemy_uri(uri)
        flags = ["--backend-store-uri", uri,
                 "--host", "127.0.0.1", "--port", str(self.port),
                 "--artifacts-destination", self.artifacts] + self.extra_args
        if self.target == "mltrack":
            return [MLTRACK_BIN, "server"] + flags
        return [sys.executable, "-m", "mlflow", "server"] + flags + ["--workers", "1"]

    def db_query(self, sql, params=()):
        """Runs one statement with ?-placeholders directly on the server's database (SQLite or
        PostgreSQL); returns the rows (a list of tuples; [] for statements without)."""
        if self.backend_kind == "sqlite":
            import sqlite3
            con = sqlite3.connect(self.db_path, timeout=30)
            try:
                rows = con.execute(sql, params).fetchall()
                con.commit()
                return rows
            finally:
                con.close()
        import psycopg2
        con = psycopg2.connect(self.backend_uri)
        try:
            with con.cursor() as cur:
                cur.execute(sql.replace("?", "%s"), params)
                rows = cur.fetchall() if cur.description else []
            con.commit()
            return rows
        finally:
            con.close()

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
        env.update(self.extra_env)
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.command(), cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=self._err, stderr=self._err, env=env,
                                     start_new_session=True)
        # The reference needs longer to start, also when a test starts one beside mltrack.
        deadline = time.monotonic() + (max(START_TIMEOUT, 60.0) if self.target == "mlflow"
                                       else START_TIMEOUT)
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
        pytest.fail("server did not answer /health in time:\n%s" % self.tail(), pytrace=False)

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


def sqlalchemy_uri(uri):
    """The spelling MLflow (SQLAlchemy) needs for our postgresql:// URIs: the psycopg2 driver
    (SQLAlchemy 2.1 defaults to psycopg 3, which the test requirements do not install)."""
    if uri.startswith("postgresql://"):
        return "postgresql+psycopg2://" + uri[len("postgresql://"):]
    return uri


def start_server(workdir, db_path=None, target=TARGET, backend_uri=None):
    return Server(workdir, db_path=db_path, target=target, backend_uri=backend_uri).start()


_pg = {"cluster": None, "error": None}


def pg_cluster():
    """The suite's private PostgreSQL cluster, started on first use (stopped at session end);
    fails the calling test with a clear message when it cannot be started."""
    if BACKEND == "sqlite":
        pytest.skip(SQLITE_ONLY_REASON)
    if _pg["cluster"] is None and _pg["error"] is None:
        if not pgcluster.available():
            _pg["error"] = ("PostgreSQL server binaries not found (Debian package `postgresql`; "
                            "./dev installs it). Run with MLTRACK_BACKEND=sqlite to test SQLite only.")
        else:
            try:
                _pg["cluster"] = pgcluster.PgCluster().start()
                atexit.register(_pg["cluster"].stop)  # also when the session dies early
            except Exception as e:  # noqa: BLE001 - reported as a test failure
                _pg["error"] = "cannot start a PostgreSQL cluster: %s" % e
    if _pg["error"]:
        pytest.fail(_pg["error"], pytrace=False)
    return _pg["cluster"]


def pytest_sessionfinish(session, exitstatus):
    if _pg["cluster"] is not None:
        _pg["cluster"].stop()
        _pg["cluster"] = None


def backend_uri_for(backend):
    """None for SQLite (the server's own file), else a fresh PostgreSQL database."""
    if backend == "postgres":
        return pg_cluster().create_database()
    return None


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    """'sqlite' or 'postgres': the database of `server` and `fresh_server`."""
    if request.param == "postgres":
        pg_cluster()
    return request.param


@pytest.fixture(scope="session")
def pg():
    """The PostgreSQL cluster, for tests that only make sense there (not parametrized;
    skipped under MLTRACK_BACKEND=sqlite)."""
    return pg_cluster()


@pytest.fixture(scope="session")
def server(tmp_path_factory, backend):
    s = start_server(str(tmp_path_factory.mktemp("server")), backend_uri=backend_uri_for(backend))
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
def fresh_server(tmp_path, backend):
    """A server on an empty database, for the few tests that need one (slow for mlflow)."""
    s = start_server(str(tmp_path), backend_uri=backend_uri_for(backend))
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


@pytest.fixture
def traced(tracking, client):
    """A fresh experiment for traces, the fluent API pointed at it and its tracer reset."""
    exp = client.create_experiment(uname("traces"))
    tracking.set_experiment(experiment_id=exp)
    mlflow.tracing.reset()
    yield exp


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


def export_otlp_json(base_url, exp, *spans):
    """POST spans (OTLP JSON dicts) to /v1/traces for experiment exp, as one batch."""
    body = {"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]}
    r = requests.post(base_url + "/v1/traces", json=body,
                      headers={"x-mlflow-experiment-id": exp}, timeout=30)
    assert r.status_code == 200, r.text


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


def write_tree(root, files):
    """Writes {relative path with '/': bytes} below the directory root."""
    for rel, data in files.items():
        p = os.path.join(root, *rel.split("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)


def now_ms():
    return int(time.time() * 1000)
