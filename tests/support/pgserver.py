"""A real PostgreSQL server for tests, started on loopback in a temporary directory.

Uses the Debian ``postgresql`` package (``/usr/lib/postgresql/*/bin``). PostgreSQL
refuses to run as root, so as root (CI) the cluster belongs to ``nobody`` and its
programs run through ``setpriv`` (util-linux). Without the package or psycopg, tests skip locally
and fail under ``CI=true`` (where ``.ci/run`` installs the package).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import sqlifeline

__all__ = ["PostgresServer", "postgres_or_skip"]


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


def postgres_or_skip() -> Path:
    """The server's bin directory; skip (or fail under CI) when it cannot run here."""
    bindir = _bindir()
    missing = None
    if bindir is None:
        missing = "PostgreSQL is not installed (apt-get install postgresql)"
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            missing = "psycopg is not installed (pip install -e '.[dev]')"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test against a real PostgreSQL: {missing}")
        pytest.skip(missing)
    assert bindir is not None
    return bindir


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """initdb + postgres on 127.0.0.1:<free port>, trust authentication, user ``squall``."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="squall-pg-"))
        sqlifeline.remove_at_end(self.root)  # if pytest is killed
        self.data, self.sockets = self.root / "data", self.root / "sockets"
        self.sockets.mkdir()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # postgres will not run as root
            shutil.chown(self.root, "nobody")
            shutil.chown(self.sockets, "nobody")
            # setpriv execs (runuser would stay as a parent that keeps signals to itself)
            self.as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        #: the server stops (fast shutdown) if the test process dies without stopping it;
        #: set by the last setpriv (a change of user clears it)
        self.until_we_die = ["setpriv", "--pdeathsig", "SIGINT"] if shutil.which("setpriv") else []
        self.port = _free_port()
        self._initdb()
        self.log = open(self.root / "server.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                *self.as_user,
                *self.until_we_die,
                str(bindir / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.sockets),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()
        self._databases = 0

    def _initdb(self) -> None:
        done = subprocess.run(
            [
                *self.as_user,
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "squall",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://squall@127.0.0.1:{self.port}/{database}"

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, (self.root / "server.log").read_text()
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                assert time.monotonic() < deadline, "PostgreSQL did not start"
                time.sleep(0.1)

    def new_database(self) -> str:
        """A fresh, empty schema (cheaper than a database); returns a URL that uses it."""
        import psycopg

        self._databases += 1
        name = f"t{os.getpid()}_{self._databases}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return f"{self.url()}?options=-csearch_path%3D{name}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # fast shutdown
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)
