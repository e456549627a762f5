"""``unresolved`` (asked by the engine before every activity) walks without building
pointers; it finds exactly the names the pointer-keeping ``leaves`` walk finds."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from squall.experiment.placeholders import is_variable, leaves, placeholders, unresolved

_TEXT = st.sampled_from(["${a}", "${b} and ${a}", "$${c}", "${outputs.x}", "x", "${bad name}"])
_VALUES = st.recursive(
    st.one_of(st.none(), st.integers(), _TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.sampled_from(["k", "${k}", "url"]), inner, max_size=3),
    ),
    max_leaves=12,
)


def _by_leaves(value: Any, variables: set[str]) -> list[str]:
    names: list[str] = []
    for _, _, leaf in leaves(value, ""):
        if isinstance(leaf, str) and "${" in leaf:
            for name in placeholders(leaf):
                if is_variable(name) and name not in variables and name not in names:
                    names.append(name)
    return names


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.sets(st.sampled_from(["a", "b"])))
def test_the_same_names_in_the_same_order(value: Any, variables: set[str]) -> None:
    assert unresolved(value, variables) == _by_leaves(value, variables)
