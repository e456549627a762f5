"""``isolation: "process"``: call a python function in a child process that can be killed.

The child is ``sys.executable -c <_child.py>`` in a new session (its own process group),
so a timeout, a signal or a stop request kills it and whatever it started; it is
registered with the reaper (``children``) before it gets its call, so it dies with
squall. The call is sent pickled on its stdin; the answer comes back on a pipe of its
own (the function's prints go to squall's stdout and stderr, as in-process). Imported
only when an activity asks for isolation.
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import signal
import subprocess
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

from squall.errors import ActivityFailed, ActivityTimeout, Interrupted
from squall.providers.base import Call
from squall.providers.children import forget, register
from squall.show import show_value

__all__ = ["run_isolated"]

#: How often a waiting call checks for a stop request (the main thread's signals need no poll).
_POLL = 0.05

#: Children still running: killed when squall exits (a background activity's thread may be
#: abandoned by an interrupted run before it sees the stop request).
_RUNNING: set[subprocess.Popen[bytes]] = set()


@cache
def _program() -> str:
    source = Path(__file__).with_name("_child.py").read_text(encoding="utf-8")
    return source + "\nmain()\n"


def run_isolated(module: str, func: str, kwargs: dict[str, Any], call: Call) -> Any:
    """Call ``module.func(**kwargs)`` in a child process and return its value.

    Raises:
        UserCodeError: the function raised (its traceback text is kept).
        ActivityTimeout: it overran ``call.timeout``; the child was killed.
        ActivityFailed: the child died, the call or its value cannot be pickled, or its
            parallel group was cancelled (the child was killed).
        Interrupted: the run was asked to stop; the child was killed.
    """
    try:
        request = pickle.dumps(
            {"path": list(sys.path), "module": module, "func": func, "kwargs": kwargs}
        )
    except Exception as exc:
        raise ActivityFailed(
            f"the arguments of {func}() cannot be sent to its process: {type(exc).__name__}: {exc}"
        ) from None
    reader, writer = os.pipe()
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", _program(), str(writer)],
            stdin=subprocess.PIPE,
            pass_fds=(writer,),
            start_new_session=True,
        )
    finally:
        os.close(writer)
    _RUNNING.add(child)
    register(child.pid)  # before it gets its call: it cannot outlive squall
    try:
        data = _exchange(child, reader, request, call)
    except BaseException:
        _kill(child)
        raise
    finally:
        os.close(reader)
        _RUNNING.discard(child)
        forget(child.pid)
    return _answer(data, child.wait(), call.name)


def _exchange(child: subprocess.Popen[bytes], reader: int, request: bytes, call: Call) -> bytes:
    assert child.stdin is not None
    try:
        child.stdin.write(request)
        child.stdin.close()
    except BrokenPipeError:  # the child died at once; its exit code tells the rest
        pass
    deadline = None if call.timeout is None else time.monotonic() + call.timeout
    chunks: list[bytes] = []
    polled = call.stop is not None or call.cancel is not None
    while True:
        if call.stop is not None and call.stop.is_set():
            raise Interrupted(
                f"the run was stopped while {show_value(call.name)} ran; its process was killed"
            )
        if call.cancel is not None and call.cancel.is_set():  # its parallel group's
            raise ActivityFailed(f"{show_value(call.name)} was cancelled; its process was killed")
        wait = _POLL if polled else None
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ActivityTimeout(
                    f"activity {show_value(call.name)} did not finish within its timeout of "
                    f"{call.timeout:g}s; its process (pid {child.pid}) was killed"
                )
            wait = left if wait is None else min(wait, left)
        ready, _, _ = select.select([reader], [], [], wait)
        if ready:
            chunk = os.read(reader, 1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _answer(data: bytes, code: int, name: str) -> Any:
    from squall.providers.python import UserCodeError

    if not data:
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with {code}"
        raise ActivityFailed(f"the process of {show_value(name)} {how} before it returned a result")
    answer = pickle.loads(data)
    if answer[0] == "ok":
        return answer[1]
    raise UserCodeError(answer[1], answer[2] or [f"{answer[1]}\n"])


@atexit.register
def _kill_running() -> None:
    for child in list(_RUNNING):
        _kill(child)


def _kill(child: subprocess.Popen[bytes]) -> None:
    """Kill the child and its process group, and reap it."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        child.kill()
    child.wait()
