"""Loggers that import :mod:`logging` only when something is logged.

A plain run logs nothing, and importing ``logging`` (with ``traceback``, ``tokenize``,
``textwrap``...) is a sizeable part of start-up. ``get_logger(__name__)`` stands in for
``logging.getLogger(__name__)``; ``configure`` records how the console and log file should
look and is applied the first time a logger is used (or at once when asked to).
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["EXTENSION_LOGGERS", "LazyLogger", "adopt_extension_loggers", "configure"]
__all__ += ["get_logger", "progress_sinks", "stdlib_logger", "to_log_file"]

_pending: list[Callable[[], None]] = []
#: the loggers Chaos Toolkit extensions write to: logzero's (``from logzero import
#: logger``) and chaoslib's; squall's console and log file handle them as its own
EXTENSION_LOGGERS = ("logzero_default", "chaostoolkit", "chaoslib")
#: what attaches squall's handlers to them (squall.cli.logs sets it when it configures)
_attach: list[Callable[[], None]] = []
#: where the console's progress lines, verdicts and errors are copied when there is a
#: log file (``squall --log-file``: the run's story is kept there, as the Chaos Toolkit
#: keeps it): ``sink(text, level)``, a :mod:`logging` level
progress_sinks: list[Callable[[str, int], None]] = []
INFO, ERROR = 20, 40


def to_log_file(text: str, level: int = ERROR) -> None:
    """``text`` (what the command printed on stderr) also in the log file, if any."""
    for sink in progress_sinks:
        sink(text, level)


def adopt_extension_loggers() -> None:
    """A driver or control module was imported: if it made one of the extension loggers
    (or imported the real logzero, which gives its logger a console handler of its own),
    squall's console and log file are configured now and handle that logger."""
    import sys

    logging = sys.modules.get("logging")
    if logging is None:
        return
    known = logging.Logger.manager.loggerDict
    if not any(name in known for name in EXTENSION_LOGGERS):
        return
    _apply()
    for attach in _attach:
        attach()


def configure(setup: Callable[[], None], *, now: bool = False) -> None:
    """Run ``setup`` (which configures :mod:`logging`) before the first record, or now."""
    _pending[:] = [setup]
    if now:
        _apply()


def _apply() -> None:
    while _pending:
        _pending.pop()()


class LazyLogger:
    """The subset of :class:`logging.Logger` that squall uses."""

    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def _get(self) -> Any:
        if self._logger is None:
            import logging

            _apply()
            self._logger = logging.getLogger(self._name)
        return self._logger

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._get().debug(msg, *args, **kwargs)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._get().info(msg, *args, **kwargs)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._get().warning(msg, *args, **kwargs)

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._get().error(msg, *args, **kwargs)


def get_logger(name: str) -> LazyLogger:
    return LazyLogger(name)


def stdlib_logger(name: str) -> Any:
    """The :mod:`logging` logger ``name``, with the console and log file configured now:
    for records that do not go through a ``LazyLogger`` (Temporal's core forwards its
    log lines straight to a logger)."""
    return LazyLogger(name)._get()
