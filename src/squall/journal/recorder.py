"""The Recorder: the only writer of a Journal during a run; streams every event to disk.

Each run entry is made fit for every sink before it is kept or written: its output cut
to the per-activity limit, and every secret in its activity, output, reason, exception
and squall section masked (squall.journal.limits, squall.masking)."""

from __future__ import annotations

import contextlib
import os
import threading

from squall.journal.limits import DEFAULT_MAX_OUTPUT, cap_output, safe_text
from squall.journal.model import ActivityRun, GroupRun, HypothesisRun, Journal, RunStatus
from squall.journal.preencode import encode_activities, start_line
from squall.journal.store import EventStream, dumps_document, encode_entry
from squall.masking import mask_text, mask_value, secrets_known
from squall.masking import scopes as _scopes

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Phase", "Recorder", "put_group"]

#: outputs ``cap_output`` keeps as they are when no secret is registered and the limit
#: holds a scalar (an int may be too long for the journal)
_WHOLE = frozenset((type(None), bool, float))


class Phase:
    """Where a run entry belongs."""

    BEFORE = "hypothesis-before"
    DURING = "hypothesis-during"
    AFTER = "hypothesis-after"
    METHOD = "method"
    ROLLBACKS = "rollbacks"


class Recorder:
    """Appends run entries to the journal (thread-safe) and to the event stream."""

    def __init__(
        self,
        journal: Journal,
        events_path: str | None,
        *,
        stream: EventStream | None = None,
        max_output: int | None = DEFAULT_MAX_OUTPUT,
        **start: Any,
    ) -> None:
        """``start``: facts a later ``squall recover`` needs (strategies, dry mode...).
        ``stream``: continue that open stream (a recovery) instead of starting one at
        ``events_path``. ``max_output``: the per-activity output limit (None: no limit)."""
        self.journal = journal
        self.max_output = max_output
        #: a scalar output (None, a boolean, a number) is kept whole: nothing to cut
        self._scalars_whole = cap_output(0.5, max_output)[1] is None
        #: id() of each activity definition -> its JSON (activities live as long as the run)
        self.encoded_activities: dict[int, str] = {}
        self._lock = threading.Lock()
        #: closed: what a thread the run abandoned records later leaves the journal alone
        self._sealed = False
        #: the secrets known as the run started (secrets_known): one learnt later may be
        #: in clear in what was encoded before it (the start line, entries)
        self._secrets_at_start = secrets_known()
        append = stream is not None
        if stream is None and events_path:
            stream = EventStream(events_path)
        self._stream = stream
        #: where the event stream is written (None: not streamed)
        self.events_path = stream.path if stream is not None else None
        #: the activities' JSON was encoded for the start event while no secret was
        #: registered (unmasked): encoded again, masked, once one is
        self._unmasked = False
        if not append and stream is not None:
            if not _scopes.any_secret:  # the usual run: the activities encoded once
                self.encoded_activities = encode_activities(journal.experiment)
                self._unmasked = True
            data = {
                "run_id": journal.run_id,
                "squall_version": journal.squall_version,
                "journal": journal.header(),
                **mask_value(start),  # the run's --var values too: never a secret's
                "event": "start",
            }
            try:
                stream.emit_line(start_line(data, self.encoded_activities))
            except OSError:  # the run is refused: leave no half-written stream behind
                stream.close(remove=True)
                raise
        if stream is not None:  # from now on a full disk stops the run, not the rollbacks
            stream.tolerant = True

    @property
    def secret_learnt(self) -> bool:
        """A secret was registered since the run started (a ``.netrc`` password): what
        was encoded before it (the experiment, earlier entries) must be masked again."""
        return secrets_known() > self._secrets_at_start

    @property
    def stream_error(self) -> OSError | None:
        """Why the event stream could not be written (a full disk), if it could not."""
        return self._stream.error if self._stream is not None else None

    @property
    def stream_complete(self) -> bool:
        """Every event is in the stream (or there is no stream)."""
        return self._stream is None or self._stream.complete

    def _emit(self, event: str, **data: Any) -> None:
        if self._stream is not None:
            self._stream.emit(event, **data)

    def _entries(self, phase: str) -> list[ActivityRun | None]:
        return self.journal.rollbacks if phase == Phase.ROLLBACKS else self.journal.run

    def _keepable(self, run: ActivityRun) -> None:
        """Cut the entry's output to the limit and mask its secrets (in place: the journal
        keeps only this)."""
        if (
            type(run.output) in _WHOLE
            and self._scalars_whole
            and not run.reason
            and run.exception is None
            and not _scopes.any_secret
            and run.squall is None
        ):
            return  # nothing to make safe, cut or mask (the usual probe's output)
        run.output, note = cap_output(run.output, self.max_output)
        # a driver's error may hold what UTF-8 cannot (a file name that is not UTF-8)
        run.reason = safe_text(run.reason)
        if run.exception:
            run.exception = [safe_text(line) for line in run.exception]
        squall = run.squall
        if squall and "outputs" in squall:  # the values of ${outputs...} used: cut too
            used = [
                {**u, "value": cap_output(u["value"], self.max_output)[0]}
                for u in squall["outputs"]
            ]
            squall = {**squall, "outputs": used}
        if _scopes.any_secret:  # else nothing to mask (cap_output masks the output)
            run.reason = mask_text(run.reason)
            run.exception = mask_value(run.exception)
            squall = mask_value(squall)
        if note is not None:  # a recovery must not use this output as if it were whole
            key = "output_masked" if note.get("masked") else "output_truncated"
            squall = {**(squall or {}), key: True if note.get("masked") else note}
        if run.reason and (run.status is RunStatus.FAILED or run.tolerance_met is False):
            # the console's words for the failure or the miss (placeholders resolved, a
            # tolerance probe's answer, no exception class): what every report says
            squall = {**(squall or {}), "reason": run.reason}
        run.squall = squall

    def _stream_run(
        self, event: str, phase: str, index: int | None, run: ActivityRun, hold: bool = False
    ) -> None:
        self._keepable(run)
        if self._unmasked and _scopes.any_secret:  # a secret registered during the run
            self.encoded_activities.clear()
            self._unmasked = False
        activity = self.encoded_activities.get(id(run.activity))
        if activity is None:
            activity = self.encoded_activities[id(run.activity)] = dumps_document(
                mask_value(run.activity)
            )
        encoded = run.encoded = encode_entry(run, activity)
        if self._stream is not None:
            self._stream.emit_run(event, phase, index, encoded, hold=hold)

    def reserve(self, phase: str, name: str) -> int:
        """Keep the place of an activity that starts now; the stream says it started (so a
        run killed during it is known to have begun injecting)."""
        with self._lock:
            if self._sealed:
                return -1
            # ``_entries`` without the call: once for each activity
            entries = self.journal.rollbacks if phase == Phase.ROLLBACKS else self.journal.run
            entries.append(None)
            index = len(entries) - 1
            if self._stream is not None:
                self._stream.emit_start(phase, index, name)
            return index

    def record(
        self, phase: str, run: ActivityRun, index: int | None = None, *, hold: bool = False
    ) -> None:
        """Add a finished run entry (at its reserved place if it had one). ``hold``: its
        event line shares the write of the next event (the next activity's start, in
        the usual run: one system call less per activity); the caller then calls
        ``flush`` before anything else happens (a pause, a wait, a hook, a probe...)."""
        with self._lock:
            if self._sealed:
                return
            entries = self.journal.rollbacks if phase == Phase.ROLLBACKS else self.journal.run
            if index is None:
                entries.append(run)
                index = len(entries) - 1
            else:
                entries[index] = run
            self._stream_run("activity", phase, index, run, hold)

    def flush(self) -> None:
        """Write the event line held back by ``record(..., hold=True)``, if any."""
        if self._stream is not None:
            with self._lock:
                self._stream.flush()

    def group(self, run: GroupRun) -> None:
        """A parallel group started (status "running") or ended: kept in the journal (the
        end replaces the start) and streamed."""
        with self._lock:
            if self._sealed:
                return
            put_group(self.journal.groups, run)
            self._emit("group", group=run.to_dict())

    def probe(self, phase: str, run: ActivityRun) -> None:
        """Stream a hypothesis probe (it is stored with its hypothesis result)."""
        with self._lock:
            if not self._sealed:
                self._stream_run("probe", phase, None, run)

    def hypothesis(self, phase: str, result: HypothesisRun) -> None:
        with self._lock:
            if self._sealed:
                return
            if phase == Phase.BEFORE:
                self.journal.before = result
            elif phase == Phase.AFTER:
                self.journal.after = result
            else:
                self.journal.during.append(result)
            self._emit("hypothesis", phase=phase, steady_state_met=result.steady_state_met)

    def rollbacks_decided(self, play: bool) -> None:
        """Whether the run plays its rollbacks (its strategy, its interruption): a run
        killed after this point is recovered by the same decision."""
        with self._lock:
            self._emit("rollbacks-decided", play=play)

    def pending(self, phase: str) -> list[int]:
        """Reserved places still without an entry."""
        with self._lock:
            return [i for i, run in enumerate(self._entries(phase)) if run is None]

    def note_played(self, names: list[str]) -> bool:
        """Note the rollbacks played on a stream a full disk cut short (EventStream)."""
        with self._lock:
            return self._stream is not None and self._stream.note_played(names)

    def close(self, *, keep_events: bool, ended: bool = True, keep_as: str | None = None) -> None:
        """Close the stream (kept: moved to ``keep_as`` when given); ``ended`` False: the
        run left rollbacks owed, so its stream gets no ``end`` event (``squall recover``
        finishes it). The journal is then sealed: a thread the run abandoned (a
        continuous check, Python code that did not stop) that ends later, while the
        process lives (an in-process run), records nothing in the journal returned."""
        with self._lock:
            self._sealed = True
            if ended:
                self._emit(
                    "end",
                    journal={
                        "status": self.journal.status.value,
                        "deviated": self.journal.deviated,
                    },
                )
            stream = self._stream
            if stream is None:
                return
            if keep_as is not None and keep_events and self.secret_learnt:
                stream.flush()  # the run is over: its kept copy need not replay anything
                if kept_masked(stream.path, keep_as):
                    keep_events, keep_as = False, None
            stream.close(remove=not keep_events, keep_as=keep_as)


def kept_masked(path: str, keep_as: str) -> bool:
    """Copy the ended run's event file to ``keep_as``, every line masked again (a secret
    learnt during the run, a ``.netrc`` password, was in clear in the lines written
    before it was known: the start line's experiment). False when it cannot be written
    (the file is then moved as it is: readable by its owner only)."""
    import json

    partial = f"{keep_as}.partial"
    try:
        with (
            open(path, encoding="utf-8") as source,
            open(
                os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                "w",
                encoding="utf-8",
            ) as target,
        ):
            for line in source:
                try:
                    text = json.dumps(mask_value(json.loads(line)), ensure_ascii=False)
                except ValueError:
                    text = line.rstrip("\n")
                target.write(mask_text(text) + "\n")
        os.replace(partial, keep_as)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(partial)
        return False
    return True


def put_group(groups: list[GroupRun], run: GroupRun) -> None:
    """Replace the entry of the same group run, or add it."""
    for index, known in enumerate(groups):
        if known.same(run):
            groups[index] = run
            return
    groups.append(run)
