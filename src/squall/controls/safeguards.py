"""Stop conditions: probes that must keep holding while the experiment runs.

The arguments are those of ``chaosaddons.controls.safeguards``: ``probes``, a list of
probe declarations (any provider type, with a ``tolerance``). A probe with neither
``background`` nor ``frequency`` runs before the experiment, and the run does not start
unless it holds; ``background: true`` runs once in a background thread as the run starts;
``frequency: <seconds>`` runs in a background thread at that interval until the
rollbacks begin.

A probe that fails or misses its tolerance is a **breach**: the run stops at once (the
running activity is cut short as by a signal), the journal's status is ``interrupted``
with ``interruption.kind: safeguard`` and a reason naming the probe, the rollbacks are
played (strategy ``default`` plays them once the method started; ``never`` does not),
and ``squall run`` exits 130.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from squall import Interrupted, show_value
from squall.controls._args import arguments_of
from squall.intervals import interval

if TYPE_CHECKING:
    from squall.hooks import RunView

__all__: list[str] = []  # control functions, not activities (for `squall discover`)

log = logging.getLogger("squall.controls.safeguards")


def validate_control(control: Mapping[str, Any]) -> None:
    probes = arguments_of(control).get("probes")
    if not isinstance(probes, list) or not probes:
        raise ValueError('"probes" must be a non-empty list of probe declarations')
    for index, probe in enumerate(probes):
        where = f"probes[{index}]"
        if not isinstance(probe, Mapping) or not isinstance(probe.get("name"), str):
            raise ValueError(f"{where} must be a probe declaration with a 'name'")
        frequency = probe.get("frequency")
        if frequency is not None:
            if isinstance(frequency, bool) or not isinstance(frequency, int | float):
                raise ValueError(f"{where}.frequency must be a number of seconds")
            try:
                interval(frequency)
            except ValueError as exc:
                raise ValueError(f"{where}.frequency: {exc}") from None


def control_probes(control: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The probes this control runs, for ``squall validate`` to check them like the
    experiment's own: ``(pointer under the arguments, declaration)`` pairs."""
    probes = arguments_of(control).get("probes")
    if not isinstance(probes, list):
        return []
    return [(f"/probes/{i}", p) for i, p in enumerate(probes) if isinstance(p, Mapping)]


class Guard:
    """The safeguards of one run: the threads that watch, and the breach they report."""

    def __init__(self, run: RunView) -> None:
        self.run = run
        self.blocking: list[Mapping[str, Any]] = []
        self.watching: list[Mapping[str, Any]] = []
        self.done = threading.Event()
        self.threads: list[threading.Thread] = []
        self.breached: str | None = None
        self.started = False

    def add(self, probes: list[Mapping[str, Any]]) -> None:
        """Probes of one more declaration (a run may declare several safeguards)."""
        for probe in probes:
            watched = probe.get("frequency") or probe.get("background")
            (self.watching if watched else self.blocking).append(probe)

    def check(self, probe: Mapping[str, Any]) -> bool:
        """Run one probe; on a breach, stop the run (once) and return False."""
        try:
            entry = self.run.run_probe(probe)
        except Exception as exc:  # an invalid declaration is a breach too: never guess
            entry = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
        if entry.get("status") == "succeeded" and entry.get("tolerance_met") is not False:
            return True
        if self.done.is_set():  # the run is past the point where it may be stopped
            return True
        why = entry.get("reason") or ("it failed" if entry.get("status") != "succeeded" else "")
        reason = (
            f"safeguard probe {show_value(probe['name'])} breached: {why or 'tolerance not met'}"
        )
        if self.breached is None:
            self.breached = reason
            log.warning("%s: stopping the run", reason)
            self.run.request_stop(reason, str(probe["name"]), "safeguard")
        return False

    def start(self) -> None:
        for probe in self.watching:
            thread = threading.Thread(
                target=self._watch, args=(probe,), name=f"squall-safeguard-{probe['name']}"
            )
            thread.daemon = True
            self.threads.append(thread)
            thread.start()

    def _watch(self, probe: Mapping[str, Any]) -> None:
        frequency = probe.get("frequency")
        while not self.done.is_set():
            if not self.check(probe) or not frequency:
                return
            if self.done.wait(float(frequency)):
                return

    def stop(self, wait: float = 5.0) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(wait)


_GUARDS: dict[str, Guard] = {}  # by run id (a process may run several experiments)


def configure_control(run: RunView, probes: list[Mapping[str, Any]] | None = None) -> None:
    guard = _GUARDS.get(run.run_id)
    if guard is None:
        guard = _GUARDS[run.run_id] = Guard(run)
    guard.add(list(probes or ()))


def before_experiment_control(run: RunView) -> None:
    """Check the blocking probes, then start watching; a breach stops the run here.
    Called once per declaration: the first call does it for all of them."""
    guard = _GUARDS.get(run.run_id)
    if guard is None or guard.started:
        return
    guard.started = True
    for probe in guard.blocking:
        if not guard.check(probe):
            raise Interrupted(guard.breached or "safeguard breached", str(probe["name"]))
    guard.start()


def before_rollback_control(run: RunView) -> None:
    """The rollbacks undo the faults: a safeguard never stops them."""
    guard = _GUARDS.get(run.run_id)
    if guard is not None:
        guard.stop(wait=0)


def cleanup_control(run: RunView) -> None:
    guard = _GUARDS.pop(run.run_id, None)
    if guard is not None:
        guard.stop()
