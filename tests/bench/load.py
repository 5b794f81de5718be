#!/usr/bin/env python3
"""Load benchmark: mltrack vs FastTrackML vs `mlflow server` under wrk.

In one run, starts each server in turn (never two at once) on loopback with a fresh temp dir
(SQLite, or a fresh database in one private PostgreSQL cluster), drives the same workloads
against it with wrk (20 keep-alive connections, a fixed duration per workload) and prints
requests/s, p50 / p99 latency and errors per workload and server, the RSS of each server's
whole process tree (idle, peak, 10 s after the load), the ratios mltrack / FastTrackML and
mltrack / mlflow, and one line per target of issue 10 saying MET or MISSED.

Every response is checked by wrk's Lua response() hook (load.lua): a workload with any
non-2xx answer, socket error or timeout is reported as FAILED, never as a number. Read
workloads are checked once in depth from Python before they are loaded; after each write
workload the rows in the database are counted and compared with the acknowledged requests.

Needs the Python standard library and wrk (Debian package `wrk`). FastTrackML is installed
from PyPI into its own venv in ~/.cache/mltrack-bench at first use. See README.md here.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (Server, Client, /proc helpers, seeding)
from bench import API, REPO, BenchError, log  # noqa: E402

LUA = os.path.join(HERE, "load.lua")
FML_VERSION = "0.5.0"
SERVERS = ("mltrack", "fasttrackml", "mlflow")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Issue 10's targets, checked on the SQLite backend's figures (printed for any backend).
T_FML, T_MLFLOW = 3.0, 50.0
T_POINTS = 1_000_000
T_RSS_PEAK, T_RSS_AFTER = 64.0, 20.0


# --------------------------------------------------------------------------------------
# Process tree: RSS and CPU from /proc
# --------------------------------------------------------------------------------------
def tree_pids(root: int) -> list[int]:
    kids = bench.proc_children()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def tree_rss_mb(root: int) -> tuple[float, int]:
    """(sum of VmRSS over root and its descendants in MB, number of processes)."""
    total, n = 0, 0
    for pid in tree_pids(root):
        kb = bench.read_kb(f"/proc/{pid}/status", "VmRSS:")
        if kb is not None:
            total += kb
            n += 1
    return total / 1024.0, n


def tree_cpu_s(root: int) -> float:
    """utime + stime of root and its live descendants, in seconds."""
    ticks = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return ticks / CLK_TCK


class RssSampler(threading.Thread):
    """Samples the tree's RSS every `interval` s; tracks the peak of the whole run and of the
    current window (one window per workload)."""

    def __init__(self, root: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak = 0.0
        self.window_peak = 0.0
        self.samples = 0
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        while not self.stop_ev.is_set():
            mb, _ = tree_rss_mb(self.root)
            with self.lock:
                self.peak = max(self.peak, mb)
                self.window_peak = max(self.window_peak, mb)
                self.samples += 1
            self.stop_ev.wait(self.interval)

    def new_window(self) -> float:
        """Ends the current window; returns its peak."""
        with self.lock:
            p, self.window_peak = self.window_peak, 0.0
        return p

    def stop(self):
        self.stop_ev.set()
        self.join(timeout=5)


def wait_idle(srv, timeout: float, what: str) -> float:
    """Waits until the server's process tree uses < 5% of a core over 0.5 s (requests that
    wrk abandoned at the end of its duration are still being served: they would steal from
    the next measurement). Returns the seconds waited."""
    t0 = time.monotonic()
    prev = tree_cpu_s(srv.proc.pid)
    while True:
        time.sleep(0.5)
        cur = tree_cpu_s(srv.proc.pid)
        if cur - prev < 0.025:
            break
        prev = cur
        if time.monotonic() - t0 > timeout:
            log(f"[{srv.label}] WARNING: still busy {timeout:.0f}s after {what}; going on")
            break
    return time.monotonic() - t0


def fsync_probe(directory: str | None, n: int = 200) -> str:
    """Median and p90 of n (4 KiB pwrite into a preallocated file + fdatasync, as a WAL in
    steady state) in `directory`: the floor of one durable SQLite commit on this disk at this
    moment (issue 10: one fsync per write request; other jobs' disk traffic shows here)."""
    fd, path = tempfile.mkstemp(prefix="fsync-probe-", dir=directory)
    try:
        buf, lat = b"x" * 4096, []
        os.write(fd, buf * 16)
        os.fsync(fd)
        for i in range(n):
            t0 = time.perf_counter()
            os.pwrite(fd, buf, (i % 16) * 4096)
            os.fdatasync(fd)
            lat.append((time.perf_counter() - t0) * 1000)
        lat.sort()
        return (f"p50 {lat[n // 2]:.2f} ms, p90 {lat[n * 9 // 10]:.2f} ms "
                f"({n} x 4 KiB pwrite + fdatasync in {os.path.dirname(path)})")
    finally:
        os.close(fd)
        os.unlink(path)


# --------------------------------------------------------------------------------------
# FastTrackML: installed from PyPI into its own venv, outside the repository
# --------------------------------------------------------------------------------------
def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mltrack-bench")


def ensure_fml(version: str) -> str:
    venv = os.path.join(cache_dir(), f"fasttrackml-{version}")
    fml = os.path.join(venv, "bin", "fml")
    if os.access(fml, os.X_OK):
        return fml
    log(f"bench: installing fasttrackml=={version} from PyPI into {venv}")
    os.makedirs(cache_dir(), exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q",
                    "--disable-pip-version-check", f"fasttrackml=={version}"], check=True)
    if not os.access(fml, os.X_OK):
        raise SystemExit(f"fasttrackml {version} installed but {fml} is missing")
    return fml


