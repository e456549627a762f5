"""Real journals for the report tests: squall runs the bundled experiments once per
session (in parallel subprocesses); the Chaos Toolkit's journals are in data/ctk/
(made by the real Chaos Toolkit: see make_ctk_journals.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from cdp import Browser, CdpError, Page, find_chromium
from sqharness import EXAMPLES, ROOT, LocalServer, start_run, subprocess_env

DATA = Path(__file__).resolve().parent / "data"
CTK = DATA / "ctk"

#: journal name -> (experiment, extra arguments, the verdict squall reaches)
RUNS: dict[str, tuple[Path, list[str], str]] = {
    "held": (EXAMPLES / "trivial.json", [], "held"),
    "deviated": (EXAMPLES / "deviated.json", [], "deviated"),
    "broken": (EXAMPLES / "action-fails.yaml", [], "broken"),
    "not-run": (EXAMPLES / "gate-not-met.json", [], "not-run"),
    "parallel": (EXAMPLES / "parallel.json", ["--var", "hold:float=0.3"], "broken"),
    "background": (EXAMPLES / "background.json", [], "held"),
    "pauses": (EXAMPLES / "pauses.json", [], "held"),
    "showcase": (DATA / "showcase.json", [], "deviated"),
    "hostile": (DATA / "hostile.json", [], "broken"),
}


def run_all(folder: Path) -> dict[str, Path]:
    """Run every experiment of RUNS; the interrupted one first, alone (it waits for its
    method to start, then gets a real SIGINT), then the others at once."""
    interrupted = folder / "interrupted"
    interrupted.mkdir()
    proc, journal, _ = start_run(interrupted, "interrupt.json")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    found = {"interrupted": journal}
    procs: dict[str, tuple[subprocess.Popen[str], Path]] = {}
    for name, (experiment, extra, _) in RUNS.items():
        journal = folder / f"{name}.json"
        marker = folder / f"{name}.marker"
        argv = [sys.executable, "-m", "squall", "run", "--journal-path", str(journal)]
        procs[name] = (
            subprocess.Popen(
                [*argv, str(experiment), "--var", f"marker={marker}", *extra],
                env=subprocess_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                cwd=folder,
            ),
            journal,
        )
    for name, (process, path) in procs.items():
        _, err = process.communicate(timeout=180)
        assert path.exists(), f"{name}: no journal (exit {process.returncode}): {err[-2000:]}"
        found[name] = path
    return found


@pytest.fixture(scope="session")
def journals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> the path of a journal squall wrote (see RUNS; plus "interrupted")."""
    return run_all(tmp_path_factory.mktemp("journals"))


@pytest.fixture(scope="session")
def outcomes() -> dict[str, str]:
    """name -> the verdict squall reaches on that journal's run."""
    return {name: outcome for name, (_, _, outcome) in RUNS.items()}


@pytest.fixture(scope="session")
def ctk_journals() -> dict[str, Path]:
    """name -> a journal the real Chaos Toolkit wrote (held, deviated, broken, not-run,
    background, during-deviates, interrupted)."""
    return {path.stem: path for path in sorted(CTK.glob("*.json"))}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One real headless Chromium for the session (Debian's chromium; .ci/run installs it).
    Missing: the tests fail under CI=true, elsewhere they are skipped with the reason."""
    executable = find_chromium()
    if executable is None:
        message = "chromium is not installed (Debian: apt-get install chromium; .ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    running = Browser(executable)
    yield running
    running.close()


@pytest.fixture(scope="session")
def web() -> Iterator[LocalServer]:
    """A loopback HTTP server that serves reports and records every request."""
    server = LocalServer()
    yield server
    server.close()


@contextmanager
def screenshot_on_failure(page: Page, name: str) -> Iterator[None]:
    """Keep a screenshot of the page when the block fails (in $SQUALL_TEST_ARTIFACTS,
    else .artifacts/ at the repository root), and say where."""
    try:
        yield
    except BaseException:
        folder = Path(os.environ.get("SQUALL_TEST_ARTIFACTS") or ROOT / ".artifacts")
        try:
            shot = page.screenshot(folder / f"{name}.png", full=False)
        except CdpError as exc:
            print(f"no screenshot of the failing page: {exc}")
        else:
            print(f"screenshot of the failing page: {shot}")
        raise


@pytest.fixture(scope="session")
def keep_screenshot() -> Any:
    """``with keep_screenshot(page, name):`` screenshots the page if the block fails."""
    return screenshot_on_failure
