#!/usr/bin/env python3
"""Inserts R runs with P points each of metric "signal" straight into mltrack's SQLite
database (MLflow's schema, the rows runs/create + log-batch write), for the chart view with
100 runs of 100,000 points: 10,000,000 rows through the REST API would take many minutes.
Run it while no server has the database open: it writes without a journal and holding the
lock, and builds the metrics table's two secondary indexes once at the end (dropped first,
recreated from their own SQL) instead of row by row, which takes a quarter of the time.

Each run's series is a decaying curve with a wiggle and a spike every 9,973 steps, 10 ms
apart; run ids share a random prefix and count up, so every index is appended to.

usage: seed_db_series.py DB_PATH EXPERIMENT_ID RUNS POINTS"""
import os
import sqlite3
import sys


def main():
    db, exp, nruns, npts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA locking_mode=EXCLUSIVE")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    t0 = 1772323200000  # 2026-03-01
    prefix = os.urandom(8).hex()
    ids = ["%s%016x" % (prefix, r) for r in range(nruns)]
    indexes = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                          "tbl_name = 'metrics' AND sql IS NOT NULL").fetchall()
    con.execute("BEGIN")
    for name, _ in indexes:
        con.execute('DROP INDEX "%s"' % name)
    for r, rid in enumerate(ids):
        name = "series-%03d" % r
        st = t0 + r * npts * 10
        con.execute("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
                    "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
                    "artifact_uri, experiment_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (rid, name, "UNKNOWN", "", "", "bob", "FINISHED", st, st + npts * 10, "",
                     "active", "mlflow-artifacts:/%d/%s/artifacts" % (exp, rid), exp))
        con.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)",
                        [("mlflow.runName", name, rid), ("mlflow.user", "bob", rid)])
        con.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)",
                        [("seed", str(r), rid), ("family", "abc"[r % 3], rid)])
        con.execute(
            "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?) "
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "SELECT 'signal', (1.0 + ? * 0.01) / (1 + i / 1000.0) + 0.02 * ((i * 7919) % 101) / 101.0"
            " + CASE WHEN i % 9973 = 0 THEN 3.0 ELSE 0 END, ? + i * 10, ?, i, 0 FROM s",
            (npts, r, st, rid))
        # The last point, computed as the SQL above computes it (same operations, same order).
        i = npts - 1
        last = (1.0 + r * 0.01) / (1 + i / 1000.0) + 0.02 * ((i * 7919) % 101) / 101.0 + (3.0 if i % 9973 == 0 else 0)
        con.execute("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                    "VALUES ('signal', ?, ?, ?, 0, ?)", (last, st + i * 10, i, rid))
    for _, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    con.close()


if __name__ == "__main__":
    main()
