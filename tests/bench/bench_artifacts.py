#!/usr/bin/env python3
"""Artifact proxy throughput: mltrack vs. `mlflow server`, local-disk destination.

One file (default 1 GiB, generated once in 1 MiB pieces and cached in the work dir) is
uploaded with `PUT /api/2.0/mlflow-artifacts/artifacts/<path>` (Content-Length, the body
streamed from disk, exactly what the client's log_artifact sends) and downloaded with GET
(read in 1 MiB pieces and dropped), each server in turn, never both at once. While a
transfer runs, a thread polls /proc/<pid>/status of every process of the server's tree
every 10 ms; the table shows the idle RSS, the peak RSS of the tree during upload and
during download, and VmHWM (the kernel's own high-water mark) of the biggest process.

Only the Python standard library is needed (plus the `mlflow` CLI for the reference).
With --s3 the destination is a bucket of moto's server mode on loopback (`moto[server]`,
from tests/requirements.txt) instead of a local folder; both servers then proxy to it.
See README.md, "Artifact benchmark".
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
MiB = 1 << 20


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_file(path, size_mb):
    """size_mb MiB of incompressible bytes, written 1 MiB at a time; reused when present."""
    want = size_mb * MiB
    if os.path.exists(path) and os.path.getsize(path) == want:
        return
    log("generating %s (%d MiB)" % (path, size_mb))
    block = os.urandom(MiB)
    with open(path + ".part", "wb") as f:
        for i in range(size_mb):
            f.write(i.to_bytes(8, "little") + block[8:])
    os.replace(path + ".part", path)


def tree_pids(root):
    """root and all its descendants (from /proc/*/stat)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def status_kb(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(pids):
    return sum(status_kb(p, "VmRSS") for p in pids)


class Poller(threading.Thread):
    """Peak summed VmRSS of the tree while running."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.peak, self.stop_ = pids, 0, threading.Event()

    def run(self):
        while not self.stop_.is_set():
            self.peak = max(self.peak, tree_rss_kb(self.pids))
            time.sleep(0.01)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *a):
        self.stop_.set()
        self.join()


class Server:
    def __init__(self, target, args):
        self.target, self.args = target, args
        self.dir = tempfile.mkdtemp(prefix="bench-art-%s-" % target, dir=args.workdir)
        self.port = free_port()
        self.art = os.path.join(self.dir, "art")
        dest = "s3://bench/%s" % target if args.s3 else self.art
        flags = ["--backend-store-uri", "sqlite:///%s/db.sqlite" % self.dir,
                 "--artifacts-destination", dest, "--host", "127.0.0.1",
                 "--port", str(self.port)]
        if target == "mltrack":
            self.cmd = [args.mltrack_bin, "server"] + flags
        else:
            self.cmd = [sys.executable, "-m", "mlflow", "server"] + flags + [
                "--workers", str(args.mlflow_workers)]
        self.proc = None

    def start(self):
        env = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
        if self.args.s3:
            env.update(MLFLOW_S3_ENDPOINT_URL=self.args.s3, AWS_ACCESS_KEY_ID="bench",
                       AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
        self.logf = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(self.cmd, stdout=self.logf, stderr=self.logf, env=env,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("%s exited during start-up; see %s" % (self.target, self.dir))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    time.sleep(1.0)  # let the workers settle before the idle reading
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("%s did not answer /health" % self.target)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.logf.close()
        if not self.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def upload(port, path, src):
    size = os.path.getsize(src)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600, blocksize=MiB)
    with open(src, "rb") as f:
        t0 = time.perf_counter()
        c.request("PUT", PROXY + "/" + path, body=f,
                  headers={"Content-Length": str(size),
                           "Content-Type": "application/octet-stream"})
        r = c.getresponse()
        body = r.read()
        dt = time.perf_counter() - t0
    if r.status != 200:
        raise SystemExit("upload failed: %d %s" % (r.status, body[:300]))
    return dt


def download(port, path, size, verify):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    h = hashlib.sha256() if verify else None
    t0 = time.perf_counter()
    c.request("GET", PROXY + "/" + path)
    r = c.getresponse()
    if r.status != 200:
        raise SystemExit("download failed: %d %s" % (r.status, r.read(300)))
    got = 0
    while True:
        b = r.read(MiB)
        if not b:
            break
        got += len(b)
        if h:
            h.update(b)
    dt = time.perf_counter() - t0
    if got != size:
        raise SystemExit("download returned %d bytes, expected %d" % (got, size))
    return dt, (h.hexdigest() if h else None)


def sha256_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(MiB), b""):
            h.update(b)
    return h.hexdigest()


def bench(target, args, src, digest):
    size = os.path.getsize(src)
    s = Server(target, args).start()
    try:
        pids = tree_pids(s.proc.pid)
        idle = tree_rss_kb(pids)
        res = {"target": target, "idle": idle, "up": [], "down": []}
        peak_up = peak_down = 0
        for i in range(args.repeat):
            name = "bench/%d/big.bin" % i
            with Poller(pids) as pu:
                res["up"].append(upload(s.port, name, src))
            peak_up = max(peak_up, pu.peak)
            on_disk = os.path.join(s.art, *name.split("/"))
            if not args.s3 and os.path.getsize(on_disk) != size:
                raise SystemExit("%s stored %d bytes" % (target, os.path.getsize(on_disk)))
            with Poller(pids) as pd:
                dt, got = download(s.port, name, size, args.verify)
            res["down"].append(dt)
            peak_down = max(peak_down, pd.peak)
            if args.verify and got != digest:
                raise SystemExit("%s: downloaded bytes differ" % target)
            if not args.s3:
                os.unlink(on_disk)  # keep the disk use at one copy
            log("%s #%d: up %.2fs, down %.2fs" % (target, i + 1, res["up"][-1], dt))
        res["peak_up"], res["peak_down"] = peak_up, peak_down
        res["hwm"] = max(status_kb(p, "VmHWM") for p in pids)
        res["nproc"] = len(pids)
        return res
    finally:
        s.stop()


def start_moto(workdir):
    """moto's S3 server on a free loopback port with a bucket "bench"; returns (proc, url)."""
    port = free_port()
    logf = open(os.path.join(workdir, "moto.log"), "wb")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], stdout=logf, stderr=logf, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("PUT", "/bench")  # moto creates the bucket without checking signatures
            if c.getresponse().status == 200:
                return proc, "http://127.0.0.1:%d" % port
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("moto did not start")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (1024)")
    ap.add_argument("--only", choices=("mltrack", "mlflow"))
    ap.add_argument("--repeat", type=int, default=2, help="transfers per server; best is shown")
    ap.add_argument("--mltrack-bin", default=os.path.join(REPO, "build", "server", "mltrack"))
    ap.add_argument("--mlflow-workers", type=int, default=1)
    ap.add_argument("--workdir", default=None, help="where the file and servers live (TMPDIR)")
    ap.add_argument("--verify", action="store_true", help="sha256 the downloads (costs CPU)")
    ap.add_argument("--keep", action="store_true", help="keep the server dirs")
    ap.add_argument("--s3", action="store_true", help="proxy to moto's S3 server mode instead")
    args = ap.parse_args()
    workdir = args.workdir or tempfile.gettempdir()
    moto = None
    if args.s3:
        moto, args.s3 = start_moto(workdir)
    src = os.path.join(workdir, "mltrack-bench-artifact-%dM.bin" % args.size_mb)
    make_file(src, args.size_mb)
    digest = sha256_file(src) if args.verify else None
    targets = [args.only] if args.only else ["mltrack", "mlflow"]
    try:
        rows = [bench(t, args, src, digest) for t in targets]
    finally:
        if moto:
            os.killpg(moto.pid, signal.SIGTERM)
            moto.wait(20)

    mb = args.size_mb
    print()
    print("artifact proxy, %s, %d MiB file, best of %d (loopback)"
          % ("S3 (moto server mode)" if args.s3 else "local disk", mb, args.repeat))
    hdr = ("server", "upload MiB/s", "download MiB/s", "idle RSS", "peak RSS up",
           "peak RSS down", "VmHWM", "procs")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for r in rows:
        print("| %s | %.0f (%.2f s) | %.0f (%.2f s) | %.1f MB | %.1f MB | %.1f MB | %.1f MB | %d |"
              % (r["target"], mb / min(r["up"]), min(r["up"]), mb / min(r["down"]),
                 min(r["down"]), r["idle"] / 1024, r["peak_up"] / 1024, r["peak_down"] / 1024,
                 r["hwm"] / 1024, r["nproc"]))


if __name__ == "__main__":
    main()
