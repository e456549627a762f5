"""What a Temporal run of one experiment starts with, and where its activities run.

A run's input travels through Temporal's history: the experiment document as loaded, the
``--var`` values, the ``--var-file`` secrets and the run options. Secrets never travel in
clear: ``env`` and ``vault`` secrets are references the worker resolves in its own
environment; inline secrets and ``--var-file`` secrets travel only when a payload key
encrypts the history (``SQUALL_TEMPORAL_KEY``), otherwise :func:`run_input` refuses.

Routing: ``squall: {task_queue: NAME}`` on the experiment, the steady-state hypothesis, a
parallel group or an activity names the task queue whose workers run it (the innermost
wins). Nothing here imports temporalio.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from squall.errors import InputError
from squall.experiment.model import Activity, ControlDecl, Experiment
from squall.experiment.routing import ROUTING_KEY, queue_of
from squall.plan import Plan, PlanOptions

__all__ = [
    "DEFAULT_HEARTBEAT",
    "DEFAULT_SCHEDULE_TO_START",
    "ROUTING_KEY",
    "RunInput",
    "activity_queue",
    "document_of",
    "overrides_of",
    "plan_of",
    "queue_of",
    "run_input",
]

#: seconds an activity may wait for a worker of its queue before it fails
DEFAULT_SCHEDULE_TO_START = 60.0
#: seconds between a worker's heartbeats; a worker silent for this long is lost
DEFAULT_HEARTBEAT = 10.0
#: how a ``--var NAME:bytes=...`` value travels (Temporal's JSON converter has no bytes:
#: it would arrive as a list of integers)
BYTES_TAG = "squall:bytes"


@dataclass
class RunInput:
    """The start of one run (the workflow's argument). Plain data: Temporal's JSON
    converter carries it."""

    run_id: str
    source: str
    #: the experiment as loaded, as JSON text (text keeps the document's key order;
    #: Temporal's JSON converter sorts the keys of mappings)
    document: str
    task_queue: str
    overrides: dict[str, Any] = field(default_factory=dict)
    secret_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: PlanOptions as plain values (strategies, dry mode, frequency, fail fast)
    plan: dict[str, Any] = field(default_factory=dict)
    max_output: int | None = None
    schedule_to_start: float = DEFAULT_SCHEDULE_TO_START
    heartbeat: float = DEFAULT_HEARTBEAT
    #: the worker that finishes the run writes its journal and history record (runs no
    #: command line follows: ``--detach``, schedules)
    record_on_worker: bool = False
    #: the first worker checks what needs the world (imports, signatures, executables,
    #: environment) for the activities of its queue before anything runs
    validate: bool = True
    #: the global controls (``--control-file``, the settings' ``controls``): their
    #: declarations, each with its ``name``
    controls: list[dict[str, Any]] = field(default_factory=list)


def queue_at(experiment: Experiment, pointer: str, default: str) -> str | None:
    """The task queue of the activity (or hypothesis probe) at or above ``pointer``; None
    when ``pointer`` is not inside one (configuration, secrets...)."""
    from squall.experiment.groups import group_pointer

    for activity in experiment.activities():
        at = activity.pointer
        if pointer == at or pointer.startswith(at + "/"):
            group = experiment.groups.get(group_pointer(at) or "")
            return activity_queue(activity, default, group.raw if group else None)
    if pointer.startswith("/steady-state-hypothesis/"):
        hypothesis = experiment.raw.get("steady-state-hypothesis")
        return (queue_of(hypothesis) if isinstance(hypothesis, Mapping) else None) or default
    return None


def activity_queue(activity: Activity, default: str, group: Mapping[str, Any] | None = None) -> str:
    """Where ``activity`` runs: its own queue, else its group's, else ``default`` (the
    experiment's, else the run's)."""
    return queue_of(activity.raw) or (queue_of(group) if group else None) or default


def _extension(experiment: Experiment) -> Mapping[str, Any]:
    extension = experiment.raw.get(ROUTING_KEY)
    return extension if isinstance(extension, Mapping) else {}


def plan_options(values: Mapping[str, Any]) -> PlanOptions:
    """PlanOptions from :attr:`RunInput.plan`."""
    from squall.experiment.model import DryMode, HypothesisStrategy, RollbackStrategy

    def pick(key: str, kind: Any) -> Any:
        value = values.get(key)
        return kind(value) if value is not None else None

    return PlanOptions(
        dry=pick("dry", DryMode),
        rollback_strategy=pick("rollback_strategy", RollbackStrategy),
        hypothesis_strategy=pick("hypothesis_strategy", HypothesisStrategy.parse),
        hypothesis_frequency=values.get("hypothesis_frequency"),
        fail_fast=values.get("fail_fast"),
        fail_fast_ratio=values.get("fail_fast_ratio"),
    )


def plan_of(run: RunInput) -> Plan:
    """The run's plan, made the same way on the workflow and on every worker."""
    from squall.experiment.parse import parse_experiment
    from squall.plan import make_plan

    return make_plan(parse_experiment(document_of(run), run.source), plan_options(run.plan))


