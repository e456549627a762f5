"""The handout prints: scripts/handout.py renders docs/workshop/handout.md to one HTML page
and prints it to a one-page A4 PDF through the report machinery's headless Chromium."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from squall.report.pdf import find_chromium
from squall.workshop import EXERCISES

ROOT = Path(__file__).resolve().parents[2]


def test_the_handout_is_one_printed_page(tmp_path: Path) -> None:
    if find_chromium() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must have a Chromium (.ci/run installs it)")
        pytest.skip("no Chromium here")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "handout.py"), str(tmp_path)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    page = (tmp_path / "handout.html").read_text(encoding="utf-8")
    for item in EXERCISES:
        assert item.title in page
    assert ".md" not in re.sub(r"<[^>]+>", "", page).replace("handout.md", ""), "no dead links"
    pdf = (tmp_path / "handout.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "one A4 page"
