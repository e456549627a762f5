"""The hooks of one run on a worker (controls and plugins), with the local engine's code
(no temporalio here).

A worker keeps, per run, one hook bus (:class:`RunHooks`): the run's controls (declared in
the experiment, and the global ones the command line read: ``--control-file``, the
settings) and the plugins installed on the worker (entry points ``squall.plugins``). The
run's experiment-level hooks (configure, before/after experiment, method, rollbacks,
cleanup) all run on one worker, so a control keeps its state across the run as locally
(a safeguard's threads, a module's globals); the hypothesis and activity hooks run on the
worker that runs the hypothesis or the activity, around it, as locally.

What a hook asks of the run comes back to the workflow: a stop asked while a hook or a
step runs is in its result; a stop asked from a control's thread (a safeguard's breach)
is sent to the workflow at once by the worker (:attr:`RunHooks.signal`, the ``stop``
signal ``squall stop`` sends, with its kind and reason).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from squall.engine.context import Interruption, RunContext
from squall.engine.rules import hook_arguments
from squall.engine.signals import request_stop
from squall.journal.model import ActivityRun, Journal
from squall.temporal.inputs import RunInput  # at run time: Temporal reads HookInput's types

if TYPE_CHECKING:
    from squall.experiment.model import Experiment
    from squall.hooks.manager import HookCaller
    from squall.hooks.view import RunView
    from squall.temporal.steps import Prepared

__all__ = [
    "HookInput",
    "HookResult",
    "RunHooks",
    "fields_of",
    "has_hooks",
    "held_runs",
    "interruption_of",
    "journal_from",
    "process_signalled",
    "step_view",
]

#: the kinds of stop a hook may ask for (anything else is a plugin's); ``signal``: a
#: control sent SIGUSR1/SIGUSR2 to its own process (chaoslib.exit), as locally
KINDS = ("safeguard", "plugin", "control", "stop", "signal")
#: a stop sent to the workflow: its fields (see :func:`fields_of`) -> None
Signal = Callable[[list[Any]], None]
#: the runs whose experiment-level hooks this worker holds, by run id (configure to
#: cleanup): a SIGUSR1/SIGUSR2 a control sends to the worker's process stops them
_HOLDING: dict[str, RunHooks] = {}
_HOLDING_LOCK = threading.Lock()


@dataclass
class HookInput:
    """An experiment-level hook the workflow asks the run's hook worker to call."""

    run: RunInput
    name: str
    #: the journal so far (JSON text): ``run.journal`` for every hook, and what
    #: ``squall_after_method``/``_rollbacks``/``_experiment`` are handed
    state: str = ""


@dataclass
class HookResult:
    """What the hook asked of the run: a stop (:func:`fields_of`, masked) or nothing."""

    stop: list[Any] = field(default_factory=list)
    worker: str = ""


def has_hooks(run: RunInput, experiment: Experiment) -> bool:
    """Whether the run (of ``experiment``) has hooks on this worker: controls declared
    (experiment, global), or plugins installed here."""
    from squall.engine.rules import declares_controls
    from squall.hooks.discovery import installed_entry_points
    from squall.hooks.names import ENTRY_POINT_GROUP

    if run.controls or declares_controls(experiment):
        return True
    return bool(installed_entry_points(ENTRY_POINT_GROUP))


