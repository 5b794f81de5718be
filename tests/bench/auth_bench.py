#!/usr/bin/env python3
"""What basic auth costs per request (issue 11: within 10% of auth off with a warm
credential cache). Starts mltrack twice on fresh SQLite files, once plain and once with
--app-name basic-auth, and times create-run, log-batch (10 metrics) and experiments/get
over one keep-alive connection, as a non-admin user whose access comes from a grant (the
full rule path: user row, grants, rule). Also times the first request of a new login
(scrypt) against the cached ones. A benchmark, not a test.

  python3 tests/bench/auth_bench.py --mltrack-bin build/server/mltrack [-n 2000]
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time

ADMIN_PW = "bench-admin-password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, work, auth):
    port = free_port()
    env = dict(os.environ)
    args = [binary, "server", "--backend-store-uri", "sqlite:///" + os.path.join(work, "m.db"),
            "--port", str(port), "--artifacts-destination", os.path.join(work, "art"),
            "--workers", "4", "--log-level", "warning"]
    if auth:
        ini = os.path.join(work, "auth.ini")
        with open(ini, "w") as f:
            f.write("[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///%s\n"
                    "admin_username = admin\n" % os.path.join(work, "auth.db"))
        env.update(MLFLOW_AUTH_CONFIG_PATH=ini, MLFLOW_AUTH_ADMIN_PASSWORD=ADMIN_PW)
        args += ["--app-name", "basic-auth"]
    p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return p, port
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise SystemExit("server did not start")


class Client:
    def __init__(self, port, user=None, pw=None):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.h = {"Content-Type": "application/json"}
        if user:
            tok = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
            self.h["Authorization"] = "Basic " + tok

    def call(self, method, path, body=None):
        self.c.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers=self.h)
        r = self.c.getresponse()
        data = r.read()
        if r.status != 200:
            raise SystemExit("%s %s -> %d %s" % (method, path, r.status, data[:200]))
        return json.loads(data) if data else {}


def timed(fn, n):
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1e6)
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.99) - 1]


def setup(binary, auth):
    """A server and a client for it, with an experiment the client may write to."""
    work = tempfile.mkdtemp(prefix="auth-bench-")
    p, port = start(binary, work, auth)
    cold = None
    if auth:
        admin = Client(port, "admin", ADMIN_PW)
        admin.call("POST", "/api/2.0/mlflow/users/create",
                   {"username": "bench", "password": "bench-password-1"})
        exp = admin.call("POST", "/api/2.0/mlflow/experiments/create", {"name": "b"})
        admin.call("POST", "/api/3.0/mlflow/users/permissions/grant",
                   {"username": "bench", "resource_type": "experiment",
                    "resource_id": exp["experiment_id"], "permission": "EDIT"})
        cold = []
        for i in range(5):  # a new login pays scrypt once
            admin.call("POST", "/api/2.0/mlflow/users/create",
                       {"username": "cold%d" % i, "password": "cold-password-1"})
            c = Client(port, "cold%d" % i, "cold-password-1")
            t = time.perf_counter()
            c.call("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")
            cold.append((time.perf_counter() - t) * 1e6)
        cli = Client(port, "bench", "bench-password-1")
    else:
        cli = Client(port)
        exp = cli.call("POST", "/api/2.0/mlflow/experiments/create", {"name": "b"})
    eid = exp["experiment_id"]
    cli.call("GET", "/api/2.0/mlflow/experiments/get?experiment_id=" + eid)  # warm the cache
    return {"p": p, "work": work, "cli": cli, "eid": eid, "runs": [], "cold": cold}


def ops(st):
    cli, eid, runs = st["cli"], st["eid"], st["runs"]

    def create(i):
        runs.append(cli.call("POST", "/api/2.0/mlflow/runs/create",
                             {"experiment_id": eid, "start_time": i})["run"]["info"]["run_id"])

    def batch(i):
        cli.call("POST", "/api/2.0/mlflow/runs/log-batch",
                 {"run_id": runs[i % len(runs)],
                  "metrics": [{"key": "m%d" % k, "value": i, "timestamp": i, "step": i}
                              for k in range(10)]})

    def get(i):
        cli.call("GET", "/api/2.0/mlflow/experiments/get?experiment_id=" + eid)

    return {"create-run": create, "log-batch": batch, "experiments/get": get}


def measure(states, n, block=50):
    """Alternates blocks of requests between the servers, so that load from elsewhere on
    the machine falls on both alike."""
    names = list(ops(states[0]))
    table = {}
    for name in names:
        fns = [ops(st)[name] for st in states]
        samples = [[] for _ in states]
        for start_i in range(0, n, block):
            for k, fn in enumerate(fns):
                for i in range(start_i, min(n, start_i + block)):
                    t = time.perf_counter()
                    fn(i)
                    samples[k].append((time.perf_counter() - t) * 1e6)
        table[name] = [(statistics.median(x), sorted(x)[int(len(x) * 0.99) - 1]) for x in samples]
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mltrack-bin", default="build/server/mltrack")
    ap.add_argument("-n", type=int, default=2000)
    a = ap.parse_args()
    states = [setup(a.mltrack_bin, False), setup(a.mltrack_bin, True)]
    try:
        table = measure(states, a.n)
    finally:
        for st in states:
            st["p"].send_signal(signal.SIGTERM)
            st["p"].wait(30)
            shutil.rmtree(st["work"], ignore_errors=True)
    print("%-16s %10s %10s %10s %10s %8s" % ("op (us)", "off p50", "on p50", "off p99", "on p99",
                                           "p50 +%"))
    for k, ((p50o, p99o), (p50a, p99a)) in table.items():
        print("%-16s %10.0f %10.0f %10.0f %10.0f %7.1f%%" % (k, p50o, p50a, p99o, p99a,
                                                            100 * (p50a / p50o - 1)))
    cold = states[1]["cold"]
    print("first request of a new login (scrypt): median %.0f us over %d logins"
          % (statistics.median(cold), len(cold)))


if __name__ == "__main__":
    main()
