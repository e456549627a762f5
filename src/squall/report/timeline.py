"""The timeline of a run, laid out for SVG: one row per activity run, bars placed by
their start and duration; phases, parallel groups, pauses and the moment the deviation
was seen. Only numbers and journal text here: the template escapes the text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from squall.report.model import Entry, RunReport

__all__ = ["Band", "Bar", "Timeline", "layout"]

LABEL = 250.0  # width of the label column
WIDTH = 1000.0  # the whole drawing (SVG user units)
DEVIATION_LABEL = 190.0  # room "deviation seen at 12.345 s" takes right of its line
ROW = 18.0  # height of one row
TOP = 42.0  # room for the phase band and the axis


@dataclass(slots=True)
class Bar:
    row: int
    y: float
    x: float
    width: float
    label: str
    css: str  # status and phase classes
    tip: str
    pause_before: tuple[float, float] | None = None  # x, width
    pause_after: tuple[float, float] | None = None


@dataclass(slots=True)
class Band:
    """A span drawn behind rows: a phase (top band) or a parallel group."""

    x: float
    width: float
    y: float
    height: float
    label: str
    css: str


@dataclass(slots=True)
class Timeline:
    total: float
    height: float
    bars: list[Bar] = field(default_factory=list)
    phases: list[Band] = field(default_factory=list)
    groups: list[Band] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)
    checks: list[tuple[float, bool]] = field(default_factory=list)  # during checks: x, met
    checks_y: float = 0.0
    deviation: float | None = None  # x of the moment the deviation was seen
    deviation_label: str = ""

    @property
    def label_width(self) -> float:
        return LABEL

    @property
    def width(self) -> float:
        return WIDTH

    @property
    def deviation_text(self) -> tuple[float, str]:
        """Where the deviation's label goes (x, text-anchor): right of its line, or left
        of it near the right edge, where the label would be cut."""
        x = self.deviation or 0.0
        return (x - 3, "end") if x > WIDTH - DEVIATION_LABEL else (x + 3, "start")


def _span(entries: list[Entry]) -> tuple[float, float] | None:
    times = [
        (e.offset - e.pause_before, e.offset + e.duration + e.pause_after)
        for e in entries
        if e.offset is not None
    ]
    if not times:
        return None
    return min(t[0] for t in times), max(t[1] for t in times)


def _step(total: float) -> float:
    for step in (
        0.001,
        0.002,
        0.005,
        0.01,
        0.02,
        0.05,
        0.1,
        0.2,
        0.5,
        1,
        2,
        5,
        10,
        15,
        30,
        60,
        120,
        300,
        600,
        900,
        1800,
        3600,
        7200,
        14400,
        43200,
        86400,
    ):
        if total / step <= 8:
            return step
    return total / 8


def _tick_label(seconds: float, step: float) -> str:
    if step < 1:
        return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.{_digits(step)}f} s"
    if step < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def _digits(step: float) -> int:
    return 1 if step >= 0.1 else 2 if step >= 0.01 else 3


def _seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s" if value < 120 else f"{value / 60:.1f} min"


def layout(report: RunReport) -> Timeline:
    """Place every activity run of the report on a shared time axis."""
    rows = _rows(report)
    span = _span([e for e in rows if e is not None]) or (0.0, 0.0)
    total = max(report.duration, span[1], 1e-3)
    scale = (WIDTH - LABEL - 10) / total
    timeline = Timeline(total=total, height=TOP + ROW * len(rows) + 8)

    def x(seconds: float) -> float:
        return LABEL + max(0.0, seconds) * scale

    for index, entry in enumerate(rows):
        y = TOP + ROW * index
        if entry is None:  # the row of the checks during the method
            timeline.checks_y = y
            continue
        timeline.bars.append(_bar(entry, index, y, x, scale))
    timeline.ticks = [
        (x(t), _tick_label(t, step))
        for step in [_step(total)]
        for t in (i * step for i in range(int(total / step) + 1))
    ]
    timeline.phases = _phases(report, x)
    timeline.groups = _groups(report, rows, x)
    timeline.checks = [
        (x(check.probes[0].offset), check.met is not False)
        for check in report.during
        if check.probes and check.probes[0].offset is not None
    ]
    if report.deviation_at is not None:
        timeline.deviation = x(report.deviation_at)
        timeline.deviation_label = f"deviation seen at {_seconds(report.deviation_at)}"
    return timeline


def _rows(report: RunReport) -> list[Entry | None]:
    """Rows in phase order; ``None`` stands for the one row of the checks during the method."""
    before = report.before.probes if report.before else []
    after = report.after.probes if report.after else []
    during: list[Entry | None] = [None] if report.during else []
    return [*before, *report.method, *during, *after, *report.rollbacks]


def _bar(entry: Entry, row: int, y: float, place: Callable[[float], float], scale: float) -> Bar:
    start = entry.offset if entry.offset is not None else 0.0
    css = f"bar {entry.status} phase-{entry.phase}"
    if entry.background:
        css += " background"
    tip = f"{entry.phase}: {entry.name} ({entry.kind}) {entry.status}, {_seconds(entry.duration)}"
    if entry.group:
        tip += f", parallel group {entry.group}"
    if entry.background:
        tip += ", in the background"
    bar = Bar(
        row=row,
        y=y,
        x=place(start),
        width=max(entry.duration * scale, 2.0),
        label=entry.name,
        css=css,
        tip=tip,
    )
    if entry.pause_before:
        bar.pause_before = (place(start - entry.pause_before), entry.pause_before * scale)
    if entry.pause_after:
        bar.pause_after = (place(start + entry.duration), entry.pause_after * scale)
    return bar


def _phases(report: RunReport, place: Callable[[float], float]) -> list[Band]:
    bands = []
    for name, label, entries in (
        ("before", "hypothesis before", report.before.probes if report.before else []),
        ("method", "method", report.method),
        ("after", "hypothesis after", report.after.probes if report.after else []),
        ("rollbacks", "rollbacks", report.rollbacks),
    ):
        span = _span(entries)
        if span is None:
            continue
        left = place(span[0])
        bands.append(
            Band(
                x=left,
                width=max(place(span[1]) - left, 2.0),
                y=4.0,
                height=14.0,
                label=label,
                css=f"phaseband band-{name}",
            )
        )
    return bands


def _groups(
    report: RunReport, rows: list[Entry | None], place: Callable[[float], float]
) -> list[Band]:
    """A band behind the rows of each parallel group, over the time the group ran."""
    bands = []
    for group in report.groups:
        members = [
            i
            for i, e in enumerate(rows)
            if e is not None and e.group == group.name and _phase_of(e) == group.phase
        ]
        if not members or group.offset is None:
            continue
        left = place(group.offset)
        bands.append(
            Band(
                x=left,
                width=max(place(group.offset + group.duration) - left, 2.0),
                y=TOP + ROW * min(members) - 1,
                height=ROW * (max(members) - min(members) + 1) + 2,
                label=f"parallel group {group.name} (join: {group.join})",
                css=f"group group-{group.status}",
            )
        )
    return bands


def _phase_of(entry: Entry) -> str:
    return "rollbacks" if entry.phase == "rollbacks" else "method"
