"""SIGTERM before a run has installed its own handlers (squall still loading) exits 130,
as SIGINT does, never -15."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from sqharness import EXAMPLES, catches, run_argv, subprocess_env


def _start(tmp_path: Path, source: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        run_argv(tmp_path / "j.json", source, *extra),
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_while_loading_the_experiment_exits_130(tmp_path: Path, http_server: Any) -> None:
    """The experiment is fetched from a server that answers after 5 s: SIGTERM arrives
    while squall waits for it."""
    proc = _start(tmp_path, f"{http_server.url}/slow?s=5")
    deadline = time.monotonic() + 30
    while not any(r[1].startswith("/slow") for r in http_server.requests):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr


def test_sigterm_at_random_early_moments_exits_130(tmp_path: Path) -> None:
    """SIGTERM at random moments of the first few hundred milliseconds after squall's
    code starts (the moment it catches SIGTERM, seen in /proc: only Python's own start
    comes before) exits 130, wherever it lands: loading, validation, or the run (the
    loading phase alone is what the test above pins down)."""
    rng = random.Random(10)
    for _ in range(8):
        proc = _start(tmp_path, str(EXAMPLES / "recover.json"), "--var", "method_sleep:int=5")
        deadline = time.monotonic() + 30
        while not catches(proc.pid, signal.SIGTERM):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.3))
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr
