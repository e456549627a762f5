"""``${name}`` interpolation is ``string.Template.safe_substitute``, the reference's rules,
without importing ``string`` (a property test against the real thing)."""

from __future__ import annotations

from string import Template
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from squall.experiment.substitute import interpolate

_pieces = st.sampled_from(
    [*"$${}aZ_9 é.xK", "\u212a", "\u0131", "${a}", "$a", "${ b}", "$$", "${a", "${_1}", "$}"]
)
_names = st.sampled_from(["a", "b", "_1", "Z", "a9", "x", "K", "ab"])
_values = st.one_of(st.integers(), st.text(max_size=3), st.none(), st.just("$a"))


@settings(max_examples=400)
@given(st.lists(_pieces, max_size=14).map("".join), st.dictionaries(_names, _values))
@example("http://127.0.0.1:${http_port}/index.html", {"http_port": 8080})
@example("$$a $a ${a} ${a b} $1 $", {"a": "x"})
def test_interpolate_is_template_safe_substitute(value: str, variables: dict[str, Any]) -> None:
    assert interpolate(value, variables) == Template(value).safe_substitute(variables)
