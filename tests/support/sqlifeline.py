"""Whatever a pytest process starts dies with it, however that process ends.

Session fixtures start processes that are not its children, or not only: the shared demo's
components are detached on purpose (``squall.demo.procs.spawn``: new session, parent 1),
and a test may leave a ``squall demo up`` or a worker behind. When pytest is killed
(``kill -9``, a CI timeout, an xdist controller gone), no teardown runs and they lived on,
each with a state directory under /tmp.

As squall's own reaper does for an activity's children (``squall.providers.children``),
a pytest process that calls :func:`hold` starts a small **watcher** (``python -I -S``, in
a session of its own so a terminal's signals do not reach it) that blocks reading a pipe
only that pytest process can write (the write end is not inherited by children). When the
pytest process ends, however it ends, the pipe reads end-of-file and the watcher:

1. ends every process whose environment holds this pytest process's mark
   (:data:`VARIABLE`, a fresh random value set in ``os.environ`` by :func:`hold`, so every
   subprocess inherits it: demos, servers, workers, squall runs): SIGTERM, then SIGKILL to
   those still there after :data:`GRACE` seconds;
2. removes the directories given to :func:`remove_at_end`.

A normal end has nothing left to end (fixtures tore everything down): the watcher then
only removes what is still registered. An xdist worker is started by its controller with
the controller's mark: a killed controller takes its workers with it, and each worker's
own watcher then ends what that worker started. A process started with an environment of
its own making (no mark) escapes; so does one that outlives :data:`GRACE` + 5 s of SIGKILL
(none can). Linux only (``/proc``); elsewhere :func:`hold` does nothing.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

__all__ = ["GRACE", "VARIABLE", "hold", "mark", "remove_at_end"]

#: the environment variable that marks the processes of a pytest process
VARIABLE = "SQUALL_TEST_LIFELINE"
#: seconds between SIGTERM and SIGKILL
GRACE = 5.0

#: argv: the variable, the mark, the grace. stdin: the lifeline, lines = paths to remove.
_WATCHER = r"""
import os, shutil, signal, sys, time
token = (sys.argv[1] + "=" + sys.argv[2]).encode()
grace = float(sys.argv[3])
paths, rest = [], b""
while True:
    try:
        data = os.read(0, 65536)
    except InterruptedError:
        continue
    if not data:
        break
    *lines, rest = (rest + data).split(b"\n")
    paths += [line for line in lines if line]
me = os.getpid()
def marked():
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != me:
            try:
                with open("/proc/" + name + "/environ", "rb") as environ:
                    if token in environ.read().split(b"\0"):
                        found.append(int(name))
            except OSError:
                pass
    return found
signalled, start = set(), time.monotonic()
while (left := marked()) and time.monotonic() - start < grace + 5:
    late = time.monotonic() - start > grace
    for pid in left:
        if late or pid not in signalled:
            for sig in ((signal.SIGKILL,) if late else (signal.SIGTERM, signal.SIGCONT)):
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            signalled.add(pid)
    time.sleep(0.05)
for path in paths:
    shutil.rmtree(os.fsdecode(path), ignore_errors=True)
"""

_lifeline: int | None = None


def hold() -> None:
    """Mark this process's future subprocesses and start its watcher (once per process; a
    pytest started by a test gets a mark and a watcher of its own)."""
    global _lifeline
    if _lifeline is not None or not Path("/proc/self/environ").exists():
        return
    value = f"{os.getpid()}-{secrets.token_hex(8)}"
    reader, writer = os.pipe()  # neither end inheritable (PEP 446): the writer stays ours
    env = {key: val for key, val in os.environ.items() if key != VARIABLE}
    # posix_spawn, not Popen: nothing to wait for, nor to warn about at exit ("still
    # running" is the point); no output, so no reader of pytest's output waits for it
    os.posix_spawn(
        sys.executable,
        [sys.executable, "-I", "-S", "-c", _WATCHER, VARIABLE, value, str(GRACE)],
        env,
        file_actions=[
            (os.POSIX_SPAWN_DUP2, reader, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
        setsid=True,
    )
    os.close(reader)
    os.environ[VARIABLE] = value
    _lifeline = writer


def mark() -> str | None:
    """This process's mark (None before :func:`hold`)."""
    return os.environ.get(VARIABLE) if _lifeline is not None else None


def remove_at_end(path: Path | str) -> None:
    """Have the watcher remove ``path`` (a directory tree) when this process ends, if it
    is still there (a teardown usually removes it first)."""
    if _lifeline is not None:
        os.write(_lifeline, os.fsencode(str(path)) + b"\n")
