"""The Debian package (`./dev deb`, packaging/deb/build.sh): built from this tree, unpacked
into a scratch root, its metadata, unit and man page checked, and the binary from it started
the way the unit starts it (the flags of /etc/default/mltrack, the state directory moved
into the scratch root) and driven through the seed workflow with the real mlflow client."""
import gzip
import os
import re
import shlex
import shutil
import subprocess
import time

import pytest
import requests

from conftest import REPO, free_port

pytestmark = [pytest.mark.mltrack_only("mltrack's own package"), pytest.mark.slow]


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    if not shutil.which("dpkg-deb"):
        pytest.skip("dpkg-deb not found (Debian's dpkg)")
    out = tmp_path_factory.mktemp("deb")
    r = subprocess.run(["bash", os.path.join(REPO, "packaging", "deb", "build.sh"), str(out)],
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout + r.stderr
    path = r.stdout.strip().splitlines()[-1]
    assert os.path.isfile(path) and path.endswith(".deb")
    root = out / "root"
    subprocess.run(["dpkg-deb", "-x", path, str(root)], check=True)
    return path, root


def field(deb_path, name):
    return subprocess.run(["dpkg-deb", "-f", deb_path, name], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_package_metadata_and_files(deb):
    path, root = deb
    assert field(path, "Package") == "mltrack"
    version = subprocess.run([str(root / "usr/bin/mltrack"), "--version"], capture_output=True,
                             text=True, check=True).stdout.split()[1]
    assert field(path, "Version") == version
    depends = field(path, "Depends")
    for lib in ("libmicrohttpd12", "libjansson4", "libsqlite3-0", "zlib1g", "libc6", "adduser"):
        assert lib in depends, depends
    assert "libpq5" in field(path, "Suggests")  # loaded only for a PostgreSQL URI
    ctl = subprocess.run(["dpkg-deb", "-e", path, str(root / "DEBIAN")], check=True)
    assert ctl.returncode == 0
    assert (root / "DEBIAN/conffiles").read_text().split() == ["/etc/default/mltrack"]
    for script in ("postinst", "prerm", "postrm"):
        p = root / "DEBIAN" / script
        assert os.access(p, os.X_OK)
        assert subprocess.run(["sh", "-n", str(p)]).returncode == 0
    assert "adduser --system" in (root / "DEBIAN/postinst").read_text()

    unit = (root / "lib/systemd/system/mltrack.service").read_text()
    for line in ("User=mltrack", "StateDirectory=mltrack", "NoNewPrivileges=yes",
                 "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                 "EnvironmentFile=-/etc/default/mltrack",
                 "ExecStart=/usr/bin/mltrack server $MLTRACK_OPTS"):
        assert line in unit.splitlines(), line
    if shutil.which("systemd-analyze"):
        # Checks the unit's syntax; a missing user or binary path on this machine is no
        # error of the unit's, so only the parse errors count.
        r = subprocess.run(["systemd-analyze", "verify", "--man=no",
                            str(root / "lib/systemd/system/mltrack.service")],
                           capture_output=True, text=True)
        bad = [l for l in (r.stdout + r.stderr).splitlines()
               if re.search(r"Unknown (key|section)|Failed to parse|Invalid", l)]
        assert not bad, bad

    man = gzip.decompress((root / "usr/share/man/man1/mltrack.1.gz").read_bytes()).decode()
    assert man.startswith(".TH MLTRACK 1")
    for sec in (".SH NAME", ".SH SYNOPSIS", ".SH SERVER", ".SH DATABASE OPERATIONS",
                ".SH GARBAGE COLLECTION"):
        assert sec in man
    assert "\\-\\-backend\\-store\\-uri" in man  # every flag of --help, escaped for roff


def test_binary_from_the_package_serves_as_the_unit_would(deb, tmp_path):
    _, root = deb
    opts = re.search(r'^MLTRACK_OPTS="(.*)"$', (root / "etc/default/mltrack").read_text(),
                     re.M).group(1)
    state = tmp_path / "var-lib-mltrack"
    state.mkdir()
    port = free_port()
    args = [a.replace("/var/lib/mltrack", str(state)) for a in shlex.split(opts)]
    args[args.index("--port") + 1] = str(port)
    proc = subprocess.Popen([str(root / "usr/bin/mltrack"), "server", *args], cwd=state,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = "http://127.0.0.1:%d" % port
        for _ in range(100):
            try:
                if requests.get(url + "/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        import mlflow
        from mlflow.tracking import MlflowClient
        client = MlflowClient(tracking_uri=url)
        exp = client.create_experiment("from-the-deb")
        run = client.create_run(exp)
        rid = run.info.run_id
        client.log_param(rid, "lr", "0.01")
        for step in range(5):
            client.log_metric(rid, "loss", 1.0 / (step + 1), step=step)
        art = tmp_path / "notes.txt"
        art.write_text("packaged")
        client.log_artifact(rid, str(art))
        client.set_terminated(rid)
        got = client.get_run(rid)
        assert got.data.params == {"lr": "0.01"} and got.data.metrics["loss"] == 0.2
        assert [m.value for m in client.get_metric_history(rid, "loss")] == \
            [1.0, 0.5, 1 / 3, 0.25, 0.2]
        assert [f.path for f in client.list_artifacts(rid)] == ["notes.txt"]
        assert (state / "mlflow.db").exists()  # the state directory holds the store
        assert any((state / "mlartifacts").rglob("notes.txt"))
        del mlflow
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 0, proc.stderr.read().decode(errors="replace")[-2000:]