def version_of(argv: list[str]) -> str:
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return r.stdout.decode(errors="replace").strip().splitlines()[-1]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


# --------------------------------------------------------------------------------------
# Request templates (load.lua replaces @N@, @R@, @T@ per request)
# --------------------------------------------------------------------------------------
def template(obj) -> str:
    """JSON with placeholders: the string "#N#" (optionally followed by digits) becomes the
    unquoted number @N@<digits>, "#T#" the unquoted @T@; "@N@"/"@R@" inside strings stay."""
    s = json.dumps(obj, separators=(",", ":"))
    s = re.sub(r'"#N#(\d*)"', r"@N@\1", s)
    return s.replace('"#T#"', "@T@")


def create_run_body(exp_id: str, name: str, start_time, extra_tags=()) -> dict:
    """The body `mlflow.start_run` sends (bench.client_like_create_run), plus extra tags."""
    return {
        "experiment_id": exp_id, "user_id": "bench", "start_time": start_time,
        "run_name": name,
        "tags": [{"key": "mlflow.user", "value": "bench"},
                 {"key": "mlflow.source.name", "value": "load.py"},
                 {"key": "mlflow.source.type", "value": "LOCAL"},
                 {"key": "mlflow.runName", "value": name}, *extra_tags],
    }


class Work:
    """One workload: what to send and how to check it.

    kind "write": `units` rows per acknowledged request land in `table` (counted after the
    load); kind "read": `check(client)` verifies one response in depth before the load."""

    def __init__(self, name, method, path, body="", kind="read", units=0, table=None,
                 points=0, check=None, history=False):
        self.name, self.method, self.path, self.body = name, method, path, body
        self.kind, self.units, self.table, self.points = kind, units, table, points
        self.check, self.history = check, history
        self.runs: list[str] = []
        self.exp: str | None = None


WORKLOADS = ["create-run", "log-metric", "log-batch-10m", "log-batch-500m", "log-batch-10p",
             "search-1000", "search-filter", "search-experiments", "get-history-100k"]
ISSUE_NAMES = {
    "create-run": "runs/create",
    "log-metric": "runs/log-metric",
    "log-batch-10m": "runs/log-batch, 10 metrics",
    "log-batch-500m": "runs/log-batch, 500 metrics over 10 keys",
    "log-batch-10p": "runs/log-batch, 10 params",
    "search-1000": "runs/search, 1000 of 2000 runs",
    "search-filter": "runs/search, filter + order_by",
    "search-experiments": "experiments/search",
    "get-history-100k": "metrics/get-history, 100,000 points",
}


# --------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------
def run_wrk(srv, w: Work, conns: int, duration: int, timeout: int, base: int, gzip_ok: bool,
            wrk_bin: str, tmp: str) -> dict:
    threads = max(1, min(2, conns))
    conf = os.path.join(tmp, f"wrk-{w.name}-{base}.conf")
    with open(conf, "w") as f:
        f.write(f"method\t{w.method}\npath\t{w.path}\nbody\t{w.body}\n")
        f.write(f"runs\t{','.join(w.runs)}\nbase\t{base}\nnthreads\t{threads}\n")
        if w.method == "POST":
            f.write("header\tContent-Type: application/json\n")
        f.write("header\tAccept-Encoding: " + ("gzip, deflate" if gzip_ok else "identity") + "\n")
    argv = [wrk_bin, "-t", str(threads), "-c", str(conns), "-d", f"{duration}s",
            "--timeout", f"{timeout}s", "-s", LUA, f"http://127.0.0.1:{srv.port}"]
    cpu0, ru0 = tree_cpu_s(srv.proc.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(argv, env={**os.environ, "MLT_LOAD_CONF": conf}, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=duration + timeout + 60)
    cpu1, ru1 = tree_cpu_s(srv.proc.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = r.stdout.decode(errors="replace")
    m = re.search(r"^MLT_LOAD_RESULT (\{.*\})$", out, re.M)
    if r.returncode != 0 or not m:
        raise BenchError(f"wrk failed ({r.returncode}): {out[-1500:]}")
    d = json.loads(m.group(1))
    d["conns"], d["threads"], d["duration_s"] = conns, threads, duration
    d["errors"] = (d["non2xx"] + d["err_connect"] + d["err_read"] + d["err_write"]
                   + d["err_timeout"])
    d["ok"] = d["requests"] - d["non2xx"]
    secs = d["duration_us"] / 1e6
    d["rps"] = d["requests"] / secs if secs > 0 else 0.0
    # CPU seconds while wrk ran: the server's process tree, and wrk itself (the client shares
    # the two cores with the server; other load on the machine shows in neither).
    d["server_cpu_s"] = cpu1 - cpu0
    d["client_cpu_s"] = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return d


# --------------------------------------------------------------------------------------
# Database row counts (checks that acknowledged writes are stored)
# --------------------------------------------------------------------------------------
class RowCounter:
    def __init__(self, sqlite_path: str | None = None, pg=None, pg_db: str | None = None):
        self.sqlite_path, self.pg, self.pg_db = sqlite_path, pg, pg_db

    def count(self, sql: str, args: list) -> int:
        if self.sqlite_path:
            con = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30)
            try:
                return con.execute(sql, args).fetchone()[0]
            finally:
                con.close()
        # PostgreSQL through psql: inline the (generated, quote-free) arguments.
        for a in args:
            a = str(a)
            if not re.fullmatch(r"[0-9A-Za-z_-]+", a):
                raise BenchError(f"unexpected id {a!r}")
            sql = sql.replace("?", f"'{a}'" if not a.isdigit() else a, 1)
        return int(self.pg.psql(sql, db=self.pg_db).strip())

    def stored(self, w: Work) -> int:
        if w.table == "runs":
            return self.count("SELECT count(*) FROM runs WHERE experiment_id = ?", [int(w.exp)])
        qs = ",".join("?" * len(w.runs))
        return self.count(f"SELECT count(*) FROM {w.table} WHERE run_uuid IN ({qs})", w.runs)


# --------------------------------------------------------------------------------------
# One server
# --------------------------------------------------------------------------------------
def seed_runs(srv, args, exp: str, n: int) -> float:
    t_base = 1_700_000_000_000

    def one(cl, i):
        body = create_run_body(exp, f"seed-{i}", t_base + i,
                               [{"key": "grp", "value": f"g{i % 10}"}])
        r = cl.post("runs/create", body)
        if not r["run"]["info"]["run_id"]:
            raise BenchError("seed: runs/create returned no run_id")
    return bench.parallel(n, args.seed_threads, srv.port, not args.no_gzip, one, "seed runs")


def seed_history(srv, args, run_id: str, n_points: int) -> float:
    per = 1000
    t_base = bench.now_ms() - n_points

    def one(cl, b):
        lo, hi = b * per, min((b + 1) * per, n_points)
        cl.post("runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "loss", "value": 1.0 / (s + 1), "timestamp": t_base + s, "step": s}
            for s in range(lo, hi)]})
    return bench.parallel((n_points + per - 1) // per, args.seed_threads, srv.port,
                          not args.no_gzip, one, "seed history")


