"""A control: a time budget for the whole run, and a log line per activity.

squall calls these functions (all optional) around the run; each one receives the
keyword arguments its signature names: ``context``, ``state`` and the control's own
``arguments``. Raising an exception whose class is named ``InterruptExecution`` stops
the run cleanly: squall exits 130 and the journal names the control.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

__all__: list[str] = []  # controls are not activities: nothing for discovery

_run: dict[str, float | bool] = {}


class InterruptExecution(Exception):
    """Stops the run (squall recognises the Chaos Toolkit's exception by its name)."""


def before_experiment_control(context: dict[str, Any]) -> None:
    _run.update(started=time.monotonic(), rolling_back=False)


def before_rollback_control(context: dict[str, Any]) -> None:
    _run["rolling_back"] = True  # never stop the rollbacks: they undo the faults


def before_activity_control(context: dict[str, Any], max_seconds: float = 60.0) -> None:
    if _run.get("rolling_back"):
        return
    elapsed = time.monotonic() - float(_run.get("started", time.monotonic()))
    if elapsed > float(max_seconds):
        raise InterruptExecution(
            f"time budget of {max_seconds} s spent: not running {context.get('name')!r}"
        )


def after_activity_control(
    context: dict[str, Any], state: dict[str, Any], log_file: str = "activities.jsonl"
) -> None:
    line = {"name": context.get("name"), "status": state.get("status")}
    with Path(log_file).open("a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\n")
