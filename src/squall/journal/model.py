"""The journal: what happened during a run, as typed records.

``Journal.to_dict`` gives the Chaos Toolkit-compatible document (same keys, same statuses,
same order) plus a ``squall`` section with squall's own verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum

from squall._record import Record
from squall._version import CHAOSLIB_VERSION

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "FORMAT_VERSION",
    "ActivityRun",
    "GroupRun",
    "HypothesisRun",
    "Journal",
    "JournalStatus",
    "Outcome",
    "RunStatus",
    "started_run",
]

#: The Chaos Toolkit journal format version that squall writes (``chaoslib-version``).
FORMAT_VERSION = CHAOSLIB_VERSION


class RunStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JournalStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"


class Outcome(StrEnum):
    """squall's verdict; each maps to one exit code of ``squall run``."""

    HELD = "held"  # 0
    DEVIATED = "deviated"  # 1
    BROKEN = "broken"  # 3
    NOT_RUN = "not-run"  # 4
    INTERRUPTED = "interrupted"  # 130

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self]


_EXIT_CODES = {
    Outcome.HELD: 0,
    Outcome.DEVIATED: 1,
    Outcome.BROKEN: 3,
    Outcome.NOT_RUN: 4,
    Outcome.INTERRUPTED: 130,
}


class ActivityRun(Record):
    """One execution of an activity (a run entry of the journal)."""

    __slots__ = (
        "activity",
        "duration",
        "encoded",
        "end",
        "exception",
        "output",
        "reason",
        "squall",
        "start",
        "status",
        "tolerance_met",
    )

    def __init__(
        self,
        *,
        activity: Mapping[str, Any],
        start: str,
        status: RunStatus = RunStatus.SUCCEEDED,
        output: Any = None,
        end: str = "",
        duration: float = 0.0,
        exception: list[str] | None = None,
        tolerance_met: bool | None = None,
        reason: str = "",
        squall: dict[str, Any] | None = None,
    ) -> None:
        self.activity = activity
        self.start = start
        self.status = status
        self.output = output
        self.end = end
        self.duration = duration
        self.exception = exception
        self.tolerance_met = tolerance_met
        #: why it failed or why its tolerance was not met (shown, not journaled as is)
        self.reason = reason
        #: squall's additions to the entry (parallel group, outputs used, retry attempts,
        #: wait_until, failure policy); None: nothing
        self.squall = squall
        #: the entry as JSON, set once it is final (see Recorder)
        self.encoded: str | None = None

    @property
    def cut_short(self) -> bool:
        """A signal (``squall.interrupted``) or a stop (``squall.cancelled``: a
        background activity, a parallel group's member) ended it before its end: a
        rollback so cut is still owed."""
        squall = self.squall
        return bool(squall and (squall.get("interrupted") or squall.get("cancelled")))

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "activity": self.activity,
            "output": self.output,
            "start": self.start,
            "status": self.status,  # a StrEnum: encoded as its string
        }
        if self.exception is not None:
            entry["exception"] = self.exception
        entry["end"] = self.end
        entry["duration"] = self.duration
        if self.tolerance_met is not None:
            entry["tolerance_met"] = self.tolerance_met
        if self.squall is not None:
            entry["squall"] = self.squall
        return entry

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActivityRun:
        """Read back a journal's run entry (an event stream's, or a written journal's,
        squall's or the Chaos Toolkit's); a malformed field gets its default."""
        activity = data.get("activity")
        status = RunStatus.SUCCEEDED if data.get("status") == "succeeded" else RunStatus.FAILED
        exception = data.get("exception")
        if exception is not None and not isinstance(exception, list):
            exception = [str(exception)]
        tolerance_met = data.get("tolerance_met")
        extra = data.get("squall")
        return cls(
            activity=activity if isinstance(activity, Mapping) else {},
            start=str(data.get("start") or ""),
            status=status,
            output=data.get("output"),
            end=str(data.get("end") or ""),
            duration=_seconds(data.get("duration")),
            exception=[str(line) for line in exception] if exception is not None else None,
            tolerance_met=tolerance_met if isinstance(tolerance_met, bool) else None,
            squall=extra if isinstance(extra, dict) else None,
        )

    @property
    def excused(self) -> bool:
        """A failure its ``on_failure: continue`` policy excuses (the run is not broken)."""
        return bool(self.squall and self.squall.get("excused"))

    @property
    def name(self) -> str:
        """The activity's name; for a reference that named no activity (it failed), the
        name it referred to."""
        return str(self.activity.get("name") or self.activity.get("ref") or "")


