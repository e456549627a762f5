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
unwatched after the run has moved on. An ended play's result is kept for as long as its
run goes on, however long ago it ended (a resume may come late: the run's workflow
worker, or the server, was away meanwhile); the worker forgets the plays of the runs that
ended (:meth:`Plays.runs`, :meth:`Plays.forget_run`: it asks Temporal every
``REAP_EVERY`` seconds). Memory stays bounded: at most :data:`MOST_BYTES` of ended
plays' entries are kept; beyond, the oldest are forgotten, and the worker says so (a
resume of one then finds nothing: the step is lost as before).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from squall.engine.context import RunContext
    from squall.temporal.steps import StepInput, StepResult

__all__ = ["MOST_BYTES", "Play", "Plays"]

#: bytes of ended plays' entries kept at most (each entry is bounded by the output limit)
MOST_BYTES = 64 * 1024 * 1024
#: seconds added to ``heartbeat`` + ``schedule_to_start`` before an unclaimed play that
#: Temporal gave up on is stopped
MARGIN = 30.0
#: seconds between two tries to tell a run that Temporal gave up a play (orphaned)
SAY_EVERY = 1.0


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
    #: it was stopped because no resume claimed it in time (a late one finds it lost)
    unclaimed: bool = False


class Plays:
    """This worker's plays, by (workflow id, Temporal activity id of the first play)."""

    def __init__(
        self, most_bytes: int = MOST_BYTES, said: Callable[[str], None] | None = None
    ) -> None:
        self._most_bytes = most_bytes
        self._said = said or _stderr
        self._plays: OrderedDict[tuple[str, str], Play] = OrderedDict()
        #: ended plays, oldest first, with the size of their entry
        self._ended: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._bytes = 0
        self._watching: set[asyncio.Task[None]] = set()

    def add(self, key: tuple[str, str], play: Play) -> None:
        self._plays[key] = play

        def ended(future: asyncio.Future[StepResult]) -> None:
            play.holder.clear()  # its contexts (outputs, journal parts) are not kept
            if self._plays.get(key) is not play or key in self._ended:
                return
            size = _size(future)
            self._ended[key] = size
            self._bytes += size
            self._bound()

        play.future.add_done_callback(ended)

    def runs(self) -> set[str]:
        """The runs (workflow ids) this worker keeps plays of."""
        return {run for run, _ in self._plays}

    def forget_run(self, run: str) -> None:
        """The run ended: nothing will ask for its plays (those still running stay)."""
        for key in [k for k in self._plays if k[0] == run]:
            if key in self._ended:
                self._bytes -= self._ended.pop(key)
                del self._plays[key]

    def running(self) -> int:
        """How many plays have not ended."""
        return sum(not play.future.done() for play in self._plays.values())

    def claim(self, key: tuple[str, str]) -> Play | None:
        """The play a resume asks for (None when this worker has none: it was restarted,
        or forgot it beyond :data:`MOST_BYTES`)."""
        play = self._plays.get(key)
        if play is not None:
            play.claimed = True
        return play

    def orphaned(
        self,
        play: Play,
        wait: float,
        stop: Callable[[Play], None],
        say: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        """Temporal gave ``play`` up: ``say`` so to its run (until it is said, every
        :data:`SAY_EVERY` seconds while the server is away); unless a resume claims it
        within ``wait`` seconds (the workflow found the worker gone and moved on),
        ``stop`` it."""
        deadline = time.monotonic() + wait + MARGIN

        async def watch() -> None:
            while say is not None and not play.claimed and not await say():
                await asyncio.sleep(min(SAY_EVERY, max(deadline - time.monotonic(), 0)))
                if time.monotonic() >= deadline:
                    break
            await asyncio.sleep(max(deadline - time.monotonic(), 0))
            if not play.claimed and not play.future.done():
                stop(play)

        task = asyncio.get_running_loop().create_task(watch())
        self._watching.add(task)
        task.add_done_callback(self._watching.discard)

    def _bound(self) -> None:
        """Forget the oldest ended plays beyond :data:`MOST_BYTES` (said: a resume of one
        finds nothing)."""
        while self._bytes > self._most_bytes and len(self._ended) > 1:
            key, size = self._ended.popitem(last=False)
            self._bytes -= size
            self._plays.pop(key, None)
            self._said(
                f"squall worker: run {key[0]}: forgot the result of an ended play (this "
                f"worker keeps {self._most_bytes / 2**20:g} MiB of them at most): "
                "should its run ask for it again, the step is lost"
            )


def _size(future: asyncio.Future[StepResult]) -> int:
    """The bytes an ended play keeps (its entry; a failure keeps little)."""
    if future.cancelled() or future.exception() is not None:
        return 1024
    return len(future.result().entry) + 1024


def _stderr(text: str) -> None:
    import sys

    sys.stderr.write(text + "\n")
    sys.stderr.flush()
