"""A tolerance that is not met on an output carrying ``problems`` gives those sentences as
its reason (the pattern of the security probes), whatever the tolerance was."""

from __future__ import annotations

import json
from typing import Any

import pytest

from squall.experiment.model import JsonPathTolerance, ValueTolerance
from squall.experiment.tolerance import check_tolerance, miss_reason

OUTPUT = {"ok": False, "problems": ["HSTS is missing", "server reveals 'x/1.0'"], "n": 2}


def _same(value: Any) -> Any:
    return value


@pytest.mark.parametrize(
    "tolerance",
    [
        JsonPathTolerance(path="$.ok", expect=True, has_expect=True),
        JsonPathTolerance(path="$.problems", expect=[[]], has_expect=True),
        ValueTolerance(value=True),
    ],
    ids=["ok-true", "problems-empty", "bare-true"],
)
def test_the_problems_are_the_reason(tolerance: Any) -> None:
    verdict = check_tolerance(tolerance, OUTPUT, _same)
    assert not verdict.met
    assert verdict.why == "HSTS is missing; server reveals 'x/1.0'"


def test_met_tolerances_and_outputs_without_problems_keep_their_explanation() -> None:
    assert check_tolerance(
        JsonPathTolerance(path="$.n", expect=2, has_expect=True), OUTPUT, _same
    ).met
    plain = check_tolerance(ValueTolerance(value=True), False, _same)
    assert not plain.met and plain.why == "expected true, got false"
    empty = {"ok": False, "problems": []}
    verdict = check_tolerance(
        JsonPathTolerance(path="$.ok", expect=True, has_expect=True), empty, _same
    )
    assert verdict.why == "expected [true], got [false]"
    odd = {"ok": False, "problems": "not a list"}
    verdict = check_tolerance(
        JsonPathTolerance(path="$.ok", expect=True, has_expect=True), odd, _same
    )
    assert verdict.why == "expected [true], got [false]"


@pytest.mark.parametrize(
    ("raw", "output", "why"),
    [
        (
            {"type": "jsonpath", "path": "$.ok", "expect": True},
            OUTPUT,
            "HSTS is missing; server reveals 'x/1.0'",
        ),
        (
            {"type": "jsonpath", "path": "$.ok", "expect": True},
            {"ok": False},
            "expected [true], got [false]",
        ),
        (True, None, "expected true, got null"),
        ("up", "down", 'expected "up", got "down"'),
        ([1, 5], 9, "expected between 1 and 5, got 9"),
        (
            {"type": "range", "range": [0, 1], "target": "n"},
            {"n": None},
            "expected a number between 0 and 1, got null",
        ),
        (
            {"type": "regex", "pattern": "^ok$", "target": "stdout"},
            {"stdout": "no\n"},
            '"^ok$" not found in "no\\n"',
        ),
        (
            {
                "type": "probe",
                "name": "p",
                "provider": {"type": "python", "module": "m", "func": "f"},
            },
            False,
            None,
        ),
        ({"type": "jsonpath", "path": "$.v", "expect": "${want}"}, {"v": 1}, None),
    ],
    ids=[
        "problems",
        "jsonpath",
        "null",
        "text",
        "between",
        "range",
        "regex",
        "probe",
        "placeholder",
    ],
)
def test_a_journaled_miss_gets_the_consoles_reason_in_json_spelling(
    raw: Any, output: Any, why: str | None
) -> None:
    """What the reports say of a probe that missed (from the journal's tolerance and
    output) is what the run said; JSON's spelling of every value (true, null, "text"). A
    tolerance the rules cannot decide again here says both values in full."""
    expected = why or f"expected {json.dumps(raw)}, got {json.dumps(output)}"
    assert miss_reason(raw, output) == expected
