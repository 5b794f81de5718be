"""--expose-prometheus: GET /metrics in Prometheus' text format, scraped and parsed after a
known set of requests, on both databases.

mltrack_only: MLflow's exporter needs prometheus_flask_exporter, which the pinned client
does not install; mltrack's mlflow_http_request_* series follow its names and labels."""
import re

import pytest
import requests

from conftest import Server, backend_uri_for

pytestmark = pytest.mark.mltrack_only(
    "MLflow's /metrics needs prometheus_flask_exporter, not installed with the pinned client")

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def parse(text):
    """{(name, frozenset(labels)): value}, checking the format on the way: every sample's
    family was announced by # HELP and # TYPE, label sets are well formed, values parse."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram"), line
            types[name] = kind
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels, value = m.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, "sample before its # TYPE: %r" % line
        pairs = LABEL.findall(labels or "")
        assert ",".join('%s="%s"' % p for p in pairs) == (labels or ""), line
        key = (name, frozenset(pairs))
        assert key not in samples, "duplicate sample %r" % line
        samples[key] = float(value)
    return samples, types


def get(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture()
def prom_server(tmp_path, backend):
    s = Server(str(tmp_path), backend_uri=backend_uri_for(backend),
               extra_args=["--expose-prometheus", str(tmp_path / "prom")]).start()
    yield s
    s.stop()


def test_metrics_off_by_default(server):
    r = requests.get(server.url + "/metrics")
    assert r.status_code == 404


def test_metrics_count_what_was_asked(prom_server):
    base = prom_server.url + "/api/2.0/mlflow"
    r = requests.post(base + "/experiments/create", json={"name": "prom-exp"})
    assert r.status_code == 200
    exp_id = r.json()["experiment_id"]
    assert requests.get(base + "/experiments/get", params={"experiment_id": "987654"}
                        ).status_code == 404
    run = requests.post(base + "/runs/create", json={"experiment_id": exp_id}).json()["run"]
    run_id = run["info"]["run_id"]
    for i in range(3):
        assert requests.post(base + "/runs/log-batch", json={
            "run_id": run_id,
            "metrics": [{"key": "m", "value": i, "timestamp": 1, "step": i}]}).status_code == 200
    data = b"x" * 100_000
    art = prom_server.url + "/api/2.0/mlflow-artifacts/artifacts/%s/%s/artifacts/blob.bin" % (
        exp_id, run_id)
    assert requests.put(art, data=data).status_code == 200
    assert requests.get(art).content == data
    for _ in range(2):
        assert requests.get(prom_server.url + "/health").status_code == 200

    r = requests.get(prom_server.url + "/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    s, types = parse(r.text)

    req = "mltrack_http_requests_total"
    assert get(s, req, method="POST", route="/experiments/create", status="200") == 1
    assert get(s, req, method="GET", route="/experiments/get", status="404") == 1
    assert get(s, req, method="POST", route="/runs/create", status="200") == 1
    assert get(s, req, method="POST", route="/runs/log-batch", status="200") == 3
    assert get(s, req, method="GET", route="/health", status="200") >= 2  # and start-up's

    # Every series' histogram agrees with its counter, and its buckets only grow.
    hist = "mltrack_http_request_duration_seconds"
    assert types[hist] == "histogram"
    series = [dict(k[1]) for k in s if k[0] == req]
    for lab in series:
        buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in s.items()
                          if k[0] == hist + "_bucket" and
                          {a: b for a, b in k[1] if a != "le"} == lab),
                         key=lambda x: x[0])
        assert buckets, lab
        counts = [v for _, v in buckets]
        assert counts == sorted(counts), lab
        assert buckets[-1][0] == float("inf")
        assert counts[-1] == get(s, hist + "_count", **lab) == get(s, req, **lab)
        assert get(s, hist + "_sum", **lab) > 0

    # MLflow's series: the same requests by (method, status), /health and /version left out.
    total = sum(v for k, v in s.items() if k[0] == "mlflow_http_request_total")
    ours = sum(v for k, v in s.items() if k[0] == req and dict(k[1])["route"] != "/health")
    assert total == ours
    assert get(s, "mlflow_http_request_total", method="POST", status="200") == 1 + 1 + 3 + 1 - 1
    assert get(s, "mlflow_http_request_duration_seconds_count", method="POST",
               mlflow_version=get_version(prom_server), status="200") == 5

    assert get(s, "mltrack_artifact_upload_bytes_total") >= len(data)
    assert get(s, "mltrack_artifact_download_bytes_total") >= len(data)
    assert get(s, "mltrack_http_request_body_bytes_total") >= len(data)
    assert get(s, "mltrack_http_response_body_bytes_total") >= len(data)
    assert get(s, "mltrack_experiments", lifecycle_stage="active") == 2  # Default + ours
    assert get(s, "mltrack_runs", lifecycle_stage="active") == 1
    assert get(s, "mltrack_registered_models") == 0
    assert get(s, "mltrack_http_connections") >= 1
    assert get(s, "process_resident_memory_bytes") > 1_000_000
    if prom_server.backend_kind == "sqlite":
        # 5 writes (experiment, run, 3 batches) and the upload's run lookup needs none.
        assert get(s, "mltrack_db_writer_requests_total") >= 5
        assert 1 <= get(s, "mltrack_db_writer_commits_total") <= get(
            s, "mltrack_db_writer_requests_total")
        assert get(s, "mltrack_db_writer_commit_seconds_total") > 0
        # The checkpointer's turns (a few writes leave the WAL far below a restart).
        assert get(s, "mltrack_db_writer_turns_total") >= 0
        assert get(s, "mltrack_db_writer_turn_seconds_total") >= 0
        assert get(s, "mltrack_db_writer_wait_seconds_total") >= 0
        assert get(s, "mltrack_db_writer_durable_wait_seconds_total") > 0


def get_version(server):
    return requests.get(server.url + "/version").text.strip()


def test_metrics_scrape_counts_itself(prom_server):
    first, _ = parse(requests.get(prom_server.url + "/metrics").text)
    assert get(first, "mltrack_http_requests_total", method="GET", route="/metrics",
               status="200") is None  # counted when it ends, after it was rendered
    second, _ = parse(requests.get(prom_server.url + "/metrics").text)
    assert get(second, "mltrack_http_requests_total", method="GET", route="/metrics",
               status="200") == 1
