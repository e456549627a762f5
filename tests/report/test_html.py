"""The HTML report as text: self-contained, escaped, complete. (The browser checks are in
test_browser.py.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from squall.report import read_journal, render


class Tags(HTMLParser):
    """Every start tag and its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_hostile_journal_text_never_becomes_markup(journals: dict[str, Path]) -> None:
    html = render([read_journal(str(journals["hostile"]))], "html")
    found = tags(html)
    names = {tag for tag, _ in found}
    assert not names & {"script", "iframe", "img", "b", "i", "link", "object", "embed"}
    # no event handler attribute anywhere, no external reference
    for tag, attrs in found:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not value or value.startswith("#"), (tag, key, value)
    assert "&lt;script&gt;document.title=&#39;pwned-title&#39;&lt;/script&gt;" in html
    assert "&lt;/script&gt;&lt;script&gt;document.title=&#39;pwned-output&#39;" in html


def test_self_contained_with_a_policy_that_forbids_scripts_and_requests(
    journals: dict[str, Path],
) -> None:
    html = render([read_journal(str(journals["showcase"]))], "html")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy is not None and "default-src 'none'" in policy.group(1)
    assert "script-src" not in policy.group(1)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "@media print" in html  # the print stylesheet is inline


SHOWCASE = Path(__file__).resolve().parent / "data" / "showcase-journal.json"


def test_verdict_first_then_timeline_hypothesis_activities_provenance() -> None:
    # the committed journal of a real run of data/showcase.json: its counts do not
    # depend on the timing of this machine
    report = read_journal(str(SHOWCASE))
    html = render([report], "html")
    order = [
        html.index('class="verdict"'),
        html.index("What to look at"),
        html.index('class="timeline-chart"'),
        html.index("Steady-state hypothesis"),
        html.index("<h3>Activities</h3>"),
        html.index("Provenance"),
    ]
    assert order == sorted(order)
    assert html.count('class="bar ') == len(report.entries) - sum(
        len(c.probes) for c in report.during
    )
    assert 'class="deviation-mark"' in html and "deviation seen at" in html
    assert 'class="group group-succeeded"' in html  # the parallel group's band
    assert html.count('class="pause"') == 2  # warm-up's pauses
    assert html.count('class="check missed"') == 3
    assert f"sha256:{report.digest}" in html and report.run_id in html
    assert "s3cr3t-canary-token" not in html  # the journal has it masked


def test_long_outputs_are_folded_and_capped(journals: dict[str, Path], tmp_path: Path) -> None:
    import json

    data = json.loads(journals["held"].read_text())
    data["run"][0]["output"] = "x" * 200_000
    path = tmp_path / "long.json"
    path.write_text(json.dumps(data))
    html = render([read_journal(str(path))], "html")
    assert '<details class="fold"><summary>' in html
    assert "more characters: see the journal" in html
    assert len(html) < 150_000


def test_several_runs_have_a_summary_table_first(
    journals: dict[str, Path], ctk_journals: dict[str, Path]
) -> None:
    paths = [journals["held"], journals["parallel"], ctk_journals["deviated"]]
    html = render([read_journal(str(p)) for p in paths], "html")
    assert html.index('id="summary"') < html.index('id="run-1"')
    assert html.count('<a href="#run-') == 3
    assert "3 runs: 1 held, 1 deviated, 1 broken" in html
    assert "a Chaos Toolkit journal" in html
