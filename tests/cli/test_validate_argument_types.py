"""``squall validate`` warns about a python argument whose JSON type the function's
annotation does not accept: such an experiment is valid (Python does not enforce
annotations, nor does the Chaos Toolkit), then fails in the middle of the run, after
its faults were injected (newcomer9's walk: ``"megabytes": "50"`` for ``megabytes: int``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DRIVER = """
from __future__ import annotations

class Target:
    pass

def add_ballast(path: str, megabytes: int, ratio: float = 1.0, tags: list[str] | None = None,
                note: str = None, target: Target | None = None, flag: bool = False,
                shape: [int] = None) -> bool:  # an annotation that is no type (a list)
    return megabytes < 100
"""


def _experiment(tmp_path: Path, *arguments: dict[str, Any]) -> tuple[Path, dict[str, str]]:
    (tmp_path / "drv").mkdir()
    (tmp_path / "drv" / "ballast.py").write_text(DRIVER)
    action = {"type": "action", "provider": {"type": "python", "module": "ballast",
                                             "func": "add_ballast"}}  # fmt: skip
    method = [{**action, "name": f"a{i}", "provider": {**action["provider"], "arguments": a}}
              for i, a in enumerate(arguments)]  # fmt: skip
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"title": "t", "description": "d", "method": method}))
    return path, {"PYTHONPATH": str(tmp_path / "drv")}


def test_a_literal_of_the_wrong_type_is_a_located_warning(squall: Any, tmp_path: Path) -> None:
    path, env = _experiment(
        tmp_path,
        {"path": "/p", "megabytes": "50", "tags": "a,b", "flag": 0},
        # accepted: an int for a float, null for a parameter whose default is None, a
        # class of the driver's own and an annotation that is no type (not judged), a
        # text holding a placeholder
        {"path": "/p/${x}", "megabytes": 5, "ratio": 2, "note": None, "target": "t", "shape": 1},
    )
    result = squall("validate", str(path), env=env)
    assert result.code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if ") declares " in line]
    assert len(lines) == 3, result.stderr
    assert lines[0].startswith(f"squall: {path}:1:")  # located in the file
    assert lines[0].endswith(
        ' at /method/0/provider/arguments/megabytes: warning: argument "megabytes" is a string '
        '"50", but add_ballast() declares megabytes: int (it may fail when it runs)'
    )
    assert "hint: give a value of type int: write it without the quotes (50)" in result.stderr
    assert "tags: list[str] | None" in lines[1] and "flag: bool" in lines[2]
    assert "valid (2 activities)" in result.stderr
    strict = squall("validate", "--strict", str(path), env=env)
    assert strict.code == 2, strict.stderr
    # what the warning foretells: the run breaks in the action
    run = squall("run", str(path), env=env)
    assert run.code != 0 and "TypeError" in run.stderr, run.stderr


def test_a_whole_placeholder_is_judged_by_its_value(squall: Any, tmp_path: Path) -> None:
    path, env = _experiment(tmp_path, {"path": "/p", "megabytes": "${mb}"})
    untyped = squall("validate", str(path), "--var", "mb=5", env=env)
    assert untyped.code == 0, untyped.stderr
    assert 'argument "megabytes" is ${mb}, which is a string "5" before the run' in untyped.stderr
    assert "a typed --var (mb:int=5," in untyped.stderr
    typed = squall("validate", str(path), "--var", "mb:int=5", env=env)
    assert typed.code == 0 and "warning" not in typed.stderr, typed.stderr
