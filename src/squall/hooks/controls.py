"""Chaos Toolkit controls: modules of ``<when>_<level>_control`` functions, run by squall
exactly once per point (the reference may run a control twice or skip global ones).

Levels and what a control receives (as the reference passes them):

    level       context               state (after)
    experiment  the experiment        the journal
    hypothesis  the hypothesis block  the hypothesis result
    method      the experiment        the method's run entries
    rollback    the experiment        the rollbacks' run entries
    activity    the activity          its run entry

Plus, when the function names them: ``configuration``, ``secrets``, ``experiment``,
``extensions``, ``settings``, and the control's ``provider.arguments`` as keyword
arguments; squall adds ``run`` (the ``RunView``: ``request_stop``, ``run_probe``,
``request_repeat``) and, for activity controls, ``phase``. ``InterruptExecution`` (the
reference's) or ``squall.Interrupted`` raised by a control stops the run cleanly; any other
exception is reported with the control's name.

The activities squall runs are fixed when the run starts: a control gets activity lists
of its own. One change is understood: copies of the activity just run, marked
``iteration_index`` and inserted right after it in the method or the rollbacks (what
``chaosaddons.controls.repeat`` does) become repeat requests; any other change is
ignored with a warning.

The ``state`` a control gets is a copy of what squall recorded (the reference hands its
own journal's objects): an entry a control appends to it, or a key it sets, is not kept
in squall's journal, and a warning names the control (docs/compatibility.md,
control-state). The ``configuration`` is the run's own: keys a control sets there are
seen by the activities that run after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import FunctionType, ModuleType

from squall._log import get_logger
from squall.errors import InputError, Interrupted, message_of
from squall.experiment.model import ControlDecl, Experiment
from squall.experiment.parse import parse_controls
from squall.experiment.substitute import substitute
from squall.hooks.ctkevents import RunEvents
from squall.hooks.loading import load_control_module
from squall.hooks.markers import hookimpl
from squall.hooks.view import RunView
from squall.show import show_value

__all__ = ["ControlPlugin"]

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

log = get_logger(__name__)
#: code flags: the function takes ``*args`` / ``**kwargs``
_CO_VARARGS, _CO_VARKEYWORDS = 0x04, 0x08
_INJECTED = ("configuration", "secrets", "experiment", "extensions", "settings")


def _parameters(func: Callable[..., Any]) -> tuple[frozenset[str], bool]:
    """The names of ``func``'s parameters and whether it takes ``**kwargs``, as
    ``inspect.signature`` gives them; read from a plain function's code object (``inspect``
    is costly to import: a run with a control would import it for this alone)."""
    code = getattr(func, "__code__", None)
    if type(func) is FunctionType and not hasattr(func, "__wrapped__") and code is not None:
        flags = code.co_flags
        count = code.co_argcount + code.co_kwonlyargcount
        count += bool(flags & _CO_VARARGS) + bool(flags & _CO_VARKEYWORDS)
        return frozenset(code.co_varnames[:count]), bool(flags & _CO_VARKEYWORDS)
    import inspect

    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return frozenset(), False
    return frozenset(params), any(p.kind is p.VAR_KEYWORD for p in params.values())


def _own_lists(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A shallow copy of the experiment whose activity lists are copies too."""
    view = dict(raw)
    hypothesis = view.get("steady-state-hypothesis")
    if isinstance(hypothesis, Mapping):
        hypothesis = view["steady-state-hypothesis"] = dict(hypothesis)
        if isinstance(hypothesis.get("probes"), list):
            hypothesis["probes"] = list(hypothesis["probes"])
    for key in ("method", "rollbacks"):
        if isinstance(view.get(key), list):
            view[key] = list(view[key])
    return view


def _shape(state: Any) -> tuple[int, frozenset[str]] | None:
    """What a control's addition to the state it is handed would change: the length of a
    list (an appended entry), the keys of a mapping (a key set); None for other values."""
    if isinstance(state, list):
        return len(state), frozenset()
    if isinstance(state, Mapping):
        return len(state), frozenset(map(str, state))
    return None


def _counts(experiment: Mapping[str, Any]) -> dict[str, int]:
    hypothesis = experiment.get("steady-state-hypothesis")
    probes = hypothesis.get("probes") if isinstance(hypothesis, Mapping) else None
    found = {"steady-state-hypothesis": probes}
    found.update({key: experiment.get(key) for key in ("method", "rollbacks")})
    return {key: len(value) if isinstance(value, list) else 0 for key, value in found.items()}


