"""The placeholder scan, written without ``re`` (a run does not import it), against the
regular expressions it replaced."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from squall.experiment.placeholders import is_variable, placeholders

_PLACEHOLDER = re.compile(r"\$(?:\$|\{([^}]*)\})")
_IDENTIFIER = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*\Z")
_texts = st.text(alphabet=st.sampled_from("${}$a_Z9 é\n.\u212a"), max_size=16)


@settings(max_examples=500, deadline=None)
@given(_texts)
def test_placeholders_are_what_the_pattern_finds(text: str) -> None:
    expected = [m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1) is not None]
    assert placeholders(text) == expected


@settings(max_examples=500, deadline=None)
@given(st.one_of(_texts, st.text(max_size=6)))
def test_a_variable_name_is_what_the_pattern_accepts(name: str) -> None:
    assert is_variable(name) == (_IDENTIFIER.match(name) is not None)


def test_examples() -> None:
    assert placeholders("$${a} ${b} ${c ${d}} $${ ${") == ["b", "c ${d"]
    assert [is_variable(n) for n in ("a_1", "1a", "a\n", "é", "\u212a", "")] == [
        True,
        False,
        False,
        False,
        False,
        False,
    ]
