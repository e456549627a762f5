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
from squall.experiment.limits import Limits, json_within, tree_problems

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
