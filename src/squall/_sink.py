"""Files squall appends lines to as a run goes (``--events-file``, ``--log-file``),
opened so that they never hold the run.

A FIFO is opened without waiting for a reader: with none, the open fails (``ENXIO``)
where a plain ``open`` would block before anything ran. Once open, a line waits at most
``STALL`` seconds for a reader that stopped reading, then the write fails
(``TimeoutError``): a rollback is never held by a pipe nobody empties. A regular file,
``/dev/null`` or a terminal behaves as with ``open``.
"""

from __future__ import annotations

import errno
import os

__all__ = ["STALL", "Sink", "describe"]

#: the longest a line waits for a FIFO's reader to make room (seconds)
STALL = 2.0


class Sink:
    """``path`` opened for appending (``truncate``: emptied first), never blocking.

    Raises:
        OSError: it cannot be opened (``ENXIO``: a FIFO that no program reads).
    """

    __slots__ = ("fd", "path")

    def __init__(self, path: str, *, truncate: bool = False) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC
        self.path = path
        self.fd: int | None = os.open(path, flags | (os.O_TRUNC if truncate else 0), 0o666)

    def write(self, text: str) -> None:
        """Write ``text`` whole.

        Raises:
            OSError: the write failed (``TimeoutError``: a reader that stopped reading).
        """
        if self.fd is None:
            raise ValueError(f"{self.path} is closed")
        data = memoryview(text.encode("utf-8", "surrogateescape"))
        deadline: float | None = None
        while data:
            try:
                data = data[os.write(self.fd, data) :]
            except BlockingIOError:
                deadline = _wait_writable(self.fd, deadline)

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)


def _wait_writable(fd: int, deadline: float | None) -> float:
    """Wait until ``fd`` takes more, up to ``STALL`` seconds from the first wait."""
    import select
    import time

    now = time.monotonic()
    deadline = now + STALL if deadline is None else deadline
    if now >= deadline or not select.select([], [fd], [], deadline - now)[1]:
        raise TimeoutError(errno.ETIMEDOUT, f"its reader took nothing for {STALL:g} s")
    return deadline


def describe(exc: OSError) -> str:
    """What went wrong, for a message that names the path itself."""
    if exc.errno == errno.ENXIO:
        return "no program reads it (a FIFO without a reader, or a socket: squall does not wait)"
    return exc.strerror or str(exc)
