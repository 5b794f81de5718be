"""A full disk: the server's SQLite database and artifact root, or a PostgreSQL database's
tablespace, on a small tmpfs that a filler file then fills. Every write that cannot be made is a 503 TEMPORARILY_UNAVAILABLE naming the
full disk (a client retries a 503, not a 500), nothing is half-written (a batch has all of its
rows or none, a refused upload leaves no file), and once space is freed the same server takes
writes again with everything it acknowledged there exactly once and the database intact.

Needs root to mount the tmpfs (the suite's machines run as root); skipped otherwise."""
import base64
import errno
import os
import pwd
import subprocess
import tempfile
import uuid

import pytest
import requests

from conftest import Server, uname

DISK_MB = 24
PARAMS = 100         # params per log-batch, MLflow's limit ...
VALUE = 6000         # ... each of MLflow's longest value: 600 KB a batch
METRICS = 50         # and metrics in the same batch
MESSAGE = "disk is full"  # MLflow: "(sqlite3.OperationalError) database or disk is full"


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0700" % DISK_MB, "tmpfs",
                        str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % r.stderr.strip())
    try:
        yield str(mnt)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(path, leave_kb):
    """Writes a filler file until at most leave_kb KiB of the disk are free; returns its path."""
    filler = os.path.join(path, "filler")
    with open(filler, "wb") as f:
        while True:
            st = os.statvfs(path)
            free_kb = st.f_bavail * st.f_frsize // 1024
            if free_kb <= leave_kb:
                break
            try:
                f.write(b"\0" * (min(free_kb - leave_kb, 1024) * 1024))
                f.flush()
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                break
        os.fsync(f.fileno())
    return filler


