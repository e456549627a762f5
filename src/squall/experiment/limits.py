"""Input limits: what a document may hold before squall refuses it (exit 2, located).

A document is checked once, right after it is parsed and before anything walks it:

- its size in bytes (read no further than the limit);
- its nesting depth;
- its size after YAML aliases are expanded (a "billion laughs" document is a few hundred
  bytes that expand to 10^9 values), and aliases that refer to themselves (a cycle);
- its keys (text only: YAML reads ``1:``, ``on:`` or ``null:`` as a number, a boolean, null);
- its numbers (finite, integers of at most ``MAX_INT_DIGITS`` digits) and its text (no lone
  surrogate, which no file or journal can hold as UTF-8).

The walk is iterative and visits each distinct container once (aliases share objects), so it
is cheap even for the documents it refuses. The limits are documented in
docs/reference/limits.md; ``Limits.resolve`` reads the settings' ``limits`` block and the
``SQUALL_LIMIT_*`` environment variables.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from squall._record import Record
from squall.errors import InputError, Problem
from squall.intervals import MAX_SECONDS
from squall.show import kind_of, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "MAX_INT_DIGITS",
    "MAX_SECONDS",
    "Limits",
    "TooLongInteger",
    "json_text_within",
    "json_within",
    "seconds",
    "tree_problems",
]

MAX_INT_DIGITS = 4300
"""Python's own limit on converting text to an integer (``sys.get_int_max_str_digits``)."""

MAX_DEPTH_CEILING = 500
"""The depth limit cannot be raised past this: deeper documents would exhaust the stack."""

_SETTINGS = {"document_bytes": "SQUALL_LIMIT_DOCUMENT_BYTES", "depth": "SQUALL_LIMIT_DEPTH"}
_SETTINGS["nodes"] = "SQUALL_LIMIT_NODES"


class Limits(Record):
    """How large, deep and wide a document may be."""

    __slots__ = ("depth", "document_bytes", "nodes")

    def __init__(
        self, *, document_bytes: int = 16 * 1024 * 1024, depth: int = 100, nodes: int = 1_000_000
    ) -> None:
        self.document_bytes = document_bytes
        self.depth = depth
        self.nodes = nodes

    @classmethod
    def resolve(cls, settings: Mapping[str, Any] | None = None) -> Limits:
        """The defaults, changed by the settings' ``limits`` block, then by the environment.

        Raises:
            InputError: a limit is not a positive integer (or the depth is above the ceiling).
        """
        block = (settings or {}).get("limits") or {}
        if not isinstance(block, Mapping):
            raise InputError('settings: "limits" must be a mapping of name: number')
        values: dict[str, int] = {}
        for key, env in _SETTINGS.items():
            raw = os.environ.get(env)
            where = f"${env}"
            if raw is None:
                raw, where = block.get(key), f"settings 'limits.{key}'"
            if raw is not None:
                values[key] = _positive(raw, where)
        unknown = sorted(set(block) - set(_SETTINGS))
        if unknown:
            known = ", ".join(_SETTINGS)
            limit = "limit" if len(unknown) == 1 else "limits"
            raise InputError(f"settings: unknown {limit} {', '.join(map(str, unknown))}: {known}")
        if values.get("depth", 0) > MAX_DEPTH_CEILING:
            raise InputError(f"the depth limit cannot be raised above {MAX_DEPTH_CEILING}")
        return cls(**values)


def seconds(value: Any) -> float:
    """A duration given at run time (a ``${name}`` resolved): a finite number of seconds,
    0 to ``MAX_SECONDS``.

    Raises:
        ValueError: with a message naming what is wrong.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"a duration must be a number of seconds, found {kind_of(value)}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(
            f"a duration must be a number of seconds, found {show_value(value, 40)}"
        ) from None
    except OverflowError:
        number = math.inf
    if not 0 <= number <= MAX_SECONDS:  # NaN fails too
        raise ValueError(
            f"a duration must be 0 to {MAX_SECONDS:,} seconds (a year), "
            f"found {show_value(value, 40)}"
        )
    return number


def _positive(raw: Any, where: str) -> int:
    try:
        value = int(raw) if not isinstance(raw, bool) else 0
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        raise InputError(f"{where} must be a positive whole number, found {show_value(raw)}")
    return value


class TooLongInteger:
    """Stands in for an integer literal too long to convert; the walk reports it."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits


def tree_problems(data: Any, limits: Limits, *, values: bool = True) -> list[Problem]:
    """Every limit ``data`` (parsed JSON/YAML) breaks, each at a JSON pointer
    (``values`` False: only its shape, cycles, depth and size, not its keys and values)."""
    if _within(data, limits):
        return []  # the usual case, found without building a pointer for every value
    walk = _Walk(limits, values)
    walk.run(data)
    if walk.problems:
        return walk.problems  # a cycle or a bad value: sizes are meaningless then
    height, size = walk.shape(data)
    if height > limits.depth:
        return [walk.too_deep(data)]
    if size > limits.nodes:
        return [walk.too_large(data, size)]
    return []


JSON_TYPES = (str, int, float, bool, type(None))


