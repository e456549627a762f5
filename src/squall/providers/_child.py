"""The child side of ``isolation: "process"``: call one python function, send back the result.

This file is not imported in the child: its text is run with ``python -c`` (so the child
does not import the squall package, and its ``sys.path`` is the parent's, sent with the
call). Protocol: the call arrives pickled on stdin as a mapping (``path``, ``module``,
``func``, ``kwargs``); the answer goes pickled to the file descriptor named by ``argv[1]``:
``("ok", value)`` or ``("error", message, traceback_lines)``.
"""

from __future__ import annotations

import os
import pickle
import sys
from typing import Any


def _describe(exc: BaseException) -> tuple[str, str, list[str]]:
    """The same message and traceback lines the in-process python provider records."""
    import traceback

    from squall.errors import ActivityFailed  # squall is on the parent's path

    message = str(exc) if isinstance(exc, ActivityFailed) else f"{type(exc).__name__}: {exc}"
    frames = exc.__traceback__.tb_next if exc.__traceback__ else None  # not _call's own
    return ("error", message, traceback.format_exception(type(exc), exc, frames))


def _call(request: dict[str, Any]) -> tuple[Any, ...]:
    import importlib

    try:
        function = getattr(importlib.import_module(request["module"]), request["func"])
        return ("ok", function(**request["kwargs"]))
    except BaseException as exc:  # sys.exit() in a driver is reported, like in-process
        return _describe(exc)


def main() -> None:
    answer = os.fdopen(int(sys.argv[1]), "wb")
    request = pickle.load(sys.stdin.buffer)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # the function gets an empty stdin, as squall's own is not shared
    os.close(devnull)
    sys.path[:] = request["path"]
    result = _call(request)
    try:
        data = pickle.dumps(result)
    except BaseException as exc:  # a value's own __reduce__ may raise anything
        data = pickle.dumps(
            (
                "error",
                f"the return value of {request['func']}() cannot be sent back from its "
                f"process: {type(exc).__name__}: {exc}",
                [],
            )
        )
    answer.write(data)
    answer.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the process ends with the call: threads the function left are not awaited