_new = object.__new__
#: read once: an Enum member read from its class runs Enum code (0.9 k instructions)
_SUCCEEDED = RunStatus.SUCCEEDED


def started_run(activity: Mapping[str, Any], start: str) -> ActivityRun:
    """``ActivityRun(activity=activity, start=start)``, every other field at its default,
    without the call by keywords (the class called with keywords gets them as a new
    dict): the engine's entry for each activity that starts."""
    run = _new(ActivityRun)
    run.activity = activity
    run.start = start
    run.status = _SUCCEEDED
    run.output = None
    run.end = ""
    run.duration = 0.0
    run.exception = None
    run.tolerance_met = None
    run.reason = ""
    run.squall = None
    run.encoded = None
    return run


class GroupRun(Record):
    """A parallel group's own outcome (squall addition; in ``squall.groups``)."""

    __slots__ = (
        "activities",
        "cancelled",
        "duration",
        "end",
        "failed",
        "join",
        "name",
        "phase",
        "start",
        "status",
    )

    def __init__(
        self,
        *,
        name: str,
        phase: str,
        join: str,
        start: str,
        activities: list[str],
        status: str = "running",
        failed: list[str] | None = None,
        cancelled: list[str] | None = None,
        end: str = "",
        duration: float = 0.0,
    ) -> None:
        self.name = name
        self.phase = phase
        self.join = join
        self.start = start
        self.activities = activities
        self.status = status  # running, succeeded, failed, interrupted or unfinished
        self.failed: list[str] = failed or []
        self.cancelled: list[str] = cancelled or []
        self.end = end
        self.duration = duration

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "phase": self.phase,
            "join": self.join,
            "status": self.status,
            "start": self.start,
            "end": self.end,
            "duration": self.duration,
            "activities": self.activities,
            "failed": self.failed,
            "cancelled": self.cancelled,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupRun:
        """Read back from an event stream (a malformed field gets its default)."""

        def names(key: str) -> list[str]:
            value = data.get(key)
            return [str(v) for v in value] if isinstance(value, list) else []

        return cls(
            name=str(data.get("name", "")),
            phase=str(data.get("phase", "")),
            join=str(data.get("join", "all")),
            start=str(data.get("start", "")),
            activities=names("activities"),
            status=str(data.get("status", "unfinished")),
            failed=names("failed"),
            cancelled=names("cancelled"),
            end=str(data.get("end", "")),
            duration=float(data.get("duration") or 0.0),
        )

    def same(self, other: GroupRun) -> bool:
        """The same group run (its start line and its end line)."""
        return (self.phase, self.start) == (other.phase, other.start)


class HypothesisRun(Record):
    """One check of the steady-state hypothesis."""

    __slots__ = ("probes", "steady_state_met")

    def __init__(
        self, steady_state_met: bool | None, probes: list[ActivityRun] | None = None
    ) -> None:
        self.steady_state_met = steady_state_met
        self.probes: list[ActivityRun] = probes if probes is not None else []

    def to_dict(self) -> dict[str, Any]:
        return {
            "steady_state_met": self.steady_state_met,
            "probes": [p.to_dict() for p in self.probes],
        }

    def to_document(self) -> dict[str, Any]:
        return {
            "steady_state_met": self.steady_state_met,
            "probes": [_entry(p) for p in self.probes],
        }


