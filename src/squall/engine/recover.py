"""``squall recover``: finish a run that was killed, crashed, or stopped with rollbacks
owed, from its event stream (see docs/recovery.md).

The stream is the run's own (keyed by its run id in the recovery directory) and holds
everything needed: the experiment as it ran (never the file as it is now), the
configuration given on the command line, and which inline secrets it left out. Secrets
are resolved again from their sources; an inline secret an owed rollback uses must be
given again (``--var-file``), else recovery refuses rather than play with ``***``.

The rollbacks the strategy owes are played once: a rollback the stream shows as
finished is not played again; one that was running when the run stopped is played again
(so rollbacks should be idempotent, as squall's own drivers' are). The recovery is
appended to the same stream, which it holds locked, so a second ``recover`` finds
nothing to do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager

from squall.engine.machine import owed_after_crash, unplayed
from squall.engine.runner import Engine, RunOptions
from squall.errors import InputError
from squall.experiment import parse_experiment
from squall.experiment.model import Activity, DryMode, RollbackStrategy
from squall.journal.model import Journal, JournalStatus
from squall.journal.recovery import StreamInfo, list_streams
from squall.journal.store import EventStream, StreamBusy, events_path_for
from squall.journal.stream import StreamState, read_event_stream
from squall.plan import Plan, PlanOptions, make_plan
from squall.providers import ProviderRegistry
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:
    from typing import Any

    from squall.engine.context import Listener
    from squall.journal.history import RunHistory

__all__ = ["Unrecovered", "find_stream", "owed_rollbacks", "recover_run", "unrecovered"]


def find_stream(target: str) -> str:
    """The event stream of the run named by ``target``: a run id (or a unique prefix of
    one) in the recovery directory, or the journal path the run was given.

    Raises:
        InputError: nothing matches, or several runs do.
    """
    streams = list_streams()
    by_id = [s for s in streams if target and s.run_id.startswith(target)]
    if len(by_id) == 1:
        return by_id[0].path
    where = os.path.abspath(target)
    by_journal = [s for s in streams if s.journal_path == where]
    if len(by_journal) == 1:
        return by_journal[0].path
    several = by_id or by_journal
    if several:
        ids = ", ".join(f"{s.run_id} (started {s.started})" for s in several)
        raise InputError(
            f"{show_value(target)} names several unrecovered runs: {ids}; give a run id"
        )
    legacy = events_path_for(target)  # a stream written next to its journal (squall < 0.9)
    if os.path.exists(legacy):
        return legacy
    if os.path.exists(target):
        raise InputError(f"{target}: the run finished (or was recovered); nothing to do")
    raise InputError(
        f"no unrecovered run {show_value(target)}: nothing to recover (`squall recover --list` "
        "shows the runs that can be recovered)"
    )


def recover_run(
    events: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    secret_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    settings: Mapping[str, Any] | None = None,
    registry: ProviderRegistry | None = None,
    listener: Listener | None = None,
    history: RunHistory | None = None,
    shared_keys: Collection[str] = (),
) -> Journal:
    """Finish the run whose event stream is ``events`` (and say so in ``history``).
    ``shared_keys``: as ``RunOptions``'; the stopped run's own override keys count as
    such (it was accepted with them: a near miss among them does not stop a recovery).

    Raises:
        InputError: the stream cannot be read, is held by a live process, or an owed
            rollback needs an inline secret that was not given again.
    """
    try:
        stream = EventStream(events, append=True)
    except StreamBusy:
        raise InputError(
            f"{events} is held by another squall process: the run is still going, or "
            "being recovered"
        ) from None
    except OSError as exc:
        raise InputError(f"cannot open {events}: {exc.strerror or exc}") from None
    try:
        try:
            state = read_event_stream(events)
        except ValueError:  # no start event: killed while writing it, or not a stream
            raise InputError(
                f"{events} has no start event: its run was killed as it began, before "
                "anything ran (nothing is owed), or it is not a squall event stream; "
                f"`squall recover {os.path.basename(events).removesuffix('.events.jsonl')} "
                "--discard` removes it"
            ) from None
        journal_path = state.start.get("journal_path") or _legacy_journal(events)
        plan = make_plan(parse_experiment(state.journal.experiment), _plan_options(state, settings))
        owed = () if state.ended else owed_rollbacks(plan, state)
        secret_overrides = secret_overrides or {}
        _check_secrets(state, owed, secret_overrides)
        kept = state.start.get("overrides") or {}
        options = RunOptions(
            overrides={**kept, **(overrides or {})},
            shared_keys={*shared_keys, *(k for k in kept if k not in (overrides or {}))},
            secret_overrides=secret_overrides,
            journal_path=journal_path,
            run_id=state.journal.run_id,
            settings=settings,
            history=history,
        )
    except BaseException:
        stream.close(remove=False)
        raise
    if owed:
        _wait_for_dead_runs(listener)
    engine = Engine(registry, listener, entry_points=False)
    with _in_directory(state.start.get("cwd")):
        if state.ended:  # the run finished; only its final journal was not written
            state.journal.status = JournalStatus(state.end.get("status", "completed"))
            return engine.recover(plan, state.journal, (), options, stream, interrupted=False)
        return engine.recover(plan, state.journal, owed, options, stream)


def _wait_for_dead_runs(listener: Listener | None) -> None:
    """Play nothing while the dead run's children may still run: a rollback it was
    playing is ended by its reaper first (squall.providers.children)."""
    from squall.providers.children import REAPER_WAIT, wait_for_dead_runs

    if not wait_for_dead_runs() and listener is not None:
        listener.warning(
            f"a squall process that died was still having its children ended after "
            f"{REAPER_WAIT:g} s: a rollback its run was playing may still be running "
            "while it is played again"
        )


@contextmanager
def _in_directory(path: Any) -> Iterator[None]:
    """Work in the run's own directory (when it still exists), as the run did."""
    before = os.getcwd()
    moved = isinstance(path, str) and os.path.isdir(path)
    if moved:
        os.chdir(path)
    try:
        yield
    finally:
        if moved:
            os.chdir(before)


