"""``squall runs report``: the run history as one page, each run linking to its report."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cdp import Browser
from sqharness import EXAMPLES, run_squall

DATA = Path(__file__).resolve().parent / "data"


def sq(history: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_squall(*args, "--history", str(history), cwd=cwd)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A history of five real runs of three experiments: held, held, deviated, held and
    a hostile title (broken)."""
    folder = tmp_path_factory.mktemp("history")
    store = folder / "history.sqlite3"
    marker = f"marker={folder / 'marker'}"
    for experiment, extra in (
        (EXAMPLES / "trivial.json", []),
        (EXAMPLES / "trivial.json", []),
        (EXAMPLES / "deviated.json", ["--var", marker]),
        (EXAMPLES / "trivial.json", []),
        (DATA / "hostile.json", []),
    ):
        done = sq(store, "run", str(experiment), *extra, cwd=folder)
        assert done.returncode in (0, 1, 3), done.stderr
    return folder, store


def test_history_page_per_experiment_with_linked_run_reports(history: tuple[Path, Path]) -> None:
    folder, store = history
    done = sq(store, "runs", "report", "-o", "site/history.html", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "run history of 5 runs written to site/history.html (5 run reports" in done.stderr
    page = (folder / "site" / "history.html").read_text()
    assert page.count('class="history-row') == 3
    links = re.findall(r'<a href="(history-runs/[0-9a-f]+\.html)">', page)
    assert len(set(links)) == 5
    for link in links:
        report = (folder / "site" / link).read_text()
        assert 'class="timeline-chart"' in report
    # newest experiment first: the hostile one; its title stays text
    first = page.index('class="history-row')
    assert page.index("&lt;script&gt;document.title=", first) < page.index("a marker file appears")
    assert "<script>" not in page
    # the last failure of the deviated experiment, and why
    assert "expected false, got true" in page
    assert "Never failed in these runs." in page  # trivial.json
    assert page.count('points="') == 1  # a trend needs two runs: only trivial.json has three
    # each card names the file its runs read: two cards of one title (an edited file, a
    # copy) were told apart only by a digest
    for source in (EXAMPLES / "trivial.json", EXAMPLES / "deviated.json", DATA / "hostile.json"):
        assert f"from <code>{source}</code>" in page


def test_run_reports_are_written_once(history: tuple[Path, Path]) -> None:
    folder, store = history
    assert sq(store, "runs", "report", "-o", "again.html", cwd=folder).returncode == 0
    reports = sorted((folder / "again-runs").iterdir())
    stamps = {p: p.stat().st_mtime_ns for p in reports}
    reports[0].write_text("kept")
    done = sq(store, "runs", "report", "-o", "again.html", "--experiment", "trivial", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "run history of 3 runs" in done.stderr
    assert reports[0].read_text() == "kept"
    assert {p: p.stat().st_mtime_ns for p in reports[1:]} == {p: stamps[p] for p in reports[1:]}


def test_an_empty_history(tmp_path: Path) -> None:
    done = sq(tmp_path / "h.sqlite3", "runs", "report", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "No runs in" in (tmp_path / "history.html").read_text()


def test_history_page_in_chromium(
    history: tuple[Path, Path], browser: Browser, keep_screenshot: Any
) -> None:
    folder, store = history
    assert sq(store, "runs", "report", "-o", "b/history.html", cwd=folder).returncode == 0
    page = browser.open((folder / "b" / "history.html").as_uri())
    with keep_screenshot(page, "history-in-chromium"):
        assert page.errors() == [] and page.requests() == []
        marks = page.evaluate(
            "[...document.querySelectorAll('.run-mark')].map(m => "
            "[m.classList[1], m.getBoundingClientRect().width, !!m.closest('a')])"
        )
        assert sorted(m[0] for m in marks) == ["broken", "deviated", "held", "held", "held"]
        assert all(width > 0 and linked for _, width, linked in marks)
        assert "pwned" not in page.evaluate("document.title")
    page.close()
    assert os.path.isdir(folder / "b" / "history-runs")


def test_report_digest_is_the_run_historys_experiment_hash(history: tuple[Path, Path]) -> None:
    import json

    folder, store = history
    listed = json.loads(sq(store, "runs", "list", "--json", "--limit", "1", cwd=folder).stdout)
    shown = sq(store, "runs", "show", listed[0]["run_id"], "--journal", cwd=folder)
    journal = json.loads(shown.stdout)
    assert journal["squall"]["experiment_hash"] == listed[0]["experiment_hash"]
    (folder / "last.json").write_text(shown.stdout)
    html = run_squall("report", "-f", "html", "-o", "-", "last.json", cwd=folder).stdout
    assert f"sha256:{listed[0]['experiment_hash']}" in html
    assert "(as the run history has it)" in html


def test_runs_that_ended_without_a_journal_keep_the_page(tmp_path: Path) -> None:
    """A Temporal run its worker refused (``invalid``, exit 2) or that Temporal ended
    (``failed``) stores its reasons, not a journal. The page shows them, with no run
    report to link, and links the others' reports: one such run made ``runs report`` exit
    2 with 'not a journal' (naming a journal file that was fine) and write no page."""
    from squall.engine.context import NullListener
    from squall.journal.history import open_history
    from squall.temporal.record import end_unrun_record

    store = tmp_path / "history.sqlite3"
    assert sq(store, "run", str(EXAMPLES / "trivial.json"), cwd=tmp_path).returncode == 0
    history = open_history(str(store))
    try:
        ran = history.get(history.runs(limit=1)[0].run_id)
        for run_id, code, reason in (
            ("0000000000a1", 2, '/configuration/http: environment variable "CONF_HTTP" is not set'),
            ("0000000000b2", 3, "no worker took the run within 30s"),
        ):
            unrun = ran.replace(
                run_id=run_id, status="running", outcome=None, exit_code=None, journal=None
            )
            history.start(unrun)
            end_unrun_record(history, unrun, code, [reason], NullListener())
    finally:
        history.close()
    done = sq(store, "runs", "report", "-o", "h.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "run history of 3 runs written to h.html (1 run report in h-runs/)" in done.stderr
    page = (tmp_path / "h.html").read_text()
    assert "environment variable &#34;CONF_HTTP&#34; is not set" in page
    assert 'class="run-mark invalid"' in page and 'class="run-mark failed"' in page
    assert re.findall(r'<a href="(h-runs/[0-9a-f]+\.html)">', page) == [f"h-runs/{ran.run_id}.html"]
    assert sorted(p.name for p in (tmp_path / "h-runs").iterdir()) == [f"{ran.run_id}.html"]


def test_a_url_source_is_shown_without_its_credentials(
    tmp_path: Path, loopback_http_server: Any
) -> None:
    """The page names each card's source; an experiment read from a URL with a password
    in it keeps the password out of the page, which is made to be shared."""
    loopback_http_server.set("/trivial.json", 200, (EXAMPLES / "trivial.json").read_text())
    url = loopback_http_server.url("/trivial.json").replace("://", "://alice:s3cret-pw@", 1)
    store = tmp_path / "history.sqlite3"
    assert sq(store, "run", url, cwd=tmp_path).returncode == 0
    done = sq(store, "runs", "report", "-o", "h.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "h.html").read_text()
    assert "from <code>http://alice:***@127.0.0.1:" in page
    assert "s3cret-pw" not in page
