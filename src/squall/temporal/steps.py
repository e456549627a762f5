"""One step of a run, performed on a worker with the local engine's code (no temporalio).

A worker keeps, per run, what it resolved in its own environment: the plan (made from
the run's input), the configuration and the secrets (``env`` and ``vault`` secrets are
read here, never sent), and a provider registry. Each step builds a run context over
them, runs the squall activity (or the hypothesis) exactly as the local engine does,
and returns the journal entry masked and cut as the journal keeps it.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from squall._version import __version__
from squall.engine.context import Interruption, NullListener, RunContext
from squall.experiment.model import Activity
from squall.journal.model import ActivityRun, HypothesisRun, Journal
from squall.journal.recorder import Phase, Recorder
from squall.journal.store import dumps
from squall.plan import Plan
from squall.providers import ProviderRegistry
from squall.temporal.inputs import RunInput, document_of, overrides_of, plan_of

if TYPE_CHECKING:
    from squall.engine.context import Listener
    from squall.temporal.runhooks import HookInput, HookResult, RunHooks

__all__ = [
    "Prepared",
    "StepInput",
    "StepResult",
    "entry_of",
    "find_activity",
    "perform_activity",
    "perform_hook",
    "perform_hypothesis",
    "prepared",
    "start_header",
]


@dataclass
class StepInput:
    """What the workflow asks a worker to run."""

    run: RunInput
    phase: str
    #: the activity's JSON pointer in the experiment ("" for a hypothesis)
    pointer: str = ""
    iteration: int = 0
    #: journal entries whose outputs the step's ``${outputs...}`` use: [phase, entry]
    outputs: list[list[Any]] = field(default_factory=list)
    #: a rollback scheduled again after its worker was lost: that worker ("" unknown)
    lost: str = ""
    #: plays of this rollback before this offer that did not end (their worker was
    #: lost, shut down, or they ran past their time limit): it is played again
    tried: int = 0
    #: the worker plays the activity's pauses (False: the workflow sleeps them, durably)
    pauses: bool = True
    #: a resume: the Temporal activity id of this worker's play that Temporal gave up on
    #: (its heartbeat timed out): its result, not a second play (squall.temporal.plays)
    resume: str = ""


@dataclass
class StepResult:
    """A step's journal entry (or hypothesis result), as the journal keeps it."""

    #: JSON text (keeps the keys' order): an entry, or ``{steady_state_met, probes}``
    entry: str
    #: the method activity's failure policy (``abort``) stops the method
    aborted: bool = False
    #: a stop interrupted the step
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)
    worker: str = ""
    #: iterations of the activity a hook asked for after it (``request_repeat``)
    repeats: int = 0
    #: a stop a hook of the step asked for (runhooks.fields_of, masked)
    stop: list[Any] = field(default_factory=list)
    #: the step never got to run (a hook stopped the run before it): nothing to record
    skipped: bool = False


