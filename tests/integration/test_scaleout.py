"""Several mltrack processes on one PostgreSQL database (issue 5).

- Three processes started at the same moment on an empty database: the schema is created once
  (pg_advisory_xact_lock), all three come up.
- Those three serve many client threads at once, which create runs, log batches (to their own
  runs and all to one shared run) and register versions of one model. Afterwards every
  acknowledged write is there exactly once, version numbers are 1..N without duplicates or gaps,
  and every process answers every read identically.
- The database restarts (and is down for a while) under a running server: requests fail with a
  clean 503 TEMPORARILY_UNAVAILABLE, never a 500; the process stays up and reconnects; every write
  it acknowledged is there.

PostgreSQL only (skipped under MLTRACK_BACKEND=sqlite); mltrack only."""
import random
import threading
import time
import uuid

import pytest
import requests

import pgcluster
from conftest import Server, assert_error

pytestmark = pytest.mark.mltrack_only(reason="starts several mltrack processes")

API = "/api/2.0/mlflow/"
PROCS = 3
THREADS = 16
ITERS = 15


class Client:
    """Raw JSON over one keep-alive session; retries 503 (the documented retryable answer)."""

    def __init__(self, url):
        self.url = url
        self.s = requests.Session()
        self.retries = 0

    def call(self, method, path, body=None, params=None, ok_statuses=(200,)):
        for attempt in range(20):
            r = self.s.request(method, self.url + API + path, json=body, params=params, timeout=60)
            if r.status_code == 503 and attempt < 19:
                self.retries += 1
                time.sleep(0.05 * (attempt + 1))
                continue
            assert r.status_code in ok_statuses, (self.url, path, r.status_code, r.text[:300])
            return r.json()

    def post(self, path, body):
        return self.call("POST", path, body)

    def get(self, path, params):
        return self.call("GET", path, params=params)


