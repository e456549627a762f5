"""The quick pass of the input limits (no pointers) never calls a document clean that the
full walk would refuse: checked on generated documents, bad values, aliases and cycles."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from squall.experiment.limits import Limits, TooLongInteger, _Walk, _within

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.sampled_from(["\ud800", "é", "a\udcffb", math.inf]),
    st.builds(TooLongInteger, st.integers(5000, 6000)),
    st.just(b"bytes"),
)
_KEYS = st.one_of(st.text(max_size=4), st.sampled_from(["\udc80", 1, None, True]))
_DOCS = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=30,
)


def _walk_says(doc: Any, limits: Limits) -> bool:
    walk = _Walk(limits)
    walk.run(doc)
    if walk.problems:
        return False
    height, size = walk.shape(doc)
    return height <= limits.depth and size <= limits.nodes


@settings(max_examples=400, deadline=None)
@given(_DOCS, st.integers(1, 6), st.integers(1, 60))
def test_quick_pass_agrees_with_the_walk(doc: Any, depth: int, nodes: int) -> None:
    limits = Limits(depth=depth, nodes=nodes)
    if _within(doc, limits):
        assert _walk_says(doc, limits)
    elif isinstance(doc, dict | list) and _walk_says(doc, limits):
        # the quick pass may only hand over on something unusual, never on a clean
        # plain document
        assert _has_unusual(doc)


def _has_unusual(doc: Any) -> bool:
    if isinstance(doc, dict):
        return any(type(k) is not str for k in doc) or any(map(_has_unusual, doc.values()))
    if isinstance(doc, list):
        return any(map(_has_unusual, doc))
    return type(doc) not in (str, int, float, bool, type(None))


def test_shared_nodes_count_each_time_and_cycles_are_refused() -> None:
    leaf = {"a": [1, 2, 3]}
    shared = {"x": [leaf] * 10}
    assert not _within(shared, Limits(depth=64, nodes=40))  # 10 x 5 values
    assert _within(shared, Limits(depth=64, nodes=100))
    cycle: dict[str, Any] = {"a": []}
    cycle["a"].append(cycle)
    assert not _within(cycle, Limits(depth=64, nodes=100))
