"""``squall report -f markdown|json``: the summary a pull request or a program reads."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from squall.report import read_journal, render

from sqharness import run_squall


def squall_report(*args: str) -> subprocess.CompletedProcess[str]:
    return run_squall("report", *args)


def test_markdown_of_several_runs_has_the_summary_table_first(
    journals: dict[str, Path], ctk_journals: dict[str, Path]
) -> None:
    paths = [journals["held"], journals["deviated"], ctk_journals["broken"]]
    done = squall_report("-f", "markdown", *map(str, paths))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("## squall report: 3 runs: 1 held, 1 deviated, 1 broken")
    table = text.index("| Experiment | Verdict |")
    assert table < text.index("### ✅ held: trivial")
    assert "| a marker file appears | ❌ deviated | 1 |" in text
    # the deviation: which probe, and why in the console's words; the raw values folded
    assert "| after | marker-absent | not-met | expected false, got true |" in text
    assert "- marker-absent: tolerance false; output true" in text
    assert "Chaos Toolkit journal 1.45.1" in text


def test_markdown_escapes_journal_text(journals: dict[str, Path]) -> None:
    text = render([read_journal(str(journals["hostile"]))], "markdown")
    assert "<script>" not in text and "<iframe" not in text and "<b>" not in text
    assert "&lt;script&gt;document.title='pwned-title'&lt;/script&gt;" in text
    assert "\\[link\\](http://127.0.0.1:9/x)" in text  # no link is made
    # no raw table separator from journal text: every row keeps its four cells
    for line in text.splitlines():
        if line.startswith("| method"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 5, line


def test_json_document(journals: dict[str, Path], ctk_journals: dict[str, Path]) -> None:
    done = squall_report("-f", "json", str(journals["showcase"]), str(ctk_journals["not-run"]))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["outcomes"] == {"deviated": 1, "not-run": 1}
    showcase, ctk = data["runs"]
    assert showcase["exit_code"] == 1 and ctk["exit_code"] == 4
    assert ctk["origin"] == "chaostoolkit" and showcase["origin"] == "squall"
    missed = [e for e in showcase["entries"] if e.get("tolerance_met") is False]
    assert {e["phase"] for e in missed} == {"during", "after"}
    assert missed[0]["expected"] is False and missed[0]["actual"] == "true"
    assert showcase["deviation_at"] > 0


def test_output_file_and_format_from_its_suffix(journals: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "sub" / "summary.md"
    done = squall_report(str(journals["held"]), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("## squall report: 1 run: 1 held")
    assert "markdown report of 1 run written to" in done.stderr


def test_bad_journal_exits_2_with_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  nope")
    done = squall_report("-f", "json", str(bad))
    assert done.returncode == 2
    assert f"{bad}:2:3: not a journal" in done.stderr
    assert "Traceback" not in done.stderr
