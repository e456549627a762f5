"""``squall report`` on journals the real Chaos Toolkit writes now (the report tests use
the copies committed in tests/report/data/ctk/; this checks they still stand for what
the reference writes): each gets the verdict squall would reach, and every format."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from squall.report import read_journal, render

REPORT_TESTS = Path(__file__).resolve().parents[1] / "report"
if str(REPORT_TESTS) not in sys.path:
    sys.path.insert(0, str(REPORT_TESTS))

from make_ctk_journals import RUNS, chaos_run, extra_args  # noqa: E402


@pytest.mark.slow
def test_fresh_chaos_toolkit_journals_get_their_verdicts(ctk_venv: Path, tmp_path: Path) -> None:
    for name, (experiment, outcome) in RUNS.items():
        journal = tmp_path / f"{name}.json"
        chaos_run(ctk_venv, experiment, journal, extra_args(name))
        report = read_journal(str(journal))
        assert report.origin == "chaostoolkit", name
        assert report.outcome == outcome, (name, report.reasons)
        committed = read_journal(str(REPORT_TESTS / "data" / "ctk" / f"{name}.json"))
        assert (report.outcome, len(report.method), len(report.rollbacks)) == (
            committed.outcome,
            len(committed.method),
            len(committed.rollbacks),
        ), name
        for fmt in ("html", "markdown", "junit", "json"):
            assert render([report], fmt)
