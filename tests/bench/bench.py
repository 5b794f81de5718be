#!/usr/bin/env python3
"""mltrack vs. `mlflow server` benchmark.

Starts each server in turn (never both at once) on loopback with a fresh
temp dir and SQLite backend, drives the same workloads against it and prints
one table: per workload and server the median / p90 / p99 latency of a single
keep-alive client, the throughput of that client, the throughput of N
concurrent clients (for the write paths), plus idle/after RSS of the whole
server process tree.

Every response is checked (HTTP 200, expected counts), so a broken server
cannot "win".  See README.md in this directory for what each workload means.

Only the Python standard library is needed (the `mlflow` CLI is needed to
benchmark the reference server).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib

API = "/api/2.0/mlflow/"
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Targets for mltrack (from the issue).  Key -> (metric, limit, unit text)
TARGETS = {
    "create-run": ("p50", 1.0, "<=1 ms"),
    "log-batch-500": ("p50", 5.0, "<=5 ms"),
    "search-runs": ("p50", 10.0, "<=10 ms"),
    "get-history": ("p50", 100.0, "<=100 ms"),
    "rss-idle": ("rss", 10.0, "<=10 MB"),
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------------------
# HTTP client: one keep-alive http.client connection; latency = send .. body fully read.
# --------------------------------------------------------------------------------------
class Client:
    def __init__(self, port: int, gzip_ok: bool):
        self.port = port
        self.conn = None
        self.base_headers = {"Accept": "*/*", "Connection": "keep-alive"}
        if gzip_ok:
            # What the `mlflow` client (python-requests) sends.
            self.base_headers["Accept-Encoding"] = "gzip, deflate"
        else:
            self.base_headers["Accept-Encoding"] = "identity"
        self.encodings = set()

    def _connect(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        c.connect()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = c

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def raw(self, method: str, path: str, body: bytes | None = None):
        """Returns (status, raw body bytes, content-encoding, elapsed seconds)."""
        headers = dict(self.base_headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                t1 = time.perf_counter()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest):
                # Server closed the keep-alive connection; reconnect once (not timed).
                self.close()
                if attempt:
                    raise
                continue
            enc = (r.getheader("Content-Encoding") or "").lower()
            if r.getheader("Connection", "").lower() == "close" or r.will_close:
                self.close()
            return r.status, data, enc, t1 - t0
        raise AssertionError("unreachable")

    def decode(self, data: bytes, enc: str):
        self.last_wire, self.last_plain = len(data), None
        if enc:
            self.encodings.add(enc)
        if enc == "gzip":
            data = gzip.decompress(data)
        elif enc == "deflate":
            try:
                data = zlib.decompress(data)
            except zlib.error:
                data = zlib.decompress(data, -zlib.MAX_WBITS)
        elif enc not in ("", "identity"):
            raise BenchError(f"unexpected Content-Encoding {enc!r}")
        self.last_plain = len(data)
        return json.loads(data) if data else {}

    # Untimed convenience helpers (setup / seeding).
    def post(self, endpoint: str, obj: dict, expect: int = 200):
        st, data, enc, _ = self.raw("POST", API + endpoint, json.dumps(obj).encode())
        if st != expect:
            raise BenchError(f"POST {endpoint} -> {st}: {data[:300]!r}")
        return self.decode(data, enc)

    def get(self, endpoint: str, params: dict | list, expect: int = 200):
        q = urllib.parse.urlencode(params, doseq=True)
        st, data, enc, _ = self.raw("GET", API + endpoint + "?" + q)
        if st != expect:
            raise BenchError(f"GET {endpoint} -> {st}: {data[:300]!r}")
        return self.decode(data, enc)


# --------------------------------------------------------------------------------------
# Server processes
# --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # comm may contain spaces/parens: ppid is the 2nd field after the last ')'.
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def proc_name(pid: int) -> str:
    """Short, recognisable name: the module for `python -m x`, else the program's basename."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return "?"
    if not argv:
        return "?"
    if "-m" in argv[:-1]:
        return argv[argv.index("-m") + 1].split(".")[-1] if "huey" not in argv[argv.index("-m") + 1] \
            else "huey_consumer"
    if os.path.basename(argv[0]).startswith("python") and len(argv) > 1:
        return os.path.basename(argv[1])
    return os.path.basename(argv[0])


def read_kb(path: str, field: str):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def tree_rss(root: int) -> list[tuple[int, str, int, int]]:
    """[(pid, name, VmRSS kB, Pss kB)] for `root` and all its descendants.

    VmRSS summed over forked workers counts shared pages once per process; PSS divides
    shared pages among the sharers, so the PSS sum is the tree's real footprint."""
    kids = proc_children()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, []))
        rss = read_kb(f"/proc/{pid}/status", "VmRSS:")
        if rss is None:
            continue  # exited meanwhile (or a zombie without VmRSS)
        pss = read_kb(f"/proc/{pid}/smaps_rollup", "Pss:")
        out.append((pid, proc_name(pid), rss, pss if pss is not None else rss))
    return out


