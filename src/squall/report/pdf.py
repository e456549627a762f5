"""``-f pdf``: the HTML report printed by a headless Chromium (its print stylesheet).

squall needs no TeX and no pandoc for it: any Chromium or Chrome will do. Which one:
``$SQUALL_CHROMIUM``, else the first of ``chromium``, ``chromium-browser``,
``google-chrome``, ``google-chrome-stable``, ``chrome`` on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from squall.errors import InputError

__all__ = ["CHROMIUM_FLAGS", "find_chromium", "print_pdf"]

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

#: a quiet, local browser: no sandbox (root in containers), no GPU, no network of its own
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--no-default-browser-check",
)


def find_chromium() -> str | None:
    """The Chromium to use, or None when none is installed."""
    chosen = os.environ.get("SQUALL_CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else shutil.which(chosen)
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html: str, path: str, *, timeout: float = 120.0) -> None:
    """Print ``html`` to a PDF file at ``path``.

    Raises:
        InputError: no Chromium is installed, or it could not print.
    """
    chromium = find_chromium()
    if chromium is None:
        raise InputError(
            "the pdf format needs a headless Chromium, and none was found (looked for "
            + ", ".join(_NAMES)
            + " on PATH and $SQUALL_CHROMIUM). Install one (Debian/Ubuntu: apt-get install "
            "chromium), or write -f html and print it from a browser: its print stylesheet "
            "gives the same document"
        )
    with tempfile.TemporaryDirectory(prefix="squall-pdf-") as work:
        page = os.path.join(work, "report.html")
        with open(page, "w", encoding="utf-8") as handle:
            handle.write(html)
        argv = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={os.path.join(work, 'profile')}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={os.path.abspath(path)}",
            "file://" + page,
        ]
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise InputError(f"{chromium} could not print the report: {exc}") from None
    if done.returncode != 0 or not os.path.exists(path) or os.path.getsize(path) == 0:
        tail = (done.stderr or "").strip().splitlines()[-3:]
        raise InputError(
            f"{chromium} could not print the report (exit {done.returncode}): " + " | ".join(tail)
        )
