"""The stdout and stderr of a process activity: two pipes squall makes and reads itself
with one ``poll``, to their ends, within the activity's timeout and cancellation.

``stdout=PIPE`` with ``Popen.communicate`` cost about 85 k more instructions per
activity (file objects, a selector with its keys, memoryviews): more than Popen's own
start of the process (docs/performance.md). Imported with the first process activity.
"""

from __future__ import annotations

import contextlib
import os

from squall.providers._capture import MAX_CAPTURE

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MAX_CAPTURE", "Cancelled", "Pipes", "collect"]


class Cancelled(Exception):
    """The activity's parallel group was cancelled (the process was killed)."""


def collect(
    process: Any, pipes: Pipes, argv: Any, timeout: float | None, cancel: Any
) -> tuple[bytes, bytes]:
    """The process's stdout and stderr once it ended; its group is killed when it
    overruns ``timeout`` or ``cancel`` is set (what it wrote is then read, within
    ``KILLED_OUTPUT_GRACE``, and it is reaped).

    Raises:
        Cancelled: ``cancel`` was set.
        subprocess.TimeoutExpired: it overran ``timeout``.
    """
    import subprocess
    import time

    deadline = None if timeout is None else time.monotonic() + timeout
    poll = None if cancel is None else 0.05
    exits = _Exit(process)
    try:
        while True:
            wait = poll
            if deadline is not None:
                left = max(deadline - time.monotonic(), 0.0)
                wait = left if wait is None else min(wait, left)
            if pipes.read(wait) and exits.wait(wait):
                return pipes.output()
            if cancel is not None and cancel.is_set():
                _kill(process, pipes)
                raise Cancelled(process.pid) from None
            if deadline is not None and time.monotonic() >= deadline:
                _kill(process, pipes)
                raise subprocess.TimeoutExpired(argv, timeout or 0.0) from None
    finally:
        exits.close()


#: Seconds to read a killed group's last output: its pipes end as soon as every holder
#: has died, unless a process that left the group (a daemon the command started in a
#: session of its own) holds them; the activity then ends without the rest.
KILLED_OUTPUT_GRACE = 1.0


def _kill(process: Any, pipes: Pipes) -> None:
    """Kill the process's group, read what it wrote (until its pipes end, or for
    ``KILLED_OUTPUT_GRACE`` seconds at most), and reap it."""
    from squall.providers.children import kill_group

    kill_group(process)
    pipes.read(KILLED_OUTPUT_GRACE)
    process.wait()


class _Exit:
    """Waits for the process's end within a time limit, woken by the end itself: a
    pidfd (Linux >= 5.3) in ``poll``. ``Popen.wait(timeout)`` polls ``waitpid`` between
    sleeps of 1, 2, 4 ... 50 ms instead: an activity with a timeout (or in a parallel
    group, which can be cancelled) whose child closed its pipes a moment before it
    ended waited 3 ms on average for a /bin/true (docs/performance.md). Without a time
    limit, ``Popen.wait()`` blocks in ``waitpid`` and is as prompt."""

    __slots__ = ("fd", "process")

    def __init__(self, process: Any) -> None:
        self.process = process
        #: the pidfd (opened on the first wait with a limit); -2: none can be opened
        self.fd = -1

    def wait(self, limit: float | None) -> bool:
        """True once the process has ended and is reaped (waiting ``limit`` seconds at
        most; None: until it ends)."""
        import subprocess

        if limit is not None and self.process.returncode is None and self._pidfd() >= 0:
            import select

            waiter = select.poll()
            waiter.register(self.fd, select.POLLIN)
            if not waiter.poll(limit * 1000):
                return False
            limit = None  # it ended: waitpid returns at once
        try:
            self.process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _pidfd(self) -> int:
        if self.fd == -1:
            try:
                self.fd = os.pidfd_open(self.process.pid)
            except (AttributeError, OSError):  # not Linux, or an old kernel: Popen.wait
                self.fd = -2
        return self.fd

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -2
            with contextlib.suppress(OSError):
                os.close(fd)


class Pipes:
    """The stdout and stderr pipes of a process activity (plain descriptors, given to
    Popen as ``stdout=``/``stderr=``), read with one ``poll`` to their ends."""

    __slots__ = ("chunks", "dropped", "kept", "open", "poller", "readers", "writers")

    def __init__(self) -> None:
        import select

        out = os.pipe()
        try:
            err = os.pipe()
        except OSError:  # out of descriptors: the first pipe is not left open
            _close_all(list(out))
            raise
        #: this process's ends still open: read ends (stdout, stderr), write ends
        self.readers = [out[0], err[0]]
        self.writers = [out[1], err[1]]
        self.chunks: dict[int, list[bytes]] = {out[0]: [], err[0]: []}
        #: bytes kept, and bytes read past MAX_CAPTURE and not kept, per read end
        self.kept = {out[0]: 0, err[0]: 0}
        self.dropped = {out[0]: 0, err[0]: 0}
        #: the read ends whose pipe has not ended yet
        self.open = set(self.readers)
        self.poller = select.poll()
        for fd in self.readers:
            self.poller.register(fd, select.POLLIN)

    def started(self) -> None:
        """The child has its copies of the write ends (or was not started): this
        process's are closed, so that the reads end when the child's copies do."""
        _close_all(self.writers)

    def read(self, wait: float | None) -> bool:
        """Read what comes within ``wait`` seconds (None: until every pipe ends); True
        once every pipe has ended."""
        import time

        end = None if wait is None else time.monotonic() + wait
        while self.open:
            left = None if end is None else max(end - time.monotonic(), 0.0) * 1000
            ready = self.poller.poll(left)
            if not ready:
                return False
            for fd, _events in ready:
                data = os.read(fd, 32768)
                if data:
                    self._keep(fd, data)
                else:  # the pipe's end (a hang-up, or an error: nothing more comes)
                    self.poller.unregister(fd)
                    self.open.discard(fd)
        return True

    def _keep(self, fd: int, data: bytes) -> None:
        room = MAX_CAPTURE - self.kept[fd]
        if len(data) > room:
            self.dropped[fd] += len(data) - max(room, 0)
            data = data[: max(room, 0)]
        if data:
            self.chunks[fd].append(data)
            self.kept[fd] += len(data)

    def output(self) -> tuple[bytes, bytes]:
        """stdout and stderr, as read so far (a stream cut at MAX_CAPTURE ends with a
        note)."""
        out, err = (self._text(fd) for fd in self.chunks)
        return out, err

    def _text(self, fd: int) -> bytes:
        text = b"".join(self.chunks[fd])
        if self.dropped[fd]:
            note = f"[... squall: output cut at {MAX_CAPTURE} bytes, {self.dropped[fd]} more"
            text += f"{note} bytes not kept]".encode()
        return text

    def close(self) -> None:
        """Close this process's ends still open (each once: a descriptor number closed
        twice could be another file's by then)."""
        _close_all(self.writers)
        _close_all(self.readers)


def _close_all(fds: list[int]) -> None:
    while fds:
        with contextlib.suppress(OSError):
            os.close(fds.pop())
