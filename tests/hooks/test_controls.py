"""Chaos Toolkit controls run unchanged, exactly once per point, at every level."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from sqharness import EXAMPLES


def control(log: Path, label: str, **arguments: Any) -> dict[str, Any]:
    return {
        "name": label,
        "provider": {
            "type": "python",
            "module": "ctkcontrol",
            "arguments": {"log": str(log), "label": label, **arguments},
        },
    }


def experiment(log: Path, **top: Any) -> dict[str, Any]:
    doc = json.loads((EXAMPLES / "trivial.json").read_text())
    doc["rollbacks"] = [
        {
            "type": "action",
            "name": "undo",
            "provider": {"type": "python", "module": "os", "func": "getpid"},
        }
    ]
    doc["runtime"] = {"rollbacks": {"strategy": "always"}}
    doc.update(top)
    return doc


def events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(doc))
    return path


def test_experiment_level_control_runs_once_at_every_point(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    result = squall("run", str(write(tmp_path, experiment(log, controls=[control(log, "top")]))))
    assert result.code == 0, result.stderr
    seen = [(e["event"], e.get("name")) for e in events(log)]
    assert seen == [
        ("configure", None),
        ("before_experiment", None),
        ("before_hypothesis", None),
        ("before_activity", "root-exists"),
        ("after_activity", "root-exists"),
        ("after_hypothesis", None),
        ("before_method", None),
        ("before_activity", "get-pid"),
        ("after_activity", "get-pid"),
        ("after_method", None),
        ("before_hypothesis", None),
        ("before_activity", "root-exists"),
        ("after_activity", "root-exists"),
        ("after_hypothesis", None),
        ("before_rollback", None),
        ("before_activity", "undo"),
        ("after_activity", "undo"),
        ("after_rollback", None),
        ("after_experiment", None),
        ("cleanup", None),
    ]
    assert events(log)[-2]["status"] == "completed"


def test_global_and_local_controls_each_run_once(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    doc = experiment(log, controls=[control(log, "top")])
    doc["method"][0]["controls"] = [control(log, "local-a"), control(log, "local-b")]
    control_file = tmp_path / "controls.yaml"
    control_file.write_text(yaml.safe_dump({"global": control(log, "global")}))
    (tmp_path / "settings.yaml").write_text(
        yaml.safe_dump({"controls": {"from-settings": control(log, "from-settings")}})
    )
    result = squall("run", "--control-file", str(control_file), str(write(tmp_path, doc)))
    assert result.code == 0, result.stderr
    before_get_pid = [
        e["label"]
        for e in events(log)
        if e["event"] == "before_activity" and e["name"] == "get-pid"
    ]
    assert before_get_pid == ["from-settings", "global", "top", "local-a", "local-b"]
    before_method = [e["label"] for e in events(log) if e["event"] == "before_method"]
    assert before_method == ["from-settings", "global", "top"], "global controls are not skipped"


def test_a_control_can_skip_an_activity_like_bypass(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    result = squall(
        "run", str(write(tmp_path, experiment(log, controls=[control(log, "c", skip="get-pid")])))
    )
    assert result.code == 0
    assert result.journal["run"][0]["output"] is None, (
        "the boolean dry set by a control is honoured"
    )


def test_interrupt_execution_from_a_control_stops_cleanly(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    doc = experiment(log, controls=[control(log, "c", stop_at="get-pid")])
    doc["runtime"] = {}
    result = squall("run", str(write(tmp_path, doc)))
    assert result.code == 130, result.stderr
    assert result.journal["status"] == "interrupted"
    assert result.journal["interruption"]["name"] == "c"
    assert result.journal["interruption"]["kind"] == "control"
    assert result.journal["run"][0]["status"] == "failed"
    assert result.journal["rollbacks"] == []
    assert events(log)[-1]["event"] == "cleanup"


def test_a_raising_control_is_reported_and_the_run_goes_on(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    result = squall(
        "run",
        str(write(tmp_path, experiment(log, controls=[control(log, "buggy", fail_at="get-pid")]))),
    )
    assert result.code == 0
    assert 'control "buggy" raised' in result.stderr and "a buggy control" in result.stderr
    assert result.journal["run"][0]["status"] == "succeeded"


def test_a_control_that_cannot_import_is_bad_input(squall: Any, tmp_path: Path) -> None:
    doc = experiment(
        tmp_path / "x",
        controls=[
            {"name": "gone", "provider": {"type": "python", "module": "no_such_control_mod"}}
        ],
    )
    result = squall("run", str(write(tmp_path, doc)))
    assert result.code == 2
    assert "/controls/0/provider/module" in result.stderr and "no_such_control_mod" in result.stderr


def test_a_control_raising_squall_interrupted_stops_the_run(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    doc = experiment(log, controls=[control(log, "c", squall_stop_at="get-pid")])
    doc["runtime"] = {}
    result = squall("run", str(write(tmp_path, doc)))
    assert result.code == 130, result.stderr
    assert result.journal["status"] == "interrupted"
    assert result.journal["interruption"]["kind"] == "control"


def test_local_controls_are_configured_and_cleaned_up_once_without_arguments(
    squall: Any, tmp_path: Path
) -> None:
    """As the Chaos Toolkit: every declared control (hypothesis and activity level too) is
    configured once per name, and cleanup_control() is called with no arguments."""
    log = tmp_path / "calls.jsonl"
    doc = experiment(log)
    doc["steady-state-hypothesis"]["controls"] = [control(log, "hyp")]
    doc["method"][0]["controls"] = [control(log, "act")]
    doc["rollbacks"][0]["controls"] = [control(log, "act")]  # the same name: once
    result = squall("run", str(write(tmp_path, doc)))
    assert result.code == 0, result.stderr
    lifecycle = [(e["event"], e.get("label")) for e in events(log)]
    lifecycle = [x for x in lifecycle if x[0] in ("configure", "cleanup")]
    assert lifecycle == [
        ("configure", "hyp"),
        ("configure", "act"),
        ("cleanup", None),
        ("cleanup", None),
    ]
    assert "cleanup_control" not in result.stderr


def test_after_method_and_rollback_controls_run_as_in_the_reference(
    squall: Any, tmp_path: Path
) -> None:
    """A control that interrupts before an activity still gets after_method; rollback
    controls run when the strategy plays the rollbacks even if there are none."""
    log = tmp_path / "calls.jsonl"
    doc = experiment(log, controls=[control(log, "c", stop_at="get-pid")])
    doc["rollbacks"] = []
    result = squall("run", str(write(tmp_path, doc)))
    assert result.code == 130, result.stderr
    seen = [e["event"] for e in events(log)]
    assert seen[seen.index("before_method") :] == [
        "before_method",
        "before_activity",
        "after_method",
        "before_rollback",
        "after_rollback",
        "after_experiment",
        "cleanup",
    ]


MUTATING = """
def after_activity_control(context, state, **kw):
    state["after_activity_control"] = True

