"""Workers for the corpus cases whose activities need ``$CONF_WORK`` of their own and
nothing else of the case (tests/temporal/corpus_sides.py).

Most cases that need a worker of their own need it only because their activities (or
controls) write counters, markers and logs into ``$CONF_WORK``, which a worker reads from
its own environment. Such a case does not need a new worker: it needs a worker whose
``$CONF_WORK`` (and working directory) is the case's working directory while it runs,
and nobody else in it. A slot is such a worker with such a directory, on a queue of its
own: a case takes a free slot, runs with the slot's directory as its working directory
(emptied first), and gives the slot back; its files are then copied to
``<out>/work/<id>`` for a post-mortem. There are as many slots as commands run at once,
so no case waits for one, and a worker starts (about 0.45 s of CPU) a few times in all
instead of once per case (75 times).

A case keeps a worker of its own (``needs_fresh_worker``) when it needs more than
``$CONF_WORK`` or could leave something behind in a shared one: its own environment
variables (``env``, ``unset_env``), or a signal (the stopped activity sleeps on in the
worker for 20 s after the run has ended).
"""

from __future__ import annotations

import os
import queue
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqworker import SquallWorker

__all__ = ["Slots", "needs_fresh_worker"]


def needs_fresh_worker(case: dict[str, Any]) -> bool:
    """Whether a case that needs a worker of its own needs a new one (not a slot)."""
    return any(key in case for key in ("env", "unset_env", "signal"))


class _Slot:
    def __init__(self, number: int, root: Path) -> None:
        self.queue = f"corpus-slot-{number}"
        self.work = root / f"slot-{number}"
        self.log = root / f"worker-slot-{number}.log"
        self.worker: SquallWorker | None = None


class Slots:
    """``count`` slots under ``root``; ``start(slot, env)`` starts a slot's worker (with
    ``$CONF_WORK`` and working directory ``slot.work``) the first time it is taken."""

    def __init__(self, count: int, root: Path, start: Callable[[Path, str, Path], SquallWorker]):
        self._free: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
        self._all = [_Slot(n, root) for n in range(count)]
        for slot in self._all:
            self._free.put(slot)
        self._start = start

    @contextmanager
    def taken(self, keep: Path) -> Iterator[tuple[str, Path]]:
        """A free slot's queue and (empty) working directory; its files are copied to
        ``keep`` afterwards."""
        slot = self._free.get()
        try:
            if slot.worker is None or not slot.worker.alive():  # a dead one: its case says
                if slot.worker is not None:
                    slot.worker.stop()
                slot.work.mkdir(parents=True, exist_ok=True)
                slot.worker = self._start(slot.work, slot.queue, slot.log)
            _empty(slot.work)
            yield slot.queue, slot.work
            shutil.copytree(slot.work, keep, symlinks=True, ignore=_special, dirs_exist_ok=True)
        finally:
            self._free.put(slot)

    def stop(self) -> None:
        for slot in self._all:
            if slot.worker is not None:
                slot.worker.stop()


def _special(folder: str, names: list[str]) -> set[str]:
    """The entries of ``folder`` not to copy: neither files, folders nor links (a FIFO
    would block the copy's read)."""
    return {n for n in names if not os.path.islink(p := os.path.join(folder, n))
            and not (os.path.isfile(p) or os.path.isdir(p))}  # fmt: skip


def _empty(folder: Path) -> None:
    """Remove what ``folder`` holds (not the folder: it is a worker's working directory)."""
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