def build_workloads(c, args) -> dict[str, Work]:
    """Creates the experiments and runs the write workloads need; returns all workloads.
    The read workloads' data is seeded later (prepare_reads)."""
    ws: dict[str, Work] = {}

    def exp(name):
        return c.post("experiments/create", {"name": name})["experiment_id"]

    def runs_in(e, k, label):
        out = []
        for i in range(k):
            r = c.post("runs/create", create_run_body(e, f"{label}-{i}", bench.now_ms()))
            out.append(r["run"]["info"]["run_id"])
        return out

    e_create = exp("load-create")
    w = Work("create-run", "POST", API + "runs/create",
             template(create_run_body(e_create, "load-@N@", "#T#")), "write", 1, "runs")
    w.exp = e_create
    ws[w.name] = w

    e_w = exp("load-writes")
    k = args.write_runs
    w = Work("log-metric", "POST", API + "runs/log-metric", template(
        {"run_id": "@R@", "run_uuid": "@R@", "key": "loss", "value": 0.5, "timestamp": "#T#",
         "step": "#N#"}), "write", 1, "metrics")
    ws[w.name] = w
    w = Work("log-batch-10m", "POST", API + "runs/log-batch", template(
        {"run_id": "@R@", "metrics": [{"key": f"m{j}", "value": j * 0.1 + 0.5,
                                       "timestamp": "#T#", "step": "#N#"} for j in range(10)]}),
             "write", 10, "metrics")
    ws[w.name] = w
    # 10 keys x 50 steps: steps @N@00 .. @N@49 (unique: @N@ is unique per request).
    w = Work("log-batch-500m", "POST", API + "runs/log-batch", template(
        {"run_id": "@R@", "metrics": [{"key": f"k{j}", "value": j + s * 0.01,
                                       "timestamp": "#T#", "step": f"#N#{s:02d}"}
                                      for j in range(10) for s in range(50)]}),
             "write", 500, "metrics", points=500)
    ws[w.name] = w
    # MLflow refuses to change a logged param, so every request logs 10 new keys.
    w = Work("log-batch-10p", "POST", API + "runs/log-batch", template(
        {"run_id": "@R@", "params": [{"key": f"p@N@_{j}", "value": f"v{j}"}
                                     for j in range(10)]}), "write", 10, "params")
    ws[w.name] = w
    for name in ("log-metric", "log-batch-10m", "log-batch-500m", "log-batch-10p"):
        ws[name].runs = runs_in(e_w, k, name)
    for name in WORKLOADS[5:]:
        ws[name] = Work(name, "GET", "/")  # filled in by prepare_reads
    return ws


