"""squall.show.show_value: JSON's spelling of any value a driver may return,
in bounded time and length (it is what the console's reasons and every report show)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from squall.show import LONGEST, show_value

_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
)
_json = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a busy machine
@given(_json)
def test_a_small_json_value_is_shown_as_json_dumps_shows_it(value: Any) -> None:
    assert show_value(value) == json.dumps(value, ensure_ascii=False)


def test_python_spellings_become_json_spellings() -> None:
    assert show_value([True, False, None, "up", (1, 2)]) == '[true, false, null, "up", [1, 2]]'
    assert show_value({"ok": False, 3: None}) == '{"ok": false, "3": null}'
    assert show_value(b"x") == "\"b'x'\""  # what JSON cannot hold: its str, quoted


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")


def _shared(levels: int) -> list[Any]:
    x: list[Any] = []
    for _ in range(levels):
        x = [x, x]
    return x


def _circular() -> dict[str, Any]:
    d: dict[str, Any] = {}
    d["self"] = d
    return d


@pytest.mark.parametrize(
    ("value", "shows"),
    [
        (_shared(100), "[...]"),  # 2**100 leaves: bounded by depth and length
        (_circular(), "{...}"),
        (10**5000, "[squall: integer of 16610 bits, not recorded]"),  # str() refuses it
        (list(range(10_000)), ", ...]"),
        ("x" * 100_000, "…"),
        ({"v": _Unprintable()}, '"<unprintable _Unprintable>"'),
        ("name-\udcff.txt", '"name-\\udcff.txt"'),  # a lone surrogate, escaped as JSON does
    ],
    ids=["shared", "circular", "big-int", "long-list", "long-text", "unprintable", "surrogate"],
)
def test_any_value_is_shown_bounded(value: Any, shows: str) -> None:
    start = time.monotonic()
    text = show_value(value)
    assert time.monotonic() - start < 1.0
    assert shows in text and len(text) <= LONGEST
    text.encode("utf-8")  # printable on any UTF-8 console
    assert len(show_value(value, 80)) <= 80
