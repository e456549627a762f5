"""Findings as text (one line each, like a compiler), JSON, or SARIF 2.1.0 (code scanning)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from squall.errors import printable
from squall.lint.model import Finding
from squall.lint.rules import RULES

__all__ = ["as_json", "as_sarif", "as_text"]

_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def as_text(findings: Sequence[Finding]) -> str:
    """``file:line:col: severity SQnnn message [pointer]`` then an indented fix line."""
    lines = []
    for f in findings:
        p = f.problem
        place = p.source or "<experiment>"
        if p.line is not None:
            place += f":{p.line}:{p.column}"
        message = printable(p.message)  # quotes names: shown, never obeyed by a CI log
        lines.append(f"{place}: {f.severity.label} {f.rule.id} {message} [{p.pointer or '/'}]")
        if p.hint:
            lines.append(f"    fix: {printable(p.hint)}")
    return "\n".join(lines)


def as_json(findings: Sequence[Finding], files: Sequence[str]) -> str:
    counts = {s: sum(1 for f in findings if f.severity.label == s) for s in _SARIF_LEVEL}
    payload = {"files": list(files), "findings": [f.to_json() for f in findings], **counts}
    return json.dumps(payload, indent=2)


def as_sarif(findings: Sequence[Finding], version: str) -> str:
    rules = [
        {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "help": {"text": f"{r.summary} (squall docs: reference/lint.md#{r.id.lower()})"},
            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity.label]},
        }
        for r in RULES.values()
    ]
    run = {
        "tool": {"driver": {"name": "squall lint", "version": version, "rules": rules}},
        "results": [_result(f) for f in findings],
    }
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }
    return json.dumps(sarif, indent=2)


def _result(f: Finding) -> dict[str, Any]:
    p = f.problem
    region: dict[str, Any] = {}
    if p.line is not None:
        region = {"startLine": p.line, "startColumn": p.column or 1}
    location: dict[str, Any] = {"artifactLocation": {"uri": p.source}}
    if region:
        location["region"] = region
    return {
        "ruleId": f.rule.id,
        "level": _SARIF_LEVEL[f.severity.label],
        "message": {"text": f"{p.message} (fix: {p.hint})" if p.hint else p.message},
        "locations": [{"physicalLocation": location, "logicalLocations": [
            {"fullyQualifiedName": p.pointer or "/", "kind": "member"}]}],
    }  # fmt: skip
