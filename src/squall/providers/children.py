"""Child processes of activities die with squall: no orphan finishes its work after squall
was killed (and ``squall recover`` then plays the same rollback a second time).

Every child (a ``process`` activity, an ``isolation: "process"`` python call) starts in a
session of its own, so its whole tree is one process group, and that group is registered
with the **reaper**: one small helper process per squall process (started with the first
child, in a session of its own so terminal signals do not reach it) that reads group ids
from a pipe only squall holds. When squall ends, however it ends (``kill -9`` included),
the pipe closes and the reaper kills every group still registered, then exits.

Between the start of a ``process`` child and its registration there is a moment (the
``exec`` and one write) when squall could die. The child's stdin closes that gap without
a gate process: it is the **lifeline**, the read end of a pipe that has no writer (so the
child reads end-of-file, as from ``/dev/null``) and that only squall's children hold.
squall says ``?`` to the reaper before each such start and ``=pgid`` after it; if squall
dies with a start announced but not confirmed, the reaper also kills the group of every
process whose stdin is the lifeline (Linux: found through ``/proc``). Isolated python
children need no lifeline: they wait for their pickled call, which squall sends only once
they are registered (end-of-file instead: they exit without running).

A signal that raises while a child starts (inside Popen, whose pid may then never reach
squall) kills that child at once: starts take turns, so the only child of squall with the
lifeline as stdin that is not registered is that one (``_kill_lost``).

A program that leaves its group (``setsid``, a daemon) escapes; see docs/recovery.md.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["forget", "kill_group", "register", "spawn", "wait_for_dead_runs"]

#: The reaper (``python -I -S``: no site, no squall import). Lines: ``+pgid`` register,
#: ``-pgid`` forget, ``?`` a start is announced, ``=pgid`` it is confirmed and registered,
#: ``!`` it failed. It sleeps in ``poll`` for the end of the pipe only (events 0: squall's
#: writes do not wake it, so a line costs squall no context switch) and reads what came
#: every quarter of a second. At the end: kill the registered groups, and when a start was
#: still announced, the groups of the processes whose stdin is the lifeline (``argv[1]``);
#: then leave at once (``os._exit``: nothing to flush; Python's own finalisation was about
#: 7 M instructions, which a normal exit of squall waited for).
_REAPER = """\
# squall reaper
import os, select, sys
os.set_blocking(0, False)
waiter = select.poll()
waiter.register(0, 0)
groups, pending, rest, done = set(), 0, b"", False
while not done:
    waiter.poll(250)
    while True:
        try:
            data = os.read(0, 65536)
        except BlockingIOError:
            break
        if not data:
            done = True
            break
        *lines, rest = (rest + data).split(b"\\n")
        for line in lines:
            op, value = line[:1], line[1:]
            if op in (b"?", b"!", b"="):
                pending += 1 if op == b"?" else -1
            if value.isdigit():
                (groups.discard if op == b"-" else groups.add)(int(value))
if pending > 0:
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.readlink(f"/proc/{pid}/fd/0") == sys.argv[1]:
                groups.add(os.getpgid(int(pid)))
        except OSError:
            pass
for group in groups:
    try:
        os.killpg(group, 9)
    except OSError:
        pass