class _Capture(NullListener):
    """Keeps the warnings a step gives (the workflow shows them), and the activities
    started and finished (what a step abandoned had done)."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.running: Activity | None = None
        self.finished: list[ActivityRun] = []

    def warning(self, text: str) -> None:
        self.warnings.append(text)

    def activity_started(self, activity: Activity, phase: str) -> None:
        self.running = activity

    def activity_finished(self, run: ActivityRun, phase: str) -> None:
        self.finished.append(run)
        self.running = None


def abandoned_probes(ctx: RunContext) -> tuple[list[ActivityRun], Activity | None]:
    """What a hypothesis that could not be stopped had done: the probes that ended, and
    the probe it was running (None when between probes)."""
    listener = ctx.listener
    if not isinstance(listener, _Capture):
        return [], None
    return list(listener.finished), listener.running


class Prepared:
    """What one worker resolved for one run."""

    def __init__(self, run: RunInput, registry: ProviderRegistry) -> None:
        from squall.masking import open_scope

        #: the run's secrets: masked in its steps on this worker, not in other runs'
        self.scope = open_scope()
        self._hooks: RunHooks | None = None
        self._hooks_known = False
        self._hooks_lock = threading.Lock()
        with self.scope.active():
            self._resolve(run, registry)

    def _resolve(self, run: RunInput, registry: ProviderRegistry) -> None:
        from squall.engine.configuration import (
            check_overrides,
            load_configuration,
            load_secrets,
            run_dynamic_configuration,
            variables_of,
        )
        from squall.engine.runner import Engine
        from squall.experiment.parse import parse_controls
        from squall.masking import register_inline_secrets, register_secrets

        register_inline_secrets(document_of(run))
        register_secrets(run.secret_overrides)
        self.plan: Plan = plan_of(run)
        self.registry = registry
        self.max_output = run.max_output
        controls = tuple(parse_controls(list(run.controls), "/controls")[0]) if run.controls else ()
        check_overrides(self.plan.experiment, run.overrides, run.secret_overrides, controls)
        configuration, dynamic = load_configuration(self.plan.experiment, overrides_of(run))
        secrets = load_secrets(self.plan.experiment, run.secret_overrides, configuration)
        probe = Engine(registry, entry_points=False)._config_probe
        run_dynamic_configuration(configuration, dynamic, secrets, probe)
        configuration.setdefault("squall_run_id", run.run_id)
        self.configuration = configuration
        self.secrets = secrets
        self.variables = variables_of(configuration, secrets)

    def close(self) -> None:
        """The run ended here: its connections close, its secret scope ends."""
        self.registry.close()
        self.scope.close()

    def hooks(self, run: RunInput) -> RunHooks | None:
        """The run's hooks on this worker (made on first use), None when it has none.

        Raises:
            InputError: a control's module cannot be imported or is invalid.
        """
        with self._hooks_lock:
            if not self._hooks_known:
                from squall.temporal.runhooks import RunHooks, has_hooks

                with self.scope.active():
                    found = has_hooks(run, self.plan.experiment)
                    self._hooks = RunHooks(self, run) if found else None
                self._hooks_known = True
            return self._hooks

    def holding(self) -> bool:
        """Whether this worker holds the run's controls now (configured, not cleaned up)."""
        return self._hooks is not None and self._hooks.held()

    def context(self, listener: Listener | None, hooks: RunHooks | None = None) -> RunContext:
        """A context for one step (with the run's hooks, when it has some: the step's
        hooks get a view of their own, see :func:`runhooks.step_view`)."""
        journal = Journal(experiment={}, start="", platform="", node="", squall_version="")
        return RunContext(
            plan=self.plan,
            registry=self.registry,
            recorder=Recorder(journal, None, max_output=self.max_output),
            listener=listener or NullListener(),
            configuration=self.configuration,
            secrets=self.secrets,
            variables=self.variables,
            hooks=hooks.caller if hooks is not None else None,
        )

    def step_context(self, run: RunInput, listener: Listener) -> tuple[RunContext, list[Any]]:
        """A step's context, and where the stop its hooks ask for is kept."""
        hooks = self.hooks(run)
        ctx = self.context(listener, hooks)
        asked: list[Any] = []
        if hooks is not None:
            from squall.temporal.runhooks import step_view

            ctx.view = step_view(hooks, ctx, asked)
        return ctx, asked


_CACHE: OrderedDict[str, Prepared] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 64


def prepared(run: RunInput) -> Prepared:
    """The run's resolved plan, configuration and secrets on this worker (resolved once).

    Raises:
        InputError: configuration or secrets cannot be resolved here.
    """
    with _CACHE_LOCK:
        found = _CACHE.get(run.run_id)
        if found is not None:
            _CACHE.move_to_end(run.run_id)
            return found
    from squall.api import plugin_registry

    made = Prepared(run, plugin_registry())
    with _CACHE_LOCK:
        _CACHE[run.run_id] = made
        # the least recently used goes, except a run whose controls this worker holds
        # (their state would be lost): it goes once its run has cleaned up
        spare = [k for k, v in _CACHE.items() if not v.holding()]
        for key in spare[: max(0, len(_CACHE) - _CACHE_SIZE)]:
            _CACHE.pop(key).close()
    return made


def needs_document(run: RunInput) -> bool:
    """Whether this worker must fetch the run's experiment document first: activities
    are given the run without it (the workflow's input has it), and it is resolved
    once per run and worker."""
    if run.document:
        return False
    with _CACHE_LOCK:
        return run.run_id not in _CACHE


def forget(run_id: str) -> None:
    """The run ended: close its registry (kept-alive connections end with the run)."""
    with _CACHE_LOCK:
        old = _CACHE.pop(run_id, None)
    if old is not None:
        old.close()


