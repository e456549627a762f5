"""Decide, before running, what will run: refs inlined, strategies and dry flags settled."""

from __future__ import annotations

from collections.abc import Mapping

from squall._record import Record
from squall.experiment.flow import FailurePolicy
from squall.experiment.groups import blocks
from squall.experiment.model import (
    Activity,
    ActivityType,
    DryMode,
    Experiment,
    HypothesisStrategy,
    RollbackStrategy,
)
from squall.experiment.outputs import activity_output_refs

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Plan", "PlanOptions", "make_plan"]


class PlanOptions(Record):
    """Choices from the command line and settings (None: not given there)."""

    __slots__ = (
        "dry",
        "fail_fast",
        "fail_fast_ratio",
        "hypothesis_frequency",
        "hypothesis_strategy",
        "rollback_strategy",
        "settings",
    )

    def __init__(
        self,
        *,
        dry: DryMode | str | None = None,
        rollback_strategy: RollbackStrategy | str | None = None,
        hypothesis_strategy: HypothesisStrategy | str | None = None,
        hypothesis_frequency: float | None = None,
        fail_fast: bool | None = None,
        fail_fast_ratio: float | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """The command line's run options, for a program: ``rollback_strategy``
        (``--rollback-strategy``), ``hypothesis_strategy``, ``hypothesis_frequency``,
        ``dry``, ``fail_fast``, ``fail_fast_ratio``; each None leaves the experiment's
        ``runtime`` (then the settings, then the default) in charge. The strategies and
        ``dry`` take the command line's words (``"always"``) or the enums.

        Raises:
            InputError: a strategy or dry mode that does not exist (the message lists
                those that do); ``hypothesis_frequency`` is not a number of seconds from
                ``squall.intervals.MIN_INTERVAL`` to ``MAX_SECONDS`` (the rule of
                ``--hypothesis-frequency`` and ``runtime.hypothesis.frequency``).
        """
        self.dry = None if dry is None else _choice(DryMode, dry, "dry")
        self.rollback_strategy = (
            None
            if rollback_strategy is None
            else _choice(RollbackStrategy, rollback_strategy, "rollback_strategy")
        )
        self.hypothesis_strategy = (
            None
            if hypothesis_strategy is None
            else _choice(HypothesisStrategy, hypothesis_strategy, "hypothesis_strategy")
        )
        if hypothesis_frequency is not None:
            hypothesis_frequency = _frequency(hypothesis_frequency)
        self.hypothesis_frequency = hypothesis_frequency
        self.fail_fast = fail_fast
        self.fail_fast_ratio = fail_fast_ratio
        self.settings: Mapping[str, Any] = settings or {}


def _choice(kind: Any, value: object, name: str) -> Any:
    """``value`` as a member of the StrEnum ``kind`` (its word or the member itself).

    Raises:
        InputError: not one of its words.
    """
    parse = getattr(kind, "parse", kind)  # HypothesisStrategy.parse knows the old alias
    try:
        return parse(value)
    except ValueError:
        from squall.errors import InputError
        from squall.show import show_value

        words = ", ".join(member.value for member in kind)
        raise InputError(
            f"PlanOptions({name}=...): {show_value(value, 60)} is not one of {words}"
        ) from None


def _frequency(value: object) -> float:
    """``PlanOptions(hypothesis_frequency=...)`` checked as the command line checks
    ``--hypothesis-frequency`` (squall.intervals' rule, its message)."""
    from squall.errors import InputError
    from squall.intervals import interval
    from squall.show import kind_of

    where = "PlanOptions(hypothesis_frequency=...)"
    if isinstance(value, bool) or not isinstance(value, int | float):
        found = kind_of(value)
        raise InputError(f"{where}: seconds between checks must be a number, found {found}")
    try:
        return float(interval(value))
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None


class Plan(Record):
    """What will run: resolved activities, strategies and the dry mode."""

    __slots__ = (
        "dry",
        "experiment",
        "fail_fast",
        "fail_fast_ratio",
        "frequency",
        "hypothesis_strategy",
        "method",
        "on_failure",
        "probes",
        "rollback_strategy",
        "rollbacks",
    )

    def __init__(
        self,
        *,
        experiment: Experiment,
        probes: tuple[Activity, ...],
        method: tuple[Activity, ...],
        rollbacks: tuple[Activity, ...],
        hypothesis_strategy: HypothesisStrategy,
        rollback_strategy: RollbackStrategy,
        frequency: float,
        fail_fast: bool,
        fail_fast_ratio: float,
        dry: DryMode | None,
        on_failure: FailurePolicy | None = None,
    ) -> None:
        self.experiment = experiment
        self.probes = probes
        self.method = method
        self.rollbacks = rollbacks
        self.hypothesis_strategy = hypothesis_strategy
        self.rollback_strategy = rollback_strategy
        self.frequency = frequency
        self.fail_fast = fail_fast
        self.fail_fast_ratio = fail_fast_ratio
        self.dry = dry
        self.on_failure = on_failure  # runtime.on_failure; None: go on, the run is broken

    def failure_policy(self, activity: Activity) -> FailurePolicy | None:
        """The policy for a failure of this method activity (its own, else the run's)."""
        return activity.flow.on_failure or self.on_failure

    @property
    def has_hypothesis(self) -> bool:
        """A hypothesis counts only if it has at least one probe (the reference's rule)."""
        return bool(self.probes)

    def is_dry(self, activity: Activity) -> bool:
        """Whether this activity is skipped (its own ``dry`` wins over the run's)."""
        if activity.dry is None and self.dry is None:
            return False
        mode = DryMode(activity.dry) if activity.dry else self.dry
        if mode is None or mode is DryMode.PAUSE:
            return False
        if mode is DryMode.ACTIVITIES:
            return True
        return (mode is DryMode.PROBES) == (activity.type is ActivityType.PROBE)

    def skips_pauses(self, activity: Activity) -> bool:
        if activity.dry is None and self.dry is None:
            return False
        mode = DryMode(activity.dry) if activity.dry else self.dry
        return mode is DryMode.PAUSE or self.is_dry(activity)

    def describe(self) -> dict[str, Any]:
        """A printable summary (``squall run --plan``)."""

        return {
            "title": self.experiment.title,
            "hypothesis_strategy": self.hypothesis_strategy.value,
            "rollback_strategy": self.rollback_strategy.value,
            "dry": self.dry.value if self.dry else None,
            "frequency": self.frequency,
            "fail_fast": self.fail_fast,
            "on_failure": self.on_failure.value if self.on_failure else "default",
            "steady_state_probes": [self._line(a) for a in self.probes],
            "method": self._lines(self.method),
            "rollbacks": self._lines(self.rollbacks),
        }

    def _line(self, a: Activity) -> str:
        flags = [f for f, on in (("background", a.background), ("dry", self.is_dry(a))) if on]
        flags += a.flow.labels()
        uses = sorted({r.name for r in activity_output_refs(a)})
        if uses:
            flags.append("uses outputs of " + ", ".join(uses))
        return f"{a.type.value} {a.name}" + (f" [{'; '.join(flags)}]" if flags else "")

    def _lines(self, activities: tuple[Activity, ...]) -> list[Any]:
        """One line per activity; a parallel group as an object listing its own."""
        out: list[Any] = []
        for block in blocks(activities, self.experiment.groups):
            if isinstance(block, Activity):
                out.append(self._line(block))
            else:
                group, members = block
                out.append(
                    {
                        "parallel": group.name,
                        "join": group.join,
                        "activities": [self._line(a) for a in members],
                    }
                )
        return out


def make_plan(experiment: Experiment, options: PlanOptions) -> Plan:
    """Resolve refs and strategies. Unresolvable refs are left for the engine to report."""
    declared = experiment.referable()
    probes = experiment.hypothesis.probes if experiment.hypothesis else ()
    runtime = experiment.runtime
    return Plan(
        experiment=experiment,
        probes=tuple(_resolve(a, declared) for a in probes),
        method=tuple(_resolve(a, declared) for a in experiment.method),
        rollbacks=tuple(_resolve(a, declared) for a in experiment.rollbacks),
        hypothesis_strategy=_first(
            options.hypothesis_strategy,
            runtime.hypothesis_strategy,
            _setting(options.settings, "hypothesis", HypothesisStrategy.parse),
            HypothesisStrategy.DEFAULT,
        ),
        rollback_strategy=_first(
            options.rollback_strategy,
            runtime.rollback_strategy,
            _setting(options.settings, "rollbacks", RollbackStrategy),
            RollbackStrategy.DEFAULT,
        ),
        frequency=_first(options.hypothesis_frequency, runtime.hypothesis_frequency, 1.0),
        fail_fast=_first(options.fail_fast, runtime.fail_fast, False),
        fail_fast_ratio=_first(options.fail_fast_ratio, runtime.fail_fast_ratio, 0.0),
        dry=options.dry,
        on_failure=runtime.on_failure,
    )


def _first(*values: Any) -> Any:
    return next(v for v in values if v is not None)


def _setting(settings: Mapping[str, Any], key: str, parse: Any) -> Any:
    runtime = settings.get("runtime")
    block = runtime.get(key) if isinstance(runtime, Mapping) else None
    value = block.get("strategy") if isinstance(block, Mapping) else None
    try:
        return parse(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _resolve(activity: Activity, declared: Mapping[str, Activity]) -> Activity:
    if activity.ref is None:
        return activity
    target = declared.get(activity.ref)
    if target is None:
        return activity  # the engine records it as a failed activity
    if activity.tolerance is not None:
        return target.replace(tolerance=activity.tolerance, pointer=activity.pointer)
    return target.replace(pointer=activity.pointer)
