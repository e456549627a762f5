"""Whatever user code raises -- ``SystemExit("message")`` (the reference's own test fixtures
do), ``KeyboardInterrupt`` or any ``BaseException`` subclass -- ends as a journaled outcome
or an exit-2 problem, never a traceback (issue 10, item 12).

Each place squall calls user code is tried with each kind: python activities (method,
hypothesis, rollbacks), tolerance probes, dynamic configuration, controls at every level,
``validate_control``, module imports, plugins' hooks, journal sinks and notification
channels. Controls follow the reference: ``SystemExit`` or ``KeyboardInterrupt`` from a
control interrupts the run (status ``interrupted``, exit 130); squall treats every other
``BaseException`` the same way.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from squall import load_experiment
from squall.cli import main
from squall.engine import Engine, RunOptions
from squall.hooks import hookimpl
from squall.journal import Outcome
from squall.plan import PlanOptions, make_plan

KINDS = ["exit", "keyboard", "custom"]

MODULE = textwrap.dedent(
    """
    import os

    class Custom(BaseException):
        pass

    def boom(where):
        if os.environ.get("BE_WHERE") != where:
            return
        kind = os.environ["BE_KIND"]
        if kind == "exit":
            raise SystemExit("message from " + where)
        if kind == "keyboard":
            raise KeyboardInterrupt()
        raise Custom("custom from " + where)

    if os.environ.get("BE_WHERE") == "import":
        boom("import")

    def validate_control(declaration): boom("validate_control")
    def before_method_control(context, **kw): boom("before_method_control")
    def after_activity_control(context, state, **kw): boom("after_activity_control")
    def before_rollback_control(context, **kw): boom("before_rollback_control")
    def after_experiment_control(context, state, **kw): boom("after_experiment_control")
    def cleanup_control(**kw): boom("cleanup_control")

    def probe(**kw):
        boom("probe")
        return True

    def action(**kw):
        boom("action")
        return "ok"

    def rollback(**kw):
        boom("rollback")
        return "ok"

    def tolerance(value=None):
        boom("tolerance")
        return True

    def config(**kw):
        boom("config")
        return "v"

    def notify(channel, message):
        boom("notify")
    """
)


def python(func: str, **extra: Any) -> dict[str, Any]:
    return {"type": "python", "module": "bectl", "func": func, **extra}


EXPERIMENT = {
    "title": "t",
    "description": "d",
    "controls": [{"name": "c", "provider": {"type": "python", "module": "bectl"}}],
    "configuration": {"dyn": {"type": "probe", "name": "cfg", "provider": python("config")}},
    "steady-state-hypothesis": {
        "title": "h",
        "probes": [
            {
                "type": "probe",
                "name": "p",
                "provider": python("probe"),
                "tolerance": {"type": "probe", "name": "tp", "provider": python("tolerance")},
            }
        ],
    },
    "method": [
        {
            "type": "action",
            "name": "a",
            "provider": python("action", arguments={"x": "${dyn}"}),
        }
    ],
    "rollbacks": [{"type": "action", "name": "r", "provider": python("rollback")}],
    "runtime": {"rollbacks": {"strategy": "always"}},
}


@pytest.fixture
def experiment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "bectl.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(__import__("sys").modules, "bectl", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQUALL_SETTINGS", str(tmp_path / "settings.yaml"))
    monkeypatch.setenv("SQUALL_HISTORY", str(tmp_path / "history.sqlite3"))
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(EXPERIMENT))
    return path


def arm(monkeypatch: pytest.MonkeyPatch, where: str, kind: str) -> None:
    monkeypatch.setenv("BE_WHERE", where)
    monkeypatch.setenv("BE_KIND", kind)


def run_cli(*args: str) -> tuple[int, str, dict[str, Any] | None]:
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(args))
    journal = Path("journal.json")
    return code, err.getvalue(), json.loads(journal.read_text()) if journal.exists() else None


def expected_text(where: str, kind: str) -> str:
    return {"exit": "SystemExit: message from ", "keyboard": "KeyboardInterrupt"}.get(
        kind, "Custom: custom from "
    ) + (where if kind != "keyboard" else "")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("where", "code", "entry"),
    [
        ("action", 3, ("run", 0)),
        ("probe", 4, ("steady_states.before.probes", 0)),
        ("rollback", 3, ("rollbacks", 0)),
    ],
)
def test_an_activity_that_raises_is_a_failed_entry(
    experiment: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    code: int,
    entry: tuple[str, int],
    kind: str,
) -> None:
    arm(monkeypatch, where, kind)
    exit_code, err, journal = run_cli("run", str(experiment))
    assert exit_code == code, err
    assert "Traceback" not in err and journal is not None
    node: Any = journal
    for part in entry[0].split("."):
        node = node[part]
    failed = node[entry[1]]
    assert failed["status"] == "failed"
    assert expected_text(where, kind) in failed["exception"][-1]


@pytest.mark.parametrize("kind", KINDS)
def test_a_tolerance_probe_that_raises_does_not_meet(
    experiment: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    arm(monkeypatch, "tolerance", kind)
    exit_code, err, journal = run_cli("run", str(experiment))
    assert exit_code == 4 and journal is not None, err
    probe = journal["steady_states"]["before"]["probes"][0]
    assert probe["tolerance_met"] is False
    assert f'tolerance probe "tp" failed: {expected_text("tolerance", kind)}' in err


@pytest.mark.parametrize("kind", KINDS)
def test_a_dynamic_configuration_that_raises_is_omitted(
    experiment: Path, monkeypatch: pytest.MonkeyPatch, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    arm(monkeypatch, "config", kind)
    exit_code, err, journal = run_cli("run", str(experiment))
    assert exit_code == 0 and journal is not None, err
    assert f"keys omitted: dyn ({expected_text('config', kind)}" in caplog.text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", ["before_method_control", "after_activity_control"])
def test_a_control_that_raises_interrupts_the_run_and_the_rollbacks_follow(
    experiment: Path, monkeypatch: pytest.MonkeyPatch, where: str, kind: str
) -> None:
    arm(monkeypatch, where, kind)
    exit_code, err, journal = run_cli("run", str(experiment))
    assert exit_code == 130 and journal is not None, err
    assert "Traceback" not in err
    assert journal["status"] == "interrupted"
    reason = journal["interruption"]["reason"]
    assert reason.startswith(f'control "c" raised {expected_text(where, kind).split(":")[0]}')
    assert journal["interruption"]["kind"] == "control"
    assert [r["status"] for r in journal["rollbacks"]] == ["succeeded"]  # strategy: always


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", ["after_experiment_control", "cleanup_control"])
def test_a_control_that_raises_after_the_run_is_a_warning(
    experiment: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    arm(monkeypatch, where, kind)
    exit_code, err, journal = run_cli("run", str(experiment))
    assert exit_code == 0 and journal is not None, err
    assert journal["status"] == "completed"
    assert f"in {where}" in caplog.text and "the run stops" in caplog.text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize("where", ["import", "validate_control"])
def test_a_control_module_that_raises_is_bad_input(
    experiment: Path, monkeypatch: pytest.MonkeyPatch, where: str, command: str, kind: str
) -> None:
    arm(monkeypatch, where, kind)
    exit_code, err, journal = run_cli(command, str(experiment))
    assert exit_code == 2, err
    assert journal is None and "Traceback" not in err
    assert expected_text(where, kind) in err


@pytest.mark.parametrize("kind", KINDS)
def test_a_notification_channel_that_raises_is_a_warning(
    experiment: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (tmp_path / "settings.yaml").write_text(
        "notifications:\n- type: plugin\n  module: bectl\n  func: notify\n"
    )
    arm(monkeypatch, "notify", kind)
    exit_code, err, _ = run_cli("run", str(experiment))
    assert exit_code == 0, err
    assert f"failed: {expected_text('notify', kind)}" in caplog.text


class Raiser(BaseException):
    pass


class RaisingPlugin:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    @hookimpl
    def squall_before_method(self) -> None:
        raise self.error

    @hookimpl
    def squall_after_experiment(self) -> None:
        raise self.error


@pytest.mark.parametrize("error", [SystemExit("bye"), KeyboardInterrupt(), Raiser("odd")])
def test_a_plugin_hook_that_raises_is_named_and_the_run_goes_on(
    error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    from sqharness import EXAMPLES

    plan = make_plan(load_experiment(EXAMPLES / "trivial.json"), PlanOptions())
    journal = Engine(plugins=[RaisingPlugin(error)], entry_points=False).run(plan, RunOptions())
    assert journal.outcome is Outcome.HELD
    raised = [r.message for r in caplog.records if type(error).__name__ in r.message]
    assert len(raised) == 2, raised


class RaisingProvider:
    """A plugin's provider type whose ``run`` raises (its bug, or a value it cannot use)."""

    type = "raising"

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def check(self, spec: Any, pointer: str) -> list[Any]:
        return []

    def run(self, spec: Any, call: Any) -> Any:
        raise self.error


