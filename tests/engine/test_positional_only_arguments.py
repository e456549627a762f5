"""A python provider's argument that the function takes by position only (``getitem(a,
b, /)``, ``def f(a, /)``) cannot be given by name, and squall passes arguments by name:
validation says so (newcomer8: ``getitem() has no argument 'a'`` with ``accepted
arguments: none`` named both as missing; a Python function's ``a`` passed validation and
failed the run with a TypeError)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def _experiment(tmp_path: Path, module: str, func: str, arguments: dict[str, Any]) -> Path:
    doc = {
        "title": "positional only",
        "description": "d",
        "method": [
            {
                "type": "probe",
                "name": "call",
                "provider": {
                    "type": "python",
                    "module": module,
                    "func": func,
                    "arguments": arguments,
                },
            }
        ],
    }
    path = tmp_path / "e.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def test_a_builtins_positional_only_argument(squall: Any, tmp_path: Path) -> None:
    path = _experiment(tmp_path, "operator", "getitem", {"a": [1, 2], "b": 0})
    result = squall("validate", str(path))
    assert result.code == 2
    assert (
        'at /method/0/provider/arguments/a: getitem(a, b, /) takes "a" by position only: '
        "it cannot be given by name, and squall passes arguments by name"
    ) in result.stderr
    assert 'hint: wrap getitem() in a function of your own that takes "a" by name' in (
        result.stderr
    )


@pytest.mark.parametrize("given", [{"a": 1, "b": 2}, {"b": 2}])
def test_a_python_functions_positional_only_argument(
    squall: Any, tmp_path: Path, given: dict[str, Any]
) -> None:
    (tmp_path / "posonly_mod.py").write_text("def f(a, /, b):\n    return b\n")
    path = _experiment(tmp_path, "posonly_mod", "f", given)
    result = squall("validate", str(path), env={"PYTHONPATH": str(tmp_path)})
    if "a" in given:
        assert result.code == 2
        assert 'f(a, /, b) takes "a" by position only' in result.stderr
    else:  # "a" cannot be given at all: the run says what Python says
        assert result.code == 0, result.stderr


def test_an_argument_of_no_such_name_is_still_named(squall: Any, tmp_path: Path) -> None:
    path = _experiment(tmp_path, "os.path", "basename", {"p": "/a/b", "nope": 2})
    result = squall("validate", str(path))
    assert result.code == 2
    assert 'basename() has no argument "nope"' in result.stderr
    assert "hint: accepted arguments: p" in result.stderr
