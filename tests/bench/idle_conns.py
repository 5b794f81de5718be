"""A normal client's latency while idle sockets are held (issue 13 item 2).

Starts mltrack (build/server/mltrack, or --bin) on a temporary SQLite database once per
scenario (no idle sockets; 5,000 from 8 source addresses, all held; 5,000 from the client's own
address, over the per-address cap) and times 300 requests on a new connection each and 300 on
one kept-alive connection, to /health and to experiments/get. Measuring, not a test (the test
is tests/integration/test_connections.py). Standard library only; needs 6,000 open files.

    python3 tests/bench/idle_conns.py [--bin build/server/mltrack] [--idle 5000]
"""
import argparse
import http.client
import os
import resource
import signal
import socket
import subprocess
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PATHS = ("/health", "/api/2.0/mlflow/experiments/get?experiment_id=0")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, workdir):
    port = free_port()
    proc = subprocess.Popen([binary, "server", "--port", str(port), "--backend-store-uri",
                             "sqlite:///" + os.path.join(workdir, "mlflow.db"),
                             "--artifacts-destination", os.path.join(workdir, "art")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def timed(port, n, keep, path):
    lat, fails, c = [], 0, None
    for _ in range(n):
        t = time.perf_counter()
        try:
            if c is None:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            fails += r.status != 200
            if not keep:
                c.close()
                c = None
            lat.append(time.perf_counter() - t)
        except OSError:
            fails, c = fails + 1, None
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] * 1e3  # noqa: E731
    return "p50 %5.2f  p99 %6.2f  max %7.1f ms  failed %d" % (q(.5), q(.99), q(1), fails)


def scenario(binary, n_idle, sources, label):
    with tempfile.TemporaryDirectory() as d:
        proc, port = start(binary, d)
        idle = []
        try:
            t0 = time.monotonic()
            for i in range(n_idle):
                s = socket.socket()
                s.bind((sources[i % len(sources)], 0))
                s.settimeout(10)
                s.connect(("127.0.0.1", port))
                idle.append(s)
            print("%s (opened in %.1f s)" % (label, time.monotonic() - t0))
            for path in PATHS:
                print("  %-48s new connection each: %s" % (path, timed(port, 300, False, path)))
                print("  %-48s one kept-alive one:  %s" % (path, timed(port, 300, True, path)))
            # The idle sockets are closed at their 10 s head deadline: measure before it.
            print("  (%.1f s after the first idle socket; load average %s)"
                  % (time.monotonic() - t0, open("/proc/loadavg").read().split()[0]))
        finally:
            for s in idle:
                s.close()
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "server", "mltrack"))
    ap.add_argument("--idle", type=int, default=5000)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, a.idle + 1000)), hard))
    scenario(a.bin, 0, ["127.0.0.1"], "no idle sockets")
    scenario(a.bin, a.idle, ["127.0.0.%d" % i for i in range(2, 10)],
             "%d idle sockets from 8 addresses, all held" % a.idle)
    scenario(a.bin, a.idle, ["127.0.0.1"],
             "%d idle sockets from the client's own address (an eighth of the cap held)" % a.idle)


if __name__ == "__main__":
    main()
