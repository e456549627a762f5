"""The values the linter works with: a rule, a finding, the options of a run."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from squall._record import Record
from squall.errors import Problem

__all__ = ["DEFAULT_LONG_RUN_MINUTES", "Finding", "LintOptions", "Rule", "Severity", "finding"]

#: A run that may wait longer than this (pauses, timeouts, durations) needs a stop condition.
DEFAULT_LONG_RUN_MINUTES = 10.0


class Severity(IntEnum):
    """Ordered: a threshold keeps findings at or above it."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


class Rule(Record):
    """One lint rule: its id, a short name, its severity and what it looks for."""

    __slots__ = ("id", "name", "severity", "summary")

    def __init__(self, *, id: str, name: str, severity: Severity, summary: str) -> None:
        self.id = id
        self.name = name
        self.severity = severity
        self.summary = summary


class Finding(Record):
    """A rule's verdict about one place of an experiment.

    ``problem`` carries the message, the fix (its ``hint``) and the place (JSON pointer,
    then file:line:column once located). ``subject`` is the activity, configuration or
    secret name it is about, so an experiment can silence the rule for that name only.
    """

    __slots__ = ("problem", "rule", "subject")

    def __init__(self, *, rule: Rule, problem: Problem, subject: str = "") -> None:
        self.rule = rule
        self.problem = problem
        self.subject = subject

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    def to_json(self) -> dict[str, Any]:
        p = self.problem
        return {
            "rule": self.rule.id,
            "name": self.rule.name,
            "severity": self.severity.label,
            "message": p.message,
            "fix": p.hint,
            "file": p.source,
            "pointer": p.pointer,
            "line": p.line,
            "column": p.column,
            "subject": self.subject,
        }


class LintOptions(Record):
    """What a lint run is told from outside the experiment.

    ``known_names``: names supplied at run time (``--var``, ``--var-file``), so a ``${name}``
    using them is not unknown. ``long_run_minutes`` (None: the experiment's own setting or
    the default). ``disabled``: rule ids turned off for this run.
    """

    __slots__ = ("disabled", "known_names", "long_run_minutes")

    def __init__(
        self,
        *,
        known_names: frozenset[str] = frozenset(),
        long_run_minutes: float | None = None,
        disabled: frozenset[str] = frozenset(),
    ) -> None:
        self.known_names = known_names
        self.long_run_minutes = long_run_minutes
        self.disabled = disabled


def finding(rule: Rule, pointer: str, message: str, fix: str, subject: str = "") -> Finding:
    """A finding at ``pointer`` (located later, once the document is known)."""
    return Finding(rule=rule, problem=Problem(pointer, message, fix), subject=subject)