def json_within(data: Any, limits: Limits) -> bool:
    """True when ``data``, parsed from JSON text that wrote no lone surrogate (no ``\\u``
    escape, none in the text), no ``NaN`` or ``Infinity`` and no over-long integer,
    certainly breaks no limit: JSON has text keys only and no alias (so no cycle), and
    then only the depth and the size are left to measure. False: ``tree_problems`` decides."""
    if not isinstance(data, dict | list):
        return False
    try:
        height, size = _json_shape(data)
    except RecursionError:  # deeper than any limit: the iterative walk says where
        return False
    return height <= limits.depth and size <= limits.nodes


#: JSON text reduced to its brackets (``{}`` written as ``[]``) and what may hide one in a
#: string (quotes, backslashes): every other byte deleted
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(set(range(256)) - set(b'"[]{}\\'))


def json_text_within(text: str, limits: Limits) -> bool:
    """True when the JSON ``text`` (valid: it parsed) certainly breaks neither the depth
    nor the size limit, found from the text alone, without walking what it parsed to.

    Each value starts after an opening bracket or a comma (commas in strings only add to
    the bound), so there are at most ``1 + brackets + commas`` values. The depth is the
    brackets' nesting: with strings removed (pairs of adjacent quotes once everything else
    is deleted; a string holding a bracket or an escape leaves a quote or a backslash, and
    then the answer is False), deleting every ``[]`` removes exactly the innermost level.
    False: ``json_within`` or the walk decides."""
    data = text.encode("utf-8")
    brackets = data.translate(_BRACKETS, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in brackets or b"\\" in brackets:
        return False
    if 1 + brackets.count(b"[") + data.count(b",") > limits.nodes:
        return False
    for _ in range(limits.depth):
        if not brackets:
            return True
        brackets = brackets.replace(b"[]", b"")
    return not brackets


def _json_shape(node: Any) -> tuple[int, int]:
    """(height, size) of a container of parsed JSON (its scalars counted, not visited)."""
    values = node.values() if type(node) is dict else node
    height, size = 0, 1 + len(values)
    for child in values:
        if type(child) in _CONTAINERS:
            inner, count = _json_shape(child)
            height = max(height, inner)
            size += count - 1
    return height + 1, size


_CONTAINERS = frozenset((dict, list))


def _within(root: Any, limits: Limits) -> bool:
    """True when ``root`` certainly breaks no limit: the checks of ``_Walk`` without the
    pointers (which only a problem needs). Anything unusual answers False, and ``_Walk``
    then decides and says where."""
    if not isinstance(root, dict | list):
        return False
    try:
        shape = _shape(root, {}, set())
    except RecursionError:  # deeper than any limit: _Walk (iterative) says where
        return False
    return shape is not None and shape[0] <= limits.depth and shape[1] <= limits.nodes


def _shape(
    node: Any, sizes: dict[int, tuple[int, int]], visiting: set[int]
) -> tuple[int, int] | None:
    """(height, expanded size) of a container whose keys and values are all fine, each
    distinct container measured once (aliases share objects); None for anything else (a
    cycle, a key that is not text, a bad value)."""
    key = id(node)
    known = sizes.get(key)
    if known is not None:
        return known
    if key in visiting:
        return None  # a cycle
    visiting.add(key)
    height, size = 0, 1
    if type(node) is dict:
        for k in node:
            if type(k) is not str or (not k.isascii() and has_surrogate(k)):
                return None
        values: Any = node.values()
    else:
        values = node
    for child in values:
        kind = type(child)
        if kind is str:
            if not child.isascii() and has_surrogate(child):
                return None
        elif kind is dict or kind is list:
            inner = _shape(child, sizes, visiting)
            if inner is None:
                return None
            height = max(height, inner[0])
            size += inner[1] - 1
        elif kind is float:
            if not math.isfinite(child):
                return None
        elif child is not None and kind is not int and kind is not bool:
            return None
        size += 1
    visiting.discard(key)
    shape = sizes[key] = (height + 1, size)
    return shape


class _Walk:
    """One iterative pass: values checked, each container's height and expanded size."""

    def __init__(self, limits: Limits, values: bool = True) -> None:
        self.limits = limits
        self.values = values
        self.problems: list[Problem] = []
        self.sizes: dict[int, tuple[int, int]] = {}  # id -> (height, expanded size)

    def run(self, root: Any) -> None:
        if not isinstance(root, dict | list):
            self._scalar(root, "")
            return
        visiting: set[int] = set()
        stack: list[tuple[Any, str, bool]] = [(root, "", False)]
        while stack:
            node, pointer, done = stack.pop()
            key = id(node)
            if done:
                visiting.discard(key)
                self.sizes[key] = self._measure(node)
                continue
            if key in self.sizes:
                continue
            if key in visiting:
                self.problems.append(_cycle(pointer))
                continue
            if len(self.problems) >= 20:
                return  # enough said
            visiting.add(key)
            stack.append((node, pointer, True))
            for child, where in self._children(node, pointer):
                if isinstance(child, dict | list):
                    stack.append((child, where, False))
                else:
                    self._scalar(child, where)

    def _children(self, node: Any, pointer: str) -> list[tuple[Any, str]]:
        """The children to walk; a mapping's keys are checked on the way."""
        if isinstance(node, list) or not self.values:
            return self._kids(node, pointer)
        for k in node:
            if not isinstance(k, str):
                self.problems.append(_bad_key(_join(pointer, _key_text(k)), k))
            elif has_surrogate(k):
                shown = k.encode("utf-8", "backslashreplace").decode("utf-8")
                self.problems.append(_surrogate(_join(pointer, shown)))
        return [(v, _join(pointer, k)) for k, v in node.items() if isinstance(k, str)]

    def _scalar(self, value: Any, pointer: str) -> None:
        if not self.values:
            return
        if isinstance(value, str):
            if has_surrogate(value):
                self.problems.append(_surrogate(pointer))
        elif isinstance(value, float):
            if not math.isfinite(value):
                self.problems.append(_non_finite(pointer, value))
        elif isinstance(value, TooLongInteger):
            self.problems.append(_too_long(pointer, value.digits))
        elif not isinstance(value, JSON_TYPES):
            self.problems.append(_not_json(pointer, value))

    def _measure(self, node: Any) -> tuple[int, int]:
        values = node.values() if isinstance(node, dict) else node
        height, size = 0, 1
        for child in values:
            if isinstance(child, dict | list):
                h, s = self.sizes.get(id(child), (0, 1))
                height, size = max(height, h), size + s
            else:
                size += 1
        return height + 1, size

    def shape(self, node: Any) -> tuple[int, int]:
        if isinstance(node, dict | list):
            return self.sizes.get(id(node), (1, 1))
        return 0, 1

    def _kids(self, node: Any, pointer: str) -> list[tuple[Any, str]]:
        if isinstance(node, list):
            return [(v, f"{pointer}/{i}") for i, v in enumerate(node)]
        return [(v, _join(pointer, str(k))) for k, v in node.items()]

    def too_deep(self, root: Any) -> Problem:
        """Follow the deepest branch down to the level that breaks the limit."""
        node, pointer = root, ""
        for _ in range(self.limits.depth):
            kids = [(self.shape(v)[0], v, p) for v, p in self._kids(node, pointer)]
            _, node, pointer = max(kids, key=lambda kid: kid[0])
        return Problem(
            pointer,
            f"nesting deeper than {self.limits.depth} levels",
            "flatten the document, or raise the limit with SQUALL_LIMIT_DEPTH or the "
            "settings' limits.depth (see docs/reference/limits.md)",
        )

    def too_large(self, root: Any, size: int) -> Problem:
        """The smallest subtree that alone breaks the limit (where the aliases multiply)."""
        node, pointer = root, ""
        while isinstance(node, dict | list):
            kids = self._kids(node, pointer)
            big = [(v, p) for v, p in kids if self.shape(v)[1] > self.limits.nodes]
            if not big:
                break
            node, pointer = big[0]
        return Problem(
            pointer,
            f"the document expands to {size:,} values (limit {self.limits.nodes:,}), "
            "YAML aliases multiplying it",
            "use fewer aliases of aliases, or raise the limit with SQUALL_LIMIT_NODES or the "
            "settings' limits.nodes (see docs/reference/limits.md)",
        )


def _join(base: str, token: str) -> str:
    return f"{base}/{token.replace('~', '~0').replace('/', '~1')}"


def _key_text(key: Any) -> str:
    return "null" if key is None else str(key).lower() if isinstance(key, bool) else str(key)


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (no UTF-8 can write it)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _cycle(pointer: str) -> Problem:
    return Problem(
        pointer,
        "a YAML alias refers to a node that contains it (the value would be infinite)",
        "replace the alias (*name) by a copy of the value, without the alias inside",
    )


def _bad_key(pointer: str, key: Any) -> Problem:
    kind = "null" if key is None else type(key).__name__
    return Problem(
        pointer,
        f"a key must be text, found {kind} {show_value(key)}",
        f"quote the key ('{_key_text(key)}': ...); YAML reads 1, on, yes, no and null "
        "unquoted as numbers, booleans and null",
    )


def _surrogate(pointer: str) -> Problem:
    return Problem(
        pointer,
        "text holds a lone surrogate (a \\ud800-\\udfff escape without its pair), "
        "which cannot be written as UTF-8",
        "remove the escape, or write the character itself",
    )


def _non_finite(pointer: str, value: float) -> Problem:
    return Problem(
        pointer,
        f"a number must be finite, found {value}",
        "use a finite number (NaN, Infinity and overflowing literals such as 1e999 are "
        "refused: no duration, comparison or JSON journal can use them)",
    )


def _too_long(pointer: str, digits: int) -> Problem:
    return Problem(
        pointer,
        f"an integer of {digits} digits is too long (limit {MAX_INT_DIGITS})",
        "quote it to pass it as text",
    )


def _not_json(pointer: str, value: Any) -> Problem:
    return Problem(
        pointer,
        f"a value of type {type(value).__name__} cannot be used (only JSON types)",
        "quote it to pass it as text",
    )
