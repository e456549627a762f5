"""Tolerances: parse them, and decide whether an output is within one.

Matching follows the reference engine rule by rule (see docs/compatibility.md): a bare
value is compared for equality (with ``status`` for process/http outputs when it is an
integer), a two-item list without ``status`` is an inclusive range, ``regex`` uses
``re.search``, ``jsonpath`` counts or compares matches. ``probe`` tolerances need the
engine and are not decided here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping

from squall import _json
from squall.experiment._reader import Reader
from squall.experiment.custom import CustomTolerance, tolerance_check
from squall.experiment.jsonpath import compile_jsonpath, jsonpath_values
from squall.experiment.model import (
    Activity,
    JsonPathTolerance,
    ListTolerance,
    ProbeTolerance,
    RangeTolerance,
    RegexTolerance,
    Tolerance,
    ValueTolerance,
)
from squall.show import kind_of, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Verdict", "check_tolerance", "miss_reason", "parse_tolerance"]

if TYPE_CHECKING:
    Substitute = Callable[[Any], Any]
ActivityParser = Callable[..., Activity | None]
TOLERANCE_TYPES = ("range", "regex", "jsonpath", "probe")


class Verdict:
    """Whether a tolerance was met, and a short explanation when it was not."""

    __slots__ = ("met", "why")

    def __init__(self, met: bool, why: str = "") -> None:
        self.met = met
        self.why = why


def parse_tolerance(r: Reader, value: Any, pointer: str, parse_activity: ActivityParser) -> Any:
    """Parse a tolerance; problems go to ``r``. Returns None when it is unusable."""
    if isinstance(value, bool | int | float | str):
        return ValueTolerance(value=value)
    if isinstance(value, list):
        return ListTolerance(values=tuple(value))
    if not isinstance(value, Mapping):
        r.add(
            pointer,
            f"a tolerance cannot be {kind_of(value)}",
            'use a value, a list, or an object with "type" range/regex/jsonpath/probe',
        )
        return None
    kind = value.get("type")
    target = value.get("target")
    if target is not None and not isinstance(target, str):
        r.add(pointer + "/target", '\'target\' must be a string such as "stdout" or "body"')
        target = None
    if kind == "range":
        return _range(r, value, pointer, target)
    if kind == "regex":
        return _regex(r, value, pointer, target)
    if kind == "jsonpath":
        return _jsonpath(r, value, pointer, target)
    if kind == "probe":
        probe = parse_activity(r, {**value, "type": "probe"}, pointer)
        return ProbeTolerance(probe=probe) if probe is not None else None
    check = tolerance_check(kind)
    if check is not None:  # a type a plugin registered
        return CustomTolerance(type=str(kind), raw=value, check=check)
    r.add(
        pointer + ("/type" if kind is not None else ""),
        f"unsupported tolerance type {show_value(kind)}",
        "use " + ", ".join(TOLERANCE_TYPES),
    )
    return None


def _range(r: Reader, d: Mapping[str, Any], pointer: str, target: str | None) -> Any:
    bounds = d.get("range")
    ok = (
        isinstance(bounds, list)
        and len(bounds) == 2
        and all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
    )
    if not ok:
        r.add(pointer + "/range", 'a range tolerance needs "range": [low, high] with two numbers')
        return None
    assert isinstance(bounds, list)
    if bounds[0] > bounds[1]:
        r.add(
            pointer + "/range",
            f"the range [{bounds[0]}, {bounds[1]}] is empty",
            "write the lower bound first",
        )
        return None
    return RangeTolerance(low=bounds[0], high=bounds[1], target=target)


def _regex(r: Reader, d: Mapping[str, Any], pointer: str, target: str | None) -> Any:
    pattern = d.get("pattern")
    if not isinstance(pattern, str):
        r.add(pointer, 'a regex tolerance needs a "pattern" string')
        return None
    import re  # only for regex tolerances

    try:
        re.compile(pattern)
    except re.error as exc:
        r.add(pointer + "/pattern", f"invalid regular expression: {exc}")
        return None
    return RegexTolerance(pattern=pattern, target=target)


def _jsonpath(r: Reader, d: Mapping[str, Any], pointer: str, target: str | None) -> Any:
    path = d.get("path")
    if not isinstance(path, str) or not path.strip():
        r.add(pointer, 'a jsonpath tolerance needs a non-empty "path"', 'e.g. "$.items[*].id"')
        return None
    if "${" not in path:
        try:
            compile_jsonpath(path)
        except Exception as exc:  # ValueError, or what antlr raises on odd input
            r.add(pointer + "/path", f"invalid JSONPath {show_value(path)}: {exc}")
            return None
    count = d.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
        r.add(pointer + "/count", '"count" must be an integer')
        count = None
    return JsonPathTolerance(
        path=path, expect=d.get("expect"), has_expect="expect" in d, count=count, target=target
    )


# --- matching ---------------------------------------------------------------------------


def _has_status(output: Any) -> bool:
    return isinstance(output, Mapping) and "status" in output


def _pick(output: Any, target: str | None) -> Any:
    if target is None:
        return output
    if isinstance(output, Mapping):
        return output.get(target)
    return None


def check_tolerance(tolerance: Tolerance, output: Any, substitute: Substitute) -> Verdict:
    """Decide a non-probe tolerance; ``substitute`` resolves ``${name}`` where allowed.

    When it is not met and the output says why itself (a mapping with a non-empty
    ``problems`` list of sentences, as every security probe returns), the explanation is
    those sentences, not "expected [true], got [false]": the verdict says *why*.
    """
    verdict = _decide(tolerance, output, substitute)
    if not verdict.met:
        return Verdict(False, _said(output) or verdict.why)
    return verdict


def miss_reason(tolerance: Any, output: Any) -> str:
    """Why ``output`` was not within ``tolerance`` (as a journal holds both), in the words
    the run's console used: the output's own ``problems`` sentences when it has them, else
    the tolerance's explanation (``expected [true], got [false]``). Every report format
    says this. A probe tolerance, a plugin's, or one the rules cannot decide again (a
    placeholder the journal kept) gets ``expected TOLERANCE, got OUTPUT``."""
    said = _said(output)
    if said:
        return said
    parsed = _reparse(tolerance)
    if parsed is not None:
        verdict = _decide(parsed, output, _unchanged)
        if not verdict.met and verdict.why:
            return verdict.why
    return f"expected {show_value(tolerance, 200)}, got {show_value(output, 200)}"


def _said(output: Any) -> str:
    """The ``problems`` sentences of an output, if it carries any, as one text."""
    found = output.get("problems") if isinstance(output, Mapping) else None
    if not isinstance(found, list):
        return ""
    return "; ".join(item for item in found if isinstance(item, str) and item)


def _reparse(raw: Any) -> Tolerance | None:
    """A journaled tolerance the rules can decide again here (no engine, no plugin code,
    no placeholder left), else None."""
    if "${" in show_value(raw):
        return None
    reader = Reader()
    parsed = parse_tolerance(reader, raw, "", lambda *_: None)
    if reader.problems or isinstance(parsed, ProbeTolerance | CustomTolerance):
        return None
    return parsed  # type: ignore[no-any-return]


def _unchanged(value: Any) -> Any:
    return value


def _decide(tolerance: Tolerance, output: Any, substitute: Substitute) -> Verdict:
    if isinstance(tolerance, ValueTolerance):
        return _check_value(tolerance.value, output, substitute)
    if isinstance(tolerance, ListTolerance):
        return _check_list(tolerance.values, output)
    if isinstance(tolerance, RangeTolerance):
        return _check_range(tolerance, output)
    if isinstance(tolerance, RegexTolerance):
        return _check_regex(tolerance, output, substitute)
    if isinstance(tolerance, JsonPathTolerance):
        return _check_jsonpath(tolerance, output, substitute)
    if isinstance(tolerance, CustomTolerance):
        return Verdict(*tolerance.decide(output))
    raise TypeError(f"{type(tolerance).__name__} is decided by the engine")


def _verdict(met: bool, expected: Any, actual: Any) -> Verdict:
    return _missed(met, show_value(expected, 200), actual)


def _missed(met: bool, words: str, actual: Any) -> Verdict:
    """``words`` say what was expected (``between 1 and 5``); the actual value is shown in
    JSON's spelling."""
    return (
        Verdict(True) if met else Verdict(False, f"expected {words}, got {show_value(actual, 200)}")
    )


