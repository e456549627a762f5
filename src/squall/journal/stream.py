"""Read an event stream back (a run that was killed or crashed) into journal records."""

from __future__ import annotations

import json

from squall.journal.limits import safe_text
from squall.journal.model import ActivityRun, GroupRun, HypothesisRun, Journal, RunStatus
from squall.journal.recorder import put_group
from squall.journal.store import played_noted

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

__all__ = ["StreamState", "read_event_stream"]


class StreamState:
    """What the stream of one run says happened."""

    __slots__ = (
        "end",
        "ended",
        "journal",
        "play_rollbacks",
        "rollback_names",
        "start",
        "started_method",
    )

    def __init__(self, start: dict[str, Any], journal: Journal) -> None:
        self.start = start  # the "start" event: run id, strategies, journal header
        self.journal = journal
        self.ended = False  # the run reached its end (only the final write may be missing)
        self.end: dict[str, Any] = {}  # the "end" event's status and deviation
        self.started_method = False  # a method activity began: something may be injected
        self.rollback_names: list[str] = []  # rollbacks that completed
        #: the run's own decision to play its rollbacks or not (None: not reached)
        self.play_rollbacks: bool | None = None


def _entry(data: dict[str, Any]) -> ActivityRun:
    return ActivityRun.from_dict(data)


#: lines are read this much at a time
_CHUNK = 1 << 20
#: a line longer than this is damage (an event holds at most an output of the output
#: limit; with --max-output unlimited, an output beyond this is not read back)
MAX_EVENT_LINE = 1 << 28


def _lines(path: str) -> Iterator[bytes]:
    """The stream's lines, read a chunk at a time: a line holding a zero byte (a file
    padded with zeros by a crash of the machine) or longer than ``MAX_EVENT_LINE`` is
    damage, dropped as soon as it shows, without being held in memory."""
    with open(path, "rb") as handle:
        parts: list[bytes] = []
        size, damaged = 0, False
        while chunk := handle.readline(_CHUNK):
            if not damaged:
                size += len(chunk)
                damaged = b"\0" in chunk or size > MAX_EVENT_LINE
                if damaged:
                    parts = []
                else:
                    parts.append(chunk)
            if chunk.endswith(b"\n"):
                if not damaged:
                    yield b"".join(parts)
                parts, size, damaged = [], 0, False
        if parts and not damaged:
            yield b"".join(parts)


def _events(path: str) -> list[dict[str, Any]]:
    records = []
    for line in _lines(path):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # cut short by the kill, not UTF-8, damaged
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def read_event_stream(path: str) -> StreamState:
    """Rebuild the journal of a run from its event stream.

    Raises:
        ValueError: the file has no ``start`` event (not a squall event stream).
    """
    records = _events(path)
    if not records or records[0].get("event") != "start":
        raise ValueError(f"{path} is not a squall event stream (no start event)")
    start = records[0]
    header = start.get("journal") or {}
    journal = Journal(
        experiment=header.get("experiment") or {},
        start=header.get("start", ""),
        platform=header.get("platform", ""),
        node=header.get("node", ""),
        squall_version=str(start.get("squall_version", "")),
        run_id=str(start.get("run_id", "")),
    )
    journal.experiment_hash = str(start.get("experiment_hash") or "")
    state = StreamState(start, journal)
    probes: list[ActivityRun] = []
    names: dict[tuple[str, int], str] = {}
    for record in records[1:]:
        if record.get("event") == "activity-start":
            names[(str(record.get("phase")), _index(record, -1))] = safe_text(
                str(record.get("name"))
            )
        _apply(state, record, probes)
    for phase, entries in (("method", journal.run), ("rollbacks", journal.rollbacks)):
        for index, entry in enumerate(entries):
            if entry is None:
                entries[index] = _unfinished(names.get((phase, index), "?"))
    state.rollback_names = _with_noted(state.rollback_names, played_noted(path))
    return state


def _with_noted(streamed: list[str], noted: list[str]) -> list[str]:
    """The rollbacks played, from the stream and from the note a run cut short by a full
    disk left (``EventStream.note_played``): each name as many times as the larger of
    the two counts (the note is the run's whole list; a recovery's own appear only in
    the stream)."""
    if not noted:
        return streamed
    from collections import Counter

    counts = Counter(streamed) | Counter(noted)
    return list(counts.elements())


def _unfinished(name: str) -> ActivityRun:
    """An activity that was running when the run stopped."""
    why = "still running when the run stopped (killed or crashed)"
    return ActivityRun(
        activity={"name": name},
        start="",
        status=RunStatus.FAILED,
        exception=[f"{why}\n"],
        reason=why,
    )


#: a place beyond this in a stream is damage, not a run (the input limits allow fewer
#: activities): it would make a list of that many places
_MAX_INDEX = 1_000_000


def _index(record: dict[str, Any], default: int) -> int:
    """The entry's place; a damaged one (not a small whole number) is the default's."""
    index = record.get("index", default)
    if type(index) is not int or not 0 <= index < _MAX_INDEX:
        return default
    return index


def _apply(state: StreamState, record: dict[str, Any], probes: list[ActivityRun]) -> None:
    event, phase = record.get("event"), record.get("phase")
    journal = state.journal
    entries = journal.rollbacks if phase == "rollbacks" else journal.run
    if event == "activity-start":
        state.started_method |= phase == "method"
        index = _index(record, len(entries))
        entries.extend([None] * (index + 1 - len(entries)))
    elif event == "activity":
        index = _index(record, len(entries))
        entries.extend([None] * (index + 1 - len(entries)))
        entries[index] = _entry(record.get("run") or {})
        state.started_method |= phase == "method"
        entry = entries[index]
        if phase == "rollbacks" and entry is not None and not entry.cut_short:  # cut: owed
            state.rollback_names.append(entry.name)
    elif event == "probe":
        probes.append(_entry(record.get("run") or {}))
    elif event == "hypothesis":
        result = HypothesisRun(record.get("steady_state_met"), list(probes))
        probes.clear()
        if phase == "hypothesis-before":
            journal.before = result
        elif phase == "hypothesis-after":
            journal.after = result
            journal.deviated = result.steady_state_met is False
        else:
            journal.during.append(result)
    elif event == "group":
        _group(journal, record.get("group") or {})
    elif event == "rollbacks-decided":
        state.play_rollbacks = bool(record.get("play"))
    elif event == "end":
        state.ended = True
        state.end = record.get("journal") or {}


def _group(journal: Journal, data: dict[str, Any]) -> None:
    """A parallel group's start or end line: its end replaces its start, so a group whose
    end was never streamed (the run died during it) stays "unfinished"."""
    run = GroupRun.from_dict(data)
    if run.status == "running":
        run.status = "unfinished"
    put_group(journal.groups, run)
