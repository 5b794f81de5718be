"""A private PostgreSQL cluster for the tests and the benchmark.

Debian's `postgresql` package puts initdb and pg_ctl under /usr/lib/postgresql/<major>/bin. A
cluster is made in a temporary directory, listens on a free loopback port (and a Unix socket
in its own directory), trusts local connections, and is removed again by stop(). PostgreSQL
refuses to run as root; as root the server programs run as the `postgres` user (runuser), and
the data directory is handed to that user. Clients (psql, mltrack, mlflow) connect over TCP
as the database user `postgres` from any local user.

    c = PgCluster().start()
    uri = c.create_database()        # postgresql://postgres@127.0.0.1:<port>/<fresh name>
    c.restart()                      # the database restarts under the running servers
    c.stop()
"""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid


def find_bindir():
    """The directory with initdb and pg_ctl, or None. $MLTRACK_PG_BINDIR wins."""
    env = os.environ.get("MLTRACK_PG_BINDIR")
    if env:
        return env if os.access(os.path.join(env, "initdb"), os.X_OK) else None
    cands = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        try:
            major = int(d.split("/")[-2])
        except ValueError:
            continue
        if os.access(os.path.join(d, "initdb"), os.X_OK) and \
                os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            cands.append((major, d))
    if cands:
        return max(cands)[1]
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def available():
    """True when a cluster can be made here (binaries present; as root, a postgres user)."""
    if not find_bindir():
        return False
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return False
        return shutil.which("runuser") is not None
    return True


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self, durable=False, max_connections=300):
        """durable=False turns fsync off (tests: a crash of the machine loses the cluster
        anyway); the benchmark keeps PostgreSQL's defaults."""
        self.bindir = find_bindir()
        if not self.bindir:
            raise RuntimeError("PostgreSQL server binaries not found (install Debian's "
                               "`postgresql` package, or set MLTRACK_PG_BINDIR)")
        self.durable = durable
        self.max_connections = max_connections
        self.dir = None
        self.port = None
        self.log = None
        self._as_root = os.geteuid() == 0

    # Server programs run as postgres when we are root.
    def _srv(self, args, **kw):
        cmd = [os.path.join(self.bindir, args[0])] + list(args[1:])
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, **kw)

    def _check(self, r, what):
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d):\n%s\n%s" % (what, r.returncode,
                               r.stdout.decode(errors="replace")[-3000:], self.tail()))

    def tail(self, n=40):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except (OSError, TypeError):
            return ""

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="mltrack-pg-")
        data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        if self._as_root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o755)
        r = self._srv(["initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                       "--locale=C", "--no-sync", "--no-instructions"])
        self._check(r, "initdb")
        conf = ["listen_addresses = '127.0.0.1'",
                "unix_socket_directories = '%s'" % self.dir,
                "max_connections = %d" % self.max_connections,
                "shared_buffers = 128MB",
                "log_min_messages = warning",
                "log_min_error_statement = panic"]
        if not self.durable:
            conf += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with open(os.path.join(data, "postgresql.auto.conf"), "a") as f:
            f.write("\n".join(conf) + "\n")
        for attempt in range(5):
            self.port = _free_port()
            r = self._srv(["pg_ctl", "-D", data, "-l", self.log, "-w", "-t", "60",
                           "-o", "-p %d" % self.port, "start"])
            if r.returncode == 0:
                return self
            if "could not bind" not in self.tail() and attempt == 0:
                break
        self._check(r, "pg_ctl start")
        return self

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    def psql(self, sql, db="postgres"):
        """Runs sql through psql over TCP; returns stdout (unaligned, tuples only)."""
        r = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t",
                            "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "postgres", "-d", db, "-c", sql],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError("psql %r failed: %s" % (sql, r.stderr.decode(errors="replace")))
        return r.stdout.decode()

    def uri(self, dbname, scheme="postgresql"):
        return "%s://postgres@127.0.0.1:%d/%s" % (scheme, self.port, dbname)

    def create_database(self, name=None):
        """A fresh, empty database; returns its URI."""
        name = name or "mlt_" + uuid.uuid4().hex[:12]
        self.psql('CREATE DATABASE "%s"' % name)
        return self.uri(name)

    def restart(self):
        """Fast restart: every client connection is cut, as when the database restarts."""
        r = self._srv(["pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                       "-m", "fast", "-o", "-p %d" % self.port, "restart"])
        self._check(r, "pg_ctl restart")

    def pause(self):
        """Stops the server (fast: clients are cut off) and keeps the data; resume() starts it."""
        r = self._srv(["pg_ctl", "-D", self.data, "-w", "-t", "60", "-m", "fast", "stop"])
        self._check(r, "pg_ctl stop")

    def resume(self):
        r = self._srv(["pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                       "-o", "-p %d" % self.port, "start"])
        self._check(r, "pg_ctl start")

    def stop(self):
        if not self.dir:
            return
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._srv(["pg_ctl", "-D", self.data, "-w", "-t", "30", "-m", "immediate", "stop"])
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


def wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False
