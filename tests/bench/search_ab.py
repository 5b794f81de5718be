#!/usr/bin/env python3
"""A/B of mltrack builds on trace reads: each build serves its own copy of one database
(made by trace_bench.py's ingest: an experiment `bench-traces`, and its 1,000-span trace
for the get, which is left out when missing), interleaved rounds, the requests and timing
of trace_bench.py's read side.

  .venv/bin/python tests/bench/search_ab.py --db /tmp/bench-mltrack-xxxx/m.db \\
      --bins /tmp/old/mltrack,build/server/mltrack --rounds 3

Each copy starts without mltrack's own trace indexes (mltrack_trace_*), so a build makes
the ones it has at start-up, as on a database it opens for the first time.
"""
import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server  # noqa: E402
import trace_bench as tb  # noqa: E402


def fresh_copy(db, into):
    path = os.path.join(into, "m.db")
    shutil.copyfile(db, path)
    c = sqlite3.connect(path)
    for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                             "name LIKE 'mltrack_trace_%'").fetchall():
        c.execute('DROP INDEX "%s"' % name)
    exp = c.execute("SELECT experiment_id FROM experiments WHERE name = 'bench-traces'").fetchone()
    big = c.execute("SELECT 1 FROM trace_info WHERE request_id = ?", (tb.BIG_TRACE,)).fetchone()
    c.close()
    return path, str(exp[0]), big is not None


def one(binary, db, args):
    d = tempfile.mkdtemp(prefix="search-ab-")
    try:
        path, exp, has_big = fresh_copy(db, d)
        srv = Server("mltrack", lambda tmp, port: [
            binary, "server", "--backend-store-uri", "sqlite:///" + path,
            "--artifacts-destination", d + "/art", "--host", "127.0.0.1", "--port", str(port)],
            None, False)
        srv.start(300)
        try:
            loc = [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": exp}}]
            out = {}
            for name, body in [("search", {"locations": loc, **tb.SEARCH}),
                               ("page", {"locations": loc, "max_results": 100})]:
                q = json.dumps(body)
                tb.timed(srv.port, "POST", "/api/3.0/mlflow/traces/search", q, n=3)
                out[name] = tb.timed(srv.port, "POST", "/api/3.0/mlflow/traces/search", q,
                                     n=args.repeat)
            out["get"] = float("nan")
            if has_big:
                get = "/api/3.0/mlflow/traces/get?trace_id=%s&allow_partial=true" % tb.BIG_TRACE
                tb.timed(srv.port, "GET", get, n=3)
                out["get"] = tb.timed(srv.port, "GET", get, n=args.repeat)
        finally:
            srv.stop()
        return out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True, help="a database trace_bench.py filled")
    ap.add_argument("--bins", required=True, help="comma-separated mltrack binaries")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    bins = args.bins.split(",")
    res = tb.ab_rounds(bins, args.rounds, lambda b: one(b, args.db, args), lambda r, b, m: print(
        "round %d %s: search %.3f ms, page %.3f ms, get %.3f ms" % (
            r, b, m["search"] * 1e3, m["page"] * 1e3, m["get"] * 1e3), flush=True))
    print()
    print("| build | search: status and tag, 100 of 100,000 | first 100, no filter | "
          "get of 1,000 spans |")
    print("|---|---|---|---|")
    for b in bins:
        med = {k: statistics.median(m[k] for m in res[b]) * 1e3 for k in ("search", "page", "get")}
        print("| %s | %.3f ms | %.3f ms | %.3f ms |" % (b, med["search"], med["page"], med["get"]))


if __name__ == "__main__":
    main()