def start_header(run: RunInput, hook_queue: str = "") -> str:
    """The journal's header, made where configuration is resolved (the title may use
    it): the experiment as the journal keeps it (secrets masked), node, platform; and
    where the run's hooks go (``hook_queue``, this worker's own queue; "" when the run
    has no hooks)."""
    from squall.engine.rules import journal_experiment, platform_name
    from squall.journal.history import experiment_hash
    from squall.temporal.timeouts import resolved_pauses

    if run.validate:
        problems = _problems(run)
        if problems:  # the command line shows them; a run nobody follows, the worker
            import sys

            lines = "".join(f"\n  {p['pointer']}: {p['message']}" for p in problems)
            sys.stderr.write(f"squall worker: run {run.run_id} not started:{lines}\n")
            return dumps({"problems": problems})
    made = prepared(run)
    hooks = made.hooks(run)  # a control that cannot be loaded: InputError, nothing ran
    with made.scope.active():
        header = {
            "hooks": hook_queue if hooks is not None else "",
            # this worker calls each hook once however often it is offered, and guards
            # the run's controls (activities.guard): the workflow may offer a hook again
            "guarded": hooks is not None,
            "experiment": journal_experiment(made.plan, made.variables),
            "node": os.uname().nodename,
            "platform": platform_name(),
            "squall_version": __version__,
            "experiment_hash": experiment_hash(made.plan.experiment.raw),
        }
        pauses = resolved_pauses(made.plan, made.configuration)
        if pauses:  # the workflow sleeps them (timeouts.durable_pauses)
            header["pauses"] = pauses
        return dumps(header)


def _problems(run: RunInput) -> list[dict[str, str]]:
    """What needs the world and is wrong here (imports, signatures, executables,
    environment), for the activities of this worker's queue and the run as a whole; the
    activities routed to other queues are the business of their workers."""
    from squall.api import check_experiment, plugin_registry
    from squall.temporal.inputs import queue_at

    plan = plan_of(run)
    found = check_experiment(
        plan.experiment,
        registry=plugin_registry(),
        overrides=overrides_of(run),
        secret_overrides=run.secret_overrides,
    )
    return [
        {"pointer": p.pointer, "message": p.message, "hint": p.hint}
        for p in found
        if queue_at(plan.experiment, p.pointer, run.task_queue) in (None, run.task_queue)
    ]


def find_activity(plan: Plan, phase: str, pointer: str, iteration: int = 0) -> Activity:
    """The plan's activity at ``pointer`` (inlined refs keep their own pointer)."""
    pool = plan.rollbacks if phase == Phase.ROLLBACKS else plan.method
    for activity in pool:
        if activity.pointer == pointer:
            if iteration:
                return activity.replace(raw={**activity.raw, "iteration_index": iteration})
            return activity
    raise LookupError(f"no activity at {pointer} in the {phase}")


def entry_of(run: ActivityRun) -> dict[str, Any]:
    """A recorded entry as plain data: the journal's JSON text of it, and its reason."""
    entry = json.loads(run.encoded) if run.encoded else run.to_dict()
    entry["reason"] = run.reason
    return dict(entry)


def run_from(entry: Mapping[str, Any] | str) -> ActivityRun:
    """An entry sent by :func:`entry_of` (or as its JSON text), read back."""
    if isinstance(entry, str):
        entry = json.loads(entry)
        assert isinstance(entry, dict)
    run = ActivityRun.from_dict(entry)
    run.reason = str(entry.get("reason") or "")
    return run


def _seed(ctx: RunContext, outputs: list[list[Any]]) -> None:
    """The outputs the step uses, from the (masked) entries the workflow kept: an output
    that was masked or cut cannot be used, as in ``squall recover``."""
    journal = Journal(experiment={}, start="", platform="", node="", squall_version="")
    before: list[ActivityRun] = []
    for phase, entry in outputs:
        run = run_from(entry)
        if phase == Phase.BEFORE:
            before.append(run)
        elif phase == Phase.ROLLBACKS:
            journal.rollbacks.append(run)
        else:
            journal.run.append(run)
    journal.before = HypothesisRun(True, before) if before else None
    ctx.outputs.seed(journal)


def stop_context(ctx: RunContext, reason: str) -> None:
    """A stop request reached the step: no pause goes on, a process is killed."""
    ctx.interruption = Interruption("stop", reason, kind="stop")
    ctx.stop.set()
    ctx.halt.set()


_Perform = Callable[[StepInput, list[RunContext], threading.Event], StepResult]