def document_of(run: RunInput) -> dict[str, Any]:
    """The experiment document the run carries."""
    import json

    document = json.loads(run.document)
    return document if isinstance(document, dict) else {}


def _plain_plan(plan: Plan) -> dict[str, Any]:
    """The plan's settled choices (command line and settings), as plain values."""
    return {
        "dry": plan.dry.value if plan.dry else None,
        "rollback_strategy": plan.rollback_strategy.value,
        "hypothesis_strategy": plan.hypothesis_strategy.value,
        "hypothesis_frequency": plan.frequency,
        "fail_fast": plan.fail_fast,
        "fail_fast_ratio": plan.fail_fast_ratio,
    }


def run_input(
    plan: Plan,
    document: Mapping[str, Any],
    *,
    run_id: str,
    task_queue: str,
    overrides: Mapping[str, Any] | None = None,
    secret_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    max_output: int | None = None,
    encrypted: bool = False,
    schedule_to_start: float | None = None,
    record_on_worker: bool = False,
    validate: bool = True,
    global_controls: Iterable[ControlDecl] = (),
) -> RunInput:
    """The input of the workflow that runs ``plan`` (made from ``document`` as loaded).
    ``task_queue``: the run's queue (the experiment's own ``squall.task_queue`` wins).
    ``encrypted``: a payload key encrypts what Temporal stores. ``schedule_to_start``:
    seconds an activity waits for a worker (else the experiment's
    ``squall.schedule_to_start``, else :data:`DEFAULT_SCHEDULE_TO_START`).
    ``global_controls``: ``--control-file`` and the settings' controls (they travel
    with the run, like the experiment: encrypted when a payload key is set).

    Raises:
        InputError: inline or ``--var-file`` secrets with no payload key (they would sit
            in Temporal's history in clear), a malformed routing key.
    """
    from squall.engine.snapshot import inline_secrets
    from squall.experiment.routing import routing_problems
    from squall.journal.store import dumps

    experiment = plan.experiment
    problems = [p.message for p in routing_problems(experiment)]
    if problems:
        raise InputError(f"{experiment.source or 'experiment'}: " + "; ".join(problems))
    carried = [f"{s}.{k}" for s, k in inline_secrets(experiment)]
    carried += [f"{s}.{k}" for s, entries in (secret_overrides or {}).items() for k in entries]
    if carried and not encrypted:
        names = sorted(set(carried))
        raise InputError(
            f"{experiment.source or 'experiment'}: {'secret' if len(names) == 1 else 'secrets'} "
            f"{', '.join(names)} "
            "would be stored in Temporal's history in clear: set a payload key "
            "(SQUALL_TEMPORAL_KEY or SQUALL_TEMPORAL_KEY_FILE, see docs/scale-out.md) to "
            "encrypt them, or give them to the workers as environment (type: env) or Vault "
            "secrets"
        )
    return RunInput(
        run_id=run_id,
        source=experiment.source or "",
        document=dumps(dict(document)),
        task_queue=queue_of(experiment.raw) or task_queue,
        overrides={k: _carried(v) for k, v in (overrides or {}).items()},
        secret_overrides={k: dict(v) for k, v in (secret_overrides or {}).items()},
        plan=_plain_plan(plan),
        max_output=max_output,
        schedule_to_start=float(
            schedule_to_start
            or _extension(experiment).get("schedule_to_start")
            or DEFAULT_SCHEDULE_TO_START
        ),
        heartbeat=float(_extension(experiment).get("heartbeat") or DEFAULT_HEARTBEAT),
        record_on_worker=record_on_worker,
        validate=validate,
        controls=[{**decl.raw, "name": decl.name} for decl in global_controls],
    )


def _carried(value: Any) -> Any:
    import base64

    if isinstance(value, bytes):
        return {BYTES_TAG: base64.b64encode(value).decode("ascii")}
    return value


def overrides_of(run: RunInput) -> dict[str, Any]:
    """The run's ``--var`` values as the command line read them (bytes included)."""
    import base64

    return {
        k: base64.b64decode(v[BYTES_TAG]) if isinstance(v, dict) and list(v) == [BYTES_TAG] else v
        for k, v in run.overrides.items()
    }
