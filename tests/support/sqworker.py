"""Real ``squall worker`` subprocesses for tests of the Temporal engine.

Each worker is its own process group (``start_new_session``), killed with the test
process by the kernel (``setpriv --pdeathsig``), and stopped (SIGTERM, then SIGKILL of the
whole group) by ``stop`` or ``kill``: no orphan survives a test session. Ready means it
printed "polling task queue" (its Temporal worker runs).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["SquallWorker", "squall_cli"]

READY = "polling task queue"


def squall_cli() -> list[str]:
    return [sys.executable, "-m", "squall", "--no-log-file"]


class SquallWorker:
    """``squall worker --task-queue QUEUE`` against ``address``; its stderr in ``log``."""

    def __init__(
        self,
        address: str,
        queue: str,
        log: Path,
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        args: tuple[str, ...] = (),
        timeout: float = 60.0,
    ) -> None:
        self.queue = queue
        self.log_path = log
        self._log = log.open("wb")
        guard = ["setpriv", "--pdeathsig", "SIGKILL"] if shutil.which("setpriv") else []
        command = [*guard, *squall_cli(), "worker", "--task-queue", queue, *args]
        full_env = {**os.environ, "SQUALL_TEMPORAL_ADDRESS": address, **(env or {})}
        self.process = subprocess.Popen(
            command,
            env=full_env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready(timeout)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if READY in self.log():
                return
            if self.process.poll() is not None:
                raise AssertionError(
                    f"squall worker exited {self.process.returncode}:\n{self.log()}"
                )
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"squall worker not ready in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker and what it started (a dead host, as far as it can tell)."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def stop(self) -> None:
        if self._log.closed:  # stopped already (its test, then the session's bed)
            return
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        self._signal_group(signal.SIGKILL)  # children left behind, if any
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> SquallWorker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
