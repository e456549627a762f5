"""Normalise two engines' results for one case, diff them, and explain the differences
with the reviewed list of intentional differences (docs/compatibility.yaml).

A normalised result keeps what the verdict is made of: exit code, whether a journal was
written, title, status, deviated, interruption, the steady states (met, and per probe
its status, tolerance_met and output), every method and rollback entry in order (type,
name, status, output, error), the controls log, and the dry mode. Times, durations,
tracebacks, ports, the working directory and the HTTP ``Date`` header are left out or
replaced by placeholders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DIFFERENCES = ROOT / "docs" / "compatibility.yaml"
PORT = re.compile(r"127\.0\.0\.1:\d+")
ERROR_PREFIXES = ("chaoslib.exceptions.ActivityFailed: ",)
DROPPED_HEADERS = {"date"}


def _text(value: str, places: dict[str, str]) -> str:
    for raw, placeholder in places.items():
        value = value.replace(raw, placeholder)
    return PORT.sub("127.0.0.1:<port>", value)


def _clean(value: Any, places: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _text(value, places)
    if isinstance(value, list):
        return [_clean(v, places) for v in value]
    if isinstance(value, dict):
        if "headers" in value and "status" in value and isinstance(value["headers"], dict):
            # names keep the server's spelling: both engines must return it as sent
            headers = {
                k: v for k, v in value["headers"].items() if k.lower() not in DROPPED_HEADERS
            }
            value = {**value, "headers": headers}
        return {k: _clean(v, places) for k, v in value.items()}
    return value


def _error(entry: dict[str, Any]) -> str | None:
    lines = [line.strip() for line in entry.get("exception") or [] if line.strip()]
    if not lines:
        return None
    last = lines[-1].splitlines()[-1]
    for prefix in ERROR_PREFIXES:
        last = last.removeprefix(prefix)
    return last


def _entry(entry: Any, places: dict[str, str]) -> dict[str, Any]:
    if not isinstance(entry, dict):  # a control appended something else to the list
        return {"type": None, "not-an-entry": _clean(entry, places)}
    activity = entry.get("activity") or {}
    out = {
        "type": activity.get("type"),
        "name": activity.get("name"),
        "status": entry.get("status", "<missing>"),
        "output": _clean(entry.get("output"), places),
        # the text of an error is each engine's own (tracebacks, class names): compare
        # only that there is one
        "error": _error(entry) is not None,
    }
    if "tolerance_met" in entry:
        out["tolerance_met"] = entry["tolerance_met"]
    return out


def _state(state: Any, places: dict[str, str]) -> Any:
    if not isinstance(state, dict):
        return state
    return {
        "met": state.get("steady_state_met"),
        "probes": [_entry(p, places) for p in state.get("probes") or []],
    }


def case_secrets(case: dict[str, Any], journal: Any) -> list[Any]:
    """The secret values of a case as the reference resolved them: the inline values of
    its journal's copy of the experiment (the reference writes them as they are), the
    environment values its ``env`` secrets read, and its var files' secrets."""
    import json
    import os

    found: list[Any] = []
    experiment = journal.get("experiment") if isinstance(journal, dict) else None
    scopes = experiment.get("secrets") if isinstance(experiment, dict) else None
    env = {k: v for k, v in os.environ.items() if k not in case.get("unset_env", [])}
    env.update(case.get("env", {}))
    for entries in (scopes or {}).values():
        for value in (entries or {}).values() if isinstance(entries, dict) else []:
            if isinstance(value, dict) and value.get("type") == "env":
                found.append(env.get(str(value.get("key")), ""))
            elif not (isinstance(value, dict) and "type" in value):
                found.append(value)
    for name, text in case.get("files", {}).items():
        if name.endswith((".json", ".yaml", ".yml")):
            data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
            if isinstance(data, dict):
                found.append(data.get("secrets") or {})
    return found


def normalise(
    result: dict[str, Any], http_url: str, secrets: list[Any] | None = None
) -> dict[str, Any]:
    """The comparable part of one side's result for one case; ``secrets``: values to mask
    as squall does (applied to the reference's journal: squall masks secrets in every
    sink, docs/safety.md, so its journal is compared with the reference's masked)."""
    places = {result["work"]: "<work>", http_url: "<http>"}
    journal = result.get("journal")
    if secrets and isinstance(journal, dict):
        from squall.masking import Masker, secret_texts

        journal = Masker(secret_texts(secrets)).value(journal)
    out: dict[str, Any] = {"exit": result["exit"], "journal": journal is not None}
    if result.get("hung"):
        out["hung"] = True
    out["controls"] = result.get("controls", [])
    if not isinstance(journal, dict):
        return out
    if "unreadable-journal" in journal:
        out["journal"] = "unreadable"
        return out
    states = journal.get("steady_states") or {}
    during = [s.get("steady_state_met") for s in states.get("during") or []]
    out.update(
        {
            "title": _clean(journal.get("experiment", {}).get("title"), places),
            "dry": journal.get("experiment", {}).get("dry"),
            "status": journal.get("status"),
            "deviated": journal.get("deviated"),
            "interruption": (journal.get("interruption") or {}).get("name"),
            "before": _state(states.get("before"), places),
            "after": _state(states.get("after"), places),
            # how often the hypothesis ran during the method depends on timing: compare
            # only whether it ran and which verdicts it reached
            "during": {"ran": bool(during), "all_met": all(during)},
            "run": [_entry(e, places) for e in journal.get("run") or []],
            "rollbacks": [_entry(e, places) for e in journal.get("rollbacks") or []],
        }
    )
    return out


