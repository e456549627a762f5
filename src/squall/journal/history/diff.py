"""What changed between two runs: verdict, probes' tolerances, activities' statuses,
durations and outputs (``squall runs diff``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from squall.errors import printable
from squall.journal.history.record import RunRecord
from squall.show import counted, last_line, show_value

__all__ = ["diff_runs", "format_diff"]

_VERDICT = ("outcome", "exit_code", "status", "deviated")


def _verdict(record: RunRecord, journal: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "outcome": record.outcome,
        "exit_code": record.exit_code,
        "status": journal.get("status", record.status),
        "deviated": journal.get("deviated"),
    }


def _keyed(entries: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[tuple[str, str, int], Any]:
    """Entries keyed by (phase, name, occurrence) so repeated names pair up in order."""
    seen: dict[tuple[str, str], int] = {}
    out: dict[tuple[str, str, int], Any] = {}
    for phase, entry in entries:
        name = str(_mapping(entry.get("activity")).get("name", "?"))
        n = seen[(phase, name)] = seen.get((phase, name), -1) + 1
        out[(phase, name, n)] = entry
    return out


def _probes(journal: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    states = _mapping(journal.get("steady_states"))
    for phase in ("before", "after"):
        for probe in _entries(_mapping(states.get(phase)).get("probes")):
            yield phase, probe


def _activities(journal: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for phase in ("run", "rollbacks"):
        for entry in _entries(journal.get(phase)):
            yield ("method" if phase == "run" else "rollbacks"), entry


def _mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is an object, else an empty one: an imported journal (``squall runs
    import``) may hold anything where squall writes an object."""
    return value if isinstance(value, Mapping) else {}


def _entries(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a journal's list (none when it is not a list)."""
    return (
        [entry for entry in value if isinstance(entry, Mapping)] if isinstance(value, list) else []
    )


def _facts(entry: Mapping[str, Any] | None, *fields: str) -> dict[str, Any] | None:
    if entry is None:
        return None
    facts = {f: entry.get(f) for f in fields}
    if entry.get("status") == "failed":
        facts["reason"] = last_line(entry.get("exception"))
    return facts


def _pair(
    a: dict[tuple[str, str, int], Any], b: dict[tuple[str, str, int], Any], fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    rows = []
    for key in [*a, *(k for k in b if k not in a)]:
        left, right = _facts(a.get(key), *fields), _facts(b.get(key), *fields)
        if left is None or right is None:
            changed = ["presence"]
        else:
            changed = [
                f for f in (*fields, "reason") if f != "duration" and left.get(f) != right.get(f)
            ]
        entry = a.get(key) or b.get(key) or {}
        kind = _mapping(entry.get("activity")).get("type")
        kind = kind if isinstance(kind, str) else ""
        row = {"phase": key[0], "name": key[1], "type": kind, "a": left, "b": right}
        rows.append({**row, "changed": changed})
    return rows


def diff_runs(a: RunRecord, b: RunRecord) -> dict[str, Any]:
    """The differences between two finished runs, as plain data (``--json``)."""
    ja, jb = a.journal_data() or {}, b.journal_data() or {}
    va, vb = _verdict(a, ja), _verdict(b, jb)
    return {
        "a": a.summary(),
        "b": b.summary(),
        "same_experiment": a.experiment_hash == b.experiment_hash,
        "verdict": {k: {"a": va[k], "b": vb[k], "changed": va[k] != vb[k]} for k in _VERDICT},
        "probes": _pair(
            _keyed(_probes(ja)), _keyed(_probes(jb)), ("status", "tolerance_met", "output")
        ),
        "activities": _pair(
            _keyed(_activities(ja)),
            _keyed(_activities(jb)),
            ("status", "duration", "output"),
        ),
    }


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def _ms(value: Any) -> str:
    return f"{float(value) * 1000:.1f} ms" if isinstance(value, int | float) else "?"


def _change(name: str, left: Any, right: Any, show: Any = _short) -> str:
    if left == right:
        return f"{name} {show(left)}"
    return f"{name} {show(left)} -> {show(right)}"


def _row(row: dict[str, Any], labels: tuple[str, str]) -> str:
    left, right = row["a"], row["b"]
    where = f"{row['phase']:<9} {row['type'] or '':<6} {row['name']}"
    if left is None or right is None:
        only = labels[0] if right is None else labels[1]
        return f"  {'-' if right is None else '+'} {where}: only in run {only}"
    parts = [_change("", _status(left), _status(right), str).strip()]
    if "tolerance_met" in left:
        parts.append(_change("tolerance met", left["tolerance_met"], right["tolerance_met"]))
    if "duration" in left:
        parts.append(_change("", left["duration"], right["duration"], _ms).strip())
    if left["output"] != right["output"]:
        parts.append(_change("output", left["output"], right["output"]))
    mark = "~" if row["changed"] else " "
    return f"  {mark} {where}: {', '.join(parts)}"


def _status(facts: Mapping[str, Any]) -> str:
    """``failed (ValueError: disk full)``: a failure with its reason, cut to 80 characters."""
    reason = facts.get("reason")
    if not reason:
        return str(facts["status"])
    return f"{facts['status']} ({reason if len(reason) <= 80 else reason[:79] + '…'})"


def format_diff(diff: dict[str, Any]) -> str:
    """The diff as text: ``~`` changed, ``-`` only in the first run, ``+`` only in the
    second; unchanged rows are shown without a mark (durations always differ a little)."""
    a, b = diff["a"], diff["b"]
    labels = (a["run_id"], b["run_id"])
    lines = [
        f"run {a['run_id']} ({a['started_at']}) -> run {b['run_id']} ({b['started_at']})",
        f"experiment: {show_value(a['title'])}"
        + (
            " (same experiment)"
            if diff["same_experiment"]
            else f" -> {show_value(b['title'])} (the experiment changed: "
            f"{a['experiment_hash'][:12]} -> {b['experiment_hash'][:12]})"
        ),
    ]
    verdict = diff["verdict"]
    for key in _VERDICT:
        item = verdict[key]
        mark = "~" if item["changed"] else " "
        lines.append(f"{mark} {key}: {_change('', item['a'], item['b']).strip()}")
    sections = (("steady-state probes", diff["probes"]), ("activities", diff["activities"]))
    for title, rows in sections:
        if rows:
            lines.append(f"{title}:")
            lines += [_row(row, labels) for row in rows]
    changes = sum(1 for v in verdict.values() if v["changed"]) + sum(
        1 for r in (*diff["probes"], *diff["activities"]) if r["changed"]
    )
    lines.append(counted(changes, "change") if changes else "no changes (besides timings)")
    # names, reasons and times come from journals (an imported one too): each line is
    # shown as is on its line, its control characters escaped
    return "\n".join(printable(line) for line in lines) + "\n"