def prepare_reads(srv, c, args, ws: dict[str, Work], res: dict, selected) -> None:
    n_runs = args.seed_runs
    page = min(1000, n_runs // 2)
    e = c.post("experiments/create", {"name": "load-search"})["experiment_id"]
    if {"search-1000", "search-filter"} & selected:
        log(f"[{srv.label}] seeding {n_runs} runs (each tagged grp=g0..g9)")
        res["seed-runs-s"] = seed_runs(srv, args, e, n_runs)

    def ck_search_all(cl):
        d = cl.post("runs/search", {"experiment_ids": [e], "max_results": page})
        runs = d.get("runs", [])
        if len(runs) != page or not d.get("next_page_token"):
            raise BenchError(f"search-1000: {len(runs)} runs, next_page_token="
                             f"{d.get('next_page_token')!r}; expected {page} and a token")
        if len({r["info"]["run_id"] for r in runs}) != page or \
                any(r["info"]["experiment_id"] != e for r in runs):
            raise BenchError("search-1000: duplicate runs or runs of another experiment")
        ts = [int(r["info"]["start_time"]) for r in runs]
        if ts != sorted(ts, reverse=True):
            raise BenchError("search-1000: not ordered by start_time DESC (MLflow's default)")
    w = ws["search-1000"]
    w.method, w.path, w.check = "POST", API + "runs/search", ck_search_all
    w.body = json.dumps({"experiment_ids": [e], "max_results": page})

    n_hit = n_runs // 10
    want = min(100, n_hit)
    filt = "tags.grp = 'g3' and attributes.status = 'RUNNING'"
    fbody = {"experiment_ids": [e], "filter": filt, "order_by": ["attributes.start_time ASC"],
             "max_results": want}

    def ck_search_filter(cl):
        runs = cl.post("runs/search", fbody).get("runs", [])
        if len(runs) != want:
            raise BenchError(f"search-filter: {len(runs)} runs, expected {want}")
        ts = [int(r["info"]["start_time"]) for r in runs]
        if ts != sorted(ts) or ts[0] != 1_700_000_000_003:
            raise BenchError("search-filter: not the first runs by start_time ASC")
        for r in runs:
            if {"key": "grp", "value": "g3"} not in r["data"].get("tags", []):
                raise BenchError("search-filter: a run without grp=g3")
    w = ws["search-filter"]
    w.method, w.path, w.check = "POST", API + "runs/search", ck_search_filter
    w.body = json.dumps(fbody)

    def ck_exps(cl):
        d = cl.post("experiments/search", {"max_results": 100})
        names = {x["name"] for x in d.get("experiments", [])}
        if not {"load-search", "load-writes", "Default"} <= names:
            raise BenchError(f"experiments/search: got {sorted(names)}")
    w = ws["search-experiments"]
    w.method, w.path, w.check = "POST", API + "experiments/search", ck_exps
    w.body = json.dumps({"max_results": 100})

    w = ws["get-history-100k"]
    if "get-history-100k" in selected:
        e_h = c.post("experiments/create", {"name": "load-history"})["experiment_id"]
        rid = c.post("runs/create", create_run_body(e_h, "history", bench.now_ms()))
        rid = rid["run"]["info"]["run_id"]
        log(f"[{srv.label}] seeding {args.history_points} points of one metric")
        res["seed-history-s"] = seed_history(srv, args, rid, args.history_points)
        w.path = API + "metrics/get-history?" + urllib.parse.urlencode(
            {"run_id": rid, "run_uuid": rid, "metric_key": "loss", "max_results": 1000000})
    npts = args.history_points

    def ck_hist(cl):
        st, data, enc, _ = cl.raw("GET", w.path)
        if st != 200:
            raise BenchError(f"get-history: HTTP {st}: {data[:200]!r}")
        ms = cl.decode(data, enc).get("metrics", [])
        if len(ms) != npts or sorted(m["step"] for m in ms) != list(range(npts)):
            raise BenchError(f"get-history: {len(ms)} points, expected steps 0..{npts - 1}")
        res["history-bytes"] = [cl.last_plain, cl.last_wire]
    w.check, w.history = ck_hist, True


def bench_server(srv, args, res: dict, counter: RowCounter, selected: set) -> None:
    gz = not args.no_gzip
    dur = args.duration if srv.label != "mlflow" or not args.mlflow_duration \
        else args.mlflow_duration
    hdur = args.history_duration
    res["duration"], res["history_duration"] = dur, hdur

    sampler = RssSampler(srv.proc.pid, args.rss_interval)
    sampler.start()
    try:
        time.sleep(args.idle_settle)
        res["rss-idle"], res["nproc"] = tree_rss_mb(srv.proc.pid)
        log(f"[{srv.label}] idle RSS {res['rss-idle']:.1f} MB over {res['nproc']} process(es)")
        c = bench.Client(srv.port, gz)
        ws = build_workloads(c, args)
        base = [10 ** 9]

        def measure(w: Work, d: int):
            r: dict = {"runs": []}
            res.setdefault("workloads", {})[w.name] = r
            try:
                if w.check:
                    w.check(c)
                acked, inflight = 0, 0
                if args.warmup > 0:
                    wu = run_wrk(srv, w, min(2, args.connections), args.warmup, args.timeout,
                                 base[0], gz, args.wrk, srv.tmp)
                    base[0] += 10 ** 9
                    acked, inflight = wu["ok"], wu["conns"]
                    r["warmup"] = wu
                    if wu["errors"]:
                        raise BenchError(f"warm-up: {describe_errors(wu)}")
                    wait_idle(srv, args.drain_timeout, f"{w.name} warm-up")
                sampler.new_window()
                for i in range(args.repeat):
                    log(f"[{srv.label}] {w.name}: wrk -c {args.connections} -d {d}s"
                        + (f" ({i + 1}/{args.repeat})" if args.repeat > 1 else ""))
                    one = run_wrk(srv, w, args.connections, d, args.timeout, base[0], gz,
                                  args.wrk, srv.tmp)
                    base[0] += 10 ** 9
                    r["runs"].append(one)
                    acked += one["ok"]
                    inflight += one["conns"]
                    r["drain_s"] = wait_idle(srv, args.drain_timeout, w.name)
                r["peak_rss"] = sampler.new_window()
                r["duration_s"] = d
                pick = sorted(r["runs"], key=lambda x: x["rps"])[len(r["runs"]) // 2]
                r.update({k: pick[k] for k in ("rps", "requests", "errors", "non2xx", "ok",
                                               "server_cpu_s", "client_cpu_s")})
                if pick["requests"]:
                    r["cpu_ms_req"] = pick["server_cpu_s"] * 1000 / pick["requests"]
                r["p50_ms"], r["p90_ms"], r["p99_ms"] = (pick["p50_us"] / 1000,
                                                         pick["p90_us"] / 1000,
                                                         pick["p99_us"] / 1000)
                if len(r["runs"]) > 1:
                    r["rps_all"] = [x["rps"] for x in r["runs"]]
                if w.points:
                    r["points_s"] = pick["rps"] * w.points
                errs = [x for x in r["runs"] if x["errors"]]
                if errs:
                    raise BenchError(describe_errors(errs[0]))
                if pick["requests"] == 0:
                    # Not an error and not a rate: every request was still being served
                    # when wrk stopped (mlflow and FastTrackML on the history scenario).
                    r["none"] = (f"no response completed in {d} s ({args.connections} "
                                 f"requests in flight, served after wrk stopped in "
                                 f"{r.get('drain_s', 0):.0f} s)")
                    log(f"[{srv.label}] {w.name}: {r['none']}")
                    return
                if w.kind == "write":
                    got = counter.stored(w)
                    lo, hi = acked * w.units, (acked + inflight) * w.units
                    r["stored"], r["acked_units"] = got, lo
                    if not lo <= got <= hi:
                        raise BenchError(f"{got} {w.table} rows stored for {acked} acknowledged "
                                         f"requests ({lo}..{hi} expected)")
                log(f"[{srv.label}] {w.name}: {r['rps']:,.1f} req/s, p50 {r['p50_ms']:.2f} ms, "
                    f"p99 {r['p99_ms']:.2f} ms, peak RSS {r['peak_rss']:.1f} MB")
            except (BenchError, OSError, KeyError, ValueError, subprocess.SubprocessError) as e:
                if not isinstance(e, BenchError):
                    e = BenchError(f"{type(e).__name__}: {e}")
                log(f"[{srv.label}] {w.name} FAILED: {e}")
                r["failed"] = str(e)[:400]
                r.setdefault("peak_rss", sampler.new_window())

        for name in WORKLOADS[:5]:
            if name in selected:
                measure(ws[name], dur)
        if selected & set(WORKLOADS[5:]):
            prepare_reads(srv, c, args, ws, res, selected)
            wait_idle(srv, args.drain_timeout, "seeding")
            for name in WORKLOADS[5:]:
                if name in selected:
                    measure(ws[name], hdur if ws[name].history else dur)
        c.close()
        res["rss-peak"] = sampler.peak
        res["rss-end"], _ = tree_rss_mb(srv.proc.pid)
        log(f"[{srv.label}] load over; RSS {res['rss-end']:.1f} MB; waiting {args.after}s")
        time.sleep(args.after)
        res["rss-after"], _ = tree_rss_mb(srv.proc.pid)
        res["rss-peak"] = max(sampler.peak, res["rss-after"])
        log(f"[{srv.label}] RSS {args.after:g}s after the load {res['rss-after']:.1f} MB, "
            f"peak {res['rss-peak']:.1f} MB")
    finally:
        sampler.stop()
        res["rss-samples"] = sampler.samples


def describe_errors(d: dict) -> str:
    parts = []
    if d["non2xx"]:
        parts.append(f"{d['non2xx']} non-2xx of {d['requests']} (first: HTTP "
                     f"{d['first_bad_status']} {str(d['first_bad_body'])[:200]!r})")
    for k in ("connect", "read", "write", "timeout"):
        if d[f"err_{k}"]:
            parts.append(f"{d[f'err_{k}']} {k} errors")
    return "; ".join(parts)


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------
def fnum(x, nd=1):
    if x is None or x != x:
        return "-"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.{nd}f}"


def ratio(a, b):
    if not a or not b:
        return None
    return a / b


def rstr(x):
    if x is None:
        return "-"
    return f"{x:,.0f}x" if x >= 100 else f"{x:.1f}x"


def wl(results, lab, name):
    """The workload's figures, or None when it failed or completed nothing."""
    r = results.get(lab, {}).get("workloads", {}).get(name)
    return r if r and not r.get("failed") and not r.get("none") else None


def summary_table(results: dict, labels: list[str]) -> list[str]:
    """req/s per workload and server, as issue 10's table (markdown), with the ratios."""
    refs = [l for l in labels if l != "mltrack"]
    head = ["workload", *labels] + ([f"mltrack / {r}" for r in refs] if "mltrack" in labels
                                    else [])
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in WORKLOADS:
        cells, any_ = [ISSUE_NAMES[name]], False
        for lab in labels:
            r = results.get(lab, {}).get("workloads", {}).get(name)
            any_ = any_ or r is not None
            cells.append("—" if r is None else "FAILED" if r.get("failed") else
                         "0 done" if r.get("none") else fnum(r["rps"]))
        if not any_:
            continue
        if "mltrack" in labels:
            m = wl(results, "mltrack", name)
            for ref in refs:
                o = wl(results, ref, name)
                cells.append(f"**{rstr(ratio(m and m['rps'], o and o['rps']))}**"
                             if m and o else "—")
        out.append("| " + " | ".join(cells) + " |")
    return out


def print_report(results: dict, labels: list[str], args, meta: dict, out=sys.stdout):
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p("req/s (the issue's table):")
    p("")
    for line_ in summary_table(results, labels):
        p(line_)
    p("")
    cols = ["workload", "server", "req/s", "p50 ms", "p99 ms", "errors", "points/s",
            "CPU ms/req", "cores srv/wrk", "peak RSS MB", "stored / acked"]
    rows = []
    for name in WORKLOADS:
        have = False
        for lab in labels:
            r = results.get(lab, {}).get("workloads", {}).get(name)
            if r is None:
                continue
            have = True
            if r.get("failed"):
                rows.append([name, lab, "FAILED", "", "", fnum(r.get("errors"), 0), "", "", "",
                             fnum(r.get("peak_rss")), "see below"])
                continue
            if r.get("none"):
                rows.append([name, lab, "0 done", "-", "-", "0", "", "", "",
                             fnum(r.get("peak_rss")), "see below"])
                continue
            st = ""
            if "stored" in r:
                st = f"{r['stored']:,} / {r['acked_units']:,}"
            rows.append([name, lab, fnum(r["rps"]), f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}",
                         str(r["errors"]), fnum(r.get("points_s")) if "points_s" in r else "",
                         f"{r['cpu_ms_req']:.3f}" if r["cpu_ms_req"] < 10 else fnum(r["cpu_ms_req"]),
                         f"{r['server_cpu_s'] / r['duration_s']:.2f}/"
                         f"{r['client_cpu_s'] / r['duration_s']:.2f}",
                         fnum(r.get("peak_rss")), st])
        if have and "mltrack" in labels:
            m = wl(results, "mltrack", name)
            for ref in labels:
                if ref == "mltrack" or results.get(ref, {}).get("workloads", {}).get(name) is None:
                    continue
                o = wl(results, ref, name)
                rows.append(["", f"mltrack/{ref}",
                             rstr(ratio(m and m["rps"], o and o["rps"])), "", "", "", "", "", "",
                             "", ""])
        if have:
            rows.append(None)
    widths = [max(len(str(r[i])) for r in [cols] + [x for x in rows if x]) for i in
              range(len(cols))]
    left = {0, 1}

    def line(r):
        return "  ".join(str(v).ljust(widths[i]) if i in left else str(v).rjust(widths[i])
                         for i, v in enumerate(r)).rstrip()
    p(line(cols))
    p("  ".join("-" * w for w in widths))
    for r in rows[:-1] if rows and rows[-1] is None else rows:
        p("" if r is None else line(r))
    p("")
    p("RSS (MB, sum of VmRSS over the server's process tree)")
    rcols = ["server", "procs", "idle", "peak", "at end", f"{args.after:g} s after"]
    rrows = []
    for lab in labels:
        r = results.get(lab, {})
        if "rss-idle" not in r:
            continue
        rrows.append([lab, str(r.get("nproc", "")), fnum(r.get("rss-idle")),
                      fnum(r.get("rss-peak")), fnum(r.get("rss-end")), fnum(r.get("rss-after"))])
    if rrows:
        rw = [max(len(x[i]) for x in [rcols] + rrows) for i in range(len(rcols))]
        for x in [rcols] + rrows:
            p("  ".join(v.ljust(rw[i]) if i == 0 else v.rjust(rw[i]) for i, v in enumerate(x)))
    p("")
    p("Targets (issue 10; they are stated for SQLite, 20 connections):")
    for line_ in target_lines(results, labels):
        p("  " + line_)
    p("")
    for lab in labels:
        r = results.get(lab, {})
        for name in WORKLOADS:
            f = r.get("workloads", {}).get(name, {}).get("failed")
            if f:
                p(f"{lab} {name} FAILED: {f}")
            f = r.get("workloads", {}).get(name, {}).get("none")
            if f:
                p(f"{lab} {name}: {f}")
        if r.get("error"):
            p(f"{lab} FAILED: {r['error']}")
    p("")
    for k, v in meta.items():
        if not k.startswith("_"):
            p(f"{k}: {v}")
    p(f"load average at start / end: {meta.get('_load_start')} / {bench.load_avg()} "
      f"({os.cpu_count()} CPUs)")


