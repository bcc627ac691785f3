"""A throwaway PostgreSQL server for the tests: initdb into a temporary directory, started on a
free loopback port with its socket in that directory, stopped and removed at the end of the test
session. Debian's server binaries (/usr/lib/postgresql/*/bin) are used; without them the tests
that need a server skip and say why, except in CI (CI=true), where .ci/run installs them first and
their absence is a failure. PostgreSQL refuses to run as root: as root, the server runs as the
`postgres` user the Debian package creates."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

USER = "drill"


def server_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One running server; `database()` makes a new empty database and returns its URL."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        # As root the server runs as `postgres`, which must reach the directory: /tmp, whatever TMPDIR says.
        self.base = Path(tempfile.mkdtemp(prefix="drill-pg-", dir="/tmp" if os.geteuid() == 0 else None))
        self.data = self.base / "data"
        self.password = "pw-" + secrets.token_hex(12)
        self.port = 0
        self._as: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._made = 0

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=timeout,
                              cwd=self.base, stdin=subprocess.DEVNULL)

    def init(self) -> None:
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as:
            owner = pwd.getpwnam("postgres")
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        p = self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}",
                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync")
        if p.returncode != 0:
            raise RuntimeError(f"initdb failed: {p.stderr.strip()[-500:]}")

    def start(self) -> None:
        """Start the server; on the same port as before when restarting."""
        for _ in range(5):
            port = self.port or _free_port()
            opts = (f"-p {port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c max_connections=200 -c full_page_writes=off")
            p = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l",
                          str(self.base / "log"), "-w", "-t", "90", "start")
            if p.returncode == 0:
                self.port = port
                return
            if self.port:  # a restart on the same port: keep trying it a moment
                time.sleep(1)
        log = (self.base / "log").read_text()[-800:] if (self.base / "log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {p.stderr.strip()[-300:]} {log}")

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def url(self, database: str, password: str | None = None) -> str:
        return f"postgresql://{USER}:{password or self.password}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new, empty database: its URL (with the password)."""
        import psycopg

        self._made += 1
        name = f"t{os.getpid()}_{self._made}_{secrets.token_hex(3)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def start_cluster() -> Cluster:
    bindir = server_bin()
    if bindir is None:
        why = "no PostgreSQL server here (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI: {why} (.ci/run installs it)")
        pytest.skip(why)
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root without runuser: cannot start PostgreSQL as another user")
    cluster = Cluster(bindir)
    try:
        cluster.init()
        cluster.start()
    except BaseException:
        shutil.rmtree(cluster.base, ignore_errors=True)
        raise
    return cluster


@pytest.fixture(scope="session")
def postgres():
    """The session's PostgreSQL server (a Cluster), torn down at the end."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.remove()
