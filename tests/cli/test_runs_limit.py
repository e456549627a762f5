"""``--limit`` of ``squall runs list`` and ``squall runs report`` beyond what a database
can hold is bad input (exit 2, naming the option), not a failure to read the history.

Found: ``squall runs list --limit 99999999999999999999`` said "cannot read the run
history ...: datatype mismatch", blaming the history for an option out of range.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize("command", [["runs", "list"], ["runs", "report", "-o", "out"]])
def test_a_limit_out_of_range_names_the_option(
    command: list[str], squall: Any, tmp_path: Path
) -> None:
    history = ["--history", str(tmp_path / "h.sqlite3")]
    result = squall(*command, "--limit", "9" * 20, *history)
    assert result.code == 2, result.stderr
    assert "--limit" in result.stderr and "history" not in result.stderr.lower()
