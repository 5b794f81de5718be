"""--access-log: one line per request, in the common log format or JSON, with no secret in
it (headers are never logged; credentials in the query string are redacted)."""
import json
import re
import time

import pytest
import requests

from conftest import Server

pytestmark = pytest.mark.mltrack_only("the access log is mltrack's own flag")

COMMON = re.compile(r'^(\S+) - (\S+) \[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000)\] '
                    r'"(\S+) (\S+) (HTTP/1\.[01])" (\d{3}) (\d+|-) (\d+\.\d{3})ms( cut)?$')


def lines_of(path, want, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            lines = open(path).read().splitlines()
        except FileNotFoundError:
            lines = []
        if len(lines) >= want or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def drive(srv):
    base = srv.url + "/api/2.0/mlflow"
    requests.post(base + "/experiments/create", json={"name": "acc"},
                  headers={"Authorization": "Basic c2VjcmV0dXNlcjpodW50ZXIy"})
    requests.get(base + "/experiments/get", params={"experiment_id": "404404",
                                                    "access_token": "tok-SECRET-1"})
    requests.get(base + "/experiments/get-by-name",
                 params={"experiment_name": "postgresql://bob:pw-SECRET-2@db/x"})


@pytest.mark.parametrize("fmt", ["common", "json"])
def test_access_log_lines(tmp_path, fmt):
    path = tmp_path / "access.log"
    srv = Server(str(tmp_path), extra_args=["--access-log", str(path),
                                            "--access-log-format", fmt]).start()
    try:
        drive(srv)
        # Less the start-up's /health polls.
        lines = [l for l in lines_of(path, 4) if "/health" not in l]
        for _ in range(50):
            if len(lines) >= 3:
                break
            lines = [l for l in lines_of(path, 4) if "/health" not in l]
            time.sleep(0.05)
    finally:
        srv.stop()
    assert len(lines) == 3, lines
    text = "\n".join(lines)
    assert "SECRET" not in text and "hunter2" not in text and "c2VjcmV0" not in text
    if fmt == "common":
        parsed = [COMMON.match(l) for l in lines]
        assert all(parsed), lines
        got = [(m.group(1), m.group(4), m.group(5).split("?")[0], m.group(7)) for m in parsed]
        assert got == [("127.0.0.1", "POST", "/api/2.0/mlflow/experiments/create", "200"),
                       ("127.0.0.1", "GET", "/api/2.0/mlflow/experiments/get", "404"),
                       ("127.0.0.1", "GET", "/api/2.0/mlflow/experiments/get-by-name", "404")]
        assert "access_token=REDACTED" in parsed[1].group(5)
        assert "bob%3AREDACTED%40db" in parsed[2].group(5)
        assert int(parsed[0].group(8)) == len('{"experiment_id":"1"}')
    else:
        recs = [json.loads(l) for l in lines]
        assert [(r["method"], r["status"]) for r in recs] == [("POST", 200), ("GET", 404),
                                                              ("GET", 404)]
        assert all(r["client"] == "127.0.0.1" and r["ms"] > 0 for r in recs)
        assert recs[1]["target"].endswith("access_token=REDACTED")


def test_access_log_bad_format_is_a_usage_error(tmp_path):
    import subprocess
    from conftest import MLTRACK_BIN
    r = subprocess.run([MLTRACK_BIN, "server", "--access-log", "-", "--access-log-format",
                        "xml"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--access-log-format" in r.stderr