def target_lines(results, labels):
    out = []
    m = results.get("mltrack")
    if not m:
        return ["(mltrack not run)"]
    for name in WORKLOADS:
        mw = wl(results, "mltrack", name)
        for ref, need in (("fasttrackml", T_FML), ("mlflow", T_MLFLOW)):
            if ref not in labels or name not in results[ref].get("workloads", {}):
                continue
            o = wl(results, ref, name)
            label = f"{ISSUE_NAMES[name]} >= {need:g}x {ref}"
            if not mw:
                out.append(f"MISSED  {label}: mltrack failed")
            elif not o:
                why = "completed no request" if results[ref]["workloads"][name].get("none") \
                    else "failed"
                out.append(f"n/a     {label}: {ref} {why} (mltrack {mw['rps']:,.1f} req/s)")
            else:
                x = mw["rps"] / o["rps"]
                out.append(f"{'MET   ' if x >= need else 'MISSED'}  {label}: {rstr(x)} "
                           f"({mw['rps']:,.1f} vs {o['rps']:,.1f} req/s)")
    mw = wl(results, "mltrack", "log-batch-500m")
    if "log-batch-500m" in m.get("workloads", {}):
        pts = mw["points_s"] if mw else 0
        out.append(f"{'MET   ' if pts >= T_POINTS else 'MISSED'}  log-batch of 500 metrics >= "
                   f"1,000,000 points/s: {pts:,.0f} points/s")
    if "rss-peak" in m:
        out.append(f"{'MET   ' if m['rss-peak'] <= T_RSS_PEAK else 'MISSED'}  mltrack RSS peak "
                   f"<= {T_RSS_PEAK:g} MB: {m['rss-peak']:.1f} MB")
    if "rss-after" in m:
        out.append(f"{'MET   ' if m['rss-after'] <= T_RSS_AFTER else 'MISSED'}  mltrack RSS "
                   f"10 s after <= {T_RSS_AFTER:g} MB: {m['rss-after']:.1f} MB")
    return out


