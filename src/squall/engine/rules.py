"""The rules that end a run: which rollbacks a strategy plays, how the journal is
finished, and what the journal keeps of the experiment."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from squall.engine.context import Interruption, RunContext
from squall.engine.verdict import RunFacts, decide
from squall.experiment.model import Activity, Experiment
from squall.experiment.substitute import substitute
from squall.journal.model import ActivityRun, Journal, JournalStatus, Outcome, RunStatus
from squall.journal.recorder import Phase
from squall.masking import mask_document, mask_text, mask_value
from squall.plan import Plan
from squall.show import counted, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "abandon_background",
    "declares_controls",
    "finish_journal",
    "finish_run",
    "hook_arguments",
    "journal_experiment",
    "platform_name",
    "played_names",
]


def declares_controls(experiment: Experiment) -> bool:
    hypothesis = experiment.hypothesis
    return bool(
        experiment.controls
        or (hypothesis and hypothesis.controls)
        or any(a.controls for a in experiment.activities())
    )


def abandon_background(ctx: RunContext) -> bool:
    interruption = ctx.interruption
    return ctx.halt.is_set() and not (interruption and interruption.wait_background)


def hook_arguments(name: str, journal: Journal) -> dict[str, Any]:
    """What an experiment-level hook is given besides the run (both engines): the
    method's entries after the method, the rollbacks' after them, the journal at the
    end."""
    if name == "squall_after_method":
        return {"entries": journal.run}
    if name == "squall_after_rollbacks":
        return {"entries": journal.rollbacks}
    if name == "squall_after_experiment":
        return {"journal": journal}
    return {}


def played_names(entries: Iterable[ActivityRun | None]) -> list[str]:
    """Names of the rollbacks that were played to their end (succeeded or failed); one
    a signal stopped half-way (``squall.interrupted``), one a stop cancelled (a
    background rollback or a parallel group's member: ``squall.cancelled``) or one still
    running is not."""
    return [e.name for e in entries if e is not None and not e.cut_short]


def finish_run(ctx: RunContext, facts: RunFacts, owed: tuple[Activity, ...] = ()) -> None:
    """Finish the local run's journal (see :func:`finish_journal`)."""
    recorder = ctx.recorder
    pending = {phase: recorder.pending(phase) for phase in (Phase.METHOD, Phase.ROLLBACKS)}
    finish_journal(recorder.journal, facts, ctx.interruption, owed, pending)


def finish_journal(
    journal: Journal,
    facts: RunFacts,
    interruption: Interruption | None,
    owed: tuple[Activity, ...] = (),
    pending: Mapping[str, Iterable[int]] | None = None,
) -> None:
    """The end of every run, whichever engine ran it: places still without an entry
    (background activities still running) are filled, the interruption is told, and the
    verdict (outcome and reasons, with the rollbacks still owed) is written."""
    pending = pending or {}
    for phase, entries in ((Phase.METHOD, journal.run), (Phase.ROLLBACKS, journal.rollbacks)):
        for index in pending.get(phase, ()):
            entries[index] = ActivityRun(
                activity={"name": "(background activity)"},
                start=journal.end,
                status=RunStatus.FAILED,
                end=journal.end,
                exception=["still running when the run stopped\n"],
                reason="still running when the run stopped",
            )
    if interruption is not None:
        journal.status = JournalStatus.INTERRUPTED
        journal.interruption = mask_value(
            {"kind": interruption.kind, "name": interruption.name, "reason": interruption.reason}
        )
    journal.outcome, reasons = decide(journal, facts)
    reasons += _left_in_place(journal, facts, owed)
    if owed:
        names = ", ".join(show_value(a.name) for a in owed)
        reasons.append(
            f"{counted(len(owed), 'rollback')} not played ({names}): they are owed; "
            f"`squall recover {journal.run_id}` plays them"
        )
    journal.reasons = [mask_text(reason) for reason in reasons]


def _left_in_place(journal: Journal, facts: RunFacts, owed: tuple[Activity, ...]) -> list[str]:
    """An interrupted run whose method started and whose strategy played none of its
    rollbacks (``default`` after a signal or a control, as in the Chaos Toolkit): say so,
    else the console's last line is only "interrupted by SIGINT" while the fault stays."""
    stop = journal.interruption or {}
    declared = journal.experiment.get("rollbacks")
    if (
        journal.outcome is not Outcome.INTERRUPTED
        or not facts.method_started
        or owed
        or any(entry is not None for entry in journal.rollbacks)
        or not isinstance(declared, list)
        or not declared
        or stop.get("name") == "SIGUSR2"  # its reason says so already
    ):
        return []
    were = "was" if len(declared) == 1 else "were"
    return [
        f"the {counted(len(declared), 'rollback')} {were} not played (the rollback strategy "
        "plays none "
        'after a signal or a control, "default" included), so what the method changed may '
        "still be in place; --rollback-strategy always plays them whatever stops a run"
    ]


def journal_experiment(plan: Plan, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The experiment as run: substituted title, dry mode, inline secret values replaced
    by ``***`` (references to env, Vault... kept) and every other secret text masked."""
    copy = dict(plan.experiment.raw)
    copy["title"] = substitute(plan.experiment.title, variables)
    copy["dry"] = plan.dry.value if plan.dry else None
    return dict(mask_document(copy))


def platform_name() -> str:
    """Like platform.platform() without forking ``uname -p`` on every run."""
    u = os.uname()
    return f"{u.sysname}-{u.release}-{u.machine}"
