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
    root.addHandler(console)
    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setLevel(getattr(logging, log_level.upper()))
        handler.setFormatter(
            logging.Formatter("[%(asctime)s %(levelname)s] [%(module)s:%(lineno)d] %(message)s")
        )
        root.addHandler(handler)
