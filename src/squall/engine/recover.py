"""``squall recover``: finish a run that was killed or crashed, from its event stream.

The rollbacks the strategy owes are played once: a rollback the stream shows as finished
is not played again; one that was running when the run stopped is played again (so
rollbacks should be idempotent, as squall's own drivers' are). The recovery is appended to
the same stream under an exclusive lock, so a second ``recover`` finds nothing to do.
"""

from __future__ import annotations

import fcntl
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from squall.engine.context import Listener
from squall.engine.runner import Engine, RunOptions
from squall.errors import InputError, SquallError
from squall.experiment import load_source, parse_experiment
from squall.experiment.model import Activity, DryMode, Experiment, RollbackStrategy
from squall.journal.model import Journal, JournalStatus
from squall.journal.store import events_path_for
from squall.journal.stream import StreamState, read_event_stream
from squall.plan import Plan, PlanOptions, make_plan
from squall.providers import ProviderRegistry

if TYPE_CHECKING:
    from squall.journal.history import RunHistory

__all__ = ["recover_journal"]


@contextmanager
def _exclusive(path: str) -> Iterator[None]:
    with open(path, "a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError(f"{path} is being recovered by another process") from None
        yield


def recover_journal(
    journal_path: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    secret_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    settings: Mapping[str, Any] | None = None,
    registry: ProviderRegistry | None = None,
    listener: Listener | None = None,
    history: RunHistory | None = None,
) -> Journal:
    """Finish the run that was writing ``journal_path`` (and say so in ``history``).

    Raises:
        InputError: there is nothing to recover, or the stream cannot be read.
    """
    events = events_path_for(journal_path)
    if not os.path.exists(events):
        if os.path.exists(journal_path):
            raise InputError(f"{journal_path}: the run finished (or was recovered); nothing to do")
        raise InputError(
            f"no event stream {events}: nothing to recover (give the --journal-path the run used)"
        )
    with _exclusive(events):
        try:
            state = read_event_stream(events)
        except (OSError, ValueError) as exc:
            raise InputError(str(exc)) from None
        experiment = _experiment(state)
        plan = make_plan(experiment, _plan_options(state, settings or {}))
        options = RunOptions(
            overrides=overrides,
            secret_overrides=secret_overrides,
            journal_path=journal_path,
            run_id=state.journal.run_id,
            settings=settings,
            history=history,
        )
        engine = Engine(registry, listener, entry_points=False)
        if state.ended:  # the run finished; only its final journal was not written
            state.journal.status = JournalStatus(state.end.get("status", "completed"))
            return engine.recover(plan, state.journal, (), options, interrupted=False)
        return engine.recover(plan, state.journal, owed_rollbacks(plan, state), options)


def _plan_options(state: StreamState, settings: Mapping[str, Any]) -> PlanOptions:
    strategy = state.start.get("rollback_strategy")
    dry = state.start.get("dry")
    return PlanOptions(
        rollback_strategy=RollbackStrategy(strategy) if strategy else None,
        dry=DryMode(dry) if dry else None,
        settings=settings,
    )


def _experiment(state: StreamState) -> Experiment:
    """The experiment as run: re-read from its source when that still matches (it holds
    the inline secrets the journal masks), else the journal's copy."""
    copy = parse_experiment(state.journal.experiment)
    source = state.start.get("source")
    if source and os.path.exists(source):
        try:
            document = load_source(source)
            original = parse_experiment(document.data, document.name)
        except SquallError:
            return copy
        if _names(original.rollbacks) == _names(copy.rollbacks):
            return original
    return copy


def _names(activities: tuple[Activity, ...]) -> list[str]:
    return [a.name for a in activities]


def owed_rollbacks(plan: Plan, state: StreamState) -> tuple[Activity, ...]:
    """Rollbacks the strategy owes a run that stopped abruptly, minus those it finished.

    When the run had decided (its stream says whether it plays its rollbacks, after its
    strategy and any interruption), that decision holds. Before that: ``default`` owes
    them once the method started (something may be injected); ``always`` always;
    ``never`` never; ``deviated`` only when the after-check deviated.
    """
    strategy = plan.rollback_strategy
    if state.play_rollbacks is False:
        return ()
    if state.play_rollbacks is None:
        if strategy is RollbackStrategy.NEVER:
            return ()
        if strategy is RollbackStrategy.DEVIATED and not state.journal.deviated:
            return ()
        if strategy is RollbackStrategy.DEFAULT and not state.started_method:
            return ()
    done = Counter(state.rollback_names)
    owed = []
    for activity in plan.rollbacks:
        if done[activity.name]:
            done[activity.name] -= 1
        else:
            owed.append(activity)
    return tuple(owed)