class Server:
    def __init__(self, label: str, argv_fn, tmp_root: str | None, keep: bool,
                 env: dict | None = None):
        self.label = label
        self.env = None if not env else {**os.environ, **env}
        self.tmp = tempfile.mkdtemp(prefix=f"bench-{label}-", dir=tmp_root)
        self.port = free_port()
        self.keep = keep
        self.argv = argv_fn(self.tmp, self.port)
        self.proc = None
        self.logf = None

    def start(self, timeout: float):
        os.makedirs(os.path.join(self.tmp, "art"), exist_ok=True)
        self.logf = open(os.path.join(self.tmp, "server.log"), "wb")
        log(f"[{self.label}] starting: {' '.join(self.argv)}")
        t0 = time.monotonic()
        # Own session/process group so that SIGTERM reaches workers too.
        self.proc = subprocess.Popen(self.argv, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     env=self.env)
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"[{self.label}] exited with {self.proc.returncode} during "
                                 f"startup; log:\n{self.log_tail()}")
            if time.monotonic() - t0 > timeout:
                raise BenchError(f"[{self.label}] not ready after {timeout}s; log:\n"
                                 f"{self.log_tail()}")
            if self._ready():
                break
            time.sleep(0.05)
        self.startup_s = time.monotonic() - t0
        log(f"[{self.label}] ready on port {self.port} after {self.startup_s:.2f}s")

    def _ready(self) -> bool:
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            c.request("GET", "/health")
            r = c.getresponse()
            r.read()
            st = r.status
            if st != 200:
                c.request("GET", API + "experiments/get?experiment_id=0")
                r = c.getresponse()
                r.read()
                st = r.status
            c.close()
            return st == 200
        except OSError:
            return False
        except http.client.HTTPException:
            return False

    def rss(self):
        """(total MB over the process tree, number of processes, {name: MB})."""
        procs = tree_rss(self.proc.pid)
        by = {}
        for _, name, kb, _ in procs:
            by[name] = by.get(name, 0.0) + kb / 1024.0
        return (sum(p[2] for p in procs) / 1024.0, len(procs), by,
                sum(p[3] for p in procs) / 1024.0)

    def log_tail(self, n=30) -> str:
        try:
            with open(os.path.join(self.tmp, "server.log"), "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return "(no log)"

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log(f"[{self.label}] did not stop on SIGTERM; SIGKILL")
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
            # Workers of the group may outlive the leader briefly.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.killpg(self.proc.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.logf:
            self.logf.close()
        if self.keep:
            log(f"[{self.label}] kept temp dir {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------
# Measurement helpers
# --------------------------------------------------------------------------------------
def pct(sorted_vals, p):
    """Nearest-rank-with-interpolation percentile of an already sorted list."""
    if not sorted_vals:
        return float("nan")
    k = (len(sorted_vals) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


def summarize(lat_s, wall_s):
    v = sorted(x * 1000.0 for x in lat_s)
    return {
        "n": len(v),
        "p50": pct(v, 50), "p90": pct(v, 90), "p99": pct(v, 99),
        "min": v[0], "max": v[-1],
        "rps1": len(v) / wall_s if wall_s > 0 else float("nan"),
    }


def run_latency(client: Client, make_req, check, warmup: int, iters: int):
    """make_req(i) -> (method, path, body); check(i, status, data, enc) raises on error.

    Only send .. full body read is timed; building the request, decoding and checking the
    response are not (checking a multi-MB JSON body in Python costs far more than serving
    it).  Throughput of this single client is therefore reported as 1 / mean latency."""
    for i in range(warmup):
        m, p, b = make_req(-1 - i)
        st, data, enc, _ = client.raw(m, p, b)
        check(-1 - i, st, data, enc)
    lats = []
    for i in range(iters):
        m, p, b = make_req(i)
        st, data, enc, dt = client.raw(m, p, b)
        lats.append(dt)
        check(i, st, data, enc)
    return summarize(lats, sum(lats)), sum(lats)


def run_throughput(port, gzip_ok, make_req, check, threads: int, per_thread: int, warmup: int):
    """N client threads, each with its own keep-alive connection; all start together."""
    errors = []
    barrier = threading.Barrier(threads + 1)
    done = [0] * threads

    def worker(tid):
        c = Client(port, gzip_ok)
        try:
            for i in range(warmup):
                m, p, b = make_req(tid, -1 - i)
                st, data, enc, _ = c.raw(m, p, b)
                check(st, data, enc, c)
            barrier.wait()
            for i in range(per_thread):
                m, p, b = make_req(tid, i)
                st, data, enc, _ = c.raw(m, p, b)
                check(st, data, enc, c)
                done[tid] += 1
        except BaseException as e:  # noqa: BLE001 - report any worker failure
            errors.append(e)
            try:
                barrier.abort()
            except Exception:
                pass
        finally:
            c.close()

    ths = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(threads)]
    for t in ths:
        t.start()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    t0 = time.perf_counter()
    for t in ths:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise BenchError(f"throughput worker failed: {errors[0]!r}")
    return sum(done) / wall


def parallel(n_items: int, threads: int, port: int, gzip_ok: bool, fn, label: str):
    """Run fn(client, i) for i in range(n_items) over `threads` connections; prints progress."""
    lock = threading.Lock()
    nxt = [0]
    finished = [0]
    errors = []

    def worker():
        c = Client(port, gzip_ok)
        try:
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= n_items or errors:
                    return
                fn(c, i)
                with lock:
                    finished[0] += 1
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        finally:
            c.close()

    ths = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    t0 = time.monotonic()
    for t in ths:
        t.start()
    last = t0
    while any(t.is_alive() for t in ths):
        for t in ths:
            t.join(timeout=0.5)
        now = time.monotonic()
        if now - last >= 10:
            last = now
            f = finished[0]
            rate = f / (now - t0)
            eta = (n_items - f) / rate if rate > 0 else float("inf")
            log(f"    {label}: {f}/{n_items} ({rate:.0f}/s, ~{eta:.0f}s left)")
    if errors:
        raise BenchError(f"{label} failed: {errors[0]!r}")
    dt = time.monotonic() - t0
    log(f"    {label}: {n_items} done in {dt:.1f}s ({n_items / dt:.0f}/s)")
    return dt


# --------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------
def load_avg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def now_ms() -> int:
    return int(time.time() * 1000)


def client_like_create_run(exp_id: str, i: int, name: str | None = None) -> dict:
    """The body `MlflowClient.create_run` / `mlflow.start_run` sends (shape and tags)."""
    t = now_ms()
    name = name or f"bench-run-{i}"
    return {
        "experiment_id": exp_id,
        "user_id": "bench",
        "start_time": t,
        "run_name": name,
        "tags": [
            {"key": "mlflow.user", "value": "bench"},
            {"key": "mlflow.source.name", "value": "bench.py"},
            {"key": "mlflow.source.type", "value": "LOCAL"},
            {"key": "mlflow.runName", "value": name},
        ],
    }


def expect_200(st, data, what):
    if st != 200:
        raise BenchError(f"{what}: HTTP {st}: {data[:300]!r}")


def bench_server(srv: Server, args, res: dict):
    """Runs all workloads against a started server; fills res[workload] = stats."""
    q = args.quick
    small = args.iters if args.iters else (30 if q else 300)
    heavy = args.heavy_iters if args.heavy_iters else (5 if q else 30)
    warm_small = 5 if q else 30
    warm_heavy = 1 if q else 3
    n_runs, n_hits = args.search_runs, args.search_hits
    n_points = args.history_points
    gz = not args.no_gzip

    time.sleep(args.idle_settle)
    mb, nproc, by, pss = srv.rss()
    res["rss-idle"] = {"rss": mb, "nproc": nproc, "by": by, "pss": pss}
    log(f"[{srv.label}] idle RSS {mb:.1f} MB (PSS {pss:.1f}) over {nproc} process(es)")

    c = Client(srv.port, gz)
    ops_exp = c.post("experiments/create", {"name": "bench-ops"})["experiment_id"]
    if not isinstance(ops_exp, str):
        raise BenchError(f"experiment_id must be a JSON string, got {ops_exp!r}")

    def new_run(exp=ops_exp, name="r"):
        r = c.post("runs/create", client_like_create_run(exp, 0, name))
        rid = r["run"]["info"]["run_id"]
        if not rid:
            raise BenchError(f"create-run returned no run_id: {r!r}")
        return rid

    def ck_empty(what):
        def ck(i, st, data, enc):
            expect_200(st, data, what)
            if c.decode(data, enc) != {}:
                raise BenchError(f"{what}: expected {{}}, got {data[:200]!r}")
        return ck

    def guarded(name, fn):
        """Runs one workload; a failure is recorded for it and the next workload still runs
        (on a fresh connection)."""
        nonlocal c
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - any failure of one workload
            if not isinstance(e, BenchError):
                e = BenchError(f"{type(e).__name__}: {e}")
            log(f"[{srv.label}] {name} FAILED: {e}")
            res.setdefault("failures", {})[name] = str(e)[:300]
            c.close()
            c = Client(srv.port, gz)

    # --- 0. noop: GET /health (client + HTTP floor, not an MLflow API call) ------------------
    def w0():
        def mk_health(i):
            return "GET", "/health", None

        def ck_health(i, st, data, enc):
            expect_200(st, data, "health")

        s, _ = run_latency(c, mk_health, ck_health, warm_small, small)
        res["noop (/health)"] = s
    guarded('noop (/health)', w0)

    # --- 1. create-run ------------------------------------------------------------------------
    def w1():
        def mk_create(i):
            return "POST", API + "runs/create", json.dumps(
                client_like_create_run(ops_exp, i)).encode()

        def ck_create(i, st, data, enc):
            expect_200(st, data, "create-run")
            info = c.decode(data, enc)["run"]["info"]
            if info.get("experiment_id") != ops_exp or not info.get("run_id") \
                    or info.get("status") != "RUNNING":
                raise BenchError(f"create-run: unexpected run info {info!r}")

        log(f"[{srv.label}] create-run x{small}")
        res["create-run"], _ = run_latency(c, mk_create, ck_create, warm_small, small)
    guarded('create-run', w1)

    # --- 2. log-metric ------------------------------------------------------------------------
    def w2():
        rid_m = new_run(name="log-metric")

        def mk_metric(i):
            body = {"run_id": rid_m, "run_uuid": rid_m, "key": "loss", "value": 0.5 + i * 1e-3,
                    "timestamp": now_ms(), "step": i + 1000}
            return "POST", API + "runs/log-metric", json.dumps(body).encode()

        log(f"[{srv.label}] log-metric x{small}")
        res["log-metric"], _ = run_latency(c, mk_metric, ck_empty("log-metric"), warm_small, small)
    guarded('log-metric', w2)

    # --- 3./4. log-batch of 10 and 500 metrics ------------------------------------------------
    def mk_batch(run_id, nm):
        keys = [f"m{k}" for k in range(nm)]

        def mk(i):
            ts = now_ms()
            body = {"run_id": run_id,
                    "metrics": [{"key": k, "value": i * 0.25 + j, "timestamp": ts,
                                 "step": i + 1000} for j, k in enumerate(keys)]}
            return "POST", API + "runs/log-batch", json.dumps(body).encode()
        return mk

    def w3(nm):
        def w():
            rid = new_run(name=f"log-batch-{nm}")
            log(f"[{srv.label}] log-batch-{nm} x{small}")
            res[f"log-batch-{nm}"], _ = run_latency(c, mk_batch(rid, nm),
                                                    ck_empty(f"log-batch-{nm}"),
                                                    warm_small, small)
        return w
    guarded('log-batch-10', w3(10))
    guarded('log-batch-500', w3(500))

    # --- throughput phase: N concurrent clients ----------------------------------------------
    def w4():
        nt = args.threads
        per = max(small // nt * 2, 10) if not args.tp_iters else args.tp_iters

        def tp_create(tid, i):
            return "POST", API + "runs/create", json.dumps(
                client_like_create_run(ops_exp, 100000 * (tid + 1) + i)).encode()

        def tp_ck_create(st, data, enc, cl):
            expect_200(st, data, "create-run (concurrent)")
            if not cl.decode(data, enc)["run"]["info"]["run_id"]:
                raise BenchError("create-run (concurrent): no run_id")

        def tp_health(tid, i):
            return "GET", "/health", None

        def tp_ck_health(st, data, enc, cl):
            expect_200(st, data, "health (concurrent)")

        log(f"[{srv.label}] /health throughput {nt} threads x{per} (client ceiling)")
        res.setdefault("noop (/health)", {})["rpsN"] = run_throughput(
            srv.port, gz, tp_health, tp_ck_health, nt, per, warm_small)

        log(f"[{srv.label}] create-run throughput {nt} threads x{per}")
        res.setdefault("create-run", {})["rpsN"] = run_throughput(
            srv.port, gz, tp_create, tp_ck_create, nt, per, warm_small)
        tp_runs = [new_run(name=f"tp-{t}") for t in range(nt)]

        def tp_batch(tid, i):
            ts = now_ms()
            body = {"run_id": tp_runs[tid],
                    "metrics": [{"key": f"m{j}", "value": float(i + j), "timestamp": ts,
                                 "step": i + 1000} for j in range(10)]}
            return "POST", API + "runs/log-batch", json.dumps(body).encode()

        def tp_ck_empty(st, data, enc, cl):
            expect_200(st, data, "log-batch-10 (concurrent)")
            if cl.decode(data, enc) != {}:
                raise BenchError("log-batch-10 (concurrent): expected {}")

        log(f"[{srv.label}] log-batch-10 throughput {nt} threads x{per}")
        res.setdefault("log-batch-10", {})["rpsN"] = run_throughput(
            srv.port, gz, tp_batch, tp_ck_empty, nt, per, warm_small)
    guarded('throughput', w4)

    # --- 5. search-runs: 1000 of 25,000 ---------------------------------------------------------
    def w5():
        s_exp = c.post("experiments/create", {"name": "bench-search"})["experiment_id"]
        every = n_runs // n_hits
        assert every * n_hits == n_runs, "--search-runs must be a multiple of --search-hits"
        use_params = args.search_on == "param"

        def seed_run(cl, i):
            hit = "hit" if i % every == 0 else "miss"
            body = client_like_create_run(s_exp, i)
            if not use_params:
                body["tags"].append({"key": "grp", "value": hit})
            r = cl.post("runs/create", body)
            if use_params:
                rid = r["run"]["info"]["run_id"]
                cl.post("runs/log-batch", {
                    "run_id": rid,
                    "params": [{"key": "grp", "value": hit}] +
                              [{"key": f"p{k}", "value": str(i * 7 + k)} for k in range(4)],
                    "metrics": [{"key": f"m{k}", "value": i * 0.5 + k, "timestamp": now_ms(),
                                 "step": 0} for k in range(3)]})

        log(f"[{srv.label}] seeding {n_runs} runs ({n_hits} hits, filter on {args.search_on}) "
            f"with {args.seed_threads} threads")
        res["seed-runs-s"] = parallel(n_runs, args.seed_threads, srv.port, gz, seed_run, "seed runs")

        filt = "params.grp = 'hit'" if use_params else "tags.grp = 'hit'"
        search_body = json.dumps({"experiment_ids": [s_exp], "filter": filt,
                                  "run_view_type": "ACTIVE_ONLY",
                                  "max_results": n_hits}).encode()

        def mk_search(i):
            return "POST", API + "runs/search", search_body

        def ck_search(i, st, data, enc):
            expect_200(st, data, "search-runs")
            runs = c.decode(data, enc).get("runs", [])
            if len(runs) != n_hits:
                raise BenchError(f"search-runs returned {len(runs)} runs, expected {n_hits}")
            for r in runs:
                if r["info"]["experiment_id"] != s_exp:
                    raise BenchError("search-runs: run from the wrong experiment")
                d = r.get("data", {})
                kv = d.get("params" if use_params else "tags", [])
                if {"key": "grp", "value": "hit"} not in kv:
                    raise BenchError(f"search-runs: run without grp=hit: {r['info']['run_id']}")
            if len({r["info"]["run_id"] for r in runs}) != n_hits:
                raise BenchError("search-runs: duplicate run ids")

        log(f"[{srv.label}] search-runs x{heavy}")
        res["search-runs"], _ = run_latency(c, mk_search, ck_search, warm_heavy, heavy)
    guarded('search-runs', w5)

    # --- 6. get-history of 100,000 points -------------------------------------------------------
    def w6():
        rid_h = new_run(name="history")
        per_batch = 1000
        n_batches = (n_points + per_batch - 1) // per_batch
        t_base = now_ms() - n_points

        def seed_hist(cl, b):
            lo, hi = b * per_batch, min((b + 1) * per_batch, n_points)
            cl.post("runs/log-batch", {"run_id": rid_h, "metrics": [
                {"key": "loss", "value": 1.0 / (s + 1), "timestamp": t_base + s, "step": s}
                for s in range(lo, hi)]})

        log(f"[{srv.label}] seeding {n_points} points in {n_batches} log-batch calls")
        res["seed-history-s"] = parallel(n_batches, args.seed_threads, srv.port, gz, seed_hist,
                                         "seed history")
        hist_path = API + "metrics/get-history?" + urllib.parse.urlencode(
            {"run_id": rid_h, "run_uuid": rid_h, "metric_key": "loss",
             "max_results": args.history_max_results})
        hist_bytes = [0, 0]

        def mk_hist(i):
            return "GET", hist_path, None

        def ck_hist(i, st, data, enc):
            expect_200(st, data, "get-history")
            d = c.decode(data, enc)
            hist_bytes[0], hist_bytes[1] = c.last_plain, c.last_wire
            ms = d.get("metrics", [])
            if len(ms) != n_points:
                raise BenchError(f"get-history returned {len(ms)} points, expected {n_points} "
                                 f"(next_page_token={d.get('next_page_token')!r})")
            if d.get("next_page_token"):
                raise BenchError("get-history: unexpected next_page_token on a complete page")
            if ms[0]["step"] != 0 or ms[-1]["step"] != n_points - 1 or ms[0]["key"] != "loss" \
                    or abs(ms[-1]["value"] * n_points - 1.0) > 1e-9:
                raise BenchError(f"get-history: wrong order/content {ms[0]!r} .. {ms[-1]!r}")
            if i == 0 and [m["step"] for m in ms] != list(range(n_points)):
                raise BenchError("get-history: points not ordered by (timestamp, step)")

        log(f"[{srv.label}] get-history x{heavy}")
        res["get-history"], _ = run_latency(c, mk_hist, ck_hist, warm_heavy, heavy)
        res["get-history"]["bytes"] = hist_bytes[0]
        res["get-history"]["wire_bytes"] = hist_bytes[1]
    guarded('get-history', w6)

    c.close()
    mb, nproc, by, pss = srv.rss()
    res["rss-after"] = {"rss": mb, "nproc": nproc, "by": by, "pss": pss}
    res["encodings"] = sorted(c.encodings)
    log(f"[{srv.label}] RSS after run {mb:.1f} MB (PSS {pss:.1f}) over {nproc} process(es)")


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------
WORKLOADS = ["noop (/health)", "create-run", "log-metric", "log-batch-10", "log-batch-500",
             "search-runs", "get-history"]


def fmt(x, nd=2):
    if x is None or x != x:
        return "-"
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.1f}"
    return f"{x:.{nd}f}"


def ratio_str(a, b):
    if not a or not b or a != a or b != b:
        return "-"
    return f"{a / b:.1f}x"


def print_table(results: dict, labels: list[str], args, out=sys.stdout):
    cols = ["workload", "server", "n", "p50 ms", "p90 ms", "p99 ms", "req/s 1c",
            f"req/s {args.threads}c", "target", ""]
    rows = []
    mlt = "mltrack" if "mltrack" in results else None
    refs = [l for l in labels if l != "mltrack"]
    for w in WORKLOADS:
        for lab in labels:
            r = results.get(lab, {})
            s = r.get(w) or {}
            failed = r.get("failures", {}).get(w)
            if not s and not failed:
                continue
            tgt, ok = "", ""
            if lab == "mltrack" and w in TARGETS:
                m, lim, tgt = TARGETS[w]
                ok = "OK" if s.get(m, float("inf")) <= lim else "MISS"
            if failed:
                ok = "FAILED (see below)"
            rows.append([w, lab, str(s.get("n", "")), fmt(s.get("p50")), fmt(s.get("p90")),
                         fmt(s.get("p99")), fmt(s.get("rps1"), 0), fmt(s.get("rpsN"), 0),
                         tgt, ok])
        b = results.get(mlt, {}).get(w) if mlt else None
        if b:
            for ref in refs:
                a = results[ref].get(w)
                if not a:
                    continue
                rows.append(["", f"{ref}/mltrack", "", ratio_str(a.get("p50"), b.get("p50")),
                             ratio_str(a.get("p90"), b.get("p90")),
                             ratio_str(a.get("p99"), b.get("p99")),
                             ratio_str(b.get("rps1"), a.get("rps1")),
                             ratio_str(b.get("rpsN"), a.get("rpsN")), "", ""])
    for w, kind, title in (("rss-idle", "rss", "RSS idle (MB)"),
                           ("rss-idle", "pss", "PSS idle (MB)"),
                           ("rss-after", "rss", "RSS after (MB)"),
                           ("rss-after", "pss", "PSS after (MB)")):
        for lab in labels:
            s = results.get(lab, {}).get(w)
            if s is None:
                continue
            tgt, ok = "", ""
            if lab == "mltrack" and w in TARGETS and kind == "rss":
                _, lim, txt = TARGETS[w]
                tgt, ok = txt, ("OK" if s["rss"] <= lim else "MISS")
            rows.append([title, lab, f"{s['nproc']}p", fmt(s.get(kind), 1), "", "", "", "",
                         tgt, ok])
        b = results.get(mlt, {}).get(w) if mlt else None
        if b:
            for ref in refs:
                a = results[ref].get(w)
                if a:
                    rows.append(["", f"{ref}/mltrack", "", ratio_str(a.get(kind), b.get(kind)),
                                 "", "", "", "", "", ""])
    widths = [max(len(str(r[i])) for r in rows + [cols]) for i in range(len(cols))]
    left = {0, 1, 8, 9}

    def line(r):
        return "  ".join((str(v).ljust(widths[i]) if i in left else str(v).rjust(widths[i]))
                         for i, v in enumerate(r)).rstrip()
    print(line(cols), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    prev = None
    for r in rows:
        if r[0] and prev is not None and r[0] != prev and len(labels) > 1:
            print("", file=out)
        if r[0]:
            prev = r[0]
        print(line(r), file=out)
    print("", file=out)
    print("Latency: one client thread, keep-alive, send -> full body read (JSON parse and checks "
          "excluded).", file=out)
    print(f"req/s 1c: that client = 1 / mean latency. "
          f"req/s {args.threads}c: {args.threads} concurrent keep-alive clients.", file=out)
    print("Ratio rows: latency = mlflow / mltrack, throughput = mltrack / mlflow, "
          "RSS = mlflow / mltrack (>1 means mltrack is better).", file=out)
    print("RSS: sum of VmRSS over the server's whole process tree (p = number of processes); "
          "PSS: sum of Pss (shared pages split among sharers).", file=out)
    print(f"Load average at start / end: {args.load_start} / {load_avg()} "
          f"({os.cpu_count()} CPUs; other load on the machine skews all figures).", file=out)
    for lab in labels:
        r = results.get(lab, {})
        extra = []
        if "startup_s" in r:
            extra.append(f"startup {r['startup_s']:.2f}s")
        if "seed-runs-s" in r:
            extra.append(f"seed runs {r['seed-runs-s']:.1f}s")
        if "seed-history-s" in r:
            extra.append(f"seed history {r['seed-history-s']:.1f}s")
        if r.get("get-history", {}).get("bytes"):
            h = r["get-history"]
            extra.append(f"history body {h['bytes'] / 1e6:.1f} MB JSON"
                         + (f" ({h['wire_bytes'] / 1e6:.2f} MB on the wire)"
                            if h.get("wire_bytes", h["bytes"]) != h["bytes"] else ""))
        extra.append("content-encoding " + (",".join(r.get("encodings", [])) or "identity"))
        if r.get("from"):
            extra.append("NOT measured in this run: figures from " + r["from"])
        print(f"{lab}: " + ", ".join(extra), file=out)
        for w in ("rss-idle", "rss-after"):
            by = r.get(w, {}).get("by")
            if by and len(by) > 1:
                print(f"  {w} by process (MB): " + ", ".join(
                    f"{k} {v:.0f}" for k, v in sorted(by.items(), key=lambda kv: -kv[1])),
                    file=out)


# --------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 2,500 runs / 100 hits, 10,000 points, few iterations")
    ap.add_argument("--only", choices=["mltrack", "mlflow"], help="benchmark one server only")
    ap.add_argument("--mltrack-bin", default=os.path.join(REPO, "build/server/mltrack"))
    ap.add_argument("--mltrack-args", default="",
                    help="extra arguments for `mltrack server` (space separated)")
    ap.add_argument("--mlflow-bin", default=shutil.which("mlflow") or "mlflow")
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite",
                    help="postgres: every server gets a fresh database in one private PostgreSQL "
                         "cluster (tests/integration/pgcluster.py; fsync on) started for the run; "
                         "mlflow needs psycopg2")
    ap.add_argument("--mlflow-workers", default="1",
                    help="comma-separated worker counts; each is a separate mlflow run, "
                         "e.g. '1,4' (4 is mlflow's default)")
    ap.add_argument("--mlflow-no-jobs", action="store_true",
                    help="start mlflow with MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false (no job "
                         "runner / huey consumer processes; they are on by default)")
    ap.add_argument("--threads", type=int, default=4, help="clients in the throughput phase")
    ap.add_argument("--seed-threads", type=int, default=4, help="clients used for seeding")
    ap.add_argument("--iters", type=int, default=0, help="iterations of small ops (300)")
    ap.add_argument("--heavy-iters", type=int, default=0,
                    help="iterations of search / get-history (30)")
    ap.add_argument("--tp-iters", type=int, default=0,
                    help="requests per client thread in the throughput phase")
    ap.add_argument("--search-runs", type=int, default=None, help="runs to seed (25000)")
    ap.add_argument("--search-hits", type=int, default=None,
                    help="runs the filter selects = max_results (1000)")
    ap.add_argument("--search-on", choices=["tag", "param"], default="tag",
                    help="tag: the selector is a tag sent with runs/create (1 request per "
                         "seeded run); param: each run also gets 5 params + 3 metrics via "
                         "log-batch and the filter is on a param (2 requests per run, ~2x "
                         "slower seeding on mlflow)")
    ap.add_argument("--history-points", type=int, default=None, help="points (100000)")
    ap.add_argument("--history-max-results", type=int, default=1000000,
                    help="max_results sent to get-history (one page must hold all points)")
    ap.add_argument("--no-gzip", action="store_true",
                    help="send Accept-Encoding: identity instead of the mlflow client's "
                         "'gzip, deflate'")
    ap.add_argument("--idle-settle", type=float, default=5.0,
                    help="seconds to wait after the server is ready before reading idle RSS")
    ap.add_argument("--startup-timeout", type=float, default=180.0)
    ap.add_argument("--tmp", default=None, help="parent dir for the servers' temp dirs")
    ap.add_argument("--keep", action="store_true", help="keep temp dirs (DB, server log)")
    ap.add_argument("--json", help="also write raw results to this file")
    ap.add_argument("--baseline", metavar="JSON",
                    help="take the figures of servers not run now from an earlier --json file "
                         "(e.g. `--only mltrack --baseline mlflow.json` skips re-measuring mlflow)")
    args = ap.parse_args()

    if args.search_runs is None:
        args.search_runs = 2500 if args.quick else 25000
    if args.search_hits is None:
        args.search_hits = 100 if args.quick else 1000
    if args.history_points is None:
        args.history_points = 10000 if args.quick else 100000

    pg = None
    if args.backend == "postgres":
        sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
        import pgcluster
        pg = pgcluster.PgCluster(durable=True).start()
        log(f"bench: PostgreSQL cluster on 127.0.0.1:{pg.port}")

    def store_uri(tmp, driver=""):
        if pg is None:
            return f"sqlite:///{tmp}/db.sqlite"
        return pg.create_database().replace("postgresql://", f"postgresql{driver}://")

    servers = []  # (label, argv_fn, env)
    if args.only in (None, "mltrack"):
        binp = os.path.abspath(args.mltrack_bin)
        if not os.access(binp, os.X_OK):
            sys.exit(f"mltrack binary not found at {binp} (build it or use --only mlflow)")
        extra = args.mltrack_args.split()
        servers.append(("mltrack", lambda tmp, port: [
            binp, "server", *extra, "--backend-store-uri", store_uri(tmp),
            "--artifacts-destination", f"{tmp}/art", "--host", "127.0.0.1",
            "--port", str(port)], None))
    if args.only in (None, "mlflow"):
        ws = [w.strip() for w in args.mlflow_workers.split(",") if w.strip()]
        for w in ws:
            label = "mlflow" if len(ws) == 1 else f"mlflow-w{w}"
            servers.append((label, lambda tmp, port, w=w: [
                args.mlflow_bin, "server", "--backend-store-uri", store_uri(tmp, "+psycopg2"),
                "--artifacts-destination", f"{tmp}/art", "--host", "127.0.0.1",
                "--port", str(port), "--workers", w],
                {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"} if args.mlflow_no_jobs else None))

    log(f"bench: {'quick' if args.quick else 'full'}; runs={args.search_runs} "
        f"hits={args.search_hits} points={args.history_points} threads={args.threads}")
    args.load_start = load_avg()
    results: dict = {}
    labels = []
    t_all = time.monotonic()
    for label, argv_fn, env in servers:
        srv = Server(label, argv_fn, args.tmp, args.keep, env)
        res: dict = {}
        try:
            srv.start(args.startup_timeout)
            res["startup_s"] = srv.startup_s
            bench_server(srv, args, res)
        except BaseException as e:
            log(f"[{label}] FAILED: {e}")
            log(f"[{label}] server log tail:\n{srv.log_tail()}")
            res["error"] = str(e)
            if isinstance(e, KeyboardInterrupt):
                srv.stop()
                raise
        finally:
            srv.stop()
        results[label] = res
        labels.append(label)
    if pg is not None:
        pg.stop()

    if args.baseline:
        with open(args.baseline) as f:
            base = json.load(f)
        ba = base.get("args", {})
        for k in ("quick", "search_runs", "search_hits", "search_on", "history_points",
                  "threads", "no_gzip"):
            if ba.get(k) != getattr(args, k):
                log(f"WARNING: --baseline was recorded with {k}={ba.get(k)!r}, "
                    f"this run uses {getattr(args, k)!r}")
        for lab, r in base.get("results", {}).items():
            if lab in results:
                continue
            r = dict(r)
            r["from"] = f"{args.baseline} ({base.get('when', '?')})"
            results[lab] = r
            labels.append(lab)
            if lab == "mltrack":  # keep mltrack first
                labels.insert(0, labels.pop())

    print()
    print(f"mltrack benchmark ({'quick' if args.quick else 'full'}): "
          f"{args.search_hits} of {args.search_runs} runs, {args.history_points} history "
          f"points; {args.backend}; total {time.monotonic() - t_all:.0f}s")
    print_table(results, labels, args)
    failed = [l for l in labels if results[l].get("error") or results[l].get("failures")]
    for l in labels:
        if results[l].get("error"):
            print(f"{l}: FAILED: {results[l]['error']}")
        for w, msg in results[l].get("failures", {}).items():
            print(f"{l}: {w} FAILED: {msg}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"when": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args),
                       "results": results}, f, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
