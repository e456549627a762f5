"""SQ101-SQ103: actions without a rollback, probes whose tolerance is ignored, duplicates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from squall.experiment._reader import misspelt
from squall.experiment.model import (
    Activity,
    ActivityType,
    HttpSpec,
    ProcessSpec,
    PythonSpec,
    RollbackStrategy,
)
from squall.lint.context import Context
from squall.lint.model import Finding, finding
from squall.lint.rules import rule
from squall.lint.walk import leaves, provider_raw
from squall.show import show_value

__all__ = ["check"]


def check(ctx: Context) -> Iterator[Finding]:
    yield from _actions_without_rollback(ctx)
    yield from _method_probe_tolerance(ctx)
    yield from _duplicate_names(ctx)


def target_of(activity: Activity) -> str | None:
    """What an activity acts on, as far as pairing an action with its rollback goes:
    the python module, the process's executable, the http origin (scheme://host:port)."""
    spec = activity.provider
    if isinstance(spec, PythonSpec):
        return f"python:{spec.module}"
    if isinstance(spec, ProcessSpec):
        return f"process:{spec.path.rsplit('/', 1)[-1]}"
    if isinstance(spec, HttpSpec):
        from urllib.parse import urlsplit

        parts = urlsplit(spec.url)
        return f"http:{parts.scheme}://{parts.netloc}"
    return f"{spec.type}:" if spec is not None else None


def _things(activity: Activity) -> set[str]:
    """What an activity names in its arguments: ``${name}`` references and paths (words
    holding a ``/``), e.g. ``${work_dir}/hello.txt`` inside ``echo hello > ...``."""
    found: set[str] = set()
    for _, _, value in leaves(provider_raw(activity).get("arguments"), ""):
        if isinstance(value, str):
            found |= {w for w in value.split() if "${" in w or "/" in w}
    return found


def _undone(action: Activity, rollbacks: Sequence[Activity]) -> bool:
    """A rollback acts on the same thing: same module, executable or server, or it names
    a path or ``${name}`` the action names too."""
    target, things = target_of(action), _things(action)
    return any(target_of(r) == target or things & _things(r) for r in rollbacks)


def _actions_without_rollback(ctx: Context) -> Iterator[Finding]:
    experiment = ctx.experiment
    sq101 = rule("SQ101")
    if experiment.runtime.rollback_strategy is RollbackStrategy.NEVER:
        for action in ctx.method_actions():
            yield finding(
                sq101, action.pointer,
                f"action {show_value(action.name)} is never undone: runtime.rollbacks.strategy "
                "is \"never\"",
                "remove the \"never\" strategy (or use \"deviated\") so the rollbacks are played",
                action.name,
            )  # fmt: skip
        return
    rollbacks = [r for r in experiment.rollbacks if r.provider is not None]
    typo = None if experiment.rollbacks else misspelt(experiment.raw, "rollbacks")
    for action in ctx.method_actions():
        if _undone(action, rollbacks):
            continue
        fix = (
            "add a rollback that restores what this action changes (same module, executable, "
            "server, path or ${name}); if the change undoes itself, silence it in the squall-lint "
            f'extension: "disable": ["SQ101:{action.name}"]'
        )
        if typo is not None:
            fix = (
                f'rename {show_value(typo)} to "rollbacks": squall (like the Chaos Toolkit) '
                "reads only "
                f'"rollbacks", so {show_value(typo)} is never played'
            )
        yield finding(
            sq101, action.pointer,
            f"action {show_value(action.name)} has no rollback that undoes it", fix, action.name,
        )  # fmt: skip


def _method_probe_tolerance(ctx: Context) -> Iterator[Finding]:
    for activity in ctx.experiment.method:
        if activity.flow.wait_until is not None:  # wait_until checks it
            continue
        if activity.type is ActivityType.PROBE and "tolerance" in activity.raw:
            yield finding(
                rule("SQ102"), activity.pointer + "/tolerance",
                f"probe {show_value(activity.name)} is in the method, where its tolerance is "
                "never checked",
                "move the probe into the steady-state hypothesis, give it a wait_until, "
                "or remove its tolerance",
                activity.name,
            )  # fmt: skip


def _duplicate_names(ctx: Context) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for activity in ctx.experiment.activities():
        if activity.ref is not None:
            continue
        first = seen.setdefault(activity.name, activity.pointer)
        if first != activity.pointer:
            yield finding(
                rule("SQ103"), activity.pointer + "/name",
                f"activity name {show_value(activity.name)} is already used at {first}",
                "give every activity its own name (a \"ref\" or ${outputs.} finds the first only)",
                activity.name,
            )  # fmt: skip
