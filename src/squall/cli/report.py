"""``squall report JOURNAL...``: render journals (squall's or the Chaos Toolkit's)."""

from __future__ import annotations

import os
import sys

import click

__all__ = ["report", "report_format"]

_FORMATS = ["markdown", "json"]
_BY_SUFFIX = {".html": "html", ".htm": "html", ".md": "markdown", ".xml": "junit"}
_BY_SUFFIX |= {".json": "json", ".pdf": "pdf"}


def report_format(fmt: str | None, output: str | None) -> str:
    """The format asked for, else the one the output file's suffix names, else html."""
    if fmt:
        return fmt
    suffix = os.path.splitext(output or "")[1].lower()
    return _BY_SUFFIX.get(suffix, "markdown")


@click.command()
@click.argument("journals", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    default=None,
    help="Report format (default: from the -o suffix, else html).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write here (default: stdout; report.html / report.pdf for html and pdf).",
)
def report(journals: tuple[str, ...], fmt: str | None, output: str | None) -> int:
    """Render journals as one report: HTML (self-contained, with a timeline), Markdown,
    JUnit XML, JSON or PDF. Several journals give one report with a summary table first."""
    from squall.report import read_journal, render, write_report

    fmt = report_format(fmt, output)
    reports = [read_journal(path) for path in journals]
    if fmt not in _FORMATS:
        raise click.UsageError(f"-o {output}: the {fmt} format is not available yet")
    if output is None or output == "-":
        sys.stdout.write(render(reports, fmt))
        return 0
    write_report(reports, fmt, output)
    sys.stderr.write(f"squall: {fmt} report of {len(reports)} run(s) written to {output}\n")
    return 0
