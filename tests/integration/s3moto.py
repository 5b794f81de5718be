"""moto's S3 server on loopback and a test server whose artifacts (or S3 settings) point at it,
shared by the S3 tests (test_artifacts_s3.py, test_artifact_locations.py). Importing this
needs neither moto nor boto3; the moto fixture skips its tests when they are missing."""
import os
import socket
import subprocess
import sys
import time

import pytest

from conftest import Server, free_port


class Moto:
    """`python -m moto.server` on a loopback port."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(workdir, "moto-%d.log" % self.port)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail("moto server exited during start-up:\n%s" % self.tail(),
                            pytrace=False)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            self.stop()
            pytest.fail("moto server did not start:\n%s" % self.tail(), pytrace=False)

    def tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-30:])
        except OSError:
            return ""

    def client(self, service="s3", key="test", secret="test"):
        import boto3
        return boto3.client(service, endpoint_url=self.url, aws_access_key_id=key,
                            aws_secret_access_key=secret, region_name="us-east-1")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class S3Server(Server):
    """A conftest Server with the S3 settings in its environment (and only in its
    environment), whose artifacts go to the S3 destination dest (None: the usual local one)."""

    def __init__(self, workdir, dest, env, **kw):
        os.makedirs(workdir, exist_ok=True)
        super().__init__(workdir, **kw)
        self.dest = dest
        self.s3_env = env

    def command(self):
        cmd = super().command()
        if self.dest:
            i = cmd.index("--artifacts-destination")
            cmd[i + 1] = self.dest
        return cmd

    def start(self):
        saved = {k: os.environ.get(k) for k in self.s3_env}
        os.environ.update(self.s3_env)
        try:
            return super().start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def s3_env(moto, key="test", secret="test"):
    return {"MLFLOW_S3_ENDPOINT_URL": moto.url, "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": "us-east-1"}




def moto_fixture(bucket):
    """A module-scoped fixture: one moto server for the module, with bucket created."""
    @pytest.fixture(scope="module")
    def moto(tmp_path_factory):
        pytest.importorskip("moto", reason="moto is not installed (pip install 'moto[server]', "
                                           "listed in tests/requirements.txt)")
        m = Moto(str(tmp_path_factory.mktemp("moto")))
        m.client().create_bucket(Bucket=bucket)
        yield m
        m.stop()
    return moto
