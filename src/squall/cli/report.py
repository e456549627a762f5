"""``squall report JOURNAL...``: render journals (squall's or the Chaos Toolkit's)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

import click

from squall.show import counted, show_value

__all__ = [
    "report",
    "report_format",
    "report_of_text",
    "report_targets",
    "run_report_options",
    "write_run_reports",
]

_FORMATS = ["html", "markdown", "junit", "json", "pdf"]
_BY_SUFFIX = {".html": "html", ".htm": "html", ".md": "markdown", ".xml": "junit"}
_BY_SUFFIX |= {".json": "json", ".pdf": "pdf"}


def report_format(fmt: str | None, output: str | None) -> str:
    """The format asked for, else the one the output file's suffix names, else html."""
    if fmt:
        return fmt
    suffix = os.path.splitext(output or "")[1].lower()
    return _BY_SUFFIX.get(suffix, "html")


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
    if output is None and fmt in ("html", "pdf"):
        output = f"report.{fmt}"
    if output is None or output == "-":
        if fmt == "pdf":
            raise click.UsageError("-f pdf writes a file: give -o FILE")
        sys.stdout.write(render(reports, fmt))
        return 0
    write_report(reports, fmt, output)
    runs = counted(len(reports), "run")
    sys.stderr.write(f"squall: {fmt} report of {runs} written to {output}\n")
    return 0


def run_report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--report FORMAT:PATH`` (repeatable) and ``--junit PATH`` of ``squall run``
    (passed as ``reports`` and ``junit``)."""
    command = click.option(
        "--junit",
        "junit",
        default=None,
        type=click.Path(dir_okay=False),
        help="Write a JUnit XML report here when the run ends (= --report junit:PATH).",
    )(command)
    return click.option(
        "--report",
        "reports",
        multiple=True,
        metavar="FORMAT:PATH",
        help="Write a report when the run ends (repeatable); FORMAT: "
        + ", ".join(_FORMATS)
        + ". The `reports` setting gives defaults.",
    )(command)


def report_targets(
    reports: tuple[str, ...], junit: str | None, settings: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(format, path) pairs to write after the run: the options, else the ``reports``
    setting (a mapping of format to path). Checked before the run starts.

    Raises:
        click.BadParameter: an unknown format or an empty path (exit 2).
    """
    targets: list[tuple[str, str]] = []
    for spec in reports:
        fmt, sep, path = spec.partition(":")
        if not sep or not path or fmt not in _FORMATS:
            raise click.BadParameter(
                f"{show_value(spec)}: expected FORMAT:PATH with FORMAT one of "
                f"{', '.join(_FORMATS)}",
                param_hint="--report",
            )
        targets.append((fmt, path))
    if junit:
        targets.append(("junit", junit))
    if targets:
        return targets
    configured = settings.get("reports") or {}
    if not isinstance(configured, Mapping) or any(
        fmt not in _FORMATS or not isinstance(path, str) or not path
        for fmt, path in configured.items()
    ):
        raise click.BadParameter(
            f"the `reports` setting maps a format ({', '.join(_FORMATS)}) to a file path",
            param_hint="settings",
        )
    return list(configured.items())


def report_of_text(text: str, journal_path: str) -> Any:
    """A finished run's report (squall.report.RunReport) from its journal's text, as its
    file got it: what ``squall run`` (either engine) and ``squall recover`` report on,
    never read back (the path may be a FIFO or a device, or unwritable). None when it
    cannot be made (it cannot happen to a journal squall made): the file is read then."""
    from squall.errors import SquallError
    from squall.report import report_from_text

    try:
        return report_from_text(text, journal_path or "journal")
    except SquallError:
        return None


def write_run_reports(
    targets: list[tuple[str, str]], journals: list[Any], json_lines: bool = False
) -> None:
    """Write the reports of finished runs (one, or a suite's), one report for all.
    ``journals``: each run's report (squall.report.RunReport, made from the journal the
    run holds: ``squall run``) or its journal's path (read back: ``squall recover``, runs
    on Temporal). A report that cannot be written is said on stderr (a JSON line with
    ``--log-format json``); the exit code stays the verdict's."""
    if not targets:
        return
    from squall.errors import SquallError
    from squall.report import read_journal, write_report

    def say(fmt: str, path: str, error: str = "") -> None:
        if json_lines:
            import json
            import time

            record = {"event": "report", "format": fmt, "path": path, "ts": time.time()}
            sys.stderr.write(json.dumps({**record, **({"error": error} if error else {})}))
            sys.stderr.write("\n")
        elif error:
            sys.stderr.write(f"squall: error: {fmt} report not written: {error}\n")
        else:
            sys.stderr.write(f"  {fmt} report: {path}\n")

    from squall._files import special_file

    paths = [p for p in journals if isinstance(p, str)]
    unreadable = next((p for p in paths if special_file(p)), None)
    if unreadable is not None:  # reading a FIFO back would wait for a writer for ever
        for fmt, path in targets:
            say(
                fmt,
                path,
                f"no report: the journal went to {unreadable} (not a file), "
                "which cannot be read back; give --journal-path a file",
            )
        return
    try:
        reports = [read_journal(p) if isinstance(p, str) else p for p in journals]
    except SquallError as exc:
        for fmt, path in targets:
            say(fmt, path, f"no report: {exc}")
        return
    for fmt, path in targets:
        try:
            write_report(reports, fmt, path)
        except SquallError as exc:
            say(fmt, path, str(exc))
        else:
            say(fmt, path)
