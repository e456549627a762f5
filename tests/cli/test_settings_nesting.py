"""Settings nested too deep are bad input (exit 2), not an internal error.

Found: a settings file holding ``a: [[[[...`` 20,000 levels deep ended every command
that reads the settings (run, validate, lint, runs list, recover --list, settings
show/set) with ``squall: internal error: RecursionError`` and exit 3: the settings were
read by PyYAML's pure-Python loader, which recurses once per level. (Experiments, var
files and control files were already refused, exit 2, located.)

Now the settings are read with PyYAML's C loader (as experiments are), which refuses a
nesting deeper than 1,000 levels with its place: exit 2, naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

DEEP = "history: x\na: " + "[" * 20_000 + "]" * 20_000 + "\n"

COMMANDS = [
    ("run", "e.json"),
    ("validate", "e.json"),
    ("lint", "e.json"),
    ("runs", "list"),
    ("recover", "--list"),
    ("settings", "show"),
    ("settings", "set", "history", "h.db"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_settings_nested_too_deep_are_exit_2(
    command: tuple[str, ...], squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "settings.yaml").write_text(DEEP)
    (tmp_path / "e.json").write_text(
        '{"title": "t", "description": "d", "method": [{"type": "action", "name": "a",'
        ' "provider": {"type": "process", "path": "touch", "arguments": "ran"}}]}'
    )
    result = squall(*command)
    assert result.code == 2, (result.code, result.stderr)
    assert "settings.yaml" in result.stderr and "line 2" in result.stderr, result.stderr
    assert "nesting depth" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "ran").exists()
