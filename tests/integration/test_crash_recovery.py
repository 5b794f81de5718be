"""kill -9 under concurrent writes: a few cycles of writer threads hammering one server that
is killed without warning at a random moment, then started again on the same database.
After each restart every acknowledged write is there exactly once, every write is all or
nothing (a batch has all of its rows or none), and the database passes its integrity check
(SQLite's PRAGMA integrity_check; PostgreSQL's amcheck on MLflow's indexes)."""
import os
import random
import signal
import threading
import time

import pytest
import requests

from conftest import IS_MLFLOW, Server, backend_uri_for

CYCLES = 2 if IS_MLFLOW else int(os.environ.get("MLTRACK_CRASH_CYCLES", "12"))
THREADS = 6
BATCH = 8  # metrics per log-batch: a batch is all there or not at all


class Writer(threading.Thread):
    """Logs uniquely keyed params (log-parameter) and batches of metrics (log-batch) on its
    own run until the server dies; remembers what was acknowledged and what was sent."""

    def __init__(self, url, run_id, tag):
        super().__init__(daemon=True)
        self.api = url + "/api/2.0/mlflow/"
        self.run_id, self.tag = run_id, tag
        self.acked_params, self.acked_batches = [], []
        self.sent_params, self.sent_batches = [], []

    def run(self):
        s = requests.Session()
        i = 0
        while True:
            i += 1
            try:
                if i % 2:
                    key = "%s-p%d" % (self.tag, i)
                    self.sent_params.append(key)
                    r = s.post(self.api + "runs/log-parameter", timeout=10,
                               json={"run_id": self.run_id, "key": key, "value": str(i)})
                    if r.status_code == 200:
                        self.acked_params.append(key)
                else:
                    key = "%s-m%d" % (self.tag, i)
                    self.sent_batches.append(key)
                    metrics = [{"key": key, "value": float(k), "timestamp": 1, "step": k}
                               for k in range(BATCH)]
                    r = s.post(self.api + "runs/log-batch", timeout=10,
                               json={"run_id": self.run_id, "metrics": metrics})
                    if r.status_code == 200:
                        self.acked_batches.append(key)
            except requests.RequestException:
                return  # the server is gone


def integrity(server):
    if server.backend_kind == "sqlite":
        assert server.db_query("PRAGMA integrity_check") == [("ok",)]
        return
    server.db_query("CREATE EXTENSION IF NOT EXISTS amcheck")
    # bt_index_check raises on a corrupt index (and on heap tuples missing from it).
    rows = server.db_query(
        "SELECT count(*) FROM (SELECT bt_index_check(c.oid, true) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE a.amname = 'btree' AND n.nspname = 'public') checked")
    assert rows[0][0] > 10, rows


def kill9(server):
    os.killpg(server.proc.pid, signal.SIGKILL)
    server.proc.wait()
    server._err.close()


def verify(s, acked_params, acked_batches, sent_params, sent_batches):
    """Every acknowledged write is there exactly once; an unacknowledged one is there whole
    or not at all; nothing is there that was never sent."""
    for rid in sent_params:
        got = s.db_query("SELECT key, value FROM params WHERE run_uuid = ?", (rid,))
        keys = [k for k, _ in got]
        assert len(keys) == len(set(keys)), "a param twice"
        missing = set(acked_params[rid]) - set(keys)
        assert not missing, "acknowledged params lost: %s" % sorted(missing)[:5]
        unknown = set(keys) - set(sent_params[rid])
        assert not unknown, "params never sent: %s" % sorted(unknown)[:5]
        for key, value in got:
            assert value == key.rsplit("p", 1)[1], (key, value)
        counts = dict(s.db_query("SELECT key, count(*) FROM metrics WHERE run_uuid = ? "
                                 "GROUP BY key", (rid,)))
        for key in acked_batches[rid]:
            assert counts.get(key) == BATCH, "acknowledged batch %s has %s rows" % (
                key, counts.get(key))
        for key, n in counts.items():
            assert key in sent_batches[rid], "a batch never sent: %s" % key
            assert n == BATCH, "half a batch: %s has %d rows" % (key, n)
    # Exactly once: the table holds no row twice (the primary keys say so; check anyway).
    dup = s.db_query("SELECT count(*) FROM (SELECT run_uuid, key, step FROM metrics "
                     "GROUP BY run_uuid, key, step HAVING count(*) > 1) d")[0][0]
    assert dup == 0, "%d metric rows twice" % dup


@pytest.mark.slow
def test_kill9_under_concurrent_writes(tmp_path, backend):
    uri = backend_uri_for(backend)
    workdir = str(tmp_path)
    rng = random.Random(1234)
    acked_params, acked_batches, sent_params, sent_batches = {}, {}, {}, {}
    t0 = time.monotonic()
    for cycle in range(CYCLES):
        s = Server(workdir, backend_uri=uri).start()
        verify(s, acked_params, acked_batches, sent_params, sent_batches)
        api = s.url + "/api/2.0/mlflow/"
        eid = requests.post(api + "experiments/create", timeout=30,
                            json={"name": "crash-%d-%d" % (cycle, time.time_ns())}).json()
        writers = []
        for t in range(THREADS):
            rid = requests.post(api + "runs/create", timeout=30,
                                json={"experiment_id": eid["experiment_id"]}).json()
            writers.append(Writer(s.url, rid["run"]["info"]["run_id"], "c%dt%d" % (cycle, t)))
        for w in writers:
            w.start()
        time.sleep(rng.uniform(0.5, 1.5))
        kill9(s)
        for w in writers:
            w.join(timeout=30)
            assert not w.is_alive()
            acked_params[w.run_id] = w.acked_params
            acked_batches[w.run_id] = w.acked_batches
            sent_params[w.run_id] = w.sent_params
            sent_batches[w.run_id] = w.sent_batches
        assert sum(len(w.acked_params) for w in writers) > 0, "no write was acknowledged"
        integrity(s)
    # A last start: everything is still there, and the server stops cleanly.
    s = Server(workdir, backend_uri=uri).start()
    verify(s, acked_params, acked_batches, sent_params, sent_batches)
    n = sum(len(v) for v in acked_params.values()) + sum(len(v) for v in acked_batches.values())
    s.check_clean_exit()
    integrity(s)
    print("%s: %d cycles, %d acknowledged writes, %.1f s" % (backend, CYCLES, n,
                                                            time.monotonic() - t0))
