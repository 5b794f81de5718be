#!/usr/bin/env python3
"""A/B of mltrack builds on trace ingest: fresh servers, interleaved rounds, the batches and
raw-socket client of trace_bench.py, and the SQLite writer's own figures from /metrics over
the timed part (how long a request held the writer and waited for it and for its commit and
sync, COMMIT per group commit, the WAL syncs) and the server process's CPU and minor page
faults per request (all its threads, from /proc).

  .venv/bin/python tests/bench/ingest_ab.py --bins /tmp/old/mltrack,build/server/mltrack \\
      --rounds 3 --batches 3000 --threads 4 [--reader-hold 2]

--reader-hold S keeps a reader on the database during the timed ingest: a sqlite3
connection that holds a read transaction S seconds, then starts another, as a long
export or a backup would.
"""
import argparse
import os
import re
import sqlite3
import statistics
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server  # noqa: E402
import trace_bench as tb  # noqa: E402


def writer_metrics(port):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port).read().decode()
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r"^mltrack_db_writer_(\w+) ([0-9.e+-]+)$", text, re.M)}


def cpu_seconds(pid):
    """The process's user + system CPU so far (all its threads), from /proc."""
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def minor_faults(pid):
    """The process's minor page faults so far: a fresh page touched, each."""
    return int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[7])


def hold_reader(path, hold, stop):
    c = sqlite3.connect(path, isolation_level=None)
    while not stop.is_set():
        c.execute("BEGIN")
        c.execute("SELECT count(*) FROM trace_info").fetchone()
        stop.wait(hold)
        c.execute("COMMIT")
    c.close()


def one(binary, args):
    srv = Server("mltrack", lambda tmp, port: [
        binary, "server", "--backend-store-uri", "sqlite:///%s/m.db" % tmp,
        "--artifacts-destination", tmp + "/art", "--expose-prometheus", tmp + "/prom",
        "--host", "127.0.0.1", "--port", str(port)], None, False)
    srv.start(60)
    stop = threading.Event()
    try:
        exp = tb.create_experiment(srv.port)
        tb.ingest(srv.port, exp, 0, 50, threads=args.threads)
        requests = tb.export_requests(exp, 50, args.batches)
        if args.reader_hold:
            threading.Thread(target=hold_reader, args=(srv.tmp + "/m.db", args.reader_hold, stop),
                             daemon=True).start()
        t0, a, c0 = time.monotonic(), writer_metrics(srv.port), cpu_seconds(srv.proc.pid)
        f0 = minor_faults(srv.proc.pid)
        rate = tb.send(srv.port, requests, threads=args.threads)
        t1, b, c1 = time.monotonic(), writer_metrics(srv.port), cpu_seconds(srv.proc.pid)
        f1 = minor_faults(srv.proc.pid)
    finally:
        stop.set()
        srv.stop()
    d = {k: b[k] - a.get(k, 0) for k in b}
    req, commits = d["requests_total"], max(1, d["commits_total"])
    return {"rate": rate, "busy": d["busy_seconds_total"] / (t1 - t0),
            "held_ms": 1000 * d["busy_seconds_total"] / req,
            "commit_ms": 1000 * d["commit_seconds_total"] / commits,
            "sync_ms": 1000 * d["sync_seconds_total"] / max(1, d["syncs_total"]),
            "per_commit": req / commits, "cpu_ms": 1000 * (c1 - c0) / req,
            "faults": (f1 - f0) / req,
            "wait_ms": 1000 * d.get("wait_seconds_total", 0) / req,
            "durable_ms": 1000 * d.get("durable_wait_seconds_total", 0) / req}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bins", required=True, help="comma-separated mltrack binaries")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batches", type=int, default=3000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--reader-hold", type=float, default=0)
    args = ap.parse_args()
    bins = args.bins.split(",")
    got = tb.ab_rounds(bins, args.rounds, lambda b: one(b, args), lambda r, b, m: print(
        "round %d %s: %.0f spans/s, server CPU %.2f ms and %.0f page faults a request, "
        "writer held %.0f%%, "
        "%.2f ms a request, COMMIT %.2f ms, %.1f requests a commit, sync %.2f ms; a request "
        "waited %.2f ms for the writer and %.2f ms for its commit and sync" % (
            r, b, m["rate"], m["cpu_ms"], m["faults"], 100 * m["busy"], m["held_ms"], m["commit_ms"],
            m["per_commit"], m["sync_ms"], m["wait_ms"], m["durable_ms"]), flush=True))
    print("\n| build | spans/s (each round) | median | server CPU a request (median) | "
          "page faults a request (median) |\n|---|---|---|---|---|")
    for b in bins:
        rates = [m["rate"] for m in got[b]]
        print("| %s | %s | %.0f | %.2f ms | %.0f |" % (
            b, " / ".join("%.0f" % x for x in rates), statistics.median(rates),
            statistics.median(m["cpu_ms"] for m in got[b]),
            statistics.median(m["faults"] for m in got[b])))


if __name__ == "__main__":
    main()