def batch(rid, tag):
    # Random text: PostgreSQL compresses long values, and these must take their room.
    return {"run_id": rid,
            "params": [{"key": "%s-p%03d" % (tag, i),
                        "value": base64.b64encode(os.urandom(VALUE * 3 // 4)).decode()}
                       for i in range(PARAMS)],
            "metrics": [{"key": "%s-m" % tag, "value": float(i), "timestamp": 1, "step": i}
                        for i in range(METRICS)]}


def rows(s, rid, tag):
    p = s.db_query("SELECT count(*) FROM params WHERE run_uuid = ? AND key LIKE ?",
                   (rid, tag + "-p%"))[0][0]
    m = s.db_query("SELECT count(*) FROM metrics WHERE run_uuid = ? AND key = ?",
                   (rid, tag + "-m"))[0][0]
    return p, m


def assert_full(r, message):
    assert r.status_code == 503, (r.status_code, r.text[:500])
    body = r.json()
    assert body["error_code"] == "TEMPORARILY_UNAVAILABLE", body
    assert message in body["message"], body


def write_until_full(s, disk, message):
    """Fills disk, logs batches until three are refused, frees the disk, logs one more; checks
    every answer and that the database holds exactly the acknowledged batches, whole."""
    api = s.url + "/api/2.0/mlflow/"
    eid = requests.post(api + "experiments/create", json={"name": uname("full")},
                        timeout=30).json()["experiment_id"]
    rid = requests.post(api + "runs/create", json={"experiment_id": eid},
                        timeout=30).json()["run"]["info"]["run_id"]
    filler = fill(disk, leave_kb=1024)

    # Batches of 600 KB until the disk refuses one: a 503 naming it, and none of it kept.
    acked, refused = [], []
    for i in range(3 * DISK_MB):
        tag = "b%03d" % i
        r = requests.post(api + "runs/log-batch", json=batch(rid, tag), timeout=60)
        if r.status_code == 200:
            acked.append(tag)
            continue
        assert_full(r, message)
        if not refused:
            print("%d batches taken, then: %s" % (len(acked), r.json()["message"][:200]))
        refused.append(tag)
        if len(refused) == 3:
            break
    assert refused, "the disk never filled (%d batches taken)" % len(acked)
    # Reads still work.
    assert requests.get(api + "runs/get", params={"run_id": rid},
                        timeout=30).status_code == 200

    # Space again: the same server takes writes, and its data is whole.
    os.unlink(filler)
    tag = "after"
    r = requests.post(api + "runs/log-batch", json=batch(rid, tag), timeout=60)
    assert r.status_code == 200, r.text[:500]
    acked.append(tag)
    for t in acked:
        assert rows(s, rid, t) == (PARAMS, METRICS), t
    for t in refused:
        assert rows(s, rid, t) == (0, 0), "half a batch kept: %s" % t


@pytest.mark.slow
def test_disk_full_is_503_and_nothing_half_written(tmp_path, small_disk):
    s = Server(str(tmp_path), db_path=os.path.join(small_disk, "mlflow.db"))
    s.artifacts = os.path.join(small_disk, "mlartifacts")
    s.start()
    try:
        write_until_full(s, small_disk, MESSAGE)
        assert s.db_query("PRAGMA integrity_check") == [("ok",)]
    finally:
        s.check_clean_exit()


@pytest.fixture
def pg_small_tablespace(pg):
    """A database of the suite's PostgreSQL cluster whose tablespace is a small tmpfs (the
    cluster's WAL stays on its own disk, so a full tablespace is an ERROR, not a PANIC);
    yields (uri, mount point)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tempfile.mkdtemp(prefix="mltrack-pgdisk-")  # postgres must reach it
    os.chmod(mnt, 0o755)
    pw = pwd.getpwnam("postgres")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0700,uid=%d,gid=%d"
                        % (DISK_MB, pw.pw_uid, pw.pw_gid), "tmpfs", mnt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(mnt)
        pytest.skip("cannot mount a tmpfs here: %s" % r.stderr.strip())
    name = "mlt_full_%s" % uuid.uuid4().hex[:8]
    try:
        pg.psql("CREATE TABLESPACE %s LOCATION '%s'" % (name, mnt))
        pg.psql('CREATE DATABASE "%s" TEMPLATE template0 TABLESPACE %s' % (name, name))
        yield pg.uri(name), mnt
    finally:
        pg.psql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
        pg.psql("DROP TABLESPACE IF EXISTS %s" % name)
        subprocess.run(["umount", "-l", mnt], check=False)
        os.rmdir(mnt)


@pytest.mark.slow
def test_disk_full_postgres_is_503_and_nothing_half_written(tmp_path, pg_small_tablespace):
    uri, mnt = pg_small_tablespace
    s = Server(str(tmp_path), backend_uri=uri)
    s.start()
    try:
        # MLflow: "(psycopg2.errors.DiskFull) could not extend file ...: No space left on
        # device HINT: Check free disk space."
        write_until_full(s, mnt, "disk")
        s.db_query("CREATE EXTENSION IF NOT EXISTS amcheck")
        n = s.db_query("SELECT count(*) FROM (SELECT bt_index_check(c.oid, true) "
                       "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                       "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n "
                       "ON n.oid = c.relnamespace WHERE a.amname = 'btree' "
                       "AND n.nspname = 'public') checked")[0][0]
        assert n > 10
    finally:
        s.check_clean_exit()


@pytest.mark.mltrack_only(reason="MLflow's local artifact repository answers ENOSPC with 500")
def test_disk_full_artifact_upload_is_503_and_leaves_no_file(tmp_path, small_disk):
    s = Server(str(tmp_path), db_path=os.path.join(str(tmp_path), "mlflow.db"))
    s.artifacts = os.path.join(small_disk, "mlartifacts")
    s.start()
    try:
        art = s.url + "/api/2.0/mlflow-artifacts/artifacts/full/"
        assert requests.put(art + "small.txt", data=b"x", timeout=30).status_code == 200
        filler = fill(small_disk, leave_kb=512)
        r = requests.put(art + "big.bin", data=b"\1" * (4 << 20), timeout=60)
        assert_full_artifact(r)
        left = sorted(os.listdir(os.path.join(s.artifacts, "full")))
        assert left == ["small.txt"], left  # no partial file, no temporary file
        os.unlink(filler)
        assert requests.put(art + "big.bin", data=b"\1" * (4 << 20),
                            timeout=60).status_code == 200
        got = requests.get(art + "big.bin", timeout=60)
        assert got.status_code == 200 and got.content == b"\1" * (4 << 20)
    finally:
        s.check_clean_exit()


def assert_full_artifact(r):
    assert r.status_code == 503, (r.status_code, r.text[:500])
    body = r.json()
    assert body["error_code"] == "TEMPORARILY_UNAVAILABLE", body
    assert "No space left" in body["message"], body
