"""docs/reference/history.md shows real output: its `runs list` and `runs diff` blocks are
what squall prints for the two runs of docs/examples/watched-file.json the page runs
(run ids, times and durations aside)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqharness import subprocess_env

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reference" / "history.md"
EXAMPLE = ROOT / "docs" / "examples" / "watched-file.json"

_VOLATILE = [
    (re.compile(r"\b[0-9a-f]{12}\b"), "<id>"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+\+00:00)?"), "<time>"),
    (re.compile(r"\d+\.\d ms"), "<ms>"),
    (re.compile(r"\d+\.\d\ds"), "<s>"),
]


def normal(text: str) -> list[str]:
    for pattern, word in _VOLATILE:
        text = pattern.sub(word, text)
    return [line.rstrip() for line in text.strip().splitlines()]


def block_after(command: str) -> str:
    """The output shown under ``$ <command>`` in the page's console blocks."""
    page = PAGE.read_text()
    start = page.index(f"\n$ {command}\n") + len(command) + 4
    return page[start : page.index("```", start)]


def test_the_pages_list_and_diff_are_real(tmp_path: Path) -> None:
    env = subprocess_env(SQUALL_HISTORY=str(tmp_path / "h.sqlite3"))

    def squall(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "squall", "--settings", str(tmp_path / "s.yaml"), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    assert squall("run", str(EXAMPLE)).returncode == 0
    assert squall("run", str(EXAMPLE), "--var", "watched=marker.txt").returncode == 1
    listed = squall("runs", "list")
    assert normal(listed.stdout) == normal(block_after("squall runs list"))
    ids = [line.split()[0] for line in listed.stdout.splitlines()[1:]]
    diff = squall("runs", "diff", ids[1][:6], ids[0][:6])
    assert diff.returncode == 0, diff.stderr
    assert normal(diff.stdout) == normal(block_after("squall runs diff de97b1 5e5203"))
    assert not (tmp_path / "marker.txt").exists()  # the rollbacks removed it
