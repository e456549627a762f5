"""A ``--var`` value obeys what a document's values obey (squall.experiment.limits):
finite numbers, bounded nesting; anything else is exit 2 naming the variable.

Found: ``--var x:json=[[[...]]]`` nested 5000 deep ended in "internal error:
RecursionError" (exit 3); ``x:float=nan``, ``x:float=1e999`` and ``x:json=NaN`` were taken,
values the experiment itself may not hold (NaN as a timeout or a pause).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

EXPERIMENT = {
    "title": "vars",
    "description": "a --var of each kind",
    "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}],
}


@pytest.mark.parametrize(
    "var",
    [
        "x:json=" + "[" * 5000 + "]" * 5000,
        "x:json=" + "[" * 150 + "]" * 150,
        "x:float=nan",
        "x:float=1e999",
        "x:json=NaN",
        "x:int=" + "9" * 5000,
    ],
    ids=["json 5000 deep", "json 150 deep", "nan", "1e999", "json NaN", "int of 5000 digits"],
)
def test_a_var_beyond_the_input_limits_is_bad_input(var: str, squall: Any, tmp_path: Path) -> None:
    (tmp_path / "e.json").write_text(json.dumps(EXPERIMENT))
    result = squall("run", "e.json", "--var", var)
    assert result.code == 2, result.stderr
    assert "--var" in result.stderr and "x" in result.stderr
    assert "internal error" not in result.stderr and result.journal is None


def test_ordinary_vars_still_run(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "e.json").write_text(json.dumps(EXPERIMENT))
    result = squall("run", "e.json", "--var", 'x:json={"a": [1, 2.5]}', "--var", "y:float=0.5")
    assert result.code == 0, result.stderr