# --------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(SERVERS),
                    help="comma-separated servers to run, in this order (default: "
                         "mltrack,fasttrackml,mlflow)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help="comma-separated subset of: " + ", ".join(WORKLOADS))
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--duration", type=int, default=10, help="seconds per workload (10)")
    ap.add_argument("--history-duration", type=int, default=5,
                    help="seconds of the get-history memory scenario (5, as in the issue)")
    ap.add_argument("--mlflow-duration", type=int, default=0,
                    help="seconds per workload for mlflow (default: --duration)")
    ap.add_argument("--connections", type=int, default=20, help="wrk keep-alive connections")
    ap.add_argument("--warmup", type=int, default=1,
                    help="seconds of warm-up with 2 connections before each workload (1; 0: none)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="wrk runs per workload; the one with the median req/s is reported")
    ap.add_argument("--timeout", type=int, default=60,
                    help="wrk's per-request timeout in s; a slower answer counts as an error")
    ap.add_argument("--drain-timeout", type=float, default=180.0,
                    help="how long to wait for the server to go idle after a load (s)")
    ap.add_argument("--seed-runs", type=int, default=2000, help="runs seeded for the searches")
    ap.add_argument("--seed-threads", type=int, default=4)
    ap.add_argument("--history-points", type=int, default=100000)
    ap.add_argument("--write-runs", type=int, default=20,
                    help="runs the logging workloads write to, in turn (20)")
    ap.add_argument("--idle-settle", type=float, default=5.0,
                    help="seconds after startup before idle RSS is read")
    ap.add_argument("--after", type=float, default=10.0,
                    help="seconds after the last load when 'after' RSS is read (10)")
    ap.add_argument("--rss-interval", type=float, default=0.15, help="RSS sampling period (s)")
    ap.add_argument("--no-gzip", action="store_true",
                    help="send Accept-Encoding: identity (default: 'gzip, deflate' as the "
                         "mlflow client does)")
    ap.add_argument("--mltrack-bin", default=os.path.join(REPO, "build/server/mltrack"))
    ap.add_argument("--mltrack-args", default="", help="extra `mltrack server` arguments")
    ap.add_argument("--mlflow-bin", default=None,
                    help="default: .venv/bin/mlflow of the repository, else `mlflow` on PATH")
    ap.add_argument("--mlflow-workers", default="4",
                    help="`mlflow server --workers` (4, mlflow's default)")
    ap.add_argument("--mlflow-no-jobs", action="store_true",
                    help="MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false (no job runner / huey)")
    ap.add_argument("--fml-bin", default=None,
                    help=f"FastTrackML's `fml`; default: fasttrackml=={FML_VERSION} installed "
                         f"into {cache_dir()}/fasttrackml-{FML_VERSION} at first use")
    ap.add_argument("--fml-version", default=FML_VERSION)
    ap.add_argument("--fml-args", default="", help="extra `fml server` arguments, e.g. "
                                                   "'--log-level warn'")
    ap.add_argument("--fml-sqlite-query", default="",
                    help="query string for FastTrackML's SQLite URI, e.g. '_sync=FULL' (its "
                         "driver defaults to synchronous=NORMAL; mltrack and mlflow use FULL)")
    ap.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    ap.add_argument("--tmp", default=None, help="parent dir of the servers' temp dirs")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs")
    ap.add_argument("--json", help="also write the raw numbers to this file")
    ap.add_argument("--startup-timeout", type=float, default=180.0)
    args = ap.parse_args()

    only = [s.strip() for s in args.only.split(",") if s.strip()]
    for s in only:
        if s not in SERVERS:
            ap.error(f"--only: unknown server {s!r} (one of {', '.join(SERVERS)})")
    selected = {s.strip() for s in args.workloads.split(",") if s.strip()}
    if selected - set(WORKLOADS):
        ap.error(f"--workloads: unknown {sorted(selected - set(WORKLOADS))}")
    if not os.access(args.wrk, os.X_OK):
        sys.exit(f"wrk not found at {args.wrk} (apt-get install wrk)")
    if args.seed_runs < 20:
        ap.error("--seed-runs must be at least 20")

    meta = {"_load_start": bench.load_avg(), "fsync at start": fsync_probe(args.tmp)}
    mltrack_bin = os.path.abspath(args.mltrack_bin)
    mlflow_bin = args.mlflow_bin
    if mlflow_bin is None:
        v = os.path.join(REPO, ".venv", "bin", "mlflow")
        mlflow_bin = v if os.access(v, os.X_OK) else (shutil.which("mlflow") or "mlflow")
    fml_bin = None
    if "mltrack" in only and not os.access(mltrack_bin, os.X_OK):
        sys.exit(f"mltrack binary not found at {mltrack_bin} (./dev build, or --mltrack-bin)")
    if "fasttrackml" in only:
        fml_bin = args.fml_bin or ensure_fml(args.fml_version)
    vers = {}
    if "mltrack" in only:
        vers["mltrack"] = f"{version_of([mltrack_bin, '--version'])} ({mltrack_bin})"
    if "fasttrackml" in only:
        vers["fasttrackml"] = f"{version_of([fml_bin, '--version'])} ({fml_bin})"
    if "mlflow" in only:
        vers["mlflow"] = f"{version_of([mlflow_bin, '--version'])} ({mlflow_bin}, --workers " \
                         f"{args.mlflow_workers}" + (", no job runner" if args.mlflow_no_jobs
                                                      else "") + ")"

    pg = None
    if args.backend == "postgres":
        sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
        import pgcluster
        pg = pgcluster.PgCluster(durable=True).start()
        log(f"bench: PostgreSQL cluster on 127.0.0.1:{pg.port} (fsync on)")

    dbs: dict[str, str] = {}

    def store(label, tmp, scheme):
        if pg is None:
            return None
        if label not in dbs:
            dbs[label] = pg.create_database().rsplit("/", 1)[1]
        return pg.uri(dbs[label], scheme)

    argvs = {
        "mltrack": lambda tmp, port: [
            mltrack_bin, "server", *shlex.split(args.mltrack_args), "--backend-store-uri",
            store("mltrack", tmp, "postgresql") or f"sqlite:///{tmp}/db.sqlite",
            "--artifacts-destination", f"{tmp}/art", "--host", "127.0.0.1", "--port", str(port)],
        "fasttrackml": lambda tmp, port: [
            fml_bin, "server", *shlex.split(args.fml_args), "--database-uri",
            ((store("fasttrackml", tmp, "postgres") + "?sslmode=disable") if pg else
             f"sqlite://{tmp}/db.sqlite" + (f"?{args.fml_sqlite_query}"
                                            if args.fml_sqlite_query else "")),
            "--default-artifact-root", f"{tmp}/art", "--listen-address", f"127.0.0.1:{port}"],
        "mlflow": lambda tmp, port: [
            mlflow_bin, "server", "--backend-store-uri",
            store("mlflow", tmp, "postgresql+psycopg2") or f"sqlite:///{tmp}/db.sqlite",
            "--artifacts-destination", f"{tmp}/art", "--host", "127.0.0.1", "--port", str(port),
            "--workers", args.mlflow_workers],
    }

    log(f"bench: servers {','.join(only)}; {args.backend}; {args.connections} connections; "
        f"{args.duration}s per workload ({args.history_duration}s get-history"
        + (f", mlflow {args.mlflow_duration}s" if args.mlflow_duration else "") + "); "
        f"load average {meta['_load_start']}")
    results: dict = {}
    t_all = time.monotonic()
    try:
        for label in only:
            env = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"} \
                if label == "mlflow" and args.mlflow_no_jobs else None
            srv = bench.Server(label, argvs[label], args.tmp, args.keep, env)
            res: dict = {"argv": srv.argv}
            results[label] = res
            t0 = time.monotonic()
            try:
                srv.start(args.startup_timeout)
                res["startup_s"] = srv.startup_s
                counter = RowCounter(sqlite_path=None if pg else f"{srv.tmp}/db.sqlite",
                                     pg=pg, pg_db=dbs.get(label))
                bench_server(srv, args, res, counter, selected)
            except (BenchError, OSError, KeyError, ValueError) as e:
                log(f"[{label}] FAILED: {e}\n[{label}] server log tail:\n{srv.log_tail()}")
                res["error"] = str(e)[:400]
            finally:
                srv.stop()
                res["total_s"] = time.monotonic() - t0
    finally:
        if pg is not None:
            pg.stop()

    labels = [l for l in only if l in results]
    for lab in labels:
        r = results[lab]
        bits = [f"startup {r.get('startup_s', 0):.1f}s"]
        if "seed-runs-s" in r:
            bits.append(f"seeding {args.seed_runs} runs {r['seed-runs-s']:.1f}s")
        if "seed-history-s" in r:
            bits.append(f"seeding {args.history_points} points {r['seed-history-s']:.1f}s")
        if "history-bytes" in r:
            pl, wi = r["history-bytes"]
            bits.append(f"history body {pl / 1e6:.1f} MB" +
                        (f" ({wi / 1e6:.2f} MB gzipped)" if wi != pl else " (identity)"))
        bits.append(f"{r.get('duration', '?')}s per workload, "
                    f"{r.get('history_duration', '?')}s get-history")
        bits.append(f"total {r.get('total_s', 0):.0f}s")
        meta[f"{lab}"] = vers.get(lab, "") + "; " + ", ".join(bits)
    meta["client"] = (f"wrk, {args.connections} keep-alive connections, {min(2, args.connections)} "
                      f"threads, warm-up {args.warmup}s with 2 connections, timeout "
                      f"{args.timeout}s, Accept-Encoding "
                      f"{'identity' if args.no_gzip else 'gzip, deflate'}")
    meta["fsync at end"] = fsync_probe(args.tmp)
    meta["command"] = " ".join(shlex.quote(a) for a in sys.argv)
    meta["data"] = (f"{args.seed_runs} seeded runs (5 tags each), {args.history_points} history "
                    f"points, logging spread over {args.write_runs} runs")
    meta["durability"] = ("mltrack: SQLite WAL, synchronous=FULL; mlflow: SQLite rollback "
                          "journal, synchronous=FULL; FastTrackML: SQLite WAL, synchronous="
                          + ("as set by --fml-sqlite-query" if args.fml_sqlite_query else
                             "NORMAL (its driver's default: commits are not fsynced)")
                          if not pg else "PostgreSQL with fsync on for every server")
    print()
    print(f"mltrack load benchmark: {args.backend}; total {time.monotonic() - t_all:.0f}s; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print()
    print_report(results, labels, args, meta)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"when": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args),
                       "meta": meta, "results": results}, f, indent=1, default=str)
    failed = any(r.get("error") or any(w.get("failed") for w in r.get("workloads", {}).values())
                 for r in results.values())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
