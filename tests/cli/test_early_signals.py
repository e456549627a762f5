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


def test_a_stop_swallowed_by_a_driver_while_loading_still_stops_the_run(tmp_path: Path) -> None:
    """A driver module whose import catches everything (KeyboardInterrupt included)
    swallows the early handler's KeyboardInterrupt: squall must still exit 130 and
    inject nothing, not validate the swallowing module as broken (exit 2) nor, worse,
    start the run after the stop."""
    import json
    import sys

    started, injected = tmp_path / "import-started", tmp_path / "injected"
    (tmp_path / "swallowing_driver.py").write_text(
        "import pathlib, time\n"
        f"pathlib.Path({str(started)!r}).write_text('1')\n"
        "try:\n"
        "    time.sleep(20)\n"
        "except BaseException:\n"
        "    pass\n"
        "def inject():\n"
        f"    pathlib.Path({str(injected)!r}).write_text('1')\n"
    )
    experiment = tmp_path / "exp.json"
    experiment.write_text(
        json.dumps(
            {
                "title": "a stop during the driver's import",
                "description": "nothing may be injected",
                "method": [
                    {
                        "type": "action",
                        "name": "inject",
                        "provider": {
                            "type": "python",
                            "module": "swallowing_driver",
                            "func": "inject",
                        },
                    }
                ],
            }
        )
    )
    env = subprocess_env()
    env["PYTHONPATH"] = (
        f"{tmp_path}{':' if env.get('PYTHONPATH') else ''}{env.get('PYTHONPATH', '')}"
    )
    for sent in (signal.SIGTERM, signal.SIGINT):
        started.unlink(missing_ok=True)
        proc = subprocess.Popen(
            [sys.executable, "-m", "squall", "run", "--no-history", "--journal-path",
             str(tmp_path / "j.json"), str(experiment)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            # SIGINT as a terminal gives it: the xdist worker may have it ignored by then
            # (seen: SigIgn with SIGINT and SIGQUIT after other tests), and squall rightly
            # keeps an inherited ignore, so the SIGINT round slept the import out (HELD)
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not started.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        masks = _signal_masks(proc.pid)  # for the failure message (it failed at load ~20)
        proc.send_signal(sent)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, f"{sent.name} sent, when {masks}:\n{stderr}"
        assert sent.name in stderr and "Traceback" not in stderr
        assert not injected.exists(), "the action ran after the stop"


def _signal_masks(pid: int) -> str:
    """The process's blocked, ignored and caught signals (/proc), in a message."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError as error:
        return f"/proc/{pid}/status unreadable: {error}"
    return ", ".join(line for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


def test_an_in_process_command_leaves_the_callers_signal_handlers_alone(tmp_path: Path) -> None:
    """A run ignores a late SIGUSR1/SIGUSR2 once it is over (squall's own process); in
    process (tests, embedders) the caller's handlers come back: children the caller
    starts later would otherwise inherit the ignored signals (a Temporal command line
    the corpus parity tests signal did)."""
    from squall.cli import main

    before = {s: signal.getsignal(s) for s in (signal.SIGUSR1, signal.SIGUSR2)}
    code = main(
        ["run", "--no-history", "--journal-path", str(tmp_path / "j.json"),
         str(EXAMPLES / "trivial.json")]
    )  # fmt: skip
    assert code == 0
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_run_through_click_in_process_leaves_the_signal_handlers_alone(tmp_path: Path) -> None:
    """The same through click's own entry (CliRunner, as many tests do): the late
    SIGUSR1/SIGUSR2 guard belongs to squall's own process only."""
    from click.testing import CliRunner

    from squall.cli.app import cli

    before = {s: signal.getsignal(s) for s in (signal.SIGUSR1, signal.SIGUSR2)}
    result = CliRunner().invoke(
        cli, ["run", "--no-history", "--journal-path", str(tmp_path / "j.json"),
              str(EXAMPLES / "trivial.json")]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert {s: signal.getsignal(s) for s in before} == before
