"""Live progress: what is running now, while it runs.

On a terminal, one line at the bottom shows the running activity (phase, type, name,
elapsed time; a pause counts down), redrawn ten times a second and erased before every
permanent line. Off a terminal (CI logs), nothing animates: an activity still running after
``SQUALL_PROGRESS_AFTER`` seconds (default 2) gets one line saying so, and a pause that
long gets one line when it starts; the activity's usual line follows when it ends.

The ticker thread starts with the first activity of a run and stops with the verdict; a run
whose activities all end quickly never writes anything here.
"""

from __future__ import annotations

import os
import threading
import time

from squall.errors import printable

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["Live"]

_SPIN = "-\\|/"
_monotonic = time.monotonic


def _after() -> float:
    try:
        return max(0.0, float(os.environ.get("SQUALL_PROGRESS_AFTER", "2")))
    except ValueError:
        return 2.0


class _Item:
    """A running activity; its label is formatted only when it is shown (most activities
    end long before the ticker looks at them)."""

    __slots__ = ("announced", "kind", "name", "pause_label", "pause_until", "phase", "since")

    def __init__(self, phase: str, kind: str, name: str, since: float) -> None:
        self.phase = phase
        self.kind = kind
        self.name = name
        self.since = since
        self.announced = False
        self.pause_until = 0.0
        self.pause_label = ""

    @property
    def label(self) -> str:
        return f"{self.phase:<8} {self.kind:<6} {self.name}"


class Live:
    """The running activities of one run, shown on ``stream``."""

    def __init__(self, stream: TextIO, *, tty: bool) -> None:
        self.stream = stream
        self.tty = tty
        self.after = _after()
        self.lock = threading.Lock()
        self.running: dict[int, _Item] = {}
        self.shown = False  # a live line is on screen (terminal only)
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        #: a line-buffered stream (stderr) writes each line out itself
        self._flush = not getattr(stream, "line_buffering", False)

    def started(self, key: int, phase: str, kind: str, name: str) -> None:
        """An activity started: ``phase`` (as shown), its type and name."""
        self.running[key] = _Item(phase, kind, name, _monotonic())
        if self.thread is None:
            self.thread = threading.Thread(target=self._tick, name="squall-live", daemon=True)
            self.thread.start()

    def finished(self, key: int, name: str) -> None:
        """An activity ended (``name`` as written: it is made printable only here, when
        a control handed the engine a copy and the key is not found)."""
        if self.running.pop(key, None) is None:
            shown = printable(name)
            for other, item in list(self.running.items()):
                if item.name == shown:
                    self.running.pop(other, None)
                    break

    def pausing(self, key: int, label: str, seconds: float) -> None:
        item = self.running.get(key)
        if item is None:
            return
        now = time.monotonic()
        item.pause_until, item.pause_label = now + seconds, label
        item.since = item.pause_until  # the activity's own time starts after the pause
        if not self.tty and seconds >= self.after:
            self.write(f"  ... pause {seconds:g} s {label}")

    def write(self, text: str) -> None:
        """A permanent line: the live line is erased first and redrawn at the next tick."""
        with self.lock:
            if self.shown:
                self.stream.write("\r\x1b[K")
                self.shown = False
            self.stream.write(text + "\n")
            if self._flush:
                self.stream.flush()

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=1)
        with self.lock:
            if self.shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self.shown = False

    def _tick(self) -> None:
        turn = 0
        while not self.stop.wait(0.1 if self.tty else 0.25):
            turn += 1
            items = list(self.running.values())
            if self.tty:
                self._draw(items, turn)
            else:
                self._announce(items)

    def _draw(self, items: list[_Item], turn: int) -> None:
        now = time.monotonic()
        if not items:
            line = ""
        else:
            item = items[-1]
            if item.pause_until > now:
                what = f"pause {item.pause_until - now:4.1f} s left {item.pause_label}"
            else:
                what = f"{item.label}  {now - item.since:.1f} s"
            more = f"  (+{len(items) - 1} running)" if len(items) > 1 else ""
            line = f"  {_SPIN[turn % len(_SPIN)]} {what}{more}"
            line = line[: self._columns() - 1]  # a wrapped line could not be erased
        with self.lock:
            if line or self.shown:
                self.stream.write(f"\r\x1b[K{line}")
                self.stream.flush()
                self.shown = bool(line)

    def _columns(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        return columns or 80  # a terminal that does not know its size says 0

    def _announce(self, items: list[_Item]) -> None:
        now = time.monotonic()
        for item in items:
            if not item.announced and now - item.since >= self.after and item.pause_until <= now:
                item.announced = True
                self.write(f"  ... {item.label}: still running after {now - item.since:.0f} s")