def _check_value(expected: Any, output: Any, substitute: Substitute) -> Verdict:
    if isinstance(expected, str):
        expected = substitute(expected)
        return _verdict(output == expected, expected, output)
    if not isinstance(expected, bool) and _has_status(output):
        return _verdict(output["status"] == expected, expected, output["status"])
    return _verdict(output == expected, expected, output)


def _check_list(values: tuple[Any, ...], output: Any) -> Verdict:
    if _has_status(output):
        return _verdict(output["status"] in values, list(values), output["status"])
    if len(values) == 2:
        try:
            met = bool(values[0] <= output <= values[1])
        except TypeError:
            met = False
        return _missed(met, f"between {show_value(values[0])} and {show_value(values[1])}", output)
    return _missed(output in values, f"one of {show_value(list(values), 200)}", output)


def _check_range(tolerance: RangeTolerance, output: Any) -> Verdict:
    from decimal import Decimal, InvalidOperation

    value = _pick(output, tolerance.target)
    expected = f"between {tolerance.low} and {tolerance.high}"
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return Verdict(False, f"expected a number {expected}, got {show_value(value, 200)}")
    met = Decimal(str(tolerance.low)) <= number <= Decimal(str(tolerance.high))
    return _missed(met, expected, value)


def _check_regex(tolerance: RegexTolerance, output: Any, substitute: Substitute) -> Verdict:
    value = _pick(output, tolerance.target)
    pattern = str(substitute(tolerance.pattern))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        hint = ' (set "target", e.g. stdout or body)' if tolerance.target is None else ""
        return Verdict(False, f"regex {show_value(pattern)} needs text, got {kind_of(value)}{hint}")
    import re

    met = re.search(pattern, value) is not None
    if met:
        return Verdict(True)
    return Verdict(False, f"{show_value(pattern)} not found in {show_value(value[:120])}")


def _check_jsonpath(tolerance: JsonPathTolerance, output: Any, substitute: Substitute) -> Verdict:
    value = output
    if tolerance.target is not None and isinstance(output, Mapping):
        value = output.get(tolerance.target, output)  # the reference's fallback: the output
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # text that is not JSON is matched as text
            value = _json.loads(value)
    path = str(substitute(tolerance.path))
    try:
        matches = jsonpath_values(path, value)
    except Exception as exc:  # a bad substituted path or an odd value
        return Verdict(False, f"JSONPath {show_value(path)} failed: {exc}")
    if tolerance.has_expect:
        expect = substitute(tolerance.expect)
        wanted = expect if isinstance(expect, list) else [expect]
        return _verdict(matches == wanted, wanted, matches)
    if tolerance.count is not None:
        return _missed(len(matches) == tolerance.count, f"{tolerance.count} matches", matches)
    return Verdict(True) if matches else Verdict(False, f"no match for {show_value(path)}")
