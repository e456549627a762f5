"""Which pauses the workflow sleeps as durable timers (squall.temporal.timeouts): numbers,
and ``${name}`` pauses the run's configuration resolves at the start; not a secret's,
not an unknown key, not a value that is no number, not a dry activity's, not the
hypothesis's probes'. No server: the functions the start and the workflow use."""

from __future__ import annotations

from typing import Any

from squall.experiment.model import DryMode
from squall.experiment.parse import parse_experiment
from squall.plan import Plan, PlanOptions, make_plan
from squall.temporal.timeouts import durable_pauses, resolved_pauses


def _action(name: str, **pauses: Any) -> dict[str, Any]:
    provider = {"type": "python", "module": "os", "func": "getcwd"}
    return {"type": "action", "name": name, "provider": provider, "pauses": pauses}


def _plan(dry: DryMode | None = None) -> Plan:
    document = {
        "title": "pauses",
        "description": "pauses",
        "steady-state-hypothesis": {
            "title": "h",
            "probes": [
                {
                    **_action("probe", after="${wait}"),
                    "type": "probe",
                    "tolerance": "/",
                }
            ],
        },
        "method": [
            _action("number", before=2, after=0.5),
            _action("named", before="${wait}"),
            _action("secret", after="${hush}"),
            _action("unknown", after="${nowhere}"),
            _action("word", after="${word}"),
            _action("both", before="${wait}", after="${hush}"),
        ],
        "rollbacks": [_action("undo", after="${wait}")],
    }
    return make_plan(parse_experiment(document, "pauses.json"), PlanOptions(dry=dry))


CONFIGURATION = {"wait": "3", "word": "soon"}


def _by_name(plan: Plan) -> dict[str, Any]:
    resolved = resolved_pauses(plan, CONFIGURATION)
    return {a.name: durable_pauses(plan, a, resolved) for a in (*plan.method, *plan.rollbacks)}


def test_numbers_and_names_the_configuration_resolves_are_timers() -> None:
    assert _by_name(_plan()) == {
        "number": (2.0, 0.5),
        "named": (3.0, 0.0),
        "secret": None,  # not in the configuration: the worker resolves it
        "unknown": None,
        "word": None,  # the worker fails the activity: "cannot pause: ..."
        "both": None,  # one of the two is the worker's: both stay there
        "undo": (0.0, 3.0),
    }


def test_the_start_resolves_only_pauses_written_as_names() -> None:
    plan = _plan()
    pointers = {a.pointer: a.name for a in (*plan.method, *plan.rollbacks)}
    named = {pointers[p]: v for p, v in resolved_pauses(plan, CONFIGURATION).items()}
    assert named == {"named": [3.0, None], "both": [3.0, None], "undo": [None, 3.0]}
    assert all(a.pointer not in resolved_pauses(plan, CONFIGURATION) for a in plan.probes)


def test_a_run_an_older_squall_started_keeps_its_named_pauses_on_the_worker() -> None:
    plan = _plan()
    named = next(a for a in plan.method if a.name == "named")
    assert durable_pauses(plan, named) is None  # its start gave no resolved pauses


def test_dry_pauses_are_not_timers() -> None:
    plan = _plan(DryMode.PAUSE)
    assert set(_by_name(plan).values()) == {None}