def _in_run_scope(perform: _Perform) -> _Perform:
    """``perform`` inside the run's secret scope on this worker: it masks the run's
    secrets (and the process's), not those of the other runs the worker serves."""

    @functools.wraps(perform)
    def scoped(step: StepInput, ctx_out: list[RunContext], cancel: threading.Event) -> StepResult:
        with prepared(step.run).scope.active():
            return perform(step, ctx_out, cancel)

    return scoped


@_in_run_scope
def perform_activity(
    step: StepInput, ctx_out: list[RunContext], cancel: threading.Event
) -> StepResult:
    """Run one method activity or rollback (its pauses, retries and wait-until included)."""
    from squall.engine.activity import ActivityInterrupted, run_activity
    from squall.providers.base import cancellable

    made = prepared(step.run)
    listener = _Capture()
    ctx, asked = made.step_context(step.run, listener)
    ctx_out.append(ctx)
    _seed(ctx, step.outputs)
    activity = find_activity(made.plan, step.phase, step.pointer, step.iteration)
    if not step.pauses:
        from squall.experiment.model import NO_PAUSES

        activity = activity.replace(pauses=NO_PAUSES)
    interrupted = False
    with cancellable(cancel):
        try:
            run = run_activity(ctx, activity, step.phase)
        except ActivityInterrupted as exc:
            run, interrupted = exc.run, True
    if ctx.stop.is_set() and not interrupted:
        interrupted = True  # stopped while it ran: its end is the stop's doing
    ctx.recorder.record(step.phase, run)
    return StepResult(
        entry=dumps(entry_of(run)),
        aborted=bool(ctx.aborted_by),
        interrupted=interrupted,
        warnings=listener.warnings,
        repeats=ctx.repeats.pop(id(activity), 0),
        stop=_asked(asked),
    )


@_in_run_scope
def perform_hypothesis(
    step: StepInput, ctx_out: list[RunContext], cancel: threading.Event
) -> StepResult:
    """Run the steady-state hypothesis (every probe until one misses its tolerance)."""
    from squall.engine.activity import ActivityInterrupted
    from squall.engine.hypothesis import run_hypothesis
    from squall.errors import Interrupted
    from squall.providers.base import cancellable

    made = prepared(step.run)
    listener = _Capture()
    ctx, asked = made.step_context(step.run, listener)
    ctx_out.append(ctx)
    _seed(ctx, step.outputs)
    interrupted = skipped = False
    with cancellable(cancel):
        try:
            result = run_hypothesis(ctx, step.phase)
        except ActivityInterrupted:
            interrupted = True
            result = _recorded(ctx, step.phase)
        except Interrupted:  # a hook stopped the run before the first probe
            interrupted = skipped = True
            result = HypothesisRun(False)
    entry = {
        "steady_state_met": result.steady_state_met,
        "probes": [entry_of(p) for p in result.probes],
    }
    return StepResult(
        entry=dumps(entry),
        interrupted=interrupted,
        warnings=listener.warnings,
        stop=_asked(asked),
        skipped=skipped,
    )


def _asked(asked: list[Any]) -> list[Any]:
    """The first stop the step's hooks asked for, as the workflow takes it (masked)."""
    if not asked:
        return []
    from squall.masking import mask_text
    from squall.temporal.runhooks import fields_of

    first: Interruption = asked[0]
    return fields_of(first.replace(name=mask_text(first.name), reason=mask_text(first.reason)))


def _recorded(ctx: RunContext, phase: str) -> HypothesisRun:
    journal = ctx.recorder.journal
    if phase == Phase.BEFORE and journal.before is not None:
        return journal.before
    if phase == Phase.AFTER and journal.after is not None:
        return journal.after
    return journal.during[-1] if journal.during else HypothesisRun(False)


def hypothesis_from(text: str) -> HypothesisRun:
    entry = json.loads(text)
    probes = entry.get("probes") or []
    return HypothesisRun(entry.get("steady_state_met"), [run_from(p) for p in probes])


def perform_hook(hook: HookInput) -> HookResult:
    """Call an experiment-level hook of the run on this worker (its hook worker)."""
    from squall.temporal.runhooks import HookResult

    made = prepared(hook.run)
    with made.scope.active():
        hooks = made.hooks(hook.run)
        if hooks is None:  # nothing hooks this run here (the workflow asked anyway)
            return HookResult()
        return hooks.once(hook.name, hook.state)
