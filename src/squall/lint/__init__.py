"""``squall lint``: flag risky experiments without running anything.

Each rule group is a small module with a ``check(ctx)`` generator: activities (SQ1xx),
hypothesis (SQ2xx), runtime (SQ3xx), blast radius (SQ4xx), names (SQ5xx), secrets
(SQ6xx). ``RULES`` lists them all; docs/reference/lint.md documents each one.
"""

from __future__ import annotations

from squall.experiment import Document
from squall.experiment.model import Experiment
from squall.lint import activities, blast, hypothesis, names, runtime, secrets
from squall.lint.context import EXTENSION_NAME, Context
from squall.lint.model import DEFAULT_LONG_RUN_MINUTES, Finding, LintOptions, Rule, Severity
from squall.lint.rules import RULES

__all__ = [
    "DEFAULT_LONG_RUN_MINUTES",
    "EXTENSION_NAME",
    "RULES",
    "Finding",
    "LintOptions",
    "Rule",
    "Severity",
    "lint_experiment",
    "locate",
]

_GROUPS = (activities, hypothesis, runtime, blast, names, secrets)


def lint_experiment(experiment: Experiment, options: LintOptions | None = None) -> list[Finding]:
    """Every finding about ``experiment`` that is not disabled (by ``options`` or by the
    experiment's ``squall-lint`` extension), located by JSON pointer only."""
    ctx = Context(experiment, options or LintOptions())
    found = list(ctx.findings)
    for group in _GROUPS:
        found += [f for f in group.check(ctx) if not ctx.silenced(f)]
    return found


def locate(findings: list[Finding], document: Document) -> list[Finding]:
    """The findings with the document's name and line:column, in file order."""
    problems = document.located([f.problem for f in findings])
    placed = [f.replace(problem=p) for f, p in zip(findings, problems, strict=True)]
    return sorted(placed, key=lambda f: (f.problem.line or 0, f.problem.column or 0, f.rule.id))
