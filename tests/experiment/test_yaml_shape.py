"""A YAML document is measured while it is built (squall's loader, ``_plain``) instead of
by a second walk: it is refused exactly when the input limits' walk refuses it. Checked on
generated documents written as YAML (shared parts become anchors and aliases), with keys
and values the walk must see (numbers as keys, infinities, over-long integers, binary)."""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from squall.errors import LoadError
from squall.experiment.limits import Limits, _Walk, tree_problems
from squall.experiment.load import _yaml, parse_text

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=5)
_PLAIN = st.one_of(_TEXT, st.integers(-(10**6), 10**6), st.booleans(), st.none(), st.floats(-1, 1))
_ODD = st.one_of(_PLAIN, st.sampled_from([math.inf, -math.inf, b"bin"]))
_ODD_KEYS = st.one_of(_TEXT, st.sampled_from([1, None, True, 2.5]))


def _shared(draw: Any, inner: Any, keys: Any) -> Any:
    """A list or mapping that may hold the same child twice (an anchor and an alias)."""
    child = draw(inner)
    items = draw(st.lists(st.one_of(inner, st.just(child)), max_size=4))
    if draw(st.booleans()):
        return items
    names = draw(st.lists(keys, min_size=len(items), max_size=len(items), unique=True))
    return dict(zip(names, items, strict=True))


def _documents(scalars: Any, keys: Any) -> Any:
    return st.dictionaries(
        _TEXT,
        st.recursive(
            scalars,
            lambda inner: st.composite(lambda draw: _shared(draw, inner, keys))(),
            max_leaves=40,
        ),
        max_size=4,
    )


#: documents of text keys and JSON values (measured while built), and documents with
#: what the walk must see (keys that are not text, infinities, bytes)
_DOCS = st.one_of(_documents(_PLAIN, _TEXT), _documents(_ODD, _ODD_KEYS))


@settings(max_examples=300, deadline=None)
@given(_DOCS, st.integers(-1, 1), st.integers(-2, 2))
@example({"a": [[1, 2, 3], [4, 5, 6]]}, 0, -1)  # containers in a list
@example({"a": {"b": {"c": [1, 2]}}, "d": [{"e": 1}]}, -1, 0)  # in a mapping
def test_refused_exactly_when_the_walk_refuses(doc: Any, deeper: int, larger: int) -> None:
    text = yaml.dump(doc)  # an object used twice is written once with an anchor
    data = yaml.load(text, Loader=_yaml()[1])
    walk = _Walk(Limits())
    walk.run(data)
    height, size = walk.shape(data)  # the limits at the edge of the document's shape
    limits = Limits(depth=max(1, height + deeper), nodes=max(1, size + larger))
    try:
        parse_text(text, "x.yaml", "yaml", limits)
        refused = False
    except LoadError:
        refused = True
    assert refused == bool(tree_problems(data, limits))  # what the walk decides


def _shape(text: str) -> tuple[int, int] | None:
    reader = _yaml()[1](text)
    try:
        reader.get_single_data()
        return reader.shape  # type: ignore[no-any-return]
    finally:
        reader.dispose()


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("a: [1, {b: c}]\n", (3, 5)),  # a mapping, a list, a mapping; 5 values
        ("a: &x [1, {b: c}]\nd: *x\ne: [*x, *x]\n", (4, 18)),  # each use of x counted
        ("- x\n- {}\n- []\n- null\n", (2, 5)),
    ],
)
def test_the_measured_shape_is_the_walks(text: str, shape: tuple[int, int]) -> None:
    assert _shape(text) == shape


@pytest.mark.parametrize(
    "text",
    [
        "1: x\n",  # a key that is not text
        "a: .inf\n",
        "a: !!binary aGVsbG8=\n",
        "a: " + "1" * 5000 + "\n",  # an over-long integer
        "a: &a [*a]\n",  # a cycle: PyYAML's constructor builds it
        "<<: {a: 1}\n",  # a merge key: PyYAML's constructor
    ],
)
def test_what_the_walk_must_see_leaves_no_shape(text: str) -> None:
    assert _shape(text) is None


def test_an_escaped_lone_surrogate_is_still_refused() -> None:
    """Text is not looked at while building: a backslash in the source sends the
    document to the walk (libyaml refuses the escape itself; PyYAML's pure-Python
    reader, used without libyaml, does not)."""
    with pytest.raises(LoadError, match=r"surrogate|invalid Unicode"):
        parse_text('a: "x\\ud800"\n', "x.yaml")
    assert parse_text('a: "\\u00e9"\n', "x.yaml").data == {"a": "é"}


def test_nan_is_refused() -> None:
    with pytest.raises(LoadError, match="finite"):
        parse_text("a: [1, .nan]\n", "x.yaml")
    assert math.isinf(yaml.load("a: .inf", Loader=_yaml()[1])["a"])
