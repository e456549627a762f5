"""A control that registers a Chaos Toolkit ``RunEventHandler`` from ``configure_control``
gets the run's events, in the reference's order and with its arguments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONTROL = """
import json, os
from chaoslib.run import RunEventHandler

LOG = os.environ["EVENTS_LOG"]


def _log(*record):
    with open(LOG, "a") as handle:
        handle.write(json.dumps(record) + "\\n")


class Recorder(RunEventHandler):
    def running(self, experiment, journal, configuration, secrets, schedule, settings):
        _log("running", experiment["title"], configuration["where"], sorted(secrets))

    def start_hypothesis_before(self, experiment):
        _log("start_hypothesis_before")

    def hypothesis_before_completed(self, experiment, state, journal):
        _log("hypothesis_before_completed", state["steady_state_met"])

    def start_hypothesis_after(self, experiment):
        _log("start_hypothesis_after")

    def hypothesis_after_completed(self, experiment, state, journal):
        _log("hypothesis_after_completed", state["steady_state_met"])

    def start_method(self, experiment):
        _log("start_method")

    def method_completed(self, experiment, state):
        _log("method_completed", [entry["activity"]["name"] for entry in state])

    def start_rollbacks(self, experiment):
        _log("start_rollbacks")

    def rollbacks_completed(self, experiment, journal):
        _log("rollbacks_completed", [e["activity"]["name"] for e in journal["rollbacks"]])

    def start_activity(self, activity):
        _log("start_activity", activity["name"])

    def activity_completed(self, activity, run):
        _log("activity_completed", activity["name"], run["status"])

    def start_continuous_hypothesis(self, frequency):
        _log("start_continuous_hypothesis", frequency)

    def continuous_hypothesis_iteration(self, iteration_index, state):
        _log("continuous_hypothesis_iteration", iteration_index, state["steady_state_met"])

    def continuous_hypothesis_completed(self, experiment, journal, exception=None):
        _log("continuous_hypothesis_completed", exception)

    def interrupted(self, experiment, journal):
        _log("interrupted")

    def finish(self, journal):
        _log("finish", journal["status"])


class Broken(RunEventHandler):
    def start_method(self, experiment):
        raise RuntimeError("a handler that fails is skipped")


def before_method_control(context, **kwargs):
    if os.environ.get("STOP_BEFORE_METHOD"):
        from chaoslib.exceptions import InterruptExecution

        raise InterruptExecution("stopped by the test")


def configure_control(event_registry=None, **kwargs):
    _log("configure", event_registry is not None)
    event_registry.register(Broken())
    event_registry.register(Recorder())
"""


def _probe(name: str) -> dict[str, Any]:
    return {
        "type": "probe",
        "name": name,
        "tolerance": "x",
        "provider": {
            "type": "python",
            "module": "os.path",
            "func": "join",
            "arguments": {"a": "x"},
        },
    }


def _action(name: str) -> dict[str, Any]:
    return {**_probe(name), "type": "action"}


def _experiment(tmp_path: Path, **extra: Any) -> None:
    (tmp_path / "eventsctl.py").write_text(CONTROL)
    experiment = {
        "title": "events",
        "description": "d",
        "configuration": {"where": "here"},
        "secrets": {"app": {"token": "s3cr3t-token"}},
        "controls": [{"name": "events", "provider": {"type": "python", "module": "eventsctl"}}],
        "steady-state-hypothesis": {"title": "h", "probes": [_probe("check")]},
        "method": [_action("inject")],
        "rollbacks": [_action("undo")],
        **extra,
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))


def _events(log: Path) -> list[Any]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_a_registered_handler_gets_the_run_events(squall: Any, tmp_path: Path) -> None:
    _experiment(tmp_path)
    log = tmp_path / "events.log"
    done = squall("run", "e.json", "--rollback-strategy", "always", env={"EVENTS_LOG": str(log)})
    assert done.code == 0, done.stderr
    assert _events(log) == [
        ["configure", True],
        ["running", "events", "here", ["app"]],
        ["start_hypothesis_before"],
        ["start_activity", "check"],
        ["activity_completed", "check", "succeeded"],
        ["hypothesis_before_completed", True],
        ["start_method"],
        ["start_activity", "inject"],
        ["activity_completed", "inject", "succeeded"],
        ["method_completed", ["inject"]],
        ["start_hypothesis_after"],
        ["start_activity", "check"],
        ["activity_completed", "check", "succeeded"],
        ["hypothesis_after_completed", True],
        ["start_rollbacks"],
        ["start_activity", "undo"],
        ["activity_completed", "undo", "succeeded"],
        ["rollbacks_completed", ["undo"]],
        ["finish", "completed"],
    ]


def test_an_interrupted_run_sends_interrupted_then_finish(squall: Any, tmp_path: Path) -> None:
    _experiment(tmp_path)
    log = tmp_path / "events.log"
    done = squall("run", "e.json", env={"EVENTS_LOG": str(log), "STOP_BEFORE_METHOD": "1"})
    assert done.code == 130, done.stderr
    names = [event[0] for event in _events(log)]
    assert names[-2:] == ["interrupted", "finish"], names
    assert _events(log)[-1] == ["finish", "interrupted"]


def test_the_continuous_hypothesis_sends_its_events(squall: Any, tmp_path: Path) -> None:
    sleep = {"type": "action", "name": "inject", "provider": {
        "type": "python", "module": "sqtest", "func": "sleep", "arguments": {"seconds": 0.5}}}  # fmt: skip
    _experiment(
        tmp_path,
        runtime={"hypothesis": {"strategy": "continuously", "frequency": 0.1}},
        method=[sleep],
    )
    log = tmp_path / "events.log"
    done = squall("run", "e.json", env={"EVENTS_LOG": str(log)})
    assert done.code == 0, done.stderr
    events = _events(log)
    names = [event[0] for event in events]
    start = names.index("start_continuous_hypothesis")
    assert events[start] == ["start_continuous_hypothesis", 0.1]
    iterations = [e for e in events if e[0] == "continuous_hypothesis_iteration"]
    assert len(iterations) >= 2
    assert [e[1] for e in iterations] == list(range(1, len(iterations) + 1))
    assert all(e[2] is True for e in iterations)
    completed = names.index("continuous_hypothesis_completed")
    assert names.count("continuous_hypothesis_completed") == 1
    assert completed > max(i for i, n in enumerate(names) if n == "continuous_hypothesis_iteration")
    assert completed < names.index("start_hypothesis_after") < names.index("finish")
