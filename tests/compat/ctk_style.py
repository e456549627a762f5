"""A driver and a control written for the Chaos Toolkit, importing chaoslib and logzero
the way real ones do (run by tests/compat in a venv without chaostoolkit-lib)."""

from typing import Any

# names published drivers and controls import (see docs/compatibility.md)
from chaoslib import Secrets as TopLevelSecrets
from chaoslib import experiment_hash, substitute
from chaoslib.deprecation import warn_about_moved_function
from chaoslib.exceptions import ActivityFailed, InterruptExecution
from chaoslib.extension import get_extension
from chaoslib.notification import RunFlowEvent
from chaoslib.run import RunEventHandler
from chaoslib.settings import get_loaded_settings
from chaoslib.types import Configuration, Secrets
from logzero import logger

assert TopLevelSecrets is Secrets and RunFlowEvent.RunStarted.value == "run-started"
assert callable(warn_about_moved_function) and callable(get_loaded_settings)
assert issubclass(type("H", (RunEventHandler,), {}), RunEventHandler)
assert get_extension({"extensions": [{"name": "x"}]}, "x") == {"name": "x"}
assert substitute("${a}", {"a": 1}, {}) == 1 and len(experiment_hash({})) == 24

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
