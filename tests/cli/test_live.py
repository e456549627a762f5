"""Live progress: on a terminal one redrawn line (what runs, for how long, a pause counting
down); off a terminal one line when an activity runs long and when a long pause starts,
nothing that animates; --quiet keeps the verdict; JSON lines stay JSON."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from sqharness import subprocess_env

SLOW = {
    "title": "slow",
    "description": "a long action and a pause after it",
    "method": [
        {
            "type": "action",
            "name": "long-one",
            "provider": {"type": "process", "path": "sleep", "arguments": "1"},
            "pauses": {"after": 0.6},
        },
        {"type": "action", "name": "quick", "provider": {"type": "process", "path": "true"}},
    ],
}


@pytest.fixture
def slow(tmp_path: Path) -> Path:
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(SLOW))
    return path


def argv(tmp_path: Path, *args: str, glob: tuple[str, ...] = ()) -> list[str]:
    settings = ["--settings", str(tmp_path / "s.yaml"), *glob]
    journal = ["--journal-path", str(tmp_path / "j.json"), "--no-history"]
    return [sys.executable, "-m", "squall", *settings, "run", *journal, *args]


def run_piped(tmp_path: Path, *args: str, glob: tuple[str, ...] = ()) -> str:
    done = subprocess.run(
        argv(tmp_path, *args, glob=glob),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=subprocess_env(SQUALL_PROGRESS_AFTER="0.3"),
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_off_a_terminal_long_activities_and_pauses_get_one_line(tmp_path: Path, slow: Path) -> None:
    lines = run_piped(tmp_path, str(slow)).splitlines()
    assert "\r" not in "".join(lines)  # nothing animates in a CI log
    running = [i for i, line in enumerate(lines) if "long-one: still running after" in line]
    paused = [i for i, line in enumerate(lines) if "... pause 0.6 s (after long-one)" in line]
    ended = [i for i, line in enumerate(lines) if "ok method   action long-one" in line]
    assert len(running) == len(paused) == len(ended) == 1, lines
    assert running[0] < paused[0] < ended[0]
    assert not any("quick: still running" in line for line in lines)


def test_quick_runs_print_nothing_more(tmp_path: Path) -> None:
    quick = tmp_path / "quick.json"
    quick.write_text(json.dumps({**SLOW, "method": SLOW["method"][1:]}))
    assert "..." not in run_piped(tmp_path, str(quick))


def test_quiet_keeps_only_the_verdict(tmp_path: Path, slow: Path) -> None:
    out = run_piped(tmp_path, str(slow), "--quiet")
    assert out.startswith("squall: HELD"), out
    assert "long-one" not in out and "running" not in out


def test_json_lines_stay_json(tmp_path: Path, slow: Path) -> None:
    out = run_piped(tmp_path, str(slow), glob=("--log-format", "json"))
    events = [json.loads(line)["event"] for line in out.splitlines()]
    assert events[0] == "start" and events[-1] == "verdict"


def test_on_a_terminal_one_line_is_redrawn_and_erased(tmp_path: Path, slow: Path) -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        argv(tmp_path, str(slow)),
        stdout=slave,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=subprocess_env(NO_COLOR="1"),
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=30) == 0
    text = b"".join(chunks).decode()
    frames = text.split("\r\x1b[K")
    assert any("method   action long-one  0." in f for f in frames), frames[:5]
    assert any("pause  0." in f and "s left (after long-one)" in f for f in frames)
    # every permanent line starts on a clean line: the live line was erased before it
    assert any(f.startswith("    ok method   action long-one") for f in frames)
    assert "\nsquall: HELD" in text or any(f.startswith("squall: HELD") for f in frames)
    assert "\x1b[K  " not in text[text.index("squall: HELD") :]  # nothing drawn after it
    assert "long-one:" not in text  # no "still running" lines: the live line says it
