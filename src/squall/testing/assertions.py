"""Readable assertions about a journal."""

from __future__ import annotations

from typing import Any

import squall
from squall import show_value

__all__ = ["JournalAssertions"]


class JournalAssertions:
    """A journal with assertions; ``.journal`` is the ``squall.Journal`` itself and
    ``.data`` its plain-data form (the keys of a ``journal.json``)."""

    def __init__(self, journal: squall.Journal) -> None:
        self.journal = journal
        self.data: dict[str, Any] = journal.to_dict()

    @property
    def outcome(self) -> str:
        return str(self.data["squall"]["outcome"])

    @property
    def exit_code(self) -> int:
        return int(self.data["squall"]["exit_code"])

    def _why(self) -> str:
        reasons = self.data["squall"].get("reasons") or []
        return f"outcome {show_value(self.outcome)}" + (
            f": {'; '.join(reasons)}" if reasons else ""
        )

    def assert_outcome(self, outcome: str) -> JournalAssertions:
        assert self.outcome == outcome, f"expected {show_value(outcome)}, got {self._why()}"
        return self

    def assert_held(self) -> JournalAssertions:
        return self.assert_outcome("held")

    def assert_deviated(self) -> JournalAssertions:
        return self.assert_outcome("deviated")

    def assert_broken(self) -> JournalAssertions:
        return self.assert_outcome("broken")

    def entries(self, section: str = "run") -> list[dict[str, Any]]:
        """Entries of ``run``, ``rollbacks``, or the ``before``/``after`` hypothesis."""
        if section in ("before", "after"):
            state = self.data["steady_states"][section]
            return list(state["probes"]) if state else []
        return [e for e in self.data[section] if e is not None]

    def entry(self, name: str, section: str | None = None) -> dict[str, Any]:
        sections = [section] if section else ["run", "before", "after", "rollbacks"]
        for where in sections:
            for entry in self.entries(where):
                if entry["activity"].get("name") == name:
                    return entry
        raise AssertionError(f"no activity {show_value(name)} in {', '.join(sections)}")

    def output(self, name: str, section: str | None = None) -> Any:
        return self.entry(name, section)["output"]

    def assert_succeeded(self, name: str, section: str | None = None) -> JournalAssertions:
        entry = self.entry(name, section)
        assert entry["status"] == "succeeded", (
            f"{show_value(name)} {entry['status']}: {''.join(entry.get('exception') or [])}"
        )
        return self

    def assert_rolled_back(self, name: str) -> JournalAssertions:
        """The rollback ``name`` ran and succeeded."""
        return self.assert_succeeded(name, "rollbacks")