def _start_all(servers):
    """Starts the servers at the same moment (one thread each)."""
    errors = []

    def go(s):
        try:
            s.start()
        except BaseException as e:  # pytest.fail raises Failed (a BaseException)
            errors.append("%s: %s" % (s.url, e))
    threads = [threading.Thread(target=go, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.fixture(scope="module")
def trio(pg, tmp_path_factory):
    uri = pg.create_database()
    servers = [Server(str(tmp_path_factory.mktemp("scale%d" % i)), backend_uri=uri)
               for i in range(PROCS)]
    errors = _start_all(servers)
    yield uri, servers, errors
    for s in servers:
        s.stop()


def _one(server, sql, params=()):
    rows = server.db_query(sql, params)
    assert len(rows) == 1, rows
    return rows[0]


def test_three_processes_start_at_once_on_an_empty_database(trio, pg, tmp_path):
    uri, servers, errors = trio
    assert errors == []
    s = servers[0]
    assert _one(s, "SELECT count(*), min(version_num) FROM alembic_version")[0] == 1
    assert s.db_query("SELECT experiment_id, name FROM experiments") == [(0, "Default")]
    assert _one(s, "SELECT count(*) FROM mltrack_registry_audit") == (0,)
    for srv in servers:
        assert Client(srv.url).get("experiments/get", {"experiment_id": "0"})["experiment"]["name"] == "Default"
    # Once more with fresh processes on another empty database, to give the race a second chance.
    uri2 = pg.create_database()
    more = [Server(str(tmp_path / ("again%d" % i)), backend_uri=uri2) for i in range(PROCS)]
    for m in more:
        __import__("os").makedirs(m.workdir, exist_ok=True)
    try:
        assert _start_all(more) == []
        assert more[0].db_query("SELECT count(*) FROM experiments") == [(1,)]
    finally:
        for m in more:
            m.stop()


def test_many_clients_across_three_processes(trio):
    uri, servers, errors = trio
    assert errors == []
    boss = Client(servers[0].url)
    exp = boss.post("experiments/create", {"name": "scale-" + uuid.uuid4().hex[:8]})["experiment_id"]
    model = "scale-model-" + uuid.uuid4().hex[:8]
    boss.post("registered-models/create", {"name": model})
    shared = boss.post("runs/create", {"experiment_id": exp, "start_time": 1})["run"]["info"]["run_id"]

    acked_runs = {}      # run_id -> (thread, iteration)
    acked_versions = []  # version numbers as returned
    failures = []
    lock = threading.Lock()
    clients = []

    def worker(t):
        c = Client(servers[t % PROCS].url)
        with lock:
            clients.append(c)
        try:
            for i in range(ITERS):
                rid = c.post("runs/create", {"experiment_id": exp, "start_time": 1000 + i,
                                             "tags": [{"key": "who", "value": "%d-%d" % (t, i)}]})
                rid = rid["run"]["info"]["run_id"]
                with lock:
                    acked_runs[rid] = (t, i)
                c.post("runs/log-batch", {
                    "run_id": rid,
                    "params": [{"key": "p", "value": "%d-%d" % (t, i)}],
                    "tags": [{"key": "t", "value": str(t)}],
                    "metrics": [{"key": "m", "value": float(s * t + i), "timestamp": 10 + s, "step": s}
                                for s in range(5)]})
                # Everyone writes into one run through every process at once.
                c.post("runs/log-batch", {
                    "run_id": shared,
                    "params": [{"key": "p%d_%d" % (t, i), "value": str(i)}],
                    "metrics": [{"key": "t%d" % t, "value": float(i), "timestamp": 100 + i, "step": i},
                                {"key": "shared", "value": float(t * 1000 + i), "timestamp": 5,
                                 "step": t * 1000 + i}]})
                v = c.post("model-versions/create", {"name": model, "source": "s3://b/%d/%d" % (t, i),
                                                     "run_id": rid})
                with lock:
                    acked_versions.append(int(v["model_version"]["version"]))
                if i % 3 == 0:
                    c.post("model-versions/set-tag", {"name": model, "version": v["model_version"]["version"],
                                                      "key": "by", "value": str(t)})
        except BaseException as e:  # noqa: BLE001 - collected and reported below
            with lock:
                failures.append("thread %d: %r" % (t, e))

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - t0
    assert failures == []
    n = THREADS * ITERS
    assert len(acked_runs) == n
    # Version numbers: allocated atomically across processes -- no duplicates, none skipped.
    assert sorted(acked_versions) == list(range(1, n + 1))

    # Exactly once, seen directly in the database...
    s = servers[0]
    assert _one(s, "SELECT count(*), count(DISTINCT run_uuid) FROM runs WHERE experiment_id = ?",
                (int(exp),)) == (n + 1, n + 1)
    assert _one(s, "SELECT count(*), count(DISTINCT version) FROM model_versions WHERE name = ?",
                (model,)) == (n, n)
    assert _one(s, "SELECT count(*) FROM metrics WHERE run_uuid = ?", (shared,)) == (2 * n,)
    assert _one(s, "SELECT count(*) FROM params WHERE run_uuid = ?", (shared,)) == (n,)

    # ... and every process answers every read the same way.
    clients = [Client(x.url) for x in servers]

    def search_all(c):
        ids, token = [], None
        while True:
            body = {"experiment_ids": [exp], "max_results": 50}
            if token:
                body["page_token"] = token
            r = c.post("runs/search", body)
            ids += [x["info"]["run_id"] for x in r.get("runs", [])]
            token = r.get("next_page_token")
            if not token:
                return ids
    searches = [search_all(c) for c in clients]
    assert searches[0] == searches[1] == searches[2]
    assert sorted(searches[0]) == sorted(list(acked_runs) + [shared])

    versions = [sorted((v["version"], v["source"], v.get("run_id"))
                       for v in c.get("model-versions/search", {"filter": "name = '%s'" % model,
                                                                 "max_results": 1000})["model_versions"])
                for c in clients]
    assert versions[0] == versions[1] == versions[2] and len(versions[0]) == n

    def run_view(c, rid):
        r = c.get("runs/get", {"run_id": rid})["run"]
        d = r["data"]
        return (r["info"]["status"], sorted((p["key"], p["value"]) for p in d.get("params", [])),
                sorted((m["key"], m["value"], m["step"]) for m in d.get("metrics", [])),
                sorted((t["key"], t["value"]) for t in d.get("tags", [])))
    sample = random.Random(5).sample(sorted(acked_runs), 24)
    for rid in sample:
        t, i = acked_runs[rid]
        views = [run_view(c, rid) for c in clients]
        assert views[0] == views[1] == views[2]
        assert ("p", "%d-%d" % (t, i)) in views[0][1]
        hist = [c.get("metrics/get-history", {"run_id": rid, "metric_key": "m"})["metrics"] for c in clients]
        assert hist[0] == hist[1] == hist[2]
        assert sorted((m["step"], m["value"]) for m in hist[0]) == [(st, float(st * t + i)) for st in range(5)]

    views = [run_view(c, shared) for c in clients]
    assert views[0] == views[1] == views[2]
    assert len(views[0][1]) == n
    latest = dict((k, (v, st)) for k, v, st in views[0][2])
    assert latest["shared"] == (float((THREADS - 1) * 1000 + ITERS - 1), (THREADS - 1) * 1000 + ITERS - 1)
    for t in range(THREADS):
        assert latest["t%d" % t] == (float(ITERS - 1), ITERS - 1)
    hist = clients[1].get("metrics/get-history", {"run_id": shared, "metric_key": "shared"})["metrics"]
    assert sorted(m["step"] for m in hist) == sorted(t * 1000 + i for t in range(THREADS) for i in range(ITERS))
    print("\n%d client threads x %d iterations over %d processes: %.1fs (%.0f writes/s)"
          % (THREADS, ITERS, PROCS, elapsed, 4 * n / elapsed))


@pytest.fixture
def own_cluster(pg):
    """A cluster of its own, since this test restarts and stops it."""
    c = pgcluster.PgCluster().start()
    yield c
    c.stop()


def test_database_restart_gives_503_then_recovers(own_cluster, tmp_path):
    uri = own_cluster.create_database()
    srv = Server(str(tmp_path), backend_uri=uri, extra_args=["--workers", "3"]).start()
    try:
        c = Client(srv.url)
        exp = c.post("experiments/create", {"name": "restart"})["experiment_id"]
        rid = c.post("runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
        acked, stop, seen = [], threading.Event(), {"500": [], "503": 0}

        def writer():
            s = requests.Session()
            step = 0
            while not stop.is_set():
                r = s.post(srv.url + API + "runs/log-metric", timeout=60,
                           json={"run_id": rid, "key": "k", "value": step, "timestamp": step, "step": step})
                if r.status_code == 200:
                    acked.append(step)
                elif r.status_code == 503:
                    assert r.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
                    seen["503"] += 1
                else:
                    seen["500"].append((r.status_code, r.text[:200]))
                step += 1
                time.sleep(0.005)
        th = threading.Thread(target=writer)
        th.start()
        time.sleep(0.3)
        own_cluster.restart()
        time.sleep(0.3)
        # Down for a while: a clean 503 for requests that need the database.
        own_cluster.pause()
        r = requests.post(srv.url + API + "runs/create", json={"experiment_id": exp}, timeout=60)
        assert_error(r, 503, "TEMPORARILY_UNAVAILABLE")
        r = requests.get(srv.url + API + "runs/get", params={"run_id": rid}, timeout=60)
        assert_error(r, 503, "TEMPORARILY_UNAVAILABLE")
        assert requests.get(srv.url + "/health", timeout=10).status_code == 200
        own_cluster.resume()
        time.sleep(0.5)
        stop.set()
        th.join()
        assert srv.proc.poll() is None, "the server died:\n" + srv.tail()
        assert seen["500"] == []
        # Back to normal on every worker, and every acknowledged write is there.
        for _ in range(10):
            assert c.get("runs/get", {"run_id": rid})["run"]["info"]["run_id"] == rid
        hist = c.get("metrics/get-history", {"run_id": rid, "metric_key": "k"})["metrics"]
        got = {int(m["step"]) for m in hist}
        assert set(acked) <= got
        assert len(acked) > 10
        print("\nrestart: %d writes acknowledged, %d answered 503" % (len(acked), seen["503"]))
        c.post("runs/create", {"experiment_id": exp})
    finally:
        srv.check_clean_exit()
