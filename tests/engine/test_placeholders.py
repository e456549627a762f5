"""``${name}``: values a control adds to the configuration are substituted when each
activity runs (as the reference does); a name nothing defines is never passed on silently
(a warning from ``squall validate`` with its place, a note when a control may set it, and a
warning from the engine when the activity runs without it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from squall import run_experiment
from squall.experiment import parse_experiment

SETTER = """
def configure_control(configuration=None, secrets=None, **kw):
    configuration["tf_out__url"] = "http://x/from-control"

def after_activity_control(context, state, configuration=None, **kw):
    configuration["seen_" + context["name"].replace("-", "_")] = state["status"]
"""
SILENT = """
def before_method_control(context):
    pass
"""


def _action(name: str, *arguments: str) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "provider": {"type": "process", "path": "echo", "arguments": list(arguments)},
    }


def _doc(*method: dict[str, Any], module: str | None = None, **top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"title": "t", "description": "d", "method": list(method), **top}
    if module:
        doc["controls"] = [{"name": module, "provider": {"type": "python", "module": module}}]
    return doc


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "setter_ctl.py").write_text(SETTER)
    (tmp_path / "silent_ctl.py").write_text(SILENT)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_configuration_a_control_sets_is_substituted_when_each_activity_runs(
    modules: Path,
) -> None:
    doc = _doc(
        _action("first", "${tf_out__url}", "${seen_first}"),
        _action("second", "${seen_first}"),
        module="setter_ctl",
    )
    journal = run_experiment(parse_experiment(doc))
    first, second = (entry.output["stdout"] if entry else None for entry in journal.run)
    # configure_control ran before the method; the after-activity value exists only later
    assert first == "http://x/from-control ${seen_first}\n"
    assert second == "succeeded\n"


def _write(path: Path, doc: dict[str, Any]) -> str:
    path.write_text(json.dumps(doc, indent=2))
    return str(path)


def test_validate_warns_of_an_undefined_name_with_its_place(squall: Any, tmp_path: Path) -> None:
    doc = _doc(
        _action("show", "${undefined_x}", "${known}", "$${HOME}"),
        configuration={"known": "k"},
    )
    source = _write(tmp_path / "exp.json", doc)
    result = squall("validate", source)
    assert result.code == 0, result.stderr
    assert "exp.json:12:11 at /method/0/provider/arguments/0: warning: ${undefined_x}" in (
        result.stderr
    )
    assert 'literal text "${undefined_x}"' in result.stderr
    assert "${known}" not in result.stderr and "HOME" not in result.stderr
    strict = squall("validate", "--strict", source)
    assert strict.code == 2 and "1 problem" in strict.stderr
    defined = squall("validate", "--strict", "--var", "undefined_x=1", source)
    assert defined.code == 0 and "warning" not in defined.stderr


def test_a_name_a_declared_control_may_set_is_a_note_not_a_warning(
    squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "setter_ctl.py").write_text(SETTER)
    (tmp_path / "silent_ctl.py").write_text(SILENT)
    env = {"PYTHONPATH": str(tmp_path)}
    doc = _doc(_action("show", "${tf_out__url}"), module="setter_ctl")
    noted = squall("validate", "--strict", _write(tmp_path / "a.json", doc), env=env)
    assert noted.code == 0, noted.stderr
    assert "note: ${tf_out__url} is not defined before the run; control 'setter_ctl' may " in (
        noted.stderr
    )
    # a control whose functions never receive the configuration cannot define it
    doc = _doc(_action("show", "${tf_out__url}"), module="silent_ctl")
    warned = squall("validate", _write(tmp_path / "b.json", doc), env=env)
    assert warned.code == 0 and "warning: ${tf_out__url} is not defined" in warned.stderr


def test_run_warns_when_an_activity_runs_with_an_undefined_name(
    squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "silent_ctl.py").write_text(SILENT)
    doc = _doc(_action("show", "${nowhere}"), module="silent_ctl")
    result = squall("run", _write(tmp_path / "exp.json", doc), env={"PYTHONPATH": str(tmp_path)})
    assert result.code == 0, result.stderr
    assert "warn show: ${nowhere} is not defined: sent as the literal text" in result.stderr
    assert result.journal["run"][0]["output"]["stdout"] == "${nowhere}\n"
