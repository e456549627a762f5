"""RENDER: reports of finished runs, from squall's journals and the Chaos Toolkit's.

    reports = [read_journal("journal.json")]
    text = render(reports, "markdown")         # html, markdown, junit, json (str)
    write_report(reports, "pdf", "report.pdf")   # pdf needs a headless Chromium

Formats (see docs/reports.md): ``html`` (one self-contained file, SVG timeline),
``markdown`` (a summary for a pull request or ``$GITHUB_STEP_SUMMARY``), ``junit`` (JUnit
XML for CI), ``json`` (the summary as data), ``pdf`` (the HTML printed by Chromium).
Jinja2 is imported only by the HTML formats.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from squall.report.model import Entry, HypothesisCheck, RunReport
from squall.report.read import read_journal, report_from_journal, report_from_text
from squall.show import show_value

__all__ = [
    "FORMATS",
    "Entry",
    "HypothesisCheck",
    "RunReport",
    "read_journal",
    "render",
    "report_from_journal",
    "report_from_text",
    "write_report",
    "write_text",
]

#: every format ``squall report -f`` knows, and its usual file suffix
FORMATS = {"html": ".html", "markdown": ".md", "junit": ".xml", "json": ".json", "pdf": ".pdf"}


def render(reports: list[RunReport], fmt: str) -> str:
    """The report as text (every format but pdf).

    Raises:
        ValueError: an unknown format, or pdf (use ``write_report``).
    """
    if fmt == "markdown":
        from squall.report.markdown import render_markdown

        return render_markdown(reports)
    if fmt == "json":
        import json

        from squall.report.summary import summary_document

        return json.dumps(summary_document(reports), indent=2, ensure_ascii=False) + "\n"
    if fmt == "junit":
        from squall.report.junit import render_junit

        return render_junit(reports)
    if fmt == "html":
        from squall.report.html import render_html

        return render_html(reports)
    raise ValueError(
        f"unknown report format {show_value(fmt)} (text formats: html, markdown, junit, json)"
    )


def write_report(reports: list[RunReport], fmt: str, path: str) -> str:
    """Write the report to ``path`` (atomically: a reader never sees half a report);
    returns the path.

    Raises:
        InputError: pdf without a Chromium to print it, or the file cannot be written.
    """
    if fmt == "pdf":
        from squall.report.pdf import print_pdf

        return _atomic(path, lambda tmp: print_pdf(render(reports, "html"), tmp))
    return write_text(path, render(reports, fmt))


def write_text(path: str, text: str) -> str:
    """Write a text file atomically (its folder made if missing); returns the path.

    Raises:
        InputError: it cannot be written.
    """

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)

    return _atomic(path, write)


def _atomic(path: str, produce: Callable[[str], None]) -> str:
    from squall._files import special_file
    from squall.errors import InputError

    if special_file(path):  # /dev/null, /dev/stdout, a FIFO: written in place, not replaced
        try:
            produce(path)
        except OSError as exc:
            raise InputError(f"cannot write the report {path}: {exc}") from None
        return path
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        os.makedirs(directory, exist_ok=True)
        produce(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write the report {path}: {exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
