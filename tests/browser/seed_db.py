#!/usr/bin/env python3
"""Inserts N runs straight into mltrack's SQLite database (MLflow's schema, the same rows
runs/create + log-batch write), because 10,000 runs through the REST API take
about a minute and this takes a second or two. Each run has a few common params and
metrics plus some drawn from pools of 300 param and 100 metric keys, so the experiment
has 400+ distinct columns while each run stays small.

usage: seed_db.py DB_PATH EXPERIMENT_ID N"""
import sqlite3
import sys
import uuid


def main():
    db, exp, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    con = sqlite3.connect(db, timeout=30)
    t0 = 1769904000000  # 2026-02-01
    runs, tags, params, latest, metrics = [], [], [], [], []
    for i in range(n):
        rid = uuid.uuid4().hex
        name = "bulk-%05d" % i
        st = t0 + i * 1000
        status = "FINISHED" if i % 17 else "FAILED"
        runs.append((rid, name, "UNKNOWN", "", "", "bob" if i % 3 else "carol", status, st,
                     st + 5000 + (i % 50) * 1000, "", "active",
                     "mlflow-artifacts:/%d/%s/artifacts" % (exp, rid), exp))
        tags += [("mlflow.runName", name, rid), ("mlflow.user", "bob" if i % 3 else "carol", rid),
                 ("shard", str(i % 10), rid)]
        p = {"batch": str(2 ** (i % 8)), "opt": "adam" if i % 2 else "sgd", "i": str(i),
             "hp_%03d" % ((i * 7) % 300): str(i % 13), "hp_%03d" % ((i * 13 + 5) % 300): str(i % 7)}
        params += [(k, v, rid) for k, v in p.items()]
        m = {"loss": (i % 997) / 997, "score": float(i), "f1": ((i * 7919) % 1000) / 1000,
             "m_%02d" % (i % 100): (i % 31) / 31}
        for k, v in m.items():
            latest.append((k, v, st, 0, 0, rid))
            metrics.append((k, v, st, rid, 0, 0))
    with con:
        con.executemany("INSERT INTO runs (run_uuid, name, source_type, source_name, "
                        "entry_point_name, user_id, status, start_time, end_time, "
                        "source_version, lifecycle_stage, artifact_uri, experiment_id) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", runs)
        con.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)", tags)
        con.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)", params)
        con.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, "
                        "run_uuid) VALUES (?,?,?,?,?,?)", latest)
        con.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                        "VALUES (?,?,?,?,?,?)", metrics)
    con.close()


if __name__ == "__main__":
    main()
