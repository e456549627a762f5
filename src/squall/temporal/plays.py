"""The plays of the steps a worker runs (activities, rollbacks, hypotheses), kept so that
a worker that is starved, not dead, is not taken for lost.

A busy host or a CPU-throttled container can leave a worker silent for longer than the
run's ``heartbeat``: Temporal then gives its play up. The workflow offers the step again
on that worker's own queue (``squall-hooks-PID-...``, which only that process polls; its
heartbeats name it), as a *resume* of the play; the worker answers it with the first
play's result, waited for if it still runs. A step is never played twice by this: only
the process that played it can take the resume, and it does not play it again. A worker
that does not take the resume within ``schedule_to_start`` seconds is gone: the step is
then lost as before (a method activity failed, a hypothesis checked again elsewhere, a
rollback played again from its start elsewhere).

A play Temporal gave up on goes on on its worker (the resume will want its result); one
that no resume claims in time is stopped (:meth:`Plays.orphaned`), so nothing runs on
unwatched after the run has moved on. An ended play is kept for :data:`KEEP` seconds (a
resume comes as soon as its worker answers again), at most :data:`MOST` of them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from squall.engine.context import RunContext
    from squall.temporal.steps import StepInput, StepResult

__all__ = ["KEEP", "MOST", "Play", "Plays"]

#: seconds an ended play's result is kept for a resume
KEEP = 600.0
#: ended plays kept at most (their entries are bounded by the output limit)
MOST = 64
#: seconds added to ``heartbeat`` + ``schedule_to_start`` before an unclaimed play that
#: Temporal gave up on is stopped
MARGIN = 30.0


@dataclass
class Play:
    """One play of a step on this worker: its result to come, and how to stop it."""

    step: StepInput
    future: asyncio.Future[StepResult]
    holder: list[RunContext] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event)
    #: a resume asked for its result (it is not an orphan)
    claimed: bool = False
    #: when it began on this worker (time.monotonic)
    started: float = field(default_factory=time.monotonic)


class Plays:
    """This worker's plays, by (workflow id, Temporal activity id of the first play)."""

    def __init__(self, keep: float = KEEP, most: int = MOST) -> None:
        self._keep = keep
        self._most = most
        self._plays: OrderedDict[tuple[str, str], Play] = OrderedDict()
        self._ended: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._watching: set[asyncio.Task[None]] = set()

    def add(self, key: tuple[str, str], play: Play) -> None:
        self._forget_old()
        self._plays[key] = play

        def ended(_: object) -> None:
            self._ended.setdefault(key, time.monotonic())
            play.holder.clear()  # its contexts (outputs, journal parts) are not kept

        play.future.add_done_callback(ended)

    def running(self) -> int:
        """How many plays have not ended."""
        return sum(not play.future.done() for play in self._plays.values())

    def claim(self, key: tuple[str, str]) -> Play | None:
        """The play a resume asks for (None when this worker has none: it was restarted,
        or the play ended too long ago)."""
        play = self._plays.get(key)
        if play is not None:
            play.claimed = True
        return play

    def orphaned(self, play: Play, wait: float, stop: Callable[[Play], None]) -> None:
        """Temporal gave ``play`` up: unless a resume claims it within ``wait`` seconds
        (the workflow found the worker gone and moved on), ``stop`` it."""

        async def watch() -> None:
            await asyncio.sleep(wait + MARGIN)
            if not play.claimed and not play.future.done():
                stop(play)

        task = asyncio.get_running_loop().create_task(watch())
        self._watching.add(task)
        task.add_done_callback(self._watching.discard)

    def _forget_old(self) -> None:
        now = time.monotonic()
        while self._ended:
            key, ended = next(iter(self._ended.items()))
            if now - ended < self._keep and len(self._ended) <= self._most:
                break
            del self._ended[key]
            self._plays.pop(key, None)
