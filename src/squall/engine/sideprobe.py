"""Probes that run beside the experiment (a safeguard's, a control's): parsed like any
activity, run through the run's providers, judged by their tolerance; never journaled."""

from __future__ import annotations

import time
from collections.abc import Mapping

from squall.engine.context import RunContext, now_iso
from squall.engine.hypothesis import judge_probe
from squall.errors import ActivityFailed, InputError
from squall.experiment._reader import Reader
from squall.experiment.parse import parse_activity
from squall.journal.model import ActivityRun, RunStatus
from squall.providers.python import UserCodeError
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["run_side_probe"]


def run_side_probe(ctx: RunContext, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Run one probe declaration and return its run entry as a mapping (``status``,
    ``output``, ``tolerance_met``, ``exception``...), as the journal would show it.

    Raises:
        InputError: the declaration is not a valid probe (the problems are listed).
    """
    reader = Reader()
    probe = parse_activity(reader, raw, "/probe", in_hypothesis=True)
    if probe is None or reader.problems:
        listed = "; ".join(f"{p.pointer}: {p.message}" for p in reader.problems)
        raise InputError(f"invalid probe {show_value(raw.get('name', '?'))}: {listed}")
    from squall.engine.activity import call_provider

    run = ActivityRun(activity=dict(raw), start=now_iso())
    started = time.perf_counter()
    try:
        run.output = call_provider(ctx, probe, in_hypothesis=True)
    except (ActivityFailed, UserCodeError) as exc:
        run.status = RunStatus.FAILED
        run.reason = str(exc)
        run.exception = [f"{type(exc).__name__}: {exc}\n"]
    run.end = now_iso()
    run.duration = time.perf_counter() - started
    judge_probe(ctx, probe, run)
    entry = run.to_dict()
    entry["reason"] = run.reason
    return entry
