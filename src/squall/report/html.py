"""The HTML report: one self-contained file (inline CSS and SVG, no script, no request).

Jinja2 renders it with autoescaping on for every value: journal text (titles, names,
outputs, errors) is untrusted and can never become markup. A Content-Security-Policy
that allows no script and no network request backs that up in the browser.
"""

from __future__ import annotations

import json
from typing import Any

from squall._version import __version__
from squall.report.model import RunReport
from squall.report.summary import LABELS, failing, overview
from squall.report.timeline import layout

__all__ = ["OUTPUT_CAP", "environment", "render_html", "seconds"]

#: the most of one value (an output, arguments, a traceback) shown; the journal has all
OUTPUT_CAP = 64 * 1024
#: values longer than this are folded (a click unfolds them)
FOLD = 600

_environment: Any = None


def environment() -> Any:
    """The Jinja2 environment of squall's templates (created on first use)."""
    global _environment
    if _environment is None:
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.PackageLoader("squall.report", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(seconds=seconds, pretty=pretty, when=when)
        env.globals.update(labels=LABELS, fold=FOLD, version=__version__)
        _environment = env
    return _environment


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s" if value < 120 else f"{value / 60:.1f} min"


def when(text: str) -> str:
    """An ISO time as ``2026-12-04 20:38:49 UTC`` (as is when it is not one)."""
    if len(text) >= 19 and text[10] == "T":
        zone = " UTC" if text.endswith(("+00:00", "Z")) or len(text) <= 26 else text[26:]
        return text[:19].replace("T", " ") + zone
    return text or "-"


def pretty(value: Any) -> str:
    """A value as indented JSON (text as is), cut at OUTPUT_CAP."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = str(value)
    if len(text) > OUTPUT_CAP:
        cut = len(text) - OUTPUT_CAP
        text = f"{text[:OUTPUT_CAP]}\n… ({cut} more characters: see the journal)"
    return text


def _hypothesis_rows(report: RunReport) -> list[dict[str, Any]]:
    """The probes of the hypothesis, before and after side by side."""
    rows: dict[str, dict[str, Any]] = {}
    for check in (report.before, report.after):
        if check is None:
            continue
        for probe in check.probes:
            row = rows.setdefault(probe.name, {"name": probe.name, "tolerance": probe.tolerance})
            row[check.phase] = probe
    return list(rows.values())


def _context(report: RunReport, index: int) -> dict[str, Any]:
    return {
        "r": report,
        "anchor": f"run-{index}",
        "timeline": layout(report),
        "failing": failing(report),
        "hypothesis": _hypothesis_rows(report),
        "missed_during": [p for c in report.during for p in c.probes if p.tolerance_met is False],
        "phases": [
            ("Method", report.method),
            ("Rollbacks", report.rollbacks),
        ],
    }


def render_html(reports: list[RunReport]) -> str:
    template = environment().get_template("report.html.j2")
    title = reports[0].title if len(reports) == 1 else overview(reports)
    return str(
        template.render(
            title=title,
            overview=overview(reports),
            runs=[_context(r, i) for i, r in enumerate(reports, 1)],
            several=len(reports) > 1,
        )
    )