@pytest.mark.parametrize("error", [ValueError("odd"), SystemExit("bye"), Raiser("odd")])
def test_a_provider_that_raises_fails_its_activity_not_the_run(
    error: BaseException, tmp_path: Path
) -> None:
    from squall import run_experiment
    from squall.api import plugin_registry

    registry = plugin_registry()
    registry.add(RaisingProvider(error))
    path = tmp_path / "exp.json"
    action = {"type": "action", "name": "a", "provider": {"type": "raising"}}
    rollback = {"type": "action", "name": "r", "provider": {"type": "python", "module": "os",
                                                             "func": "getpid"}}  # fmt: skip
    path.write_text(
        json.dumps({"title": "t", "description": "d", "method": [action], "rollbacks": [rollback]})
    )
    journal = run_experiment(path, registry=registry, run_options=RunOptions(events=False))
    assert journal.outcome is Outcome.BROKEN
    assert journal.run[0].reason == f"the raising provider raised {type(error).__name__}: {error}"
    assert [r.status.value for r in journal.rollbacks] == ["succeeded"]


def test_a_bad_url_or_duration_at_run_time_fails_the_activity(
    experiment: Path, tmp_path: Path
) -> None:
    doc = {
        "title": "t",
        "description": "d",
        "configuration": {"u": "http://[[x/"},
        "method": [
            {"type": "probe", "name": "p", "provider": {"type": "http", "url": "${u}"}},
            {"type": "action", "name": "q",
             "provider": {"type": "process", "path": "true", "timeout": "${u}"}},
            {"type": "action", "name": "w", "provider": python("action"),
             "pauses": {"after": "${u}"}},
        ],
    }  # fmt: skip
    path = tmp_path / "late.json"
    path.write_text(json.dumps(doc))
    exit_code, err, journal = run_cli("run", str(path))
    assert exit_code == 3 and journal is not None, err
    reasons = [entry["exception"][-1] for entry in journal["run"]]
    assert reasons == [
        "squall.errors.ActivityFailed: the http provider raised ValueError: Invalid IPv6 URL\n",
        "squall.errors.ActivityFailed: the process provider raised ValueError: a duration "
        'must be a number of seconds, found "http://[[x/"\n',
        "squall.errors.ActivityFailed: cannot pause: a duration must be a number of seconds, "
        'found "http://[[x/"\n',
    ]