def _inserted_copies(experiment: Mapping[str, Any], context: Any, phase: Any) -> int:
    """How many copies of ``context`` (marked ``iteration_index``) a control inserted
    right after it in the list of ``phase`` (method or rollbacks), as a repeat does."""
    key = {"method": "method", "rollbacks": "rollbacks"}.get(str(phase))
    items = experiment.get(key) if key else None
    if not isinstance(context, Mapping) or not isinstance(items, list):
        return 0
    name = context.get("name")
    for position, item in enumerate(items):
        if isinstance(item, Mapping) and item.get("name") == name:
            count = 0
            for follower in items[position + 1 :]:
                if not (isinstance(follower, Mapping) and "iteration_index" in follower):
                    break
                count += 1
            return count
    return 0


class ControlPlugin:
    """Runs the controls declared in settings, control files and the experiment."""

    def __init__(
        self, experiment: Experiment, global_controls: tuple[ControlDecl, ...] = ()
    ) -> None:
        self.experiment = experiment
        self.global_controls = list(global_controls)
        self.top = {c.name: c for c in experiment.controls if c.ref is None}
        self._modules: dict[str, ModuleType] = {}
        self._params: dict[Callable[..., Any], tuple[frozenset[str], bool]] = {}
        self._local: dict[int, tuple[ControlDecl, ...]] = {}
        self._warned: set[str] = set()
        #: the Chaos Toolkit run events, for handlers a configure_control registers
        self.events = RunEvents()
        for decl in [*self.global_controls, *self.top.values()]:
            self._module(decl)

    def _module(self, decl: ControlDecl) -> ModuleType:
        module = self._modules.get(decl.name)
        if module is None:
            module = self._modules[decl.name] = load_control_module(decl)
            validate = getattr(module, "validate_control", None)
            if callable(validate):
                try:
                    validate(decl.raw)
                except BaseException as exc:  # SystemExit too: it must not end squall
                    raise InputError(
                        f"control {show_value(decl.name)} is invalid: {message_of(exc)}"
                    ) from None
        return module

    # --- which controls run where -------------------------------------------------------

    def _merged(
        self, local: tuple[ControlDecl, ...], *, every_top: bool = False
    ) -> list[ControlDecl]:
        chosen: dict[str, ControlDecl] = {c.name: c for c in self.global_controls}
        for decl in self.top.values():
            if every_top or decl.automatic:
                chosen[decl.name] = decl
        for decl in local:
            target = self.top.get(decl.ref) if decl.ref else decl
            if target is not None:
                chosen[target.name] = target
        return list(chosen.values())

    def _parsed(self, raw: Any) -> tuple[ControlDecl, ...]:
        if not raw:
            return ()
        key = id(raw)
        if key not in self._local:
            self._local[key], _ = parse_controls(raw, "/controls")
        return self._local[key]

    def _activity_controls(self, activity: Mapping[str, Any]) -> list[ControlDecl]:
        return self._merged(self._parsed(activity.get("controls")))

    def _declared(self) -> tuple[list[ControlDecl], list[ControlDecl]]:
        """(global controls, the experiment's own) to configure and clean up, each name
        once, as the reference does: top-level, hypothesis and activity-level controls."""
        raw = self.experiment.raw
        hypothesis = raw.get("steady-state-hypothesis")
        hypothesis = hypothesis if isinstance(hypothesis, Mapping) else {}
        own = [*self.top.values()]
        own += self.experiment.hypothesis.controls if self.experiment.hypothesis else ()
        for activities in (hypothesis.get("probes"), raw.get("method"), raw.get("rollbacks")):
            for activity in activities if isinstance(activities, list) else ():
                if isinstance(activity, Mapping):
                    own += self._parsed(activity.get("controls"))
        seen = {c.name for c in self.global_controls}
        chosen: dict[str, ControlDecl] = {}
        for decl in own:
            if decl.ref is None and decl.name not in seen:
                chosen.setdefault(decl.name, decl)
        return list(self.global_controls), list(chosen.values())

    # --- calling ----------------------------------------------------------------------

    def _call(
        self,
        run: RunView,
        decls: list[ControlDecl],
        when: str,
        level: str,
        context: Any,
        state: Any = None,
        phase: str | None = None,
    ) -> None:
        for decl in decls:
            if decl.scope is not None and decl.scope != when:
                continue
            func = getattr(self._module(decl), f"{when}_{level}_control", None)
            if callable(func):
                base = {"context": context, "state": state}
                if phase is not None:
                    base["phase"] = phase
                self._invoke(run, decl, func, base)

    def _invoke(
        self,
        run: RunView,
        decl: ControlDecl,
        func: Callable[..., Any],
        base: dict[str, Any],
        *,
        bare: bool = False,
    ) -> None:
        names, var_kw = self._signature(func)
        experiment = _own_lists(self.experiment.raw)
        values: dict[str, Any] = {"run": run}
        if not bare:  # cleanup_control gets no arguments from the reference (squall's run only)
            values.update(
                configuration=run.configuration,
                secrets=run.secrets,
                experiment=experiment,
                extensions=list(self.experiment.extensions),
                settings=run.settings,
                **base,
            )
        kwargs = {k: v for k, v in values.items() if k in names}
        arguments = (
            substitute(decl.arguments, {**run.configuration}) if decl.arguments and not bare else {}
        )
        kwargs.update({k: v for k, v in arguments.items() if var_kw or k in names})
        shape = _shape(kwargs.get("state"))
        try:
            func(**kwargs)
        except Interrupted as exc:
            run.request_stop(
                f"control {show_value(decl.name)} interrupted the run: {exc}", decl.name, "control"
            )
            raise
        except Exception as exc:
            if type(exc).__name__ in ("InterruptExecution", "ExperimentExitedException"):
                run.request_stop(
                    f"control {show_value(decl.name)} interrupted the run: {exc}",
                    decl.name,
                    "control",
                )
                raise Interrupted(str(exc), decl.name) from exc
            log.warning(
                "control %s raised in %s: %s: %s",
                show_value(decl.name),
                func.__name__,
                type(exc).__name__,
                exc,
            )
        except BaseException as exc:  # SystemExit, KeyboardInterrupt...: the reference stops
            reason = (
                f"control {show_value(decl.name)} raised {type(exc).__name__} in {func.__name__}"
            )
            reason += f": {exc}" if str(exc) else ""
            log.warning("%s: the run stops", reason)
            run.request_stop(reason, decl.name, "control")
            raise Interrupted(reason, decl.name) from None
        if "experiment" in kwargs:
            self._check_lists(decl, experiment, run, base)
        if shape is not None and _shape(kwargs["state"]) != shape:
            self._warn_once(
                decl,
                f"control {show_value(decl.name)} ({decl.module}) changed the state its "
                f"{func.__name__} was handed: squall's journal records what ran and keeps "
                "no change a control makes to it (see docs/compatibility.md)",
            )

    def _check_lists(
        self,
        decl: ControlDecl,
        experiment: Mapping[str, Any],
        run: RunView,
        base: Mapping[str, Any],
    ) -> None:
        before, after = _counts(self.experiment.raw), _counts(experiment)
        if after == before:
            return
        copies = _inserted_copies(experiment, base.get("context"), base.get("phase"))
        if copies:  # chaosaddons.controls.repeat: copies right after the activity
            run.request_repeat(base["context"], copies)
            return
        changed = ", ".join(
            f"{key} {n} -> {after[key]}" for key, n in before.items() if n != after[key]
        )
        self._warn_once(
            decl,
            f"control {show_value(decl.name)} ({decl.module}) changed the experiment's activity "
            "lists "
            f"({changed}): squall runs the activities fixed when the run started and ignores "
            "the change (only copies of a method or rollback activity inserted right after "
            "it, as chaosaddons.controls.repeat does, are run)",
        )

    def _warn_once(self, decl: ControlDecl, message: str) -> None:
        key = f"{decl.name}: {message}"
        if key not in self._warned:
            self._warned.add(key)
            log.warning("%s", message)

    def _signature(self, func: Callable[..., Any]) -> tuple[frozenset[str], bool]:
        found = self._params.get(func)
        if found is None:
            found = self._params[func] = _parameters(func)
        return found

    # --- hook implementations --------------------------------------------------------

    @hookimpl
    def squall_configure(self, run: RunView) -> None:
        global_controls, own = self._declared()
        for decl in [*global_controls, *own]:
            func = getattr(self._module(decl), "configure_control", None)
            if callable(func):
                names, var_kw = self._signature(func)
                asks = var_kw or "event_registry" in names  # else no registry is made
                base = {"event_registry": self.events.registry} if asks else {}
                self._invoke(run, decl, func, base)
        if self.events:
            self.events.send(
                "running", self._raw(), run.journal.to_dict(), run.configuration,
                run.secrets, None, run.settings,
            )  # fmt: skip

    @hookimpl
    def squall_cleanup(self, run: RunView) -> None:
        global_controls, own = self._declared()
        for decl in [*own, *global_controls]:  # the experiment's first, as the reference
            func = getattr(self._module(decl), "cleanup_control", None)
            if callable(func):
                self._invoke(run, decl, func, {}, bare=True)
        if self.events:
            self.events.send("finish", self.events.journal or run.journal.to_dict())

    @hookimpl
    def squall_before_experiment(self, run: RunView) -> None:
        self._call(
            run, self._merged((), every_top=True), "before", "experiment", dict(self.experiment.raw)
        )

    @hookimpl
    def squall_after_experiment(self, run: RunView, journal: Any) -> None:
        finished = journal.to_dict()
        try:
            self._call(
                run,
                self._merged((), every_top=True),
                "after",
                "experiment",
                dict(self.experiment.raw),
                finished,
            )
        finally:
            if self.events:
                self.events.continuous_over(self._raw(), finished)
                self.events.journal = finished
                if finished.get("status") == "interrupted":
                    self.events.send("interrupted", self._raw(), finished)

    def _raw(self) -> dict[str, Any]:
        """The experiment as an event handler gets it (lists of its own)."""
        return _own_lists(self.experiment.raw)

    def _hypothesis_controls(self) -> list[ControlDecl]:
        hypothesis = self.experiment.hypothesis
        return self._merged(hypothesis.controls if hypothesis else ())

    @hookimpl
    def squall_before_hypothesis(self, run: RunView, phase: str) -> None:
        hypothesis = self.experiment.hypothesis
        context = dict(hypothesis.raw) if hypothesis else {}
        if self.events:
            self._before_hypothesis_events(run, phase)
        self._call(run, self._hypothesis_controls(), "before", "hypothesis", context)

    @hookimpl
    def squall_after_hypothesis(self, run: RunView, phase: str, result: Any) -> None:
        hypothesis = self.experiment.hypothesis
        context = dict(hypothesis.raw) if hypothesis else {}
        state = result.to_dict()
        try:
            self._call(run, self._hypothesis_controls(), "after", "hypothesis", context, state)
        finally:
            if self.events:
                event = self.events.hypothesis(phase, started=False)
                if event:
                    self.events.send(event, self._raw(), state, run.journal.to_dict())
                elif phase == "hypothesis-during":
                    self.events.during(False, self.experiment.raw, state)

    def _before_hypothesis_events(self, run: RunView, phase: str) -> None:
        if phase == "hypothesis-during":
            self.events.during(True, self.experiment.raw)
            return
        if phase == "hypothesis-after":
            self.events.continuous_over(self._raw(), run.journal.to_dict())
        event = self.events.hypothesis(phase, started=True)
        if event:
            self.events.send(event, self._raw())

    @hookimpl
    def squall_before_method(self, run: RunView) -> None:
        self.events.send("start_method", self._raw())
        self._call(run, self._merged(()), "before", "method", dict(self.experiment.raw))

    @hookimpl
    def squall_after_method(self, run: RunView, entries: list[Any]) -> None:
        state = [e.to_dict() for e in entries if e is not None]
        try:
            self._call(run, self._merged(()), "after", "method", dict(self.experiment.raw), state)
        finally:
            self.events.send("method_completed", self._raw(), state)

    @hookimpl
    def squall_before_rollbacks(self, run: RunView) -> None:
        if self.events:
            self.events.continuous_over(self._raw(), run.journal.to_dict())
        self.events.send("start_rollbacks", self._raw())
        self._call(run, self._merged(()), "before", "rollback", dict(self.experiment.raw))

    @hookimpl
    def squall_after_rollbacks(self, run: RunView, entries: list[Any]) -> None:
        state = [e.to_dict() for e in entries if e is not None]
        try:
            self._call(run, self._merged(()), "after", "rollback", dict(self.experiment.raw), state)
        finally:
            if self.events:
                self.events.send("rollbacks_completed", self._raw(), run.journal.to_dict())

    @hookimpl
    def squall_before_activity(self, run: RunView, activity: dict[str, Any]) -> None:
        self.events.send("start_activity", activity)
        self._call(run, self._activity_controls(activity), "before", "activity", activity)

    @hookimpl
    def squall_after_activity(
        self, run: RunView, activity: dict[str, Any], entry: Any, phase: str
    ) -> None:
        state = entry.to_dict()
        try:
            self._call(
                run, self._activity_controls(activity), "after", "activity", activity, state, phase
            )
        finally:
            self.events.send("activity_completed", activity, state)
