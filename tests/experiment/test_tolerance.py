"""Tolerance matching rules (the reference's, including its quirks)."""

from __future__ import annotations

from typing import Any

from squall.experiment.model import (
    JsonPathTolerance,
    ListTolerance,
    RangeTolerance,
    RegexTolerance,
    ValueTolerance,
)
from squall.experiment.substitute import substitute
from squall.experiment.tolerance import check_tolerance


def met(tolerance: Any, output: Any, variables: dict[str, Any] | None = None) -> bool:
    return check_tolerance(tolerance, output, lambda v: substitute(v, variables or {})).met


def test_values() -> None:
    assert met(ValueTolerance(value=True), True)
    assert not met(ValueTolerance(value=True), False)
    assert met(ValueTolerance(value=200), {"status": 200, "body": ""})
    assert not met(ValueTolerance(value=200), {"status": 500})
    assert met(ValueTolerance(value="${v}"), 3, {"v": 3}), "a whole placeholder keeps its type"


def test_lists_two_items_are_a_range_without_status() -> None:
    assert met(ListTolerance(values=(200, 404)), 300)
    assert not met(ListTolerance(values=(200, 404)), {"status": 300})
    assert met(ListTolerance(values=(200, 404)), {"status": 404})
    assert met(ListTolerance(values=("a", "b", "c")), "b")
    assert not met(ListTolerance(values=(1, 2)), "text")


def test_range_with_target_and_non_numbers() -> None:
    assert met(RangeTolerance(low=1, high=2, target="v"), {"v": "1.5"})
    assert not met(RangeTolerance(low=1, high=2), "abc")
    assert met(RangeTolerance(low=0.1, high=0.3), 0.3)


def test_regex_needs_text() -> None:
    assert met(RegexTolerance(pattern="o w", target="body"), {"body": "hello world"})
    verdict = check_tolerance(RegexTolerance(pattern="x"), {"status": 0}, lambda v: v)
    assert not verdict.met and "target" in verdict.why


def test_jsonpath_expect_count_and_text() -> None:
    doc = {"items": [{"id": 1}, {"id": 2}]}
    assert met(JsonPathTolerance(path="$.items[*].id", expect=[1, 2], has_expect=True), doc)
    assert not met(JsonPathTolerance(path="$.items[*].id", expect=1, has_expect=True), doc)
    assert met(JsonPathTolerance(path="$.items[*]", count=2), doc)
    assert met(JsonPathTolerance(path="$.a", expect=1, has_expect=True), '{"a": 1}')
    assert not met(JsonPathTolerance(path="$.a"), "not json")