class Journal(Record):
    """The whole record of a run (filled in by the Recorder and the engine)."""

    __slots__ = (
        "_outcome",
        "after",
        "before",
        "deviated",
        "duration",
        "during",
        "end",
        "experiment",
        "experiment_hash",
        "groups",
        "interruption",
        "node",
        "platform",
        "reasons",
        "rollbacks",
        "run",
        "run_id",
        "squall_version",
        "start",
        "status",
    )

    def __init__(
        self,
        *,
        experiment: Mapping[str, Any],
        start: str,
        platform: str,
        node: str,
        squall_version: str,
        run_id: str = "",
    ) -> None:
        self.experiment = experiment
        self.start = start
        self.platform = platform
        self.node = node
        self.squall_version = squall_version
        self.run_id = run_id
        #: SHA-256 of the experiment as loaded (the run history's ``experiment_hash``)
        self.experiment_hash = ""
        self.status = JournalStatus.COMPLETED
        self.deviated = False
        self.before: HypothesisRun | None = None
        self.after: HypothesisRun | None = None
        self.during: list[HypothesisRun] = []
        self.run: list[ActivityRun | None] = []
        self.rollbacks: list[ActivityRun | None] = []
        self.end = ""
        self.duration = 0.0
        self.interruption: dict[str, Any] | None = None
        self._outcome: Outcome | None = None
        self.reasons: list[str] = []
        #: parallel groups' own outcomes (squall addition), in the order they started
        self.groups: list[GroupRun] = []

    @property
    def outcome(self) -> Outcome:
        """How the run ended (``held``, ``deviated``...; an ``Outcome``, a ``str``).

        Every journal a run returns has one (``squall.run_experiment``, ``Engine.run``,
        the pytest plugin's ``squall_run``), so a program's ``mypy --strict`` needs no
        ``assert`` after a run. Only a journal seen while its run is still going (a
        listener's, or one read back from an unfinished run's journal file) has none:
        ``decided_outcome`` is then None, and this raises.

        Raises:
            RuntimeError: the run has not ended yet.
        """
        if self._outcome is None:
            raise RuntimeError("the run has not ended: its journal has no outcome yet")
        return self._outcome

    @outcome.setter
    def outcome(self, value: Outcome) -> None:
        self._outcome = value

    @property
    def decided_outcome(self) -> Outcome | None:
        """The outcome, or None while the run is still going."""
        return self._outcome

    def header(self) -> dict[str, Any]:
        """The keys known at the start of a run (the first record of the event stream)."""
        return {
            "chaoslib-version": FORMAT_VERSION,
            "platform": self.platform,
            "node": self.node,
            "experiment": self.experiment,
            "start": self.start,
        }

    def squall_section(self) -> dict[str, Any]:
        outcome = self._outcome
        section: dict[str, Any] = {
            "version": self.squall_version,
            "run_id": self.run_id,
            **({"experiment_hash": self.experiment_hash} if self.experiment_hash else {}),
            "outcome": outcome.value if outcome else None,
            "exit_code": outcome.exit_code if outcome else None,
            "reasons": self.reasons,
        }
        if self.groups:
            section["groups"] = [g.to_dict() for g in self.groups]
        return section

    def to_dict(self) -> dict[str, Any]:
        """The journal as plain data (Chaos Toolkit-compatible keys and order)."""
        return self._build(lambda entry: entry.to_dict(), lambda h: h.to_dict())

    def to_document(self) -> dict[str, Any]:
        """The same, with run entries as the JSON text recorded during the run (for files)."""
        return self._build(_entry, lambda h: h.to_document())

    def _build(
        self, entry: Callable[[ActivityRun], Any], state: Callable[[HypothesisRun], Any]
    ) -> dict[str, Any]:
        doc = self.header()
        doc["status"] = self.status.value
        doc["deviated"] = self.deviated
        doc["steady_states"] = {
            "before": state(self.before) if self.before else None,
            "after": state(self.after) if self.after else None,
            "during": [state(h) for h in self.during],
        }
        doc["run"] = [entry(r) for r in self.run if r is not None]
        doc["rollbacks"] = [entry(r) for r in self.rollbacks if r is not None]
        doc["end"] = self.end
        doc["duration"] = self.duration
        if self.interruption is not None:
            doc["interruption"] = self.interruption
        doc["squall"] = self.squall_section()
        return doc


def _seconds(value: Any) -> float:
    """A duration read back: a number, else 0.0 (never NaN, never negative)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        return 0.0
    return float(min(value, 1e12))


def _entry(run: ActivityRun) -> Any:
    """The recorded JSON text of an entry if it has one, else its mapping."""
    encoded = run.encoded
    if encoded is None:
        return run.to_dict()
    if type(encoded) is not str:  # an Encoded already (the recorder's): no copy
        return encoded
    from squall.journal.store import Encoded

    return Encoded(encoded)
