"""Child processes of activities die with squall: no orphan finishes its work after squall
was killed (and ``squall recover`` then plays the same rollback a second time).

Every child (a ``process`` activity, an ``isolation: "process"`` python call) starts in a
session of its own, so its whole tree is one process group. Before the child may run
anything, its group is registered with the **reaper**: one small helper process per squall
process, in a session of its own (terminal signals do not reach it), that reads group ids
from a pipe only squall holds. When squall ends, however it ends (``kill -9`` included),
the pipe closes and the reaper kills every group still registered, then exits.

A child cannot run before it is registered: ``process`` children wait for a go line on
their stdin (``spawn``), isolated python children for their pickled call. When squall dies
before that line is written the child reads end-of-file and exits without running. A
program that leaves its group (``setsid``, a daemon) escapes; see docs/safety.md.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
from typing import IO, Any

__all__ = ["forget", "kill_group", "register", "spawn"]

#: The reaper: collect "+pgid" / "-pgid" lines until end-of-file, then kill what is left.
_REAPER = """\
import os, sys
groups = set()
for line in sys.stdin:
    op, value = line[:1], line[1:].strip()
    if value.isdigit():
        (groups.add if op == "+" else groups.discard)(int(value))
for group in groups:
    try:
        os.killpg(group, 9)
    except OSError:
        pass
"""

#: Run by ``/bin/sh -c`` before the command: wait for squall's go line, then give the
#: command an empty stdin (squall's own is never shared with a child).
_GATE = 'read -r _ || exit 125; exec </dev/null; exec "$@"'

_lock = threading.Lock()
_reaper: subprocess.Popen[bytes] | None = None


def _pipe() -> IO[bytes] | None:
    """The reaper's stdin, started on first use (None when it cannot start)."""
    global _reaper
    if _reaper is None or _reaper.poll() is not None:
        if _reaper is None:
            atexit.register(_stop_reaper)
        try:
            _reaper = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _REAPER],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            return None
    return _reaper.stdin


def _stop_reaper() -> None:
    """At a normal exit: close the pipe (the reaper kills what is still registered) and
    wait for it."""
    if _reaper is not None and _reaper.stdin is not None:
        with contextlib.suppress(OSError):
            _reaper.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            _reaper.wait(timeout=5)


def _tell(line: str) -> None:
    with _lock:
        pipe = _pipe()
        if pipe is None:
            return
        with contextlib.suppress(OSError):
            pipe.write(line.encode("ascii"))
            pipe.flush()


def register(pgid: int) -> None:
    """Have the reaper kill process group ``pgid`` if squall ends before ``forget``."""
    _tell(f"+{pgid}\n")


def forget(pgid: int) -> None:
    """The group ended (or was killed): the reaper must not kill a later owner of the id."""
    _tell(f"-{pgid}\n")


def spawn(argv: list[str] | str, *, shell: bool) -> subprocess.Popen[bytes]:
    """Start ``argv`` (a list, or a shell command line when ``shell``) in a session of its
    own, stdout and stderr piped, registered with the reaper before it runs anything.

    Raises:
        OSError: it cannot be started.
    """
    command = ["/bin/sh", "-c", argv] if shell else list(argv)
    process = subprocess.Popen(
        ["/bin/sh", "-c", _GATE, "squall-child", *command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    register(process.pid)
    assert process.stdin is not None
    try:
        process.stdin.write(b"go\n")
        process.stdin.close()
    except BrokenPipeError:  # it died already; its exit code says so
        pass
    process.stdin = None  # communicate() must not touch it again
    return process


def kill_group(process: subprocess.Popen[Any]) -> None:
    """Kill the child's whole process group (it and what it started)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.kill()
