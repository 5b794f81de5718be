"""`mltrack db backup` and `mltrack db check`: an online copy of a SQLite store taken while
the server writes, restored and opened by mltrack and by MLflow's own store; the check's
verdicts on a sound, a damaged and a foreign database."""
import os
import sqlite3
import subprocess
import threading

import pytest
import requests

from conftest import MLTRACK_BIN, Server, backend_uri_for

pytestmark = pytest.mark.mltrack_only("`mltrack db` is mltrack's own command")


def db(*args, env=None):
    return subprocess.run([MLTRACK_BIN, "db", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_backup_while_writing_restores_whole(tmp_path):
    os.makedirs(tmp_path / "live")
    srv = Server(str(tmp_path / "live")).start()
    base = srv.url + "/api/2.0/mlflow"
    acked, stop = [], threading.Event()

    def writer():
        while not stop.is_set():
            r = requests.post(base + "/runs/create", json={"experiment_id": "0"})
            assert r.status_code == 200
            rid = r.json()["run"]["info"]["run_id"]
            r = requests.post(base + "/runs/log-batch", json={
                "run_id": rid, "params": [{"key": "p%d" % i, "value": "v"} for i in range(20)]})
            assert r.status_code == 200
            acked.append(rid)

    t = threading.Thread(target=writer)
    t.start()
    try:
        while len(acked) < 30 and t.is_alive():
            threading.Event().wait(0.01)
        before = set(acked)
        dest = tmp_path / "backup.db"
        out = db("backup", "--backend-store-uri", srv.backend_uri, str(dest))
        during = len(acked)
    finally:
        stop.set()
        t.join()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "integrity check ok" in out.stdout
    srv.stop()

    con = sqlite3.connect(str(dest))
    runs = {r for (r,) in con.execute("SELECT run_uuid FROM runs")}
    # A snapshot: everything acknowledged before it began, and each run whole (all of its
    # params, or the run without its batch yet, never part of the batch).
    assert before <= runs
    assert len(runs) <= during + 1
    for (n,) in con.execute("SELECT count(*) FROM params GROUP BY run_uuid"):
        assert n == 20
    con.close()

    # Restored: mltrack serves it, and MLflow's own store reads it.
    os.makedirs(tmp_path / "restored")
    again = Server(str(tmp_path / "restored"), db_path=str(dest)).start()
    try:
        one = sorted(before)[0]
        r = requests.get(again.url + "/api/2.0/mlflow/runs/get", params={"run_id": one})
        assert r.status_code == 200 and len(r.json()["run"]["data"]["params"]) == 20
    finally:
        again.stop()
    from mlflow.tracking import MlflowClient
    assert MlflowClient(tracking_uri="sqlite:///" + str(dest)).get_run(one).data.params


def test_backup_refuses_an_existing_file(tmp_path, server):
    if server.backend_kind != "sqlite":
        out = db("backup", "--backend-store-uri", server.backend_uri, str(tmp_path / "x.db"))
        assert out.returncode == 1 and "pg_dump" in out.stderr
        return
    dest = tmp_path / "taken.db"
    dest.write_bytes(b"keep me")
    out = db("backup", "--backend-store-uri", server.backend_uri, str(dest))
    assert out.returncode == 1 and "exists" in out.stderr
    assert dest.read_bytes() == b"keep me"


def test_check_sound_damaged_and_foreign(tmp_path, backend):
    s = Server(str(tmp_path), backend_uri=backend_uri_for(backend)).start()
    uri = s.backend_uri
    s.stop()
    out = db("check", "--backend-store-uri", uri)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "served as it is" in out.stdout
    if backend != "sqlite":
        return

    # A revision mltrack does not know: refused, the database left as it was.
    con = sqlite3.connect(s.db_path)
    con.execute("UPDATE alembic_version SET version_num = '0123456789ab'")
    con.commit()
    con.close()
    out = db("check", "--backend-store-uri", uri)
    assert out.returncode == 1 and "not served" in out.stdout
    con = sqlite3.connect(s.db_path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0123456789ab"
    con.close()

    # An index whose entries no longer match its table: the integrity check says so.
    damaged = tmp_path / "damaged.db"
    con = sqlite3.connect(str(damaged))
    con.executescript("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);"
                      "CREATE TABLE t (a INTEGER, b TEXT); CREATE INDEX t_b ON t (b);")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(i, "v%d" % i) for i in range(500)])
    con.commit()
    con.execute("PRAGMA writable_schema = ON")
    # Point the index at another column: its entries then disagree with the rows.
    con.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX t_b ON t (a)' WHERE name = 't_b'")
    con.commit()
    con.close()
    out = db("check", "--backend-store-uri", "sqlite:///" + str(damaged))
    assert out.returncode == 1
    assert "integrity check found problems" in out.stdout, out.stdout + out.stderr

    out = db("check", "--backend-store-uri", "sqlite:///" + str(tmp_path / "missing.db"))
    assert out.returncode == 1 and "no SQLite database" in out.stderr
    assert not (tmp_path / "missing.db").exists()
