"""A tolerance that is not met on an output carrying ``problems`` gives those sentences as
its reason (the pattern of the security probes), whatever the tolerance was."""

from __future__ import annotations

from typing import Any

import pytest

from squall.experiment.model import JsonPathTolerance, ValueTolerance
from squall.experiment.tolerance import check_tolerance

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
    assert not plain.met and plain.why == "expected True, got False"
    empty = {"ok": False, "problems": []}
    verdict = check_tolerance(
        JsonPathTolerance(path="$.ok", expect=True, has_expect=True), empty, _same
    )
    assert verdict.why == "expected [True], got [False]"
    odd = {"ok": False, "problems": "not a list"}
    verdict = check_tolerance(
        JsonPathTolerance(path="$.ok", expect=True, has_expect=True), odd, _same
    )
    assert verdict.why == "expected [True], got [False]"