def after_method_control(context, state, **kw):
    state.append("after_method_control")

def after_experiment_control(context, state, **kw):
    state["after_experiment_control"] = True
"""

PAIRED = """
import json, os

def _log(event):
    with open(os.environ["PAIRED_LOG"], "a") as f:
        f.write(json.dumps(event) + "\\n")

def before_hypothesis_control(context, **kw):
    _log(["before"])

def after_hypothesis_control(context, state, **kw):
    _log(["after", state["steady_state_met"], [p["status"] for p in state["probes"]]])

def before_activity_control(context, **kw):
    if context["name"] == "second":
        from ctkcontrol import InterruptExecution
        raise InterruptExecution("stop at the second probe")
"""


def test_a_control_changing_its_state_leaves_the_journal_as_it_ran(
    squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "mutating_ctl.py").write_text(MUTATING)
    doc = experiment(tmp_path / "unused.jsonl")
    doc["controls"] = [{"name": "mutate", "provider": {"type": "python", "module": "mutating_ctl"}}]
    result = squall("run", str(write(tmp_path, doc)), env={"PYTHONPATH": str(tmp_path)})
    assert result.code == 0, result.stderr
    assert all(isinstance(entry, dict) for entry in result.journal["run"])
    assert "after_experiment_control" not in result.journal
    assert "after_activity_control" not in result.journal["run"][0]
    warned = [line for line in result.stderr.splitlines() if "changed the state" in line]
    assert len(warned) == 3  # once per control function, not once per call
    assert 'control "mutate" (mutating_ctl) changed the state its after_method_control' in (
        result.stderr
    )


def test_an_interrupted_hypothesis_still_reaches_the_after_control(
    squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "paired_ctl.py").write_text(PAIRED)
    doc = experiment(tmp_path / "unused.jsonl")
    probe = doc["steady-state-hypothesis"]["probes"][0]
    doc["steady-state-hypothesis"]["probes"] = [probe, {**probe, "name": "second"}]
    doc["controls"] = [{"name": "paired", "provider": {"type": "python", "module": "paired_ctl"}}]
    log = tmp_path / "paired.jsonl"
    env = {
        "PYTHONPATH": f"{tmp_path}:{Path(__file__).parents[1] / 'support'}",
        "PAIRED_LOG": str(log),
    }
    result = squall("run", str(write(tmp_path, doc)), env=env)
    assert result.code == 130, result.stderr
    assert events(log) == [["before"], ["after", False, ["succeeded", "failed"]]]
    before = result.journal["steady_states"]["before"]
    assert before["steady_state_met"] is False
    assert [p["status"] for p in before["probes"]] == ["succeeded", "failed"]
