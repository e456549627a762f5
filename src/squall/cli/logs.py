"""Console and log-file logging for the CLI (imported only when something is logged)."""

from __future__ import annotations

import logging
import sys

__all__ = ["setup_logging"]


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        import json

        return json.dumps(
            {
                "ts": record.created,
                "level": record.levelname,
                "logger": record.name,
                "module": record.module,
                "line": record.lineno,
                "message": record.getMessage(),
            }
        )


class _MaskSecrets(logging.Filter):
    """Masks the message, arguments and traceback of every record (squall.masking)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from squall.masking import mask_text

        record.msg, record.args = mask_text(_message(record)), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


class _LogFile(logging.Handler):
    """``--log-file``: a ``squall._sink.Sink`` (a FIFO without a reader is refused, one
    whose reader stops costs a record 2 s at most). A record that cannot be written ends
    the log file with one line on stderr, not Python's traceback per record."""

    def __init__(self, path: str) -> None:
        from squall._sink import Sink, describe
        from squall.errors import InputError

        super().__init__()
        try:
            self.sink: Sink | None = Sink(path)
        except OSError as exc:
            raise InputError(f"--log-file {path}: {describe(exc)}") from None

    def emit(self, record: logging.LogRecord) -> None:
        if self.sink is None:
            return
        try:
            self.sink.write(self.format(record) + "\n")
        except OSError as exc:
            from squall._sink import describe

            path, self.sink = self.sink.path, None
            sys.stderr.write(f"squall: log file {path}: {describe(exc)}: no more records\n")

    def close(self) -> None:
        if self.sink is not None:
            self.sink.close()
        super().close()


def _message(record: logging.LogRecord) -> str:
    """The record's message; when its arguments do not fit its format (a driver's
    ``logger.warning("%d", "x")``), the format and the arguments as they are: a log
    line must not fail the activity that logs it (logging would print a traceback)."""
    try:
        return record.getMessage()
    except Exception as exc:  # any error the format or an argument's __str__ raises
        return f"{record.msg} {record.args!r} (not formatted: {type(exc).__name__}: {exc})"


def setup_logging(verbose: bool, log_file: str | None, log_level: str, log_format: str) -> None:
    """squall's console (warnings, everything with ``-v``) and ``--log-file``, for its own
    loggers and those Chaos Toolkit extensions write to (``squall._log.EXTENSION_LOGGERS``:
    what a driver logs through logzero or chaoslib's logger is shown and kept as the
    Chaos Toolkit shows and keeps it, masked)."""
    from squall import _log

    root = logging.getLogger("squall")
    root.setLevel(logging.DEBUG)
    root.handlers.clear()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(
        _JsonFormatter()
        if log_format == "json"
        else logging.Formatter("squall: %(levelname)s: %(message)s")
    )
    console.addFilter(_MaskSecrets())
    root.addHandler(console)
    if log_file:
        handler = _LogFile(log_file)
        handler.setLevel(getattr(logging, log_level.upper()))
        handler.setFormatter(
            logging.Formatter("[%(asctime)s %(levelname)s] [%(module)s:%(lineno)d] %(message)s")
        )
        handler.addFilter(_MaskSecrets())
        root.addHandler(handler)
        _progress_to(handler)
    else:
        _log.progress_sinks.clear()
    handlers = list(root.handlers)
    _log._attach[:] = [lambda: _attach(handlers)]
    _attach(handlers)


def _progress_to(handler: logging.Handler) -> None:
    """The console's progress lines and verdicts, also in the log file (at INFO, logger
    ``squall.progress``), never twice on the console."""
    import re

    from squall import _log

    progress = logging.getLogger("squall.progress")
    progress.handlers[:] = [handler]
    progress.setLevel(logging.DEBUG)
    progress.propagate = False
    colour = re.compile(r"\x1b\[[0-9;]*m")
    _log.progress_sinks[:] = [
        lambda text, level: progress.log(level, "%s", colour.sub("", text), stacklevel=2)
    ]


def _attach(handlers: list[logging.Handler]) -> None:
    """Give the extension loggers squall's handlers, in place of their own (the real
    logzero's console handler, which would show every level in its own format) and of
    any squall gave them before."""
    from squall._log import EXTENSION_LOGGERS

    for name in EXTENSION_LOGGERS:
        if name not in logging.Logger.manager.loggerDict:
            continue  # made when an extension makes it (adopt_extension_loggers)
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if hasattr(handler, "_is_logzero_internal") or hasattr(handler, "_squall"):
                logger.removeHandler(handler)
        for handler in handlers:
            handler._squall = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False  # not twice through the root logger's handlers
