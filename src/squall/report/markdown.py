"""The Markdown report: a summary for a pull request comment or ``$GITHUB_STEP_SUMMARY``.

Journal text is untrusted: every value is escaped (HTML and Markdown), so a title or an
output cannot add markup, a link or an image to the page it is posted on.
"""

from __future__ import annotations

from squall.report.model import Entry, RunReport, short
from squall.report.summary import LABELS, failing, overview
from squall.show import counted

__all__ = ["render_markdown"]

#: GitHub keeps at most 1 MiB of step summary: a long run lists its first rows only
MAX_ROWS = 50
_ICONS = {
    "held": "✅",
    "deviated": "❌",
    "broken": "💥",
    "not-run": "⏭️",
    "interrupted": "⏹️",
}
_SPECIAL = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "|": "\\|",
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "#": "\\#",
        "!": "\\!",
        "~": "\\~",
        "\n": " ",
        "\r": " ",
    }
)


def md(text: object, width: int = 300) -> str:
    """Text safe inside Markdown (and inside a table cell), on one line."""
    value = str(text)
    if len(value) > width:
        value = value[: width - 1] + "…"
    return value.translate(_SPECIAL)


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 120 else f"{value / 60:.1f} min"


def _verdict(report: RunReport) -> str:
    return f"{_ICONS.get(report.outcome, '')} {LABELS.get(report.outcome, report.outcome)}"


def _table(reports: list[RunReport]) -> list[str]:
    lines = [
        "| Experiment | Verdict | Exit | Duration | Started (UTC) |",
        "|---|---|---:|---:|---|",
    ]
    for report in reports:
        lines.append(
            f"| {md(report.title)} | {_verdict(report)} | {report.exit_code} | "
            f"{_seconds(report.duration)} | {md(report.start[:19].replace('T', ' '))} |"
        )
    return lines


def _entries(entries: list[Entry]) -> list[str]:
    """The rows to look at, each with the reason the console gave; the tolerances and
    outputs themselves in a folded list below (GitHub shows ``<details>`` closed)."""
    shown = entries[:MAX_ROWS]
    lines = ["| Phase | Activity | Status | Why |", "|---|---|---|---|"]
    for entry in shown:
        lines.append(
            f"| {md(_phase(entry))} | {md(entry.name)} | {md(entry.status)} | "
            f"{md(entry.reason, 300)} |"
        )
    if len(entries) > MAX_ROWS:
        lines.append(f"\n… and {len(entries) - MAX_ROWS} more (see the HTML report).")
    raw = [entry for entry in shown if entry.tolerance_met is False]
    if raw:
        lines += ["", "<details><summary>Tolerances and outputs</summary>", ""]
        lines += [
            f"- {md(entry.name)}: tolerance {md(entry.expected, 160)}; output "
            f"{md(short(entry.output, 400), 400)}"
            for entry in raw
        ]
        lines += ["", "</details>"]
    return lines


def _phase(entry: Entry) -> str:
    if entry.phase == "during":
        return f"during (first miss: check {entry.check})"
    return entry.phase


def _run(report: RunReport) -> list[str]:
    lines = [f"### {_verdict(report)}: {md(report.title)}", ""]
    lines += [f"- {md(reason, 500)}" for reason in report.reasons]
    bad = failing(report)
    if bad:
        lines += ["", *_entries(bad)]
    noted = [e for e in report.entries if e.notes][:MAX_ROWS]
    if noted:  # what the console warned of (a rollback played again, calls retried)
        lines += ["", "Notes:", ""]
        lines += [f"- {md(e.phase)} {md(e.name)}: {md(n, 400)}" for e in noted for n in e.notes]
    ran = len(report.method) + len(report.rollbacks)
    lines += [
        "",
        f"<sub>{counted(ran, 'activity', 'activities')} and "
        f"{counted(len(report.probes), 'probe run')} in "
        f"{_seconds(report.duration)}; run {md(report.run_id or '-')}, journal "
        f"{md(report.source)}, {md(_engine(report))}</sub>",
    ]
    return lines


def _engine(report: RunReport) -> str:
    if report.origin == "squall":
        return f"squall {report.squall_version}"
    return f"Chaos Toolkit journal {report.chaoslib_version}".strip()


def render_markdown(reports: list[RunReport]) -> str:
    lines = [f"## squall report: {md(overview(reports))}", ""]
    if len(reports) > 1:
        lines += [*_table(reports), ""]
    for report in reports:
        lines += [*_run(report), ""]
    return "\n".join(lines)
