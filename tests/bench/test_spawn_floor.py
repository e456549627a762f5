"""Smoke test of bench/spawn_floor.py without the Chaos Toolkit: it runs the floors and
squall's process-100 and python-0, and prints one row per measured pair (no time is
asserted), leaving nothing in the directory it was started from."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_spawn_floor_prints_every_pair(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "spawn_floor.py"),
            "--no-ctk",
            "--runs",
            "1",
            "--work",
            str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr
    rows = re.findall(r"^\| (.+?) \| (-?\d+\.\d+) ms \| (-?\d+\.\d+) ms \|$", done.stdout, re.M)
    assert [label for label, _cpu, _wall in rows] == [
        "floor (posix_spawn + waitpid)",
        "subprocess.run(capture_output=True)",
        "squall process activity",
    ]
    assert list(cwd.iterdir()) == []  # journals went to its own temporary directory


def test_spawn_floor_without_a_ctk_venv_says_so(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "spawn_floor.py"), "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "no CTK venv" in done.stderr
