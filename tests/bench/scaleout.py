#!/usr/bin/env python3
"""Write throughput of 1, 2, 3 ... mltrack processes on one PostgreSQL database.

For each process count N: a fresh database in a private PostgreSQL cluster (fsync on; see
tests/integration/pgcluster.py), N `mltrack server` processes on it, and C client threads spread
round-robin over the processes (what a load balancer does), each with one keep-alive connection,
repeating the tracking client's write loop: runs/create, then runs/log-batch with 10 metrics,
5 params and 2 tags. Every answer must be 200. Prints requests/s per N.

    python3 tests/bench/scaleout.py --procs 1,2,3 --clients 12 --seconds 10

Only the standard library (and Debian's postgresql package) is needed.
"""
import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import pgcluster  # noqa: E402

API = "/api/2.0/mlflow/"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(conn, path, obj):
    conn.request("POST", API + path, body=json.dumps(obj),
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError("%s -> %d %s" % (path, r.status, data[:200]))
    return json.loads(data)


def start(binp, uri, workers, tmp):
    port = free_port()
    log = open(os.path.join(tmp, "mltrack-%d.log" % port), "wb")
    p = subprocess.Popen([binp, "server", "--backend-store-uri", uri, "--host", "127.0.0.1",
                          "--port", str(port), "--workers", str(workers),
                          "--artifacts-destination", os.path.join(tmp, "art")],
                         stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return p, port
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("mltrack did not start")


def measure(ports, clients, seconds):
    c0 = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=60)
    exp = post(c0, "experiments/create", {"name": "scale-%d" % time.time_ns()})["experiment_id"]
    counts = [0] * clients
    errors = []
    stop = time.monotonic() + seconds

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", ports[i % len(ports)], timeout=60)
        try:
            while time.monotonic() < stop:
                rid = post(conn, "runs/create", {"experiment_id": exp, "start_time": 1})
                rid = rid["run"]["info"]["run_id"]
                post(conn, "runs/log-batch", {
                    "run_id": rid,
                    "metrics": [{"key": "m%d" % k, "value": k * 0.5, "timestamp": 1, "step": 0}
                                for k in range(10)],
                    "params": [{"key": "p%d" % k, "value": "v"} for k in range(5)],
                    "tags": [{"key": "t%d" % k, "value": "v"} for k in range(2)]})
                counts[i] += 2
        except Exception as e:  # noqa: BLE001 - reported
            errors.append(repr(e))
    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise RuntimeError(errors[0])
    return sum(counts) / (time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mltrack-bin", default=os.path.join(REPO, "build/server/mltrack"))
    ap.add_argument("--procs", default="1,2,3")
    ap.add_argument("--clients", type=int, default=12)
    ap.add_argument("--workers", type=int, default=4, help="--workers of each process")
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    pg = pgcluster.PgCluster(durable=True).start()
    tmp = tempfile.mkdtemp(prefix="bench-scaleout-")
    rows = []
    try:
        for n in [int(x) for x in args.procs.split(",")]:
            uri = pg.create_database()
            procs = [start(args.mltrack_bin, uri, args.workers, tmp) for _ in range(n)]
            try:
                rps = measure([p for _, p in procs], args.clients, args.seconds)
            finally:
                for p, _ in procs:
                    p.send_signal(signal.SIGTERM)
                    p.wait(timeout=30)
            rows.append((n, rps))
            print("%d process%s: %.0f requests/s" % (n, "" if n == 1 else "es", rps), flush=True)
    finally:
        pg.stop()
    base = rows[0][1]
    print("\nprocesses  requests/s  vs 1 process   (%d clients, %d workers each, %.0fs, %d cores)"
          % (args.clients, args.workers, args.seconds, os.cpu_count()))
    for n, rps in rows:
        print("%9d  %10.0f  %12.2fx" % (n, rps, rps / base))


if __name__ == "__main__":
    main()
