#!/usr/bin/env python3
"""GenAI trace benchmark: mltrack vs `mlflow server`, side by side in one run, on SQLite.

  ingest   spans per second through POST /v1/traces, batches of 100 spans of realistic size
           (inputs, outputs, a dozen attributes; 10 traces of 10 spans per batch), from
           --threads client threads (2)
  search   POST /api/3.0/mlflow/traces/search over --traces traces (100,000), filter
           "trace.status = 'OK' AND tags.team = 't7'", 100 results
  get      GET /api/3.0/mlflow/traces/get of a 1,000-span trace
  metrics  POST /api/3.0/mlflow/traces/metrics over the same traces: the spans counted by
           type and status; the latency (mean, p99) of the traces of one tag, by hour

mltrack ingests every trace. mlflow server's ingest is timed on a database of its own
(--mlflow-batches batches after a warm-up: at its rate 100,000 traces would take hours); its
search and get then run on a copy of the database mltrack filled, which it opens as its own
(one schema), so both servers search the same 100,000 traces and get the same trace.

Times are medians of repeated requests; the table gives each server's figure and the ratio.

  .venv/bin/python tests/bench/trace_bench.py --mltrack-bin build/server/mltrack
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server, log  # noqa: E402

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: E402
    ExportTraceServiceRequest,
)

SPAN_ATTRS = 12


def make_batch(seq, traces=10, spans=10, base_ns=1_700_000_000_000_000_000):
    """One export request: `traces` traces of `spans` spans, ids derived from seq."""
    r = ExportTraceServiceRequest()
    ss = r.resource_spans.add().scope_spans.add()
    for t in range(traces):
        tid = (seq * traces + t + 1).to_bytes(16, "big")
        for s in range(spans):
            sp = ss.spans.add()
            sp.trace_id = tid
            sp.span_id = (s + 1).to_bytes(8, "big")
            if s:
                sp.parent_span_id = (1).to_bytes(8, "big")
            sp.name = "agent" if not s else "step_%d" % s
            start = base_ns + (seq * traces + t) * 1_000_000 + s * 1000
            sp.start_time_unix_nano = start
            sp.end_time_unix_nano = start + 500_000
            sp.status.code = 1
            a = sp.attributes.add()
            a.key = "mlflow.spanType"
            a.value.string_value = "LLM" if s % 3 == 1 else "CHAIN"
            a = sp.attributes.add()
            a.key = "mlflow.spanInputs"
            a.value.string_value = json.dumps({"messages": [{"role": "user", "content":
                                               "question %d about the weather " % s * 4}]})
            a = sp.attributes.add()
            a.key = "mlflow.spanOutputs"
            a.value.string_value = json.dumps({"choices": [{"text": "answer " * 20}]})
            for k in range(SPAN_ATTRS):
                a = sp.attributes.add()
                a.key = "attr.%d" % k
                if k % 3 == 0:
                    a.value.int_value = k * 7
                elif k % 3 == 1:
                    a.value.double_value = k / 3
                else:
                    a.value.string_value = "value-%d" % k
            if s == 0:
                a = sp.attributes.add()
                a.key = "mlflow.traceTag.team"
                a.value.string_value = "t%d" % ((seq * traces + t) % 10)
    return r.SerializeToString()


def post(conn, path, body, headers):
    conn.request("POST", path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError("%s -> %d %s" % (path, r.status, data[:300]))
    return data


def create_experiment(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    out = json.loads(post(c, "/api/2.0/mlflow/experiments/create",
                          json.dumps({"name": "bench-traces"}),
                          {"Content-Type": "application/json"}))
    c.close()
    return out["experiment_id"]


class RawConn:
    """Keep-alive HTTP/1.1 over a bare socket, for the timed ingest. With http.client (its
    response parsing goes through email.parser, and 4 threads share the GIL) the client
    added enough latency per request that the same mltrack build measured 29,600 spans/s
    against 35,800 this way (client CPU 0.10 core against 0.04). Requests are built
    before timing."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=300)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("server closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def roundtrip(self, request):
        """Sends a whole request; (status, body) of its response."""
        self.sock.sendall(request)
        status = int(self._line().split()[1])
        length, chunked = None, False
        while True:
            line = self._line()
            if not line:
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, self._take(length or 0)
        body = b""
        while True:
            n = int(self._line().split(b";")[0], 16)
            body += self._take(n)
            self._take(2)
            if n == 0:
                return status, body

    def close(self):
        self.sock.close()


def raw_request(path, body, headers):
    head = "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n" % (path, len(body))
    head += "".join("%s: %s\r\n" % kv for kv in headers.items())
    return head.encode() + b"\r\n" + body


def export_requests(exp, first, nbatches):
    """nbatches whole /v1/traces requests for experiment exp, built before any timing."""
    hdr = {"Content-Type": "application/x-protobuf", "x-mlflow-experiment-id": exp}
    return [raw_request("/v1/traces", make_batch(first + i), hdr) for i in range(nbatches)]