class RunHooks:
    """The hook bus of one run on this worker, and the view hooks get of the run."""

    def __init__(self, made: Prepared, run: RunInput) -> None:
        from squall.engine.sideprobe import run_side_probe
        from squall.hooks.view import RunView

        self.caller = _caller(made, run)
        self.scope = made.scope
        self.journal = Journal(
            experiment={}, start="", platform="", node="", squall_version="", run_id=run.run_id
        )
        #: the run-level context: safeguards' probes run through it
        self.ctx = made.context(None)
        self.ctx.hooks = self.caller
        self.lock = threading.Lock()
        #: the first stop a hook asked for here (kept for the hook's result)
        self.asked: Interruption | None = None
        #: sends a stop to the workflow (set by the first hook activity: it has the client)
        self.signal: Signal | None = None
        #: each hook's call, by name (each is called once per run): an activity that
        #: offers a hook again (its worker was starved past its heartbeat timeout, and
        #: Temporal retried it here) gets the first call's result, never a second call
        self._calls: dict[str, Future[HookResult]] = {}
        self.view: RunView = RunView(
            experiment=made.plan.experiment,
            journal=self.journal,
            configuration=made.configuration,
            secrets=made.secrets,
            settings={},
            stop=self._stop,
            probe=lambda raw: run_side_probe(self.ctx, raw),
        )
        self.ctx.view = self.view

    def release(self) -> bool:
        """The run is over but this worker still holds its controls (its workflow ended
        without calling ``squall_cleanup`` here: terminated, or its hooks were given up
        as lost while this worker lived): clean them up now (a safeguard's threads stop).
        Returns whether there was anything to release."""
        if not self.held():
            return False
        self.signal = None  # the run is over: nothing to tell it
        with self.scope.active():
            self.call("squall_cleanup", "")
        return True

    def held(self) -> bool:
        """Whether this worker holds the run's experiment-level hooks now (from
        ``squall_configure`` to ``squall_cleanup``)."""
        with _HOLDING_LOCK:
            return _HOLDING.get(self.view.run_id) is self

    def _stop(self, name: str, reason: str, kind: str) -> None:
        self.ask(Interruption(name, reason, kind=_kind(kind)))

    def ask(self, interruption: Interruption) -> None:
        """A hook asked the run to stop: remember it (the hook's result says it) and tell
        the workflow now (a control's thread: nothing else would)."""
        with self.lock:
            first = self.asked is None
            if first:
                self.asked = interruption
            send = self.signal
        if first and send is not None:
            send(self._masked(interruption))  # a reason may quote a secret

    def once(self, name: str, state: str) -> HookResult:
        """:meth:`call` the hook ``name`` the first time it is asked for; the result of
        that call (waited for, if it still runs) every later time: a control is not
        idempotent, and a hook is offered again when Temporal did not hear from this
        worker in time (starved, not dead: its queue is this process's own).

        Raises:
            Exception: what the first call raised.
        """
        with self.lock:
            call = self._calls.get(name)
            first = call is None
            if call is None:
                call = self._calls[name] = Future()
        if first:
            try:
                call.set_result(self.call(name, state))
            except BaseException as exc:
                call.set_exception(exc)
        return call.result()

    def call(self, name: str, state: str) -> HookResult:
        """Call the hook ``name`` with what it is handed (see :class:`HookInput`)."""
        from squall.errors import Interrupted

        before = self.asked
        stopped = False
        if name == "squall_configure" and self.signal is not None:
            with _HOLDING_LOCK:
                _HOLDING[self.view.run_id] = self
        try:
            self.caller.call(name, run=self.view, **_arguments(name, state, self))
        except Interrupted as exc:
            stopped = True
            if self.asked is None:  # raised without asking first: a stop by the control
                self._stop(exc.signal_name or "control", exc.reason, "control")
        finally:
            if name == "squall_cleanup":
                with _HOLDING_LOCK:
                    _HOLDING.pop(self.view.run_id, None)
        asked = self.asked
        if asked is None or (asked is before and not stopped):
            return HookResult()
        return HookResult(stop=self._masked(asked))

    def _masked(self, asked: Interruption | None) -> list[Any]:
        """:func:`fields_of` the stop, the run's secrets masked (a safeguard's thread is
        not in the run's scope: it is entered here)."""
        from squall.masking import mask_text

        assert asked is not None
        with self.scope.active():
            masked = asked.replace(name=mask_text(asked.name), reason=mask_text(asked.reason))
        return fields_of(masked)


def fields_of(interruption: Interruption) -> list[Any]:
    """A stop as plain data: [name, reason, kind, play_rollbacks, wait_background]."""
    i = interruption
    return [i.name, i.reason, i.kind, i.play_rollbacks, i.wait_background]


def interruption_of(fields: list[Any]) -> Interruption | None:
    """The stop :func:`fields_of` made (None for anything else)."""
    if len(fields) != 5:
        return None
    name, reason, kind, play, wait = fields
    return Interruption(
        str(name), str(reason), bool(play), bool(wait), kind=kind if kind in KINDS else "plugin"
    )


