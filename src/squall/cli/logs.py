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

        record.msg, record.args = mask_text(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


def setup_logging(verbose: bool, log_file: str | None, log_level: str, log_format: str) -> None:
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
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setLevel(getattr(logging, log_level.upper()))
        handler.setFormatter(
            logging.Formatter("[%(asctime)s %(levelname)s] [%(module)s:%(lineno)d] %(message)s")
        )
        handler.addFilter(_MaskSecrets())
        root.addHandler(handler)
