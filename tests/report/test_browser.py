"""The HTML report in a real headless Chromium: it renders (verdicts, timelines), logs no
error, asks for nothing over the network (even with hostile journal text that names a
loopback server), and prints to PDF. One browser and one server for the session."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from squall.report import read_journal, render

from cdp import Browser
from sqharness import LocalServer, run_squall


def hostile_copy(journal: Path, url: str, folder: Path) -> Path:
    """The hostile journal with text that would make requests to ``url`` if it ever
    became markup."""
    data = json.loads(journal.read_text())
    bait = (
        f'<img src="{url}/img"><link rel="stylesheet" href="{url}/css">'
        f'<script src="{url}/js"></script><iframe src="{url}/frame"></iframe>'
        f'<meta http-equiv="refresh" content="0;url={url}/refresh">'
    )
    data["experiment"]["title"] += bait
    data["run"][0]["output"] = bait
    data["run"][0]["activity"]["name"] += f'<object data="{url}/object"></object>'
    path = folder / "hostile-bait.json"
    path.write_text(json.dumps(data))
    return path


def test_report_renders_with_no_error_and_no_request(
    browser: Browser,
    web: LocalServer,
    journals: dict[str, Path],
    ctk_journals: dict[str, Path],
    outcomes: dict[str, str],
    keep_screenshot: Any,
    tmp_path: Path,
) -> None:
    paths = [*journals.values(), *ctk_journals.values()]
    paths.append(hostile_copy(journals["hostile"], web.url, tmp_path))
    reports = [read_journal(str(p)) for p in paths]
    web.serve("/report.html", render(reports, "html"), "text/html; charset=utf-8")
    before = len(web.requests)
    page = browser.open(f"{web.url}/report.html")
    with keep_screenshot(page, "report-in-chromium"):
        assert page.errors() == []
        assert page.requests() == []
        assert [r[1] for r in web.requests[before:]] == ["/report.html"]
        dom = page.evaluate(
            """(() => {
              const runs = [...document.querySelectorAll('article.run')];
              return {
                title: document.title,
                scripts: document.scripts.length,
                frames: document.querySelectorAll('iframe, img, object, link').length,
                summaryRows: document.querySelectorAll('#summary tbody tr').length,
                runs: runs.map(run => ({
                  outcome: run.dataset.outcome,
                  chip: run.querySelector('.verdict .verdict-chip').textContent,
                  title: run.querySelector('.run-title').textContent,
                  chipVisible: run.querySelector('.verdict-chip').getBoundingClientRect().width > 0,
                  bars: [...run.querySelectorAll('.timeline-chart .span')]
                         .map(b => b.getBoundingClientRect().width),
                  deviation: run.querySelector('.deviation-mark line') !== null,
                  groups: run.querySelectorAll('.timeline-chart rect.group').length,
                  svgHeight: run.querySelector('.timeline-chart').getBoundingClientRect().height,
                })),
              };
            })()"""
        )
        assert dom["title"].startswith("12 runs") or "runs:" in dom["title"]
        assert "pwned" not in dom["title"]
        assert dom["scripts"] == 0 and dom["frames"] == 0
        assert dom["summaryRows"] == len(paths)
        assert [run["outcome"] for run in dom["runs"]] == [r.outcome for r in reports]
        for run, report in zip(dom["runs"], reports, strict=True):
            assert run["chipVisible"] and run["svgHeight"] > 40
            assert run["chip"] == {"not-run": "not run"}.get(report.outcome, report.outcome)
            # every activity run has a visible bar on the timeline
            assert len(run["bars"]) == len(report.entries) - sum(
                len(c.probes) for c in report.during
            )
            assert all(width > 0 for width in run["bars"])
        by_name = dict(zip([p.stem for p in paths], dom["runs"], strict=True))
        assert by_name["showcase"]["deviation"] and by_name["showcase"]["groups"] == 1
        assert by_name["parallel"]["groups"] == 3
        assert not by_name["held"]["deviation"]
        assert by_name["hostile-bait"]["title"].startswith("<script>document.title='pwned-title'")
        pdf = page.pdf()
        assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
        # the print stylesheet unfolds what is folded on screen
        folded = "[...document.querySelectorAll('details:not([open]) pre')]"
        visible = f"{folded}.map(p => p.checkVisibility())"
        assert page.evaluate(f"{folded}.length") > 10
        assert not any(page.evaluate(visible))  # on screen: folded
        browser.send("Emulation.setEmulatedMedia", {"media": "print"}, session=page.session)
        assert all(page.evaluate(visible))  # printed: unfolded
    page.close()
    assert [r[1] for r in web.requests[before:]] == ["/report.html"]


def test_squall_report_pdf(journals: dict[str, Path], browser: Browser, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    done = run_squall("report", str(journals["showcase"]), "-o", str(out), timeout=180)
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000
    assert not list(tmp_path.glob(".report.pdf.*"))  # no temporary file left


def test_pdf_without_chromium_says_so(journals: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    missing = str(tmp_path / "no-such-chromium")
    done = run_squall(
        "report", "-f", "pdf", "-o", str(out), str(journals["held"]), SQUALL_CHROMIUM=missing
    )
    assert done.returncode == 2
    assert "the pdf format needs a headless Chromium, and none was found" in done.stderr
    assert "apt-get install chromium" in done.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_docs_screenshot_is_current(browser: Browser) -> None:
    """docs/images/report.png shows the HTML report of data/showcase-journal.json. When
    the templates changed since it was made (its stamp holds their digest), this test
    makes it again and fails so that it is committed; under CI it only fails."""
    from docs_screenshot import STAMP, make_screenshot, templates_digest

    if STAMP.exists() and STAMP.read_text().strip() == templates_digest():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("docs/images/report.png is out of date: run tests/report/docs_screenshot.py")
    make_screenshot(browser)
    pytest.fail("the report's look changed: docs/images/report.png was regenerated, commit it")


def test_the_deviation_label_stays_inside_the_timeline(browser: Browser, tmp_path: Path) -> None:
    """A deviation seen at the end of a run (an after probe, then a quick rollback) put its
    "deviation seen at ..." label past the chart's right edge, cut in half (getting
    started's lock-file experiment). It is drawn to the left of its line there."""
    experiment = {
        "title": "late deviation",
        "description": "the method creates a marker, pauses; the after probe sees it",
        "steady-state-hypothesis": {
            "title": "no marker",
            "probes": [
                {"type": "probe", "name": "no-marker", "tolerance": False,
                 "provider": {"type": "python", "module": "os.path", "func": "exists",
                              "arguments": {"path": "marker"}}},
            ],
        },
        "method": [
            {"type": "action", "name": "create-marker", "pauses": {"after": 0.3},
             "provider": {"type": "process", "path": "touch", "arguments": ["marker"]}},
        ],
        "rollbacks": [
            {"type": "action", "name": "remove-marker",
             "provider": {"type": "process", "path": "rm", "arguments": ["-f", "marker"]}},
        ],
    }  # fmt: skip
    (tmp_path / "late.json").write_text(json.dumps(experiment))
    assert run_squall("run", "late.json", "--no-history", cwd=tmp_path).returncode == 1
    done = run_squall("report", "journal.json", "-o", "late.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = browser.open((tmp_path / "late.html").as_uri())
    label, chart = page.evaluate(
        """[document.querySelector('.deviation-mark text').getBoundingClientRect(),
            document.querySelector('.timeline-chart').getBoundingClientRect()]
           .map(box => [box.left, box.right])"""
    )
    page.close()
    assert chart[0] <= label[0] and label[1] <= chart[1], (label, chart)