def held_runs() -> dict[str, RunHooks]:
    """The runs whose experiment-level hooks this worker holds now, by run id."""
    with _HOLDING_LOCK:
        return dict(_HOLDING)


def process_signalled(name: str) -> int:
    """A control sent SIGUSR1/SIGUSR2 to this worker's process (``chaoslib.exit``, the
    Chaos Toolkit's safeguards): which run it meant cannot be told, so every run whose
    experiment-level hooks this worker holds is stopped as that signal stops a local run
    (a stop too many is safer than a safeguard ignored). Returns how many."""
    from squall.engine.signals import signal_interruption

    with _HOLDING_LOCK:
        holding = list(_HOLDING.values())
    interruption = signal_interruption(name)
    if interruption is None:
        return 0
    for hooks in holding:
        hooks.ask(interruption.replace())
    return len(holding)


def _caller(made: Prepared, run: RunInput) -> HookCaller:
    """The run's controls and the plugins installed here, on one hook bus.

    Raises:
        InputError: a control's module cannot be imported or is invalid.
    """
    from squall.experiment.parse import parse_controls
    from squall.hooks.controls import ControlPlugin
    from squall.hooks.manager import HookCaller, make_plugin_manager

    global_controls, _ = parse_controls(list(run.controls), "/controls")
    plugin = ControlPlugin(made.plan.experiment, global_controls)
    return HookCaller(make_plugin_manager((plugin,)))


def _kind(kind: str) -> str:
    return kind if kind in KINDS else "plugin"


def _arguments(name: str, state: str, hooks: RunHooks) -> dict[str, Any]:
    """The hook's arguments besides ``run``, as the local executor gives them; the view's
    journal becomes the journal so far (``state``)."""
    import json

    if state:
        hooks.view.journal = journal_from(json.loads(state))
    return hook_arguments(name, hooks.view.journal)


def journal_from(document: Mapping[str, Any]) -> Journal:
    """A journal read back from its document (the journal so far, that hooks see):
    header, verdict, interruption and every entry."""
    from squall.journal.model import HypothesisRun
    from squall.temporal.record import journal_of

    journal = journal_of(document)
    journal.interruption = document.get("interruption")
    journal.run = [ActivityRun.from_dict(e) for e in document.get("run") or []]
    journal.rollbacks = [ActivityRun.from_dict(e) for e in document.get("rollbacks") or []]
    steady = document.get("steady_states") or {}

    def hypothesis(value: Any) -> HypothesisRun | None:
        if not isinstance(value, Mapping):
            return None
        probes = [ActivityRun.from_dict(p) for p in value.get("probes") or []]
        return HypothesisRun(value.get("steady_state_met"), probes)

    journal.before = hypothesis(steady.get("before"))
    journal.after = hypothesis(steady.get("after"))
    journal.during = [h for h in map(hypothesis, steady.get("during") or []) if h is not None]
    return journal


def step_view(hooks: RunHooks, ctx: RunContext, asked: list[Interruption]) -> RunView:
    """The view an activity's or a hypothesis's hooks get on the worker that runs it: a
    stop they ask for stops the step at once and is kept in ``asked`` (the step's result
    gives it to the workflow), a repeat is counted on the step, a probe runs beside it."""
    from squall.engine.sideprobe import run_side_probe
    from squall.hooks.view import RunView

    def stop(name: str, reason: str, kind: str) -> None:
        interruption = Interruption(name, reason, kind=_kind(kind))
        if request_stop(ctx, interruption):
            asked.append(interruption)

    def repeat(activity: Mapping[str, Any], times: int) -> None:
        with ctx.lock:
            ctx.repeats[id(activity)] = ctx.repeats.get(id(activity), 0) + times

    view = hooks.view
    return RunView(
        experiment=view.experiment,
        journal=view.journal,
        configuration=view.configuration,
        secrets=view.secrets,
        settings=view.settings,
        stop=stop,
        probe=lambda raw: run_side_probe(ctx, raw),
        repeat=repeat,
    )