os._exit(0)
"""

_lock = threading.Lock()
_starting = threading.Lock()
#: the groups registered (``register``, or started by ``spawn``) and not forgotten yet
_registered: set[int] = set()
_reaper: subprocess.Popen[bytes] | None = None
_lifeline = -1


def _pipe() -> int | None:
    """The reaper's stdin (its file descriptor), the reaper started on first use or when
    the last one was found dead (None when it cannot start)."""
    global _reaper
    if _reaper is None or _reaper.returncode is not None:
        if _reaper is None:
            atexit.register(_stop_reaper)
        try:
            _reaper = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _REAPER, _lifeline_name(), str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            return None
        assert _reaper.stdin is not None
        if _registered:  # a replacement: it learns the groups its predecessor knew
            with contextlib.suppress(OSError):
                os.write(_reaper.stdin.fileno(), "".join(f"+{g}\n" for g in _registered).encode())
    assert _reaper.stdin is not None
    return _reaper.stdin.fileno()


def _lifeline_name() -> str:
    return f"pipe:[{os.fstat(_life()).st_ino}]"


def _life() -> int:
    """The lifeline: the read end of a pipe whose write end is closed at once."""
    global _lifeline
    if _lifeline < 0:
        _lifeline, writer = os.pipe()
        os.close(writer)
    return _lifeline


def _bury_reaper() -> None:
    """Reap a reaper found dead (its ``returncode`` then tells ``_pipe`` to start another)."""
    if _reaper is not None:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            _reaper.wait(timeout=5)
        if _reaper.stdin is not None:
            with contextlib.suppress(OSError):
                _reaper.stdin.close()


def _stop_reaper() -> None:
    """At a normal exit: close the pipe (the reaper kills what is still registered, then
    leaves at once) and wait for it, so that those groups are dead before squall's exit
    goes on (and the reaper is reaped: no "still running" warning at exit)."""
    if _reaper is not None and _reaper.stdin is not None:
        with contextlib.suppress(OSError):
            _reaper.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            _reaper.wait(timeout=5)


def _tell(line: str) -> None:
    """One line to the reaper: one ``write`` of a few bytes (whole: less than PIPE_BUF).
    A reaper that died (killed by someone) is noticed by that write, which then fails
    (nobody reads its pipe): it is reaped and replaced, and the line goes to the new one.
    (No liveness check per line: three per process activity cost a ``waitpid`` each.)"""
    data = line.encode("ascii")
    with _lock:
        for _attempt in range(2):
            pipe = _pipe()
            if pipe is None:
                return
            try:
                os.write(pipe, data)
                return
            except BrokenPipeError:  # the reaper is gone: the next round starts another
                _bury_reaper()
            except OSError:
                return


def register(pgid: int) -> None:
    """Have the reaper kill process group ``pgid`` if squall ends before ``forget``."""
    _registered.add(pgid)
    _tell(f"+{pgid}\n")


def forget(pgid: int) -> None:
    """The group ended (or was killed): the reaper must not kill a later owner of the id."""
    _registered.discard(pgid)
    _tell(f"-{pgid}\n")


def spawn(
    argv: list[str] | str,
    *,
    shell: bool,
    started: Callable[[subprocess.Popen[bytes]], object] | None = None,
    stdout: int = subprocess.PIPE,
    stderr: int = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` (a list, or a shell command line when ``shell``) in a session of its
    own, the lifeline as its stdin, and register it. Its stdout and stderr are piped,
    or go to the descriptors given (the process provider makes and reads its pipes
    itself: providers/process.py).

    ``started`` gets the process as soon as it exists, before it is registered: a caller
    that kills its child on an exception (a signal's) then never misses one. An exception
    while the child is being started (a signal raising inside Popen, even before Popen
    knows the pid) kills that child here.

    Raises:
        OSError: it cannot be started.
    """
    with _starting:  # one start at a time: an unregistered child of ours is this one
        _tell("?\n")  # before it exists: if squall dies now, the reaper looks for it
        process = None
        try:
            process = subprocess.Popen(
                argv,
                shell=shell,
                stdin=_life(),
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
                # pipes made here are read through their descriptors: no buffered
                # reader (its fstat, isatty and tell: 3 system calls a pipe)
                bufsize=0,
            )
            if started is not None:
                started(process)
            _tell(f"={process.pid}\n")
            _registered.add(process.pid)
        except OSError:  # no child runs (an exec that failed was reaped by Popen)
            _tell("!\n")
            raise
        except BaseException:
            if _kill_lost(process):
                _tell("!\n")
            raise
        return process


def _kill_lost(process: subprocess.Popen[bytes] | None) -> bool:
    """Kill (and reap) the child being started when its start was interrupted; True when
    it is certainly gone. Without ``process`` (Popen raised before returning), it is
    found in ``/proc``: a child of this process whose stdin is the lifeline and that is
    not registered."""
    if process is not None:
        if process.returncode is None:
            kill_group(process)
            process.wait()
        return True
    me, lifeline = os.getpid(), _lifeline_name()
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return False
    for pid in pids:
        if pid in _registered:
            continue
        try:
            if os.readlink(f"/proc/{pid}/fd/0") != lifeline:
                continue
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            if parent == me:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except (OSError, ValueError, IndexError):
            continue
    return True


def kill_group(process: subprocess.Popen[Any]) -> None:
    """Kill the child's whole process group (it and what it started)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.kill()


#: how long ``squall recover`` waits for the reapers of dead squall processes
REAPER_WAIT = 10.0


def wait_for_dead_runs(timeout: float = REAPER_WAIT) -> bool:
    """Wait until the reapers of squall processes that died have ended, that is, have
    killed every process group those left running (a rollback in flight, say); True
    when none is left. ``squall recover`` calls it before playing: a rollback's replay
    never overlaps the dead run's attempt at it. A reaper is one of a dead squall when
    its parent is no longer the squall process named in its arguments."""
    deadline = time.monotonic() + timeout
    waiting = [pid for pid in _pids() if _orphaned_reaper(pid)]
    while waiting:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
        waiting = [pid for pid in waiting if _orphaned_reaper(pid)]
    return True


def _pids() -> list[int]:
    try:
        return [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:  # no /proc: nothing to wait for that can be seen
        return []


def _orphaned_reaper(pid: int) -> bool:
    """``pid`` is a reaper (its code's first line) whose squall has died (a zombie has
    no arguments left: it has done its work)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = handle.read().split(b"\0")
        if len(argv) < 7 or not argv[4].startswith(b"# squall reaper\n"):
            return False
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        return parent != int(argv[6])
    except (OSError, ValueError, IndexError):
        return False
