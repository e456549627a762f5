"""A driver and a control written for the Chaos Toolkit, importing chaoslib and logzero
the way real ones do (run by tests/compat in a venv without chaostoolkit-lib)."""

from typing import Any

from chaoslib.exceptions import ActivityFailed, InterruptExecution
from chaoslib.types import Configuration, Secrets
from logzero import logger

__all__ = ["count_file", "must_fail"]


def count_file(path: str, configuration: Configuration = None, secrets: Secrets = None) -> int:
    """Count the lines of a file."""
    logger.info("counting %s", path)
    with open(path) as f:
        return len(f.read().splitlines())


def must_fail(reason: str = "no") -> None:
    """Fail the way drivers do."""
    raise ActivityFailed(f"driver said {reason}")


def before_activity_control(context: dict[str, Any], **kwargs: Any) -> None:
    if context["name"] == "stop-here":
        raise InterruptExecution("the control said stop")
