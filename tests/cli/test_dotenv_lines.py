"""A ``.env`` var file line the environment cannot hold is exit 2 with its line.

Found: a ``.env`` var file's entries become environment variables, and one that the
operating system refuses was not checked: a NUL byte in a name or a value ended
``validate`` and ``run`` with ``squall: internal error: ValueError: embedded null byte``
(exit 3), and a line with no name (``=2``) with ``squall: error: [Errno 22] Invalid
argument``, naming neither the file nor the line.

Now both are refused as a malformed line: ``FILE:LINE: ...``, exit 2, before anything
runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

LINES = {
    "nul-in-name": "A=1\nB\x00C=2\n",
    "nul-in-value": "A=1\nB=x\x00y\n",
    "no-name": "A=1\n=2\n",
    "blank-name": "A=1\n   =2\n",
    "export-no-name": "A=1\nexport =2\n",
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(LINES))
def test_a_line_the_environment_cannot_hold_is_exit_2_located(
    case: str, command: str, squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "vars.env").write_text(LINES[case])
    (tmp_path / "e.json").write_text(
        '{"title": "t", "description": "d", "method": [{"type": "action", "name": "a",'
        ' "provider": {"type": "process", "path": "touch", "arguments": "ran"}}]}'
    )
    result = squall(command, "e.json", "--var-file", "vars.env")
    assert result.code == 2, (result.code, result.stderr)
    assert "vars.env:2:" in result.stderr, result.stderr
    assert "internal error" not in result.stderr and "Errno" not in result.stderr
    assert not (tmp_path / "ran").exists()
