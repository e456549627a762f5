"""``squall settings set KEY`` without VALUE: a credential (``temporal.api_key``) is read
from standard input (``--from-stdin``) or asked for without echo in a terminal, so it
never sits on a command line (``ps``, the shell's history). Canaries: the value reaches
the settings file (mode 0600) and nothing the command prints, nor the terminal's echo;
``settings show`` still masks it. Real ``squall`` subprocesses, a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import yaml

from sqharness import subprocess_env

CANARY = "canary-apikey-5f0e2d9b7c"
KEY = "temporal.api_key"


def _squall(
    settings: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "squall", "--settings", str(settings), *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=False,
    )


def _stored(settings: Path) -> object:
    return yaml.safe_load(settings.read_text())["temporal"]["api_key"]


def test_from_stdin_stores_the_value_and_prints_nothing_of_it(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    done = _squall(settings, "settings", "set", KEY, "--from-stdin", stdin=CANARY + "\n")
    assert done.returncode == 0, done.stderr
    assert _stored(settings) == CANARY  # the newline echo/printf add is not part of it
    assert settings.stat().st_mode & 0o777 == 0o600
    assert CANARY not in done.stdout + done.stderr
    shown = _squall(settings, "settings", "show")
    assert CANARY not in shown.stdout + shown.stderr and "api_key: '***'" in shown.stdout


def test_from_stdin_reads_a_value_as_value_is_read(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    done = _squall(settings, "settings", "set", "runtime.max_output", "--from-stdin", stdin="42")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(settings.read_text())["runtime"]["max_output"] == 42


def test_bad_ways_to_give_the_value_are_usage_errors(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    cases = {
        "give VALUE or --from-stdin, not both": (["x", "--from-stdin"], "y"),
        "nothing on standard input": (["--from-stdin"], ""),
        "run in a terminal to be asked for it": ([], None),  # stdin is not a terminal
        "is over 1048576 bytes": (["--from-stdin"], "x" * (1024 * 1024 + 1)),
    }
    for message, (args, stdin) in cases.items():
        done = _squall(settings, "settings", "set", KEY, *args, stdin=stdin)
        assert done.returncode == 2, (message, done.stderr)
        assert message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert not settings.exists()


def test_the_prompt_reads_the_value_without_echo(tmp_path: Path) -> None:
    """In a terminal, the value is asked for twice, never echoed: the canary typed
    twice is not in anything the terminal shows."""
    settings = tmp_path / "settings.yaml"
    master, slave = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "squall", "--settings", str(settings), "settings", "set", KEY],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=subprocess_env(),
        start_new_session=True,
    )
    os.close(slave)
    shown = b""
    try:
        for prompt in (f"{KEY}: ".encode(), b"Repeat for confirmation: "):
            shown = _read_until(master, shown, prompt)
            os.write(master, CANARY.encode() + b"\n")
        assert child.wait(timeout=60) == 0, shown
        shown = _read_until(master, shown, None)
    finally:
        child.kill()
        os.close(master)
    assert _stored(settings) == CANARY
    assert CANARY.encode() not in shown, shown


def _read_until(fd: int, seen: bytes, wanted: bytes | None, timeout: float = 30) -> bytes:
    """What the terminal showed, once ``wanted`` is in it (None: until it closes)."""
    deadline = time.monotonic() + timeout
    while wanted is None or not seen.endswith(wanted):
        left = deadline - time.monotonic()
        assert left > 0, seen
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            chunk = b""
        if not chunk:
            assert wanted is None, seen
            return seen
        seen += chunk
    return seen