def send(port, requests, threads=2):
    """Sends the requests from `threads` threads; spans per second."""
    idx = iter(range(len(requests)))
    lock = threading.Lock()
    errors = []

    def work():
        c = RawConn(port)
        while True:
            with lock:
                i = next(idx, None)
            if i is None:
                break
            try:
                status, data = c.roundtrip(requests[i])
                if status != 200:
                    raise RuntimeError("/v1/traces -> %d %s" % (status, data[:300]))
            except Exception as e:  # noqa: BLE001
                errors.append(e)
                break
        c.close()

    t0 = time.monotonic()
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    if errors:
        raise errors[0]
    return len(requests) * 100 / wall


def ingest(port, exp, first, nbatches, threads=2):
    """Sends nbatches pre-built batches from `threads` threads; spans per second."""
    return send(port, export_requests(exp, first, nbatches), threads)


def timed(port, method, path, body=None, n=20):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    lat = []
    for _ in range(n):
        t0 = time.monotonic()
        if method == "POST":
            post(c, path, body, {"Content-Type": "application/json"})
        else:
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                raise RuntimeError("%s -> %d" % (path, r.status))
        lat.append(time.monotonic() - t0)
    c.close()
    return statistics.median(lat)


def big_trace(port, exp):
    """A 1,000-span trace (one batch of 1,000 spans); its id."""
    r = ExportTraceServiceRequest()
    ss = r.resource_spans.add().scope_spans.add()
    tid = BIG_TRACE_ID
    for s in range(1000):
        sp = ss.spans.add()
        sp.trace_id = tid
        sp.span_id = (s + 1).to_bytes(8, "big")
        if s:
            sp.parent_span_id = (1).to_bytes(8, "big")
        sp.name = "span_%d" % s
        sp.start_time_unix_nano = 1_800_000_000_000_000_000 + s * 1000
        sp.end_time_unix_nano = sp.start_time_unix_nano + 500
        a = sp.attributes.add()
        a.key = "mlflow.spanInputs"
        a.value.string_value = json.dumps({"q": "x" * 200})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    post(c, "/v1/traces", r.SerializeToString(),
         {"Content-Type": "application/x-protobuf", "x-mlflow-experiment-id": exp})
    c.close()
    return "tr-" + tid.hex()


WARMUP_BATCHES = 5  # untimed, before each server's timed ingest
SEARCH = {"filter": "trace.status = 'OK' AND tags.team = 't7'", "max_results": 100}
METRICS = {  # QueryTraceMetrics requests, without experiment_ids
    "spans": {"view_type": "SPANS", "metric_name": "span_count",
              "aggregations": [{"aggregation_type": "COUNT"}],
              "dimensions": ["span_type", "span_status"]},
    "latency": {"view_type": "TRACES", "metric_name": "latency",
                "aggregations": [{"aggregation_type": "AVG"},
                                 {"aggregation_type": "PERCENTILE", "percentile_value": 99}],
                "filters": ["trace.tag.team = 't7'"], "time_interval_seconds": 3600,
                "start_time_ms": 0, "end_time_ms": 4_102_444_800_000},
}
BIG_TRACE_ID = (0xBEEF << 96).to_bytes(16, "big")  # beyond the ids make_batch gives
BIG_TRACE = "tr-" + BIG_TRACE_ID.hex()


def ab_rounds(bins, rounds, run, report):
    """Interleaved A/B rounds of mltrack builds (ingest_ab.py, search_ab.py): run(binary) for
    each binary in each round, so that the machine's drift falls on all of them alike;
    report(round, binary, result) as each ends. {binary: [result of each round]}."""
    got = {b: [] for b in bins}
    for r in range(rounds):
        for b in bins:
            got[b].append(run(b))
            report(r, b, got[b][-1])
    return got


