"""Make docs/images/report.png: the HTML report of data/showcase-journal.json (a real
run of data/showcase.json) in headless Chromium; its stamp holds the digest of the
templates it shows, so test_browser.py knows when it is out of date.

    .venv/bin/python tests/report/docs_screenshot.py
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
JOURNAL = HERE / "data" / "showcase-journal.json"
IMAGE = ROOT / "docs" / "images" / "report.png"
STAMP = HERE / "data" / "report-screenshot.stamp"
TEMPLATES = ROOT / "src" / "squall" / "report" / "templates"


def templates_digest() -> str:
    digest = hashlib.sha256()
    for path in [*sorted(TEMPLATES.iterdir()), ROOT / "src/squall/report/timeline.py"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def make_screenshot(browser: object) -> Path:
    """Render the showcase report, screenshot its top in ``browser`` (a cdp.Browser)."""
    from squall.report import read_journal, render

    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "report.html"
        page_path.write_text(render([read_journal(str(JOURNAL))], "html"))
        page = browser.open(page_path.as_uri(), width=1100, height=1250)  # type: ignore[attr-defined]
        try:
            page.screenshot(IMAGE, full=False)
        finally:
            page.close()
    STAMP.write_text(templates_digest() + "\n")
    return IMAGE


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests" / "support"))
    from cdp import Browser, find_chromium

    executable = find_chromium()
    if executable is None:
        print("chromium is not installed", file=sys.stderr)
        return 1
    browser = Browser(executable)
    try:
        print(make_screenshot(browser))
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
