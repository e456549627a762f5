"""Run the steady-state hypothesis: probes in order, each judged by its tolerance."""

from __future__ import annotations

import contextlib

from squall.engine.activity import ActivityInterrupted, run_activity
from squall.engine.attempts import judge
from squall.engine.context import RunContext
from squall.errors import Interrupted
from squall.experiment.model import Activity
from squall.journal.model import ActivityRun, HypothesisRun, RunStatus

__all__ = ["judge_probe", "run_hypothesis"]


def run_hypothesis(ctx: RunContext, phase: str) -> HypothesisRun:
    """Run every probe until one fails or misses its tolerance.

    Raises:
        ActivityInterrupted: a signal stopped a probe; the partial result is recorded first.
    """
    result = HypothesisRun(steady_state_met=None)
    met = True
    try:
        ctx.fire("squall_before_hypothesis", phase=phase)
        for probe in ctx.plan.probes:
            run = run_activity(ctx, probe, phase, in_hypothesis=True)
            judge_probe(ctx, probe, run)
            ctx.listener.activity_finished(run, phase)
            result.probes.append(run)
            ctx.recorder.probe(phase, run)
            if not run.tolerance_met:
                met = False
                break
    except ActivityInterrupted as exc:
        exc.run.tolerance_met = False
        ctx.listener.activity_finished(exc.run, phase)
        result.probes.append(exc.run)
        result.steady_state_met = False
        ctx.recorder.hypothesis(phase, result)
        # controls pair their before/after calls, as the reference's do (it calls the
        # after-control with no state; squall hands the partial result)
        with contextlib.suppress(Interrupted):
            ctx.fire("squall_after_hypothesis", phase=phase, result=result)
        raise
    result.steady_state_met = met
    ctx.recorder.hypothesis(phase, result)
    ctx.listener.hypothesis_finished(phase, result)
    ctx.fire("squall_after_hypothesis", phase=phase, result=result)
    return result


def judge_probe(ctx: RunContext, probe: Activity, run: ActivityRun) -> None:
    """Set ``tolerance_met`` (and ``reason`` when not met) on a probe's entry."""
    if run.status is RunStatus.FAILED:
        run.tolerance_met = False
        return
    if run.tolerance_met is not None:  # judged already, by wait_until
        return
    if ctx.plan.is_dry(probe) or probe.tolerance is None:
        run.tolerance_met = True
        return
    verdict = judge(ctx, probe, run.output)
    run.tolerance_met = verdict.met
    if not verdict.met:
        run.reason = verdict.why
