"""What every rule group reads: the experiment, and the settings that apply to it.

An experiment tunes the linter with an ``extensions`` entry named ``squall-lint`` (the
Chaos Toolkit keeps extensions as opaque vendor data, so the experiment stays valid)::

    {"name": "squall-lint",
     "disable": ["SQ101", "SQ601:demo-password"],   # a rule, or a rule for one name only
     "vars": ["api_port"],                          # names given at run time (--var-file)
     "long_run_minutes": 30,                        # what "long" means for SQ301
     "note": "why a rule is off"}                   # free text, for the reader
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from squall.experiment._reader import pointer_join
from squall.experiment.model import Activity, ActivityType, Experiment
from squall.experiment.placeholders import BUILTIN_NAMES
from squall.lint.model import DEFAULT_LONG_RUN_MINUTES, Finding, LintOptions, finding
from squall.lint.rules import RULES, rule
from squall.show import show_value

__all__ = ["EXTENSION_NAME", "Context"]

EXTENSION_NAME = "squall-lint"


class Context:
    """The experiment plus its effective lint settings; built once per experiment."""

    def __init__(self, experiment: Experiment, options: LintOptions) -> None:
        self.experiment = experiment
        self.findings: list[Finding] = []  # problems with the settings themselves (SQ001)
        self.disabled: set[str] = set(options.disabled)
        self.vars: set[str] = set(options.known_names)
        self.long_run_minutes = DEFAULT_LONG_RUN_MINUTES
        self._read_extension()
        if options.long_run_minutes is not None:
            self.long_run_minutes = options.long_run_minutes

    def silenced(self, item: Finding) -> bool:
        rule_id = item.rule.id
        return rule_id in self.disabled or f"{rule_id}:{item.subject}" in self.disabled

    def known_names(self) -> set[str]:
        """Names a ``${name}`` may use: configuration, every secret, declared vars, and the
        engine's own (``squall_run_id``)."""
        names = set(self.experiment.configuration) | self.vars | BUILTIN_NAMES
        for entries in self.experiment.secrets.values():
            names |= set(entries)
        return names

    def method_actions(self) -> Iterator[Activity]:
        """The actions the method runs, a ``ref`` replaced by what it names (at its place)."""
        declared = self.experiment.referable()
        for activity in self.experiment.method:
            target = declared.get(activity.ref) if activity.ref is not None else activity
            if target is not None and target.type is ActivityType.ACTION:
                yield target.replace(pointer=activity.pointer)

    def _read_extension(self) -> None:
        for index, ext in enumerate(self.experiment.extensions):
            if ext.get("name") == EXTENSION_NAME:
                self._apply(ext, pointer_join("/extensions", index))

    def _apply(self, ext: Mapping[str, Any], where: str) -> None:
        for entry in self._names(ext, "disable", where):
            if entry.partition(":")[0] in RULES:
                self.disabled.add(entry)
            else:
                self._bad(f"{where}/disable", f"unknown rule {show_value(entry)} in \"disable\"",
                          "use a rule id such as SQ101, or SQ101:<activity name>")  # fmt: skip
        self.vars |= set(self._names(ext, "vars", where))
        minutes = ext.get("long_run_minutes")
        if minutes is not None:
            if isinstance(minutes, int | float) and not isinstance(minutes, bool) and minutes > 0:
                self.long_run_minutes = float(minutes)
            else:
                self._bad(f"{where}/long_run_minutes", "\"long_run_minutes\" must be a number > 0",
                          "give the minutes after which a run counts as long, e.g. 30")  # fmt: skip
        for key in ext:
            if key not in ("name", "disable", "vars", "long_run_minutes", "note"):
                self._bad(pointer_join(where, key),
                          f"unknown squall-lint setting {show_value(key)}",
                          "use disable, vars, long_run_minutes or note")  # fmt: skip

    def _names(self, ext: Mapping[str, Any], key: str, where: str) -> list[str]:
        value = ext.get(key)
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
            return list(value)
        self._bad(pointer_join(where, key), f"'{key}' must be a list of non-empty strings",
                  f'e.g. "{key}": ["..."]')  # fmt: skip
        return []

    def _bad(self, pointer: str, message: str, fix: str) -> None:
        self.findings.append(finding(rule("SQ001"), pointer, message, fix))