def read_side(srv, exp, args):
    """search and get medians on a running server that holds the traces (after three
    untimed requests of each, which warm both servers' caches alike)."""
    q = json.dumps({"locations": [{"type": "MLFLOW_EXPERIMENT",
                                   "mlflow_experiment": {"experiment_id": exp}}], **SEARCH})
    get_path = "/api/3.0/mlflow/traces/get?trace_id=%s&allow_partial=true" % BIG_TRACE
    timed(srv.port, "POST", "/api/3.0/mlflow/traces/search", q, n=3)
    timed(srv.port, "GET", get_path, n=3)
    search = timed(srv.port, "POST", "/api/3.0/mlflow/traces/search", q, n=args.repeat)
    get = timed(srv.port, "GET", get_path, n=args.repeat)
    metrics = {}
    for name, body in METRICS.items():
        body = json.dumps(dict(body, experiment_ids=[exp]))
        timed(srv.port, "POST", "/api/3.0/mlflow/traces/metrics", body, n=1)
        metrics[name] = timed(srv.port, "POST", "/api/3.0/mlflow/traces/metrics", body,
                              n=max(3, args.repeat // 4))
    return search, get, metrics


def run_mltrack(args):
    """Everything on mltrack; its database file is left in a directory for mlflow's reads."""
    srv = Server("mltrack", lambda tmp, port: [
        args.mltrack_bin, "server", "--backend-store-uri", "sqlite:///%s/m.db" % tmp,
        "--artifacts-destination", tmp + "/art", "--host", "127.0.0.1", "--port", str(port)],
        None, True)
    srv.start(120)
    try:
        exp = create_experiment(srv.port)
        ingest(srv.port, exp, 0, WARMUP_BATCHES, threads=args.threads)
        rate = ingest(srv.port, exp, WARMUP_BATCHES, args.ingest_batches, threads=args.threads)
        filled = (WARMUP_BATCHES + args.ingest_batches) * 10
        if args.traces > filled:  # untimed, 10 traces a batch
            ingest(srv.port, exp, filled // 10, (args.traces - filled) // 10,
                   threads=args.threads)
        big_trace(srv.port, exp)
        # Reads on a settled database, as mlflow server's are (it opens a copy made after
        # mltrack's clean stop): writes paused, the checkpointer empties the WAL.
        time.sleep(2)
        search, get, metrics = read_side(srv, exp, args)
        rss = srv.rss()[0]
    finally:
        srv.stop()  # a clean stop empties the WAL into m.db
    return {"ingest": rate, "search": search, "get": get, "metrics": metrics, "rss": rss,
            "exp": exp,
            "traces": max(args.traces, filled), "db": os.path.join(srv.tmp, "m.db"),
            "tmp": srv.tmp}


def mlflow_argv(db_dir):
    return lambda tmp, port: [
        sys.executable, "-m", "mlflow", "server", "--backend-store-uri",
        "sqlite:///%s/m.db" % (db_dir or tmp), "--artifacts-destination", tmp + "/art",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]


def run_mlflow(args, m):
    srv = Server("mlflow", mlflow_argv(None), None, False)
    srv.start(120)
    try:
        exp = create_experiment(srv.port)
        ingest(srv.port, exp, 0, WARMUP_BATCHES, threads=args.threads)
        rate = ingest(srv.port, exp, WARMUP_BATCHES, args.mlflow_batches, threads=args.threads)
    finally:
        srv.stop()
    # The same 100,000 traces: a copy of mltrack's database, opened by mlflow server.
    copy = m["tmp"] + "/for-mlflow"
    os.makedirs(copy, exist_ok=True)
    shutil.copy(m["db"], copy + "/m.db")
    srv = Server("mlflow", mlflow_argv(copy), None, False)
    srv.start(300)
    try:
        search, get, metrics = read_side(srv, m["exp"], args)
        rss = srv.rss()[0]
    finally:
        srv.stop()
    return {"ingest": rate, "search": search, "get": get, "metrics": metrics, "rss": rss,
            "traces": m["traces"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mltrack-bin", required=True)
    ap.add_argument("--traces", type=int, default=100_000)
    ap.add_argument("--ingest-batches", type=int, default=1000, help="timed mltrack batches")
    ap.add_argument("--mlflow-batches", type=int, default=60, help="timed mlflow batches")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2, help="client threads sending batches")
    ap.add_argument("--skip-mlflow", action="store_true")
    args = ap.parse_args()
    m = run_mltrack(args)
    try:
        f = None if args.skip_mlflow else run_mlflow(args, m)
    finally:
        shutil.rmtree(m["tmp"], ignore_errors=True)
    print("\n| measure | mltrack | mlflow server | ratio |")
    print("|---|---|---|---|")

    def row(name, a, b, unit, higher_better):
        if b is None:
            print("| %s | %s | - | - |" % (name, unit(a)))
            return
        r = a / b if higher_better else b / a
        print("| %s | %s | %s | %.1fx |" % (name, unit(a), unit(b), r))

    row("spans/s ingested (/v1/traces, 100-span batches, %d client threads)" % args.threads,
        m["ingest"], f and f["ingest"], lambda v: "%.0f" % v, True)
    row("search, filter on status and tag, 100 results, over the same %d traces"
        % m["traces"], m["search"], f and f["search"], lambda v: "%.2f ms" % (v * 1000), False)
    row("get of a 1,000-span trace (the same one)", m["get"], f and f["get"],
        lambda v: "%.2f ms" % (v * 1000), False)
    ms = lambda v: "%.1f ms" % (v * 1000)  # noqa: E731
    row("metrics: spans counted by type and status, the same traces' spans",
        m["metrics"]["spans"], f and f["metrics"]["spans"], ms, False)
    row("metrics: latency (mean, p99) of one tag's traces, by hour",
        m["metrics"]["latency"], f and f["metrics"]["latency"], ms, False)
    row("RSS after the run (MB)", m["rss"], f and f["rss"], lambda v: "%.0f" % v, False)


if __name__ == "__main__":
    main()
