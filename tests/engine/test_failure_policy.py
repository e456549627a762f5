"""``on_failure`` (per activity) and ``runtime.on_failure``: what a failed method activity
does to the run. Absent, the Chaos Toolkit's flow is kept (the method goes on) and
squall's verdict is "broken" (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def _append(name: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "provider": {
            "type": "python",
            "module": "sqtest",
            "func": "append_line",
            "arguments": {"path": "${log}", "text": text},
        },
        **extra,
    }


def _boom(**extra: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": "fails",
        "provider": {"type": "python", "module": "sqtest", "func": "boom"},
        **extra,
    }


def experiment(
    tmp_path: Path, failing: dict[str, Any], runtime: dict[str, Any] | None = None
) -> Path:
    doc: dict[str, Any] = {
        "title": "a failing action",
        "description": "the second method activity raises",
        "configuration": {"log": str(tmp_path / "log.txt")},
        "steady-state-hypothesis": {
            "title": "always",
            "probes": [
                {
                    "type": "probe",
                    "name": "check",
                    "tolerance": True,
                    "provider": {"type": "python", "module": "sqtest", "func": "echo"}
                    | {"arguments": {"value": True}},
                }
            ],
        },
        "method": [_append("first", "first"), failing, _append("last", "last")],
        "rollbacks": [_append("undo", "undo")],
    }
    if runtime is not None:
        doc["runtime"] = runtime
    path = tmp_path / "experiment.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def policy(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry's squall section without the failure's words (``reason``, which every
    failed entry has since the reports say the console's reason)."""
    return {k: v for k, v in entry.get("squall", {}).items() if k != "reason"}


def logged(tmp_path: Path) -> list[str]:
    return [line.split(" ", 1)[1] for line in (tmp_path / "log.txt").read_text().splitlines()]


def test_default_goes_on_and_the_run_is_broken(squall: Any, tmp_path: Path) -> None:
    result = squall("run", str(experiment(tmp_path, _boom())))
    assert result.code == 3, result.stderr
    assert logged(tmp_path) == ["first", "last", "undo"]
    assert result.journal["status"] == "completed"
    assert result.journal["steady_states"]["after"] is not None
    assert policy(result.journal["run"][1]) == {}, "no policy said, none recorded"


@pytest.mark.parametrize(
    ("failing", "runtime"),
    [(_boom(on_failure="abort"), None), (_boom(), {"on_failure": "abort"})],
    ids=["activity", "runtime"],
)
def test_abort_stops_the_method_and_plays_the_rollbacks(
    squall: Any, tmp_path: Path, failing: dict[str, Any], runtime: dict[str, Any] | None
) -> None:
    result = squall("run", str(experiment(tmp_path, failing, runtime)))
    assert result.code == 3, result.stderr
    assert logged(tmp_path) == ["first", "undo"], "the method stopped; the rollback ran"
    journal = result.journal
    assert journal["status"] == "aborted"
    assert journal["steady_states"]["after"] is None, "the hypothesis after is skipped"
    assert [r["activity"]["name"] for r in journal["run"]] == ["first", "fails"]
    assert policy(journal["run"][1]) == {"on_failure": "abort"}
    assert "failure policy is abort" in journal["squall"]["reasons"][0]


@pytest.mark.parametrize(
    ("failing", "runtime"),
    [
        (_boom(on_failure="continue"), None),
        (_boom(), {"on_failure": "continue"}),
        (_boom(on_failure="continue"), {"on_failure": "abort"}),
    ],
    ids=["activity", "runtime", "activity-overrides-runtime"],
)
def test_continue_excuses_the_failure(
    squall: Any, tmp_path: Path, failing: dict[str, Any], runtime: dict[str, Any] | None
) -> None:
    result = squall("run", str(experiment(tmp_path, failing, runtime)))
    assert result.code == 0, result.stderr
    assert logged(tmp_path) == ["first", "last", "undo"]
    entry = result.journal["run"][1]
    assert entry["status"] == "failed", "the journal still shows the failure"
    assert policy(entry) == {"on_failure": "continue", "excused": True}
    assert any("excused" in r for r in result.journal["squall"]["reasons"])


def test_abort_after_retries_and_timeouts(squall: Any, tmp_path: Path) -> None:
    failing = {
        "type": "action",
        "name": "fails",
        "timeout": 0.2,
        "retry": {"attempts": 2, "delay": 0.05},
        "on_failure": "abort",
        "provider": {"type": "python", "module": "sqtest", "func": "sleep"}
        | {"arguments": {"seconds": 5}},
    }
    result = squall("run", str(experiment(tmp_path, failing)))
    assert result.code == 3, result.stderr
    entry = result.journal["run"][1]
    assert [a["status"] for a in entry["squall"]["attempts"]] == ["failed", "failed"]
    assert "timeout of 0.2s" in entry["squall"]["attempts"][0]["error"]
    assert entry["squall"]["on_failure"] == "abort"
    assert logged(tmp_path) == ["first", "undo"]


def test_abort_from_a_background_activity_stops_the_method(squall: Any, tmp_path: Path) -> None:
    path = experiment(tmp_path, _boom(on_failure="abort", background=True))
    doc = json.loads(path.read_text())
    doc["method"].insert(2, _append("wait", "wait", pauses={"after": 0.5}))
    path.write_text(json.dumps(doc))
    result = squall("run", str(path))
    assert result.code == 3, result.stderr
    # "wait" runs or not depending on when the background failure lands; "last" never does
    assert logged(tmp_path) in (["first", "wait", "undo"], ["first", "undo"])
    assert result.journal["status"] == "aborted"


def test_on_failure_is_rejected_in_the_hypothesis(squall: Any, tmp_path: Path) -> None:
    path = experiment(tmp_path, _boom(on_failure="stop"))
    doc = json.loads(path.read_text())
    doc["steady-state-hypothesis"]["probes"][0]["on_failure"] = "abort"
    doc["runtime"] = {"on_failure": "ignore"}
    path.write_text(json.dumps(doc))
    result = squall("validate", str(path))
    assert result.code == 2
    assert '/method/1/on_failure: unknown failure policy "stop"' in result.stderr
    assert '/runtime/on_failure: unknown failure policy "ignore"' in result.stderr
    assert "/steady-state-hypothesis/probes/0/on_failure" in result.stderr
    assert "Traceback" not in result.stderr
