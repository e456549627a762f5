"""docs/reports.md and getting-started.md show what squall prints: the Markdown report of
the getting-started run that deviates is compared with the page."""

from __future__ import annotations

import re
from pathlib import Path

from sqharness import ROOT, run_squall

DOCS = ROOT / "docs"


def _normalise(text: str) -> str:
    """Run ids, times and versions change from run to run."""
    text = re.sub(r"run [0-9a-f]{12}", "run RUN", text)
    text = re.sub(r"in \d+\.\d\d s", "in T s", text)
    return re.sub(r"squall \d+\.\d+\.\d+\S*</sub>", "squall V</sub>", text)


def test_markdown_example_is_what_squall_writes(tmp_path: Path) -> None:
    page = (DOCS / "reports.md").read_text()
    block = re.search(r"<!-- markdown-report -->\n```markdown\n(.*?)```", page, re.S)
    assert block is not None
    done = run_squall(
        "run",
        "--no-history",
        str(DOCS / "examples" / "lock-file-deviates.json"),
        "--report",
        "markdown:summary.md",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    written = (tmp_path / "summary.md").read_text()
    assert _normalise(written).strip() == _normalise(block.group(1)).strip()


def test_getting_started_report_command(tmp_path: Path) -> None:
    page = (DOCS / "getting-started.md").read_text()
    assert (
        "$ squall report journal.json\nsquall: html report of 1 run written to report.html" in page
    )
    run_squall(
        "run", "--no-history", str(DOCS / "examples" / "lock-file-deviates.json"), cwd=tmp_path
    )
    done = run_squall("report", "journal.json", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.strip() == "squall: html report of 1 run written to report.html"
    assert "Nothing leaves a lock file behind" in (tmp_path / "report.html").read_text()
