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
own watcher then ends what that worker started. A process that a pytest process starts
with an environment of its own making (``Popen(env={"PATH": ...})``) is marked too:
:func:`hold` has ``subprocess.Popen`` add the mark to an ``env`` given without it. What
such a process starts with an environment built from scratch in turn escapes (no test
does so); so does one that outlives :data:`GRACE` + 5 s of SIGKILL (none can). Linux only
(``/proc``); elsewhere :func:`hold` does nothing.

When the watcher itself is gone too (the machine or container stopped, the watcher
killed), the next session cleans up: each watcher holds a lock on its record in
:data:`REGISTRY` (``<mark>.paths``: the directories to remove) until its work is done,
and :func:`hold` hands every record whose lock is free to a watcher of its own (which
ends that mark's processes, removes its directories and the record). Directories left by
sessions older than the records (:data:`LEFTOVERS` under /tmp, older than
:data:`LEFTOVER_AGE` and used by no process) are removed then too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["GRACE", "VARIABLE", "hold", "mark", "remove_at_end"]

#: the environment variable that marks the processes of a pytest process
VARIABLE = "SQUALL_TEST_LIFELINE"
#: seconds between SIGTERM and SIGKILL
GRACE = 5.0

#: where each watcher keeps its record (``<mark>.paths``, locked while it lives)
REGISTRY = Path(tempfile.gettempdir()) / "squall-test-lifelines"
#: the temporary directories the suite makes (tests/support, tests/*), by name
LEFTOVERS = re.compile(
    r"(squall-(shared-demo|test-history|temporal|pg|examples-security|demo-test|chromium"
    r"|kill-campaign|console-site|main-journals|driver-docs|test)|sqfuzz)-[^/]+"
)
#: seconds after which a leftover directory no process uses is a dead session's (a suite
#: run takes minutes; a live session's directories are used by its processes)
LEFTOVER_AGE = 6 * 3600.0

#: argv: the variable, the mark, the grace, the record (removed at the end; its lock,
#: fd 3, is released as the watcher exits). stdin: the lifeline, lines = paths to remove.
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
try:
    os.unlink(sys.argv[4])
except OSError:
    pass
"""

_lifeline: int | None = None
#: this session's record in :data:`REGISTRY` (appended to by :func:`remove_at_end`)
_record: int | None = None


def hold() -> None:
    """Mark this process's future subprocesses and start its watcher (once per process; a
    pytest started by a test gets a mark and a watcher of its own); first, clean up after
    sessions that ended without their watcher."""
    global _lifeline, _record
    if _lifeline is not None or not Path("/proc/self/environ").exists():
        return
    REGISTRY.mkdir(mode=0o700, exist_ok=True)
    _sweep()
    value = f"{os.getpid()}-{secrets.token_hex(8)}"
    record = _locked_record(value)
    reader, writer = os.pipe()  # neither end inheritable (PEP 446): the writer stays ours
    _watch(value, reader, record)
    os.close(reader)
    os.environ[VARIABLE] = value
    _mark_explicit_environments()
    _lifeline, _record = writer, record


def _locked_record(value: str) -> int:
    """This session's record, created locked (made under another name, so that no
    :func:`_sweep` takes it for a dead session's before its lock)."""
    making = REGISTRY / f"{value}.new"
    record = os.open(making, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    fcntl.flock(record, fcntl.LOCK_EX)
    making.rename(REGISTRY / f"{value}.paths")
    return record


def _watch(value: str, reader: int, record: int) -> None:
    """A watcher for ``value``'s processes and paths: it starts work at end-of-file on
    ``reader``; it holds ``record``'s lock (fd 3) till it is done."""
    env = {key: val for key, val in os.environ.items() if key != VARIABLE}
    path = str(REGISTRY / f"{value}.paths")
    # posix_spawn, not Popen: nothing to wait for, nor to warn about at exit ("still
    # running" is the point); no output, so no reader of pytest's output waits for it
    os.posix_spawn(
        sys.executable,
        [sys.executable, "-I", "-S", "-c", _WATCHER, VARIABLE, value, str(GRACE), path],
        env,
        file_actions=[
            (os.POSIX_SPAWN_DUP2, reader, 0),
            (os.POSIX_SPAWN_DUP2, record, 3),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
        setsid=True,
    )


def _sweep() -> None:
    """Each record whose lock is free (its session and watcher are gone) goes to a new
    watcher, at once at work; then the leftovers of sessions before the records."""
    for path in REGISTRY.glob("*.paths"):
        try:
            record = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(record, fcntl.LOCK_EX | fcntl.LOCK_NB)
            reader, writer = os.pipe()
            os.write(writer, os.read(record, 1 << 16))  # a few lines: fits the pipe
            os.close(writer)  # end-of-file: the watcher starts at once
            _watch(path.name.removesuffix(".paths"), reader, record)
            os.close(reader)
        except OSError:
            pass  # a live session's (locked), or taken by another sweep
        finally:
            os.close(record)
    _sweep_leftovers()


def _sweep_leftovers() -> None:
    """/tmp directories the suite makes, older than :data:`LEFTOVER_AGE` and that no
    process uses (as its working directory, an open file, an argument or a variable)."""
    old = time.time() - LEFTOVER_AGE
    found = [
        path
        for path in Path(tempfile.gettempdir()).iterdir()
        if LEFTOVERS.fullmatch(path.name) and path.is_dir() and path.lstat().st_mtime < old
    ]
    if found:
        used = _used_paths()
        for path in found:
            if not any(str(path) in text for text in used):
                shutil.rmtree(path, ignore_errors=True)


def _used_paths() -> list[str]:
    """What every process refers to: working directory, open files, argv, environment."""
    used = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        links = [proc / "cwd", *_listed(proc / "fd")]
        for link in links:
            with contextlib.suppress(OSError):
                used.append(os.readlink(link))
        for name in ("cmdline", "environ"):
            with contextlib.suppress(OSError):
                used.append((proc / name).read_bytes().decode(errors="replace"))
    return used


def _listed(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _mark_explicit_environments() -> None:
    """Have ``subprocess.Popen`` (``run``, ``check_output``, asyncio's subprocesses) add
    this process's mark to an ``env`` passed without it: a process started with an
    environment built from scratch is ended with the others."""
    original = subprocess.Popen.__init__

    def init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
        env: Mapping[str, str] | None = kwargs.get("env")
        if env is not None and VARIABLE not in env and VARIABLE in os.environ:
            kwargs["env"] = {**env, VARIABLE: os.environ[VARIABLE]}
        original(self, *args, **kwargs)

    subprocess.Popen.__init__ = init  # type: ignore[method-assign]


def mark() -> str | None:
    """This process's mark (None before :func:`hold`)."""
    return os.environ.get(VARIABLE) if _lifeline is not None else None


def remove_at_end(path: Path | str) -> None:
    """Have the watcher remove ``path`` (a directory tree) when this process ends, if it
    is still there (a teardown usually removes it first)."""
    line = os.fsencode(str(path)) + b"\n"
    if _lifeline is not None and _record is not None:
        os.write(_lifeline, line)
        os.write(_record, line)  # for a later session, if the watcher dies too
