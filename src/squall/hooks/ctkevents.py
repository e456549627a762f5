"""The Chaos Toolkit's run events, for the handlers controls register.

A control's ``configure_control(event_registry=...)`` may register a
``chaoslib.run.RunEventHandler`` (``event_registry.register(handler)``); the Chaos
Toolkit then calls the handler's methods as the run goes. squall hands the control a
registry and calls, from its own hooks, the events it has a moment for, with the
reference's arguments (docs/compatibility.md, ``control-event-handlers``):

    running                       after every control is configured
    start_hypothesis_before       before the steady-state check before the method,
    hypothesis_before_completed   and after it (experiment, the hypothesis result, journal)
    start_method, method_completed          (experiment; experiment, the method's entries)
    start_continuous_hypothesis   before the first check during the method (the frequency
                                  the experiment declares, else None)
    continuous_hypothesis_iteration         after each (its index from 1, its result)
    continuous_hypothesis_completed         once the method and its checks are over
                                  (experiment, journal, None)
    start_hypothesis_after, hypothesis_after_completed
    start_rollbacks, rollbacks_completed    (experiment; experiment, journal)
    start_activity, activity_completed      (activity; activity, its run entry)
    interrupted                   when the run was interrupted (experiment, journal)
    finish                        last, after the controls' cleanup (journal)

``started`` comes before controls are configured in the reference too, so no control's
handler ever gets it. Not sent: ``start_cooldown``, ``cooldown_completed`` (squall has no
cooldown) and ``signal_exit``. A handler that raises is logged and skipped, as in the
reference. Journals are handed as mappings (copies of squall's journal so far).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

    from squall.compat.chaoslib.run import EventHandlerRegistry

__all__ = ["RunEvents"]


class RunEvents:
    """One run's registry, and where the run is (before or after its method)."""

    __slots__ = ("_registry", "continuous", "iteration", "journal")

    def __init__(self) -> None:
        #: made when a control's ``configure_control`` asks for it (the stand-in chaoslib
        #: it comes from imports uuid, json, hashlib: not for a run whose controls do not)
        self._registry: EventHandlerRegistry | None = None
        #: the journal the run ended with (for ``finish``, sent after the cleanup)
        self.journal: dict[str, Any] | None = None
        #: the continuous hypothesis: "" not started, "running", "completed"
        self.continuous = ""
        self.iteration = 0

    @property
    def registry(self) -> EventHandlerRegistry:
        if self._registry is None:
            from squall.compat.chaoslib.run import EventHandlerRegistry

            self._registry = EventHandlerRegistry()
        return self._registry

    def __bool__(self) -> bool:
        """Whether any handler listens (no event is built otherwise)."""
        return self._registry is not None and bool(self._registry.handlers)

    def send(self, event: str, *args: Any) -> None:
        if self:
            getattr(self.registry, event)(*args)

    def during(self, started: bool, experiment: Any, state: Any = None) -> None:
        """A check of the continuous hypothesis starts (or ended with ``state``)."""
        if started and not self.continuous:
            self.continuous = "running"
            runtime = experiment.get("runtime") if isinstance(experiment, dict) else None
            hypothesis = runtime.get("hypothesis") if isinstance(runtime, dict) else None
            frequency = hypothesis.get("frequency") if isinstance(hypothesis, dict) else None
            self.send("start_continuous_hypothesis", frequency)
        elif not started and self.continuous == "running":
            self.iteration += 1
            self.send("continuous_hypothesis_iteration", self.iteration, state)

    def continuous_over(self, experiment: Any, journal: Any) -> None:
        """The method and its continuous checks are over (at the next hook after them)."""
        if self.continuous == "running":
            self.continuous = "completed"
            self.send("continuous_hypothesis_completed", experiment, journal, None)

    @staticmethod
    def hypothesis(phase: str, started: bool) -> str | None:
        """The name of a steady-state event of ``phase`` (``hypothesis-before``,
        ``hypothesis-after``); None for the checks during the method."""
        when = {"hypothesis-before": "before", "hypothesis-after": "after"}.get(str(phase))
        if when is None:
            return None
        return f"start_hypothesis_{when}" if started else f"hypothesis_{when}_completed"
