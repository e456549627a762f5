"""squall._json against the standard json module: the same text, values and errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squall import _json

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),  # non-ASCII, lone surrogates, control characters
)
_keys = st.one_of(st.text(), st.integers(), st.booleans(), st.none(), st.floats())
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(_keys, inner, max_size=4),
    ),
    max_leaves=20,
)
_options = st.fixed_dictionaries(
    {
        "ensure_ascii": st.booleans(),
        "allow_nan": st.booleans(),
        "sort_keys": st.booleans(),
        "separators": st.sampled_from([None, (",", ":"), (", ", ": ")]),
        "check_circular": st.booleans(),
        "default": st.sampled_from([None, str, repr]),
    }
)


def _outcome(call: Any, *args: Any, **kwargs: Any) -> Any:
    """What a call gives: its value as comparable text, or its error's type and details."""
    try:
        value = call(*args, **kwargs)
    except Exception as exc:
        details = [getattr(exc, a, None) for a in ("msg", "pos", "lineno", "colno")]
        return type(exc), str(exc), details
    return repr(value)  # nan == nan under repr; the types of numbers count


@settings(max_examples=200, deadline=None)
@given(_values, _options, st.booleans())
def test_dumps_writes_what_json_dumps_writes(value: Any, options: Any, odd: bool) -> None:
    if odd:  # something JSON cannot encode, inside the value
        value = [value, {1, 2}, object] if options["default"] else [value, b"x"]
    assert _outcome(_json.dumps, value, **options) == _outcome(json.dumps, value, **options)


def test_dumps_with_an_indent_is_json_s() -> None:
    value = {"a": [1, 2.5, None], "é": "\udcff"}
    assert _json.dumps(value, indent=2) == json.dumps(value, indent=2)


def test_dumps_refuses_a_cycle_as_json_does() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    assert _outcome(_json.dumps, cycle) == _outcome(json.dumps, cycle)
    assert "Circular reference" in str(_outcome(_json.dumps, cycle))


def _mutations(text: str, data: st.DataObject) -> str:
    """``text`` with a few random characters deleted, inserted or swapped."""
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(text)))
        piece = data.draw(st.sampled_from(['"', ",", ":", "[", "]", "{", "}", " ", "\\", "x", "1"]))
        cut = data.draw(st.integers(0, 2))
        text = text[:at] + piece + text[at + cut :]
    return text


@settings(max_examples=300, deadline=None)
@given(_values, st.data())
def test_loads_reads_what_json_loads_reads_and_fails_where_it_fails(
    value: Any, data: st.DataObject
) -> None:
    text = _mutations(json.dumps(value, ensure_ascii=data.draw(st.booleans())), data)
    text = (
        data.draw(st.sampled_from(["", " ", "\n\t "]))
        + text
        + data.draw(st.sampled_from(["", " \r\n", " x", "\ufeff"]))
    )
    assert _outcome(_json.loads, text) == _outcome(json.loads, text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\ufeff{}",
        "NaN",
        "[Infinity, -Infinity, NaN]",
        '{"a": 1, "a": 2}',  # the last of duplicate keys wins
        '"\\ud800"',  # a lone surrogate escape
        '"tab\there"',  # a control character inside a string: refused (strict)
        "1e999",
        "[1,]",
        "{} {}",
        "[" * 100_000,  # deeper than the recursion limit
        '"' + "\\u00e9" * 3 + '"',
    ],
)
def test_loads_edge_cases_agree_with_json(text: str) -> None:
    assert _outcome(_json.loads, text) == _outcome(json.loads, text)


def test_loads_hooks_and_bytes_agree_with_json() -> None:
    hooks = {"parse_int": str, "parse_float": str, "parse_constant": lambda w: w.lower()}
    text = '[1, 2.5, NaN, {"x": -Infinity}]'
    assert _json.loads(text, **hooks) == json.loads(text, **hooks)
    assert _json.loads(b'{"a": [1]}') == {"a": [1]}
    assert _outcome(_json.loads, b"\xff") == _outcome(json.loads, b"\xff")


def test_an_error_is_json_s_error_in_a_process_that_never_imported_json() -> None:
    """Python 3.11's C scanner raises a SystemError when json.decoder is not imported
    yet; squall._json turns that into json's own error, located as json locates it."""
    code = (
        "import sys\n"
        "from squall import _json\n"
        "assert 'json' not in sys.modules and 're' not in sys.modules, sorted(sys.modules)\n"
        "try:\n"
        '    _json.loads(\'{"a": 1,\\n "b" 2}\')\n'
        "except _json.JSONDecodeError as exc:\n"
        "    print(type(exc).__module__, exc.msg, exc.lineno, exc.colno)\n"
        "print(_json.loads(' [1, {\"é\": NaN}] '), _json.dumps({'é': [1.5, None]}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "json.decoder Expecting ':' delimiter 2 6",
        "[1, {'é': nan}] " + '{"\\u00e9": [1.5, null]}',
    ]


def test_nan_is_read_as_a_float() -> None:
    assert math.isnan(_json.loads("NaN"))
