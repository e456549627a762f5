"""The run's progress as newline-delimited JSON events in a file (``--events-file``).

``squall run --events-file PATH`` adds this module as a global control; it can also be
declared like any control (``provider.arguments.path``). Its ``configure_control``
registers an event handler (the Chaos Toolkit's ``RunEventHandler`` interface, which
third-party controls use too), and the handler appends one JSON object per event, each
with a ``type`` and a ``timestamp``, the lines the Chaos Toolkit's ``chaos run
--events-file`` writes:

    run-started, hypothesis-started/-completed (phase before, during, after),
    method-started, activity-started, activity-completed, method-completed,
    rollbacks-started, rollbacks-completed, run-interrupted, run-finished

Each line is written whole as it comes (a reader can tail the file) and masked: a secret
of the run never reaches it. The file is a ``squall._sink.Sink``: a FIFO whose reader
stops reading costs the run at most 2 s, then no more events are written. An
activity's output larger than 4096 characters once encoded is left to the journal
(``output_truncated``, ``output_size``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from squall._sink import Sink, describe
from squall.compat.chaoslib.run import RunEventHandler
from squall.controls._args import arguments_of
from squall.masking import mask_text, mask_value
from squall.show import bounded_output

__all__: list[str] = []  # control functions, not activities (for `squall discover`)

log = logging.getLogger("squall.controls.events_file")


def validate_control(control: Mapping[str, Any]) -> None:
    path = arguments_of(control).get("path")
    if not isinstance(path, str) or not path:
        raise ValueError("'path' must name the file the events are written to")


def configure_control(event_registry: Any = None, path: str = "", **_: Any) -> None:
    if event_registry is not None:
        event_registry.register(EventFile(path))


class EventFile(RunEventHandler):
    """Appends the run's events to ``path`` (a suite's runs one after the other: the
    command empties the file once, before the first)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self._lock = threading.Lock()
        self._stream: Sink | None = None
        self._failed = False

    def emit(self, event_type: str, **payload: Any) -> None:
        event = {"type": event_type, "timestamp": datetime.now(UTC).isoformat(), **payload}
        try:  # the values masked, then the text (a secret split over two values)
            line = mask_text(json.dumps(mask_value(event), ensure_ascii=False, default=repr))
        except (ValueError, RecursionError) as exc:  # bounded_output made outputs safe
            log.warning("events file %s: event %s not written: %s", self.path, event_type, exc)
            return
        with self._lock:
            if self._failed:
                return
            try:
                if self._stream is None:
                    self._stream = Sink(self.path)
                self._stream.write(line + "\n")
            except OSError as exc:  # the run goes on: the journal is the record
                self._failed = True
                why = describe(exc)
                log.warning("events file %s: %s: no more events are written", self.path, why)

    def _close(self) -> None:
        with self._lock:
            if self._stream is not None:
                try:
                    self._stream.close()
                except OSError as exc:
                    log.warning("events file %s: %s", self.path, describe(exc))
                self._stream = None

    # --- the run's events (chaoslib.run.RunEventHandler's methods) ---------------------

    def running(self, experiment: Any, *_: Any) -> None:
        self.emit("run-started", title=_get(experiment, "title"))

    def finish(self, journal: Any) -> None:
        self.emit(
            "run-finished",
            status=_get(journal, "status"),
            deviated=_get(journal, "deviated", False),
        )
        self._close()

    def interrupted(self, *_: Any) -> None:
        self.emit("run-interrupted")

    def start_hypothesis_before(self, *_: Any) -> None:
        self.emit("hypothesis-started", phase="before")

    def hypothesis_before_completed(self, experiment: Any, state: Any, *_: Any) -> None:
        self.emit("hypothesis-completed", phase="before", **_state(state))

    def start_hypothesis_after(self, *_: Any) -> None:
        self.emit("hypothesis-started", phase="after")

    def hypothesis_after_completed(self, experiment: Any, state: Any, *_: Any) -> None:
        self.emit("hypothesis-completed", phase="after", **_state(state))

    def start_continuous_hypothesis(self, frequency: Any = None, *_: Any) -> None:
        self.emit("hypothesis-started", phase="during", frequency=frequency)

    def continuous_hypothesis_iteration(self, iteration: int, state: Any = None) -> None:
        self.emit("hypothesis-completed", phase="during", iteration=iteration, **_state(state))

    def start_method(self, *_: Any) -> None:
        self.emit("method-started")

    def method_completed(self, *_: Any) -> None:
        self.emit("method-completed")

    def start_rollbacks(self, *_: Any) -> None:
        self.emit("rollbacks-started")

    def rollbacks_completed(self, *_: Any) -> None:
        self.emit("rollbacks-completed")

    def start_activity(self, activity: Any) -> None:
        self.emit(
            "activity-started",
            name=_get(activity, "name"),
            activity_type=_get(activity, "type"),
            background=bool(_get(activity, "background", False)),
        )

    def activity_completed(self, activity: Any, run: Any) -> None:
        payload = {
            "name": _get(activity, "name"),
            "activity_type": _get(activity, "type"),
            "status": _get(run, "status"),
            "duration": _get(run, "duration"),
            **bounded_output(_get(run, "output")),
        }
        exception = _get(run, "exception")
        if exception:
            payload["error"] = "".join(str(line) for line in exception).strip()
        self.emit("activity-completed", **payload)


def _get(value: Any, key: str, default: Any = None) -> Any:
    return value.get(key, default) if isinstance(value, Mapping) else default


def _state(state: Any) -> dict[str, Any]:
    if not isinstance(state, Mapping):
        return {"met": None, "probes": []}
    return {
        "met": state.get("steady_state_met"),
        "probes": [
            {
                "name": _get(_get(probe, "activity"), "name"),
                "status": _get(probe, "status"),
                "tolerance_met": _get(probe, "tolerance_met"),
                **bounded_output(_get(probe, "output")),
            }
            for probe in state.get("probes") or []
        ],
    }
