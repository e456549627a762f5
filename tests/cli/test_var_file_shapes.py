"""A ``--var-file`` whose sections have the wrong shape is bad input (exit 2, naming the
file and the section), not an internal error.

Found by a seeded fuzzer of var files: ``configuration: 5``, ``configuration: [1]``,
``secrets: 5`` and ``secrets: {s: 5}`` ended in "internal error: TypeError" or
"AttributeError" (exit 3) in ``validate``, ``lint`` and ``run``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

EXPERIMENT = {
    "title": "vars",
    "description": "a var file of the wrong shape",
    "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}],
}


@pytest.mark.parametrize(
    ("text", "section"),
    [
        ("configuration: 5\n", "configuration"),
        ("configuration: [1]\n", "configuration"),
        ("secrets: 5\n", "secrets"),
        ("secrets:\n  s: 5\n", "secrets.s"),
        ("secrets:\n  s: [a]\n", "secrets.s"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "lint", "run"])
def test_a_var_file_section_of_the_wrong_shape_is_bad_input(
    command: str, text: str, section: str, squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "e.json").write_text(json.dumps(EXPERIMENT))
    (tmp_path / "v.yaml").write_text(text)
    result = squall(command, "e.json", "--var-file", "v.yaml")
    assert result.code == 2, result.stderr
    assert "internal error" not in result.stderr
    assert "v.yaml" in result.stderr and f"'{section}'" in result.stderr