def diff(ctk: Any, squall: Any, path: str = "") -> list[str]:
    """Paths (``run[1].status``) where the two normalised values differ. Lists of different
    lengths differ as a whole; dict keys missing on one side differ."""
    if isinstance(ctk, dict) and isinstance(squall, dict):
        paths: list[str] = []
        for key in list(ctk) + [k for k in squall if k not in ctk]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in ctk or key not in squall:
                paths.append(sub)
            else:
                paths += diff(ctk[key], squall[key], sub)
        return paths
    if isinstance(ctk, list) and isinstance(squall, list) and len(ctk) == len(squall):
        paths = []
        for index, (a, b) in enumerate(zip(ctk, squall, strict=True)):
            paths += diff(a, b, f"{path}[{index}]")
        return paths
    return [] if ctk == squall else [path]


def get(doc: Any, path: str) -> Any:
    """The value at a dotted path (``run[0].status``) or None."""
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            doc = doc[index] if isinstance(doc, list) and index < len(doc) else None
        else:
            doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


# ------------------------------------------------------------ intentional differences


def glob(pattern: str, text: str) -> bool:
    """``*`` matches any run of characters; everything else (``[``, ``.``) is literal."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, text) is not None


@dataclass
class Matcher:
    """Which normalised fields may differ, for which cases, with which values."""

    cases: list[str]
    fields: list[str]
    ctk: dict[str, list[Any]] = field(default_factory=dict)
    squall: dict[str, list[Any]] = field(default_factory=dict)

    def selects(self, case_id: str) -> bool:
        return any(glob(pattern, case_id) for pattern in self.cases)

    def holds(self, case_id: str, ctk: dict[str, Any], squall: dict[str, Any]) -> bool:
        if not self.selects(case_id):
            return False
        for side, conditions in ((ctk, self.ctk), (squall, self.squall)):
            for path, allowed in conditions.items():
                if get(side, path) not in allowed:
                    return False
        return True

    def covers(self, path: str) -> bool:
        return any(glob(f, path) or path.startswith((f + ".", f + "[")) for f in self.fields)


@dataclass
class Difference:
    id: str
    area: str
    ctk: str
    squall: str
    why: str
    status: str
    section: str
    matchers: list[Matcher]


STATUSES = ("intentional", "not supported", "squall only", "cannot run here")
REQUIRED = ("id", "area", "ctk", "squall", "why", "status")


def load_differences(path: Path = DIFFERENCES) -> list[Difference]:
    data = yaml.safe_load(path.read_text())
    differences = []
    seen: set[str] = set()
    for number, entry in enumerate(data["differences"]):
        where = f"{path.name}: entry {number} ({entry.get('id', '?')})"
        missing = [k for k in REQUIRED if not entry.get(k)]
        if missing:
            raise ValueError(f"{where}: missing {', '.join(missing)}")
        if entry["status"] not in STATUSES:
            raise ValueError(f"{where}: status must be one of {', '.join(STATUSES)}")
        if entry["id"] in seen:
            raise ValueError(f"{where}: duplicate id")
        seen.add(entry["id"])
        matchers = []
        for m in entry.get("match") or []:
            unknown = set(m) - {"cases", "fields", "ctk", "squall"}
            if unknown or not m.get("fields") or not m.get("cases"):
                raise ValueError(f"{where}: a match needs cases and fields (got {sorted(m)})")
            matchers.append(
                Matcher(
                    list(m["cases"]),
                    list(m["fields"]),
                    _conditions(m.get("ctk")),
                    _conditions(m.get("squall")),
                )
            )
        differences.append(
            Difference(
                entry["id"],
                entry["area"],
                entry["ctk"],
                entry["squall"],
                entry["why"],
                entry["status"],
                entry.get("section", ""),
                matchers,
            )
        )
    return differences


def _conditions(raw: dict[str, Any] | None) -> dict[str, list[Any]]:
    return {k: v if isinstance(v, list) else [v] for k, v in (raw or {}).items()}


@dataclass
class Verdict:
    case: str
    kind: str  # "same", "intentional" or "mismatch"
    explained_by: list[str]
    unexplained: list[str]


def classify(
    case_id: str, ctk: dict[str, Any], squall: dict[str, Any], differences: list[Difference]
) -> Verdict:
    paths = diff(ctk, squall)
    if not paths:
        return Verdict(case_id, "same", [], [])
    used: list[str] = []
    left = list(paths)
    for difference in differences:
        for matcher in difference.matchers:
            if not matcher.holds(case_id, ctk, squall):
                continue
            covered = [p for p in left if matcher.covers(p)]
            if covered:
                used.append(difference.id) if difference.id not in used else None
                left = [p for p in left if p not in covered]
    kind = "mismatch" if left else "intentional"
    return Verdict(case_id, kind, used, left)
