"""Global controls (the settings' ``controls`` and ``--control-file``) are checked entry by
entry, by ``squall run`` and ``squall validate`` alike: an entry that is not a control
(``{"a": 5}``) was dropped silently, and ``validate`` read neither the settings' controls'
modules nor ``--control-file`` (a control that could not be imported passed ``validate``
and stopped ``run``). Each is exit 2 now, located in its own file, before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def _experiment(tmp_path: Path) -> Path:
    doc = {
        "title": "t",
        "description": "d",
        "method": [{"type": "action", "name": "a", "provider": {
            "type": "python", "module": "sqtest", "func": "touch",
            "arguments": {"path": str(tmp_path / "ran")}}}],
    }  # fmt: skip
    path = tmp_path / "e.json"
    path.write_text(json.dumps(doc))
    return path


_GOOD = {"provider": {"type": "python", "module": "os"}}

# (entries of a control file, the place and words each problem must show)
WRONG = [
    ({"a": 5}, [("c.json:1:7 at /a", "control \"a\" must be an object, found a number")]),
    ({"ok": _GOOD, "a": None},
     [("at /a", "control \"a\" must be an object, found null")]),
    ({"a": [1]}, [("at /a", "found a list")]),
    ({"a": {"ref": "b"}}, [("at /a", "control \"a\" has no \"provider\"")]),
    ({"a": {"provider": 5}}, [("at /a/provider", "a control provider must be an object")]),
    ({"a": {"provider": {"type": "python"}}}, [("at /a/provider", '"module"')]),
    ({"a": {"provider": {"type": "python", "module": "no_such_control_mod"}}},
     [("at /a/provider/module", 'cannot import module "no_such_control_mod"')]),
    ({"a": {"provider": {"type": "python", "module": "squall.controls.safeguards",
                         "arguments": {"probes": 3}}}},
     [("at /a/provider/arguments", "control \"a\" is invalid")]),
    ({"a": 5, "b": "x"}, [("at /a", "found a number"), ("at /b", "found a string")]),
    ([1], [("c.json:1:1 at /", "controls must be a mapping of names to controls, found a list")]),
]  # fmt: skip


@pytest.mark.parametrize(("entries", "expected"), WRONG)
@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_wrong_control_file_entry_is_bad_input_located(
    squall: Any, tmp_path: Path, command: str, entries: Any, expected: list[tuple[str, str]]
) -> None:
    path = _experiment(tmp_path)
    (tmp_path / "c.json").write_text(json.dumps(entries))
    result = squall(command, "--control-file", str(tmp_path / "c.json"), str(path))
    assert result.code == 2, (result.stdout, result.stderr)
    for place, words in expected:
        line = next((x for x in result.stderr.splitlines() if place in x), "")
        assert words in line, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("command", ["run", "validate"])
def test_settings_controls_are_checked_located_in_the_settings_file(
    squall: Any, tmp_path: Path, command: str
) -> None:
    path = _experiment(tmp_path)
    (tmp_path / "settings.yaml").write_text(
        "controls:\n"
        "  a: 5\n"
        "  b:\n"
        "    provider:\n"
        "      type: python\n"
        "      module: no_such_control_mod\n"
    )
    result = squall(command, str(path))
    assert result.code == 2, (result.stdout, result.stderr)
    assert 'settings.yaml:2:6 at /controls/a: control "a" must be an object' in result.stderr
    assert 'settings.yaml:6:15 at /controls/b/provider/module: control "b": cannot import' in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("command", ["run", "validate"])
def test_settings_controls_of_the_wrong_kind_are_bad_input(
    squall: Any, tmp_path: Path, command: str
) -> None:
    path = _experiment(tmp_path)
    (tmp_path / "settings.yaml").write_text("controls: [1]\n")
    result = squall(command, str(path))
    assert result.code == 2, (result.stdout, result.stderr)
    assert "settings.yaml:1:11 at /controls: controls must be a mapping" in result.stderr


def test_validate_reports_the_experiment_and_the_controls_together(
    squall: Any, tmp_path: Path
) -> None:
    doc = json.loads(_experiment(tmp_path).read_text())
    doc["method"][0]["provider"]["func"] = "nope"
    (tmp_path / "e.json").write_text(json.dumps(doc))
    (tmp_path / "c.json").write_text('{"a": 5}')
    result = squall("validate", "--control-file", str(tmp_path / "c.json"), "e.json")
    assert result.code == 2, result.stderr
    assert "2 problems" in result.stderr
    assert "at /method/0/provider/func" in result.stderr
    assert "c.json:1:7 at /a" in result.stderr


@pytest.mark.parametrize("command", ["run", "validate"])
def test_right_global_controls_still_pass(squall: Any, tmp_path: Path, command: str) -> None:
    path = _experiment(tmp_path)
    (tmp_path / "settings.yaml").write_text(json.dumps({"controls": {"s": _GOOD}}))
    (tmp_path / "c.json").write_text(json.dumps({"c": _GOOD}))
    result = squall(command, "--control-file", str(tmp_path / "c.json"), str(path))
    assert result.code == 0, result.stderr
    assert (tmp_path / "ran").exists() == (command == "run")
