"""SQ501-SQ502: ``${name}`` placeholders that nothing defines.

A ``${name}`` is known when ``name`` is a configuration key, a key of any secrets scope, a
name the ``squall-lint`` extension declares in ``vars``, or a name given with ``--var`` or
``--var-file``. ``${outputs.<activity>...}`` is the output of an activity that ran before
this one: an earlier hypothesis probe, or for the method and the rollbacks also any
earlier method activity (rollbacks: any rollback before them too). ``$${...}`` is an escaped
dollar and is skipped; bare ``$name`` is left alone (shell commands use it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from squall.experiment.model import Activity, ConfigProbe
from squall.lint.context import Context
from squall.lint.model import Finding, finding
from squall.lint.rules import rule
from squall.lint.walk import leaves, substituted_places

__all__ = ["check", "placeholders"]

_PLACEHOLDER = re.compile(r"\$(?:\$|\{([^}]*)\})")
_IDENTIFIER = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*\Z")
OUTPUTS = "outputs."


def placeholders(text: str) -> list[str]:
    """The names inside ``${...}`` in ``text`` (an escaped ``$${`` is not one)."""
    return [m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1) is not None]


def check(ctx: Context) -> Iterator[Finding]:
    known = ctx.known_names()
    order = _run_order(ctx)
    for activity, base, value in _places(ctx):
        for pointer, _, leaf in leaves(value, base):
            if not isinstance(leaf, str) or "${" not in leaf:
                continue
            for name in placeholders(leaf):
                if name.startswith(OUTPUTS):
                    yield from _output(name, activity, pointer, order)
                elif name not in known:
                    yield _unknown(name, pointer, known)


def _places(ctx: Context) -> Iterator[tuple[Activity | None, str, object]]:
    yield from substituted_places(ctx.experiment)
    for value in ctx.experiment.configuration.values():
        if isinstance(value, ConfigProbe) and "provider" in value.probe.raw:
            yield None, value.probe.pointer + "/provider", value.probe.raw["provider"]


def _unknown(name: str, pointer: str, known: set[str]) -> Finding:
    if not _IDENTIFIER.match(name):
        message = f"${{{name}}} is never substituted: {name!r} is not a valid variable name"
        fix = "use letters, digits and underscores only (or ${outputs.<activity>...})"
    else:
        message = f"${{{name}}} is not defined by the configuration, the secrets or 'vars'"
        close = ", ".join(sorted(known)) or "none"
        fix = (
            f"declare {name!r} in 'configuration' (known names: {close}); if it is given at "
            "run time (--var/--var-file), list it in the squall-lint extension's 'vars'"
        )
    return finding(rule("SQ501"), pointer, message, fix, name)


def _run_order(ctx: Context) -> list[Activity]:
    return ctx.experiment.activities()


def _output(
    name: str, activity: Activity | None, pointer: str, order: Sequence[Activity]
) -> Iterator[Finding]:
    path = name[len(OUTPUTS) :]
    before = _earlier(activity, order)
    if any(_names(path, a.name) for a in before):
        return
    anywhere = [a for a in order if _names(path, a.name)]
    if anywhere and activity is not None:
        message = f"${{{name}}}: activity {anywhere[0].name!r} has not run yet at this point"
        fix = "refer only to an activity that runs before this one"
    elif activity is None:
        message = f"${{{name}}}: outputs are only available to activities"
        fix = "use ${outputs.<activity>} inside a probe or action that runs after it"
    else:
        message = f"${{{name}}} names no activity of this experiment"
        fix = "use ${outputs.<activity name>} with the name of an earlier activity"
    yield finding(rule("SQ502"), pointer, message, fix, path)


def _names(path: str, activity_name: str) -> bool:
    """True when ``outputs.<path>`` refers to ``activity_name`` (then perhaps a field)."""
    if not path.startswith(activity_name):
        return False
    rest = path[len(activity_name) :]
    return rest == "" or rest[0] in ".["


def _earlier(activity: Activity | None, order: Sequence[Activity]) -> Sequence[Activity]:
    """Activities that have run when ``activity`` runs (``order``: hypothesis, method,
    rollbacks; a hypothesis probe sees only the probes before it)."""
    if activity is None:
        return ()
    index = next(i for i, a in enumerate(order) if a is activity)
    if activity.pointer.startswith("/steady-state-hypothesis"):
        return [a for a in order[:index] if a.pointer.startswith("/steady-state-hypothesis")]
    return order[:index]