def _legacy_journal(events: str) -> str:
    return events[: -len(".events.jsonl")] if events.endswith(".events.jsonl") else events


def _plan_options(state: StreamState, settings: Mapping[str, Any] | None) -> PlanOptions:
    strategy = state.start.get("rollback_strategy")
    dry = state.start.get("dry")
    return PlanOptions(
        rollback_strategy=RollbackStrategy(strategy) if strategy else None,
        dry=DryMode(dry) if dry else None,
        settings=settings or {},
    )


def _check_secrets(
    state: StreamState,
    owed: tuple[Activity, ...],
    given: Mapping[str, Mapping[str, Any]],
) -> None:
    """Refuse to play a rollback with an inline secret the stream does not hold.

    Raises:
        InputError: an owed rollback uses an inline secret that was not given again.
    """
    missing = [
        (scope, key)
        for scope, key in _inline(state)
        if key not in given.get(scope, {}) and any(_uses(a, scope, key) for a in owed)
    ]
    if missing:
        names = ", ".join(f"{scope}.{key}" for scope, key in missing)
        raise InputError(
            f"the rollbacks run {state.journal.run_id} owes use secrets ({names}) given "
            "inline or by --var-file, whose values are never written to disk: give them "
            "again with --var-file "
            "FILE (a `secrets:` section), or move them to `env`/`vault` secrets; nothing "
            "was played"
        )


def _inline(state: StreamState) -> list[tuple[str, str]]:
    listed = state.start.get("inline_secrets")
    if isinstance(listed, list):
        return [(str(p[0]), str(p[1])) for p in listed if isinstance(p, list) and len(p) == 2]
    declared = state.journal.experiment.get("secrets") or {}  # an older stream: "***"
    return [
        (scope, key)
        for scope, entries in declared.items()
        if isinstance(entries, dict)
        for key, value in entries.items()
        if value == "***"
    ]


def _uses(activity: Activity, scope: str, key: str) -> bool:
    """Whether the activity may see secret ``scope.key``: it names the scope in its
    provider's ``secrets``, or ``${key}`` appears in it."""
    provider = activity.raw.get("provider") or {}
    scopes = provider.get("secrets") if isinstance(provider, dict) else None
    if isinstance(scopes, list | str) and scope in scopes:
        return True
    return ("${" + key + "}") in json.dumps(activity.raw)


def owed_rollbacks(plan: Plan, state: StreamState) -> tuple[Activity, ...]:
    """Rollbacks the strategy owes a run that stopped abruptly, minus those it finished.

    When the run had decided (its stream says whether it plays its rollbacks, after its
    strategy and any interruption), that decision holds. Before that: ``default`` owes
    them once the method started (something may be injected); ``always`` always;
    ``never`` never; ``deviated`` only when the after-check deviated.
    """
    if not owed_after_crash(
        plan, state.play_rollbacks, state.started_method, state.journal.deviated
    ):
        return ()
    return unplayed(plan.rollbacks, state.rollback_names)


class Unrecovered:
    """A run that stopped without finishing: what ``recover --list`` shows."""

    __slots__ = ("info", "owed", "problem")

    def __init__(self, info: StreamInfo, owed: tuple[str, ...], problem: str = "") -> None:
        self.info = info
        self.owed = owed  # names of the rollbacks still owed
        self.problem = problem  # why the stream cannot be read (then nothing is known)

    def to_dict(self) -> dict[str, Any]:
        start = self.info.start
        return {
            "run_id": self.info.run_id,
            "title": self.info.title,
            "started": self.info.started,
            "source": start.get("source"),
            "journal_path": self.info.journal_path,
            "events_path": self.info.path,
            "running": self.info.running,
            "pid": start.get("pid"),
            "owed": list(self.owed),
            "problem": self.problem or None,
        }


def unrecovered(settings: Mapping[str, Any] | None = None) -> list[Unrecovered]:
    """Every run of the recovery directory, with the rollbacks it still owes."""
    found = []
    for info in list_streams():
        try:
            state = read_event_stream(info.path)
            plan = make_plan(
                parse_experiment(state.journal.experiment), _plan_options(state, settings)
            )
            owed = () if state.ended else owed_rollbacks(plan, state)
            found.append(Unrecovered(info, tuple(a.name for a in owed)))
        except Exception as exc:  # a damaged stream is still listed
            found.append(Unrecovered(info, (), f"{type(exc).__name__}: {exc}"))
    return found
