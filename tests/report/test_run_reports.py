"""``squall run --report FORMAT:PATH --junit PATH`` and the ``reports`` setting."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqharness import EXAMPLES, run_squall


def squall_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    settings, journal = str(tmp_path / "settings.yaml"), str(tmp_path / "journal.json")
    return run_squall("--settings", settings, "run", "--journal-path", journal, *args, cwd=tmp_path)


def test_run_writes_the_reports_it_was_asked_for(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    done = squall_run(
        tmp_path,
        str(EXAMPLES / "deviated.json"),
        "--var",
        f"marker={marker}",
        "--report",
        "json:out/report.json",
        "--report",
        "markdown:summary.md",
        "--junit",
        "out/junit.xml",
    )
    assert done.returncode == 1, done.stderr
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert data["runs"][0]["run_id"] == journal["squall"]["run_id"]
    assert data["runs"][0]["outcome"] == "deviated"
    assert "❌ deviated: a marker file appears" in (tmp_path / "summary.md").read_text()
    assert 'failures="1"' in (tmp_path / "out" / "junit.xml").read_text()
    assert "junit report: out/junit.xml" in done.stderr


def test_reports_setting(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("reports:\n  junit: ci/junit.xml\n")
    done = squall_run(tmp_path, str(EXAMPLES / "trivial.json"))
    assert done.returncode == 0, done.stderr
    assert 'failures="0"' in (tmp_path / "ci" / "junit.xml").read_text()
    # options replace the setting
    done = squall_run(tmp_path, str(EXAMPLES / "trivial.json"), "--report", "json:r.json")
    assert (tmp_path / "r.json").exists()


def test_a_bad_report_option_stops_before_the_run(tmp_path: Path) -> None:
    done = squall_run(tmp_path, str(EXAMPLES / "trivial.json"), "--report", "docx:r.docx")
    assert done.returncode == 2
    assert "expected FORMAT:PATH" in done.stderr
    assert not (tmp_path / "journal.json").exists()
    (tmp_path / "settings.yaml").write_text("reports: [junit.xml]\n")
    done = squall_run(tmp_path, str(EXAMPLES / "trivial.json"))
    assert done.returncode == 2 and "the `reports` setting maps a format" in done.stderr


def test_a_report_that_cannot_be_written_keeps_the_verdict(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    done = squall_run(
        tmp_path, str(EXAMPLES / "trivial.json"), "--report", "markdown:file/inside.md"
    )
    assert done.returncode == 0
    assert "markdown report not written: cannot write the report file/inside.md" in done.stderr
    assert (tmp_path / "journal.json").exists()


def test_report_lines_are_json_with_log_format_json(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")  # so file/x.md cannot be written
    done = run_squall(
        "--log-format",
        "json",
        "run",
        "--journal-path",
        str(tmp_path / "journal.json"),
        str(EXAMPLES / "trivial.json"),
        "--junit",
        "junit.xml",
        "--report",
        "markdown:file/x.md",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    reports = [r for r in records if r["event"] == "report"]
    assert [(r["format"], r["path"], "error" in r) for r in reports] == [
        ("markdown", "file/x.md", True),
        ("junit", "junit.xml", False),
    ]
