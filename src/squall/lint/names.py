"""SQ501-SQ503: ``${name}`` placeholders that nothing defines, and bare ``$name``.

A ``${name}`` is known when ``name`` is a configuration key, a key of any secrets scope, a
name the ``squall-lint`` extension declares in ``vars``, a name given with ``--var`` or
``--var-file``, or the engine's own ``squall_run_id``. ``$${...}`` is an escaped dollar
and is skipped.

SQ503: a bare ``$name`` is substituted like ``${name}`` when ``name`` is defined (the
Chaos Toolkit's ``string.Template`` rules, which squall keeps), and left as the text
``$name`` otherwise (a shell's ``$HOME``, an OData ``$filter``). Reported: a bare ``$name``
whose name is defined (say ``${name}``, or ``$$name`` for the literal text), and one that
is not defined but is close to a defined name (a typo: did you mean ``${that}``?).

``${outputs.<activity>...}`` is judged by the rules the engine and ``squall validate`` use
(``squall.experiment.outputs_rules``): it must name an activity that finishes before this
one starts, and stand in an activity's provider (not its tolerance or pauses). One in the
title or in experiment or hypothesis controls is reported too: it is never substituted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from squall.experiment.model import Activity, ConfigProbe
from squall.experiment.outputs_rules import output_problems
from squall.experiment.placeholders import (
    is_output,
    is_variable,
    leaves,
    placeholders,
    substituted_places,
)
from squall.lint.context import Context
from squall.lint.model import Finding, finding
from squall.lint.rules import rule
from squall.show import show_value

__all__ = ["check", "placeholders"]

_OUTPUTS_DOC = "see docs/reference/parallel-and-outputs.md"


def check(ctx: Context) -> Iterator[Finding]:
    known = ctx.known_names()
    for activity, base, value in _places(ctx):
        # outputs in activities and configuration probes: output_problems judges them
        judged = activity is not None or base.startswith("/configuration/")
        for pointer, _, leaf in leaves(value, base):
            if not isinstance(leaf, str) or "${" not in leaf:
                continue
            for name in placeholders(leaf):
                if not is_output(name):
                    if name not in known:
                        yield _unknown(name, pointer, known)
                elif not judged:
                    yield finding(
                        rule("SQ502"), pointer,
                        f"${{{name}}} is never substituted here: outputs are substituted in "
                        "providers only",
                        f"move it into the provider of an activity ({_OUTPUTS_DOC})",
                    )  # fmt: skip
    yield from _bare(ctx, known)
    yield from _outputs(ctx)


#: ``$$`` (an escaped dollar), ``${`` (a placeholder) or a bare ``$name``
_DOLLAR = re.compile(r"\$(\$|\{|[_a-zA-Z][_a-zA-Z0-9]*)")


def bare_names(text: str) -> list[str]:
    """The names of the bare ``$name`` forms in ``text`` (string.Template's rules)."""
    return [m.group(1) for m in _DOLLAR.finditer(text) if m.group(1) not in ("$", "{")]


def _bare(ctx: Context, known: set[str]) -> Iterator[Finding]:
    import difflib

    for _, base, value in _places(ctx):
        for pointer, _, leaf in leaves(value, base):
            if not isinstance(leaf, str) or "$" not in leaf:
                continue
            for name in bare_names(leaf):
                if name in known:
                    yield finding(
                        rule("SQ503"), pointer,
                        f"${name} is substituted like ${{{name}}} (the Chaos Toolkit's "
                        "string.Template rules)",
                        f"write ${{{name}}} to make it visible, or $${name} to keep the text "
                        f"${name} (a shell variable)", name,
                    )  # fmt: skip
                    continue
                close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
                if close:
                    yield finding(
                        rule("SQ503"), pointer,
                        f"${name} is not defined, so it stays as the text ${name}: did you "
                        f"mean ${{{close[0]}}}?",
                        f"write ${{{close[0]}}}, or $${name} to keep the text ${name}", name,
                    )  # fmt: skip


def _outputs(ctx: Context) -> Iterator[Finding]:
    owners = [(a.pointer, a.name) for a in _activities(ctx)]
    for problem in output_problems(ctx.experiment):
        subject = max(
            ((p, n) for p, n in owners if problem.pointer.startswith(p + "/")),
            default=("", ""),
            key=lambda owner: len(owner[0]),
        )[1]
        hint = (
            problem.hint or f"use ${{outputs.<activity>}} of an earlier activity ({_OUTPUTS_DOC})"
        )
        yield finding(rule("SQ502"), problem.pointer, problem.message, hint, subject)


def _activities(ctx: Context) -> list[Activity]:
    config = [v.probe for v in ctx.experiment.configuration.values() if isinstance(v, ConfigProbe)]
    return [*ctx.experiment.activities(), *config]


def _places(ctx: Context) -> Iterator[tuple[Activity | None, str, object]]:
    yield from substituted_places(ctx.experiment)
    for value in ctx.experiment.configuration.values():
        if isinstance(value, ConfigProbe) and "provider" in value.probe.raw:
            yield None, value.probe.pointer + "/provider", value.probe.raw["provider"]


def _unknown(name: str, pointer: str, known: set[str]) -> Finding:
    if not is_variable(name):
        message = (
            f"${{{name}}} is never substituted: {show_value(name)} is not a valid variable name"
        )
        fix = "use letters, digits and underscores only (or ${outputs.<activity>...})"
    else:
        message = f'${{{name}}} is not defined by the configuration, the secrets or "vars"'
        close = ", ".join(sorted(known)) or "none"
        fix = (
            f'declare {show_value(name)} in "configuration" (known names: {close}); if it is '
            "given at "
            'run time (--var/--var-file), list it in the squall-lint extension\'s "vars"'
        )
    return finding(rule("SQ501"), pointer, message, fix, name)
