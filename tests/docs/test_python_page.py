"""The "Test from Python" page (docs/testing-from-python.md) shows every file of its
example, docs/examples/test-a-service/, and what its commands write is kept out of git
by the example's .gitignore. Its console blocks (pytest on the example, the failing run
and its report, run_api.py, the CI commands) run in tests/docs/test_console_blocks.py."""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

from sqexamples import example_files, ignored

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "testing-from-python.md"
EXAMPLE = ROOT / "docs" / "examples" / "test-a-service"
SNIPPET = re.compile(r'--8<-- "([^"]+)"')


def test_every_file_of_the_example_is_shown() -> None:
    shown = set(SNIPPET.findall(PAGE.read_text(encoding="utf-8")))
    assert shown == example_files(EXAMPLE, "docs/examples/test-a-service")
    assert "docs/examples/test-a-service/.gitignore" in shown


def test_what_the_page_writes_is_ignored() -> None:
    """The outputs the page's commands name: the journals, JUnit XML, reports."""
    text = PAGE.read_text(encoding="utf-8")
    written = set(re.findall(r"(?:-o |--junitxml=|> |CHAOS_JOURNALS=)([\w.-]+)", text))
    written |= set(re.findall(r'journal_path="([\w.-]+)"', (EXAMPLE / "run_api.py").read_text()))
    assert {"chaos-journals", "junit.xml", "chaos-report.html", "report.html"} <= written
    assert "prices-down.journal.json" in written and "chaos-summary.md" in written
    patterns = ignored(EXAMPLE)
    assert [w for w in sorted(written) if not any(fnmatch(w, p) for p in patterns)] == []
