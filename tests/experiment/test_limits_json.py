"""JSON's short way through the input limits (``json_within``: only depth and size, when
the text wrote nothing else a limit looks at) refuses what the whole walk refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squall.errors import LoadError
from squall.experiment import parse_text
from squall.experiment.limits import Limits, json_text_within, json_within, tree_problems

_SMALL = Limits(depth=4, nodes=12)
_JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_within_only_when_the_walk_finds_nothing(data: Any) -> None:
    if json_within(data, _SMALL):
        assert tree_problems(data, _SMALL) == []
    if isinstance(data, dict | list) and not tree_problems(data, _SMALL):
        assert json_within(data, _SMALL)  # and it does not give up on a good document


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": [1, NaN]}', "finite"),
        ('{"a": -Infinity}', "finite"),
        ('{"a": "\\ud800"}', "surrogate"),
        ('{"\\udfff": 1}', "surrogate"),
        ('{"a": ' + "1" * 4301 + "}", "digits"),
        ('{"a": [[[[1]]]]}', "deeper"),
        ('{"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}', "values"),
    ],
)
def test_json_that_breaks_a_limit_is_refused_with_its_place(text: str, message: str) -> None:
    with pytest.raises(LoadError) as caught:
        parse_text(text, "doc.json", "json", _SMALL)
    problems = caught.value.problems
    assert problems and message in problems[0].message, problems
    assert problems[0].line == 1


def test_plain_json_within_the_limits_loads() -> None:
    text = json.dumps({"a": [1, 2.5, "x", None, True], "b": {"c": "\u00e9"}})
    document = parse_text(text, "doc.json", "json", _SMALL)
    assert document.data["b"]["c"] == "\u00e9"


_TEXTS = st.text(st.sampled_from('ab[]{}",:\\ é'), max_size=6)
_BRACKETY = st.recursive(
    st.one_of(st.none(), st.integers(), _TEXTS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_TEXTS, inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(_BRACKETY, st.integers(1, 6), st.integers(1, 40), st.booleans())
def test_the_text_bound_never_passes_what_the_walk_refuses(
    data: Any, depth: int, nodes: int, indented: bool
) -> None:
    """``json_text_within`` reads depth and size from the text (strings holding brackets,
    quotes, commas and escapes included); when it says yes, the walk finds nothing."""
    limits = Limits(depth=depth, nodes=nodes)
    text = json.dumps(data, indent=2 if indented else None, ensure_ascii=False)
    if json_text_within(text, limits):
        assert tree_problems(json.loads(text), limits) == []


def test_the_text_bound_reads_an_experiment_without_a_walk() -> None:
    activity = {"type": "probe", "name": "p", "provider": {"type": "python", "arguments": {}}}
    text = json.dumps({"title": "t, with a comma", "method": [activity] * 3}, indent=2)
    # 5 levels (document, method, activity, provider, arguments); 21 values, and the
    # bound counts 1 + 11 brackets + 13 commas (one in the title) = 25
    assert json_text_within(text, Limits(depth=5, nodes=25))
    assert not json_text_within(text, Limits(depth=4, nodes=25))
    assert not json_text_within(text, Limits(depth=5, nodes=24))
    assert not json_text_within('{"a": "x[y"}', Limits())  # a bracket in a string
    assert not json_text_within('{"a": "x\\ny"}', Limits())  # an escape
