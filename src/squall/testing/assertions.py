"""Readable assertions about a journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import squall
from squall import show_value

__all__ = ["JournalAssertions"]

# the journal's sections, and the words the console uses for them
_SECTIONS = {
    "run": "run",
    "method": "run",
    "before": "before",
    "after": "after",
    "rollbacks": "rollbacks",
    "rollback": "rollbacks",
}


class JournalAssertions:
    """A journal with assertions; ``.journal`` is the ``squall.Journal`` itself and
    ``.data`` its plain-data form (the keys of a ``journal.json``); ``.journal_path`` is
    where the journal was written (None if it was not), and failed assertions name it."""

    def __init__(
        self,
        journal: squall.Journal,
        journal_path: str | Path | None = None,
        *,
        shown_as: str | None = None,
    ) -> None:
        self.journal = journal
        self.data: dict[str, Any] = journal.to_dict()
        self.journal_path = Path(journal_path) if journal_path is not None else None
        self._shown = shown_as or (str(journal_path) if journal_path is not None else None)

    @property
    def outcome(self) -> str:
        return str(self.data["squall"]["outcome"])

    @property
    def exit_code(self) -> int:
        return int(self.data["squall"]["exit_code"])

    def _why(self) -> str:
        reasons = self.data["squall"].get("reasons") or []
        why = f"outcome {show_value(self.outcome)}" + (f": {'; '.join(reasons)}" if reasons else "")
        return why + self._where()

    def _where(self) -> str:
        return f" (journal: {self._shown})" if self._shown is not None else ""

    def assert_outcome(self, outcome: str) -> JournalAssertions:
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        assert self.outcome == outcome, f"expected {show_value(outcome)}, got {self._why()}"
        return self

    def assert_held(self) -> JournalAssertions:
        __tracebackhide__ = True
        return self.assert_outcome("held")

    def assert_deviated(self) -> JournalAssertions:
        __tracebackhide__ = True
        return self.assert_outcome("deviated")

    def assert_broken(self) -> JournalAssertions:
        __tracebackhide__ = True
        return self.assert_outcome("broken")

    def entries(self, section: str = "run") -> list[dict[str, Any]]:
        """Entries of ``run`` (or ``method``), ``rollbacks``, or the ``before``/``after``
        hypothesis."""
        if section not in _SECTIONS:
            raise ValueError(
                f"unknown section {show_value(section)}: use one of "
                '"run" (or "method"), "before", "after", "rollbacks"'
            )
        section = _SECTIONS[section]
        if section in ("before", "after"):
            state = self.data["steady_states"][section]
            return list(state["probes"]) if state else []
        return [e for e in self.data[section] if e is not None]

    def entry(self, name: str, section: str | None = None) -> dict[str, Any]:
        __tracebackhide__ = True
        sections = [section] if section else ["run", "before", "after", "rollbacks"]
        for where in sections:
            for entry in self.entries(where):
                if entry["activity"].get("name") == name:
                    return entry
        raise AssertionError(
            f"no activity {show_value(name)} in {', '.join(sections)}{self._where()}"
        )

    def output(self, name: str, section: str | None = None) -> Any:
        __tracebackhide__ = True
        return self.entry(name, section)["output"]

    def assert_succeeded(self, name: str, section: str | None = None) -> JournalAssertions:
        __tracebackhide__ = True
        entry = self.entry(name, section)
        assert entry["status"] == "succeeded", (
            f"{show_value(name)} {entry['status']}: {''.join(entry.get('exception') or [])}"
            f"{self._where()}"
        )
        return self

    def assert_rolled_back(self, name: str) -> JournalAssertions:
        """The rollback ``name`` ran and succeeded."""
        __tracebackhide__ = True
        return self.assert_succeeded(name, "rollbacks")
