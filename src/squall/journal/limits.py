"""What a run entry may hold: its output cut to the per-activity limit, secrets masked.

The limit (``max_output``, default 1 MiB) bounds the text an activity's output puts in
the journal, the event stream and the run history; the activity itself, its tolerance
and later ``${outputs...}`` see the whole output. Texts (strings, bytes) share the limit
fairly: short texts are kept whole and the longest are cut to what remains (so a
process's short ``stderr`` survives a huge ``stdout``). A cut text ends with a marker,
and the entry's ``squall.output_truncated`` says how large the output was.
"""

from __future__ import annotations

from collections.abc import Mapping

from squall.masking import MASK, mask_text, mask_value, secret_suffix
from squall.show import int_note, printable_int, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DEFAULT_MAX_OUTPUT", "cap_output", "journal_safe", "parse_size", "safe_text"]

#: The default per-activity output limit, in characters of text (1 MiB).
DEFAULT_MAX_OUTPUT = 1 << 20

#: The cost counted for a number, a boolean or null (their JSON text is short).
_SCALAR = 8

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20}
_UNITS |= {"mb": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}


def parse_size(text: Any) -> int | None:
    """``1048576``, ``512k``, ``1MiB``, ``2 GB`` -> bytes (binary units); ``0``, ``none``,
    ``unlimited`` -> None (no limit).

    Raises:
        ValueError: not a size.
    """
    if isinstance(text, bool):
        raise ValueError(f"{show_value(text)} is not a size")
    if isinstance(text, int):
        number, unit = text, ""
    else:
        raw = str(text).strip().lower().replace(" ", "")
        if raw in ("none", "unlimited", "off"):
            return None
        digits = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = raw[len(digits) :]
        if not digits.isdigit() or unit not in _UNITS:
            raise ValueError(f"{show_value(text)} is not a size (examples: 1048576, 512KiB, 1MiB)")
        number = int(digits)
    if number < 0:
        raise ValueError(f"{show_value(text)} is not a size (negative)")
    return number * _UNITS[unit] or None


#: an output nested deeper than this is cut there (JSON's readers recurse)
MAX_DEPTH = 100
#: the most values an output is walked for (a structure that shares its parts can stand
#: for more values than memory holds: ``x = [x, x]`` a hundred times is 2**100 leaves)
MAX_VALUES = 1_000_000
_CONTAINERS = (Mapping, list, tuple, set, frozenset)


def safe_text(text: str) -> str:
    """``text`` as UTF-8 can hold it: a lone surrogate (what ``os.listdir`` makes of a
    file name that is not UTF-8) becomes U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        import re

        return re.sub("[\ud800-\udfff]", "\ufffd", text)
    return text


def journal_safe(value: Any, most: int | None = None) -> Any:
    """A driver's return value as JSON can hold it, in bounded time: a circular reference,
    nesting past MAX_DEPTH and values past MAX_VALUES become a note, keys JSON cannot
    have and other objects become their text (an object whose ``str()`` raises, its type),
    texts lose their lone surrogates, sets become lists, an integer too long to print a
    note. The value itself when nothing had to change. ``most``: values walked at most
    (default and ceiling MAX_VALUES)."""
    return _Safe(min(most or MAX_VALUES, MAX_VALUES)).value(value, 0)


class _Safe:
    def __init__(self, most: int) -> None:
        self.most = self.left = most
        self.path: set[int] = set()  # containers being walked: one seen again is a cycle

    def value(self, value: Any, depth: int) -> Any:
        kind = type(value)
        if kind is str:
            return safe_text(value)
        if value is None or kind is bool or kind is float or kind is bytes:
            return value
        if kind is int:
            return value if printable_int(value) else int_note(value)
        self.left -= 1
        if self.left < 0:
            return f"[squall: more than {self.most} values, not recorded]"
        # dict and list first: isinstance against the Mapping ABC runs Python code
        if kind is dict or kind is list or isinstance(value, _CONTAINERS):
            if depth >= MAX_DEPTH:
                return f"[squall: nested deeper than {MAX_DEPTH} levels, not recorded]"
            if id(value) in self.path:
                return "[squall: circular reference]"
            self.path.add(id(value))
            try:
                return self._container(value, depth + 1)
            finally:
                self.path.discard(id(value))
        if isinstance(value, int | float | str | bytes | bytearray):
            return value
        return self.value(_text_of(value), depth)

    def _container(self, value: Any, depth: int) -> Any:
        if type(value) is dict or isinstance(value, Mapping):
            items = [(self._key(k), self.value(v, depth)) for k, v in value.items()]
            same = type(value) is dict and all(
                k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, value.items(), strict=True)
            )
            return value if same else dict(items)
        values = [self.value(v, depth) for v in value]
        if isinstance(value, list | tuple) and all(
            v is v0 for v, v0 in zip(values, value, strict=True)
        ):
            return value
        return values

    def _key(self, key: Any) -> Any:
        kind = type(key)
        if kind is str:
            return safe_text(key)
        if key is None or kind is bool or kind is float or (kind is int and key.bit_length() < 64):
            return key
        return safe_text(_text_of(key) if not isinstance(key, tuple) else repr(key))


def _text_of(value: Any) -> Any:
    """What the journal's encoder writes for an object JSON has no type for; its type's
    name when that raises."""
    from squall.journal.store import encodable

    try:
        return encodable(value)
    except BaseException:  # a driver's object: its __str__ may raise anything
        return f"[squall: {type(value).__name__} object that cannot be shown]"


def _measure(value: Any, texts: list[int]) -> int:
    """Collect the length of every text; return the cost of everything else."""
    other = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes | bytearray):
            texts.append(len(item))
        elif type(item) is dict or isinstance(item, Mapping):
            other += _SCALAR * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            other += _SCALAR * len(item)
            stack.extend(item)
        else:
            other += _SCALAR
    return other


def _fair_share(lengths: list[int], room: int) -> int:
    """The largest length every text may keep so that all fit in ``room`` (texts shorter
    than it are kept whole)."""
    remaining, count = room, len(lengths)
    for length in sorted(lengths):
        if length * count > remaining:
            return max(remaining // count, 0)
        remaining -= length
        count -= 1
    return room


def _cut_text(text: str, share: int) -> str:
    kept = mask_text(text[:share])
    hidden = secret_suffix(kept)  # a secret cut in two by the limit: hide its start
    if hidden:
        kept = kept[:-hidden] + MASK
    left = len(text) - share
    return f"{kept}[... squall: output truncated, {left} of {len(text)} characters not recorded]"


def _cut(value: Any, share: int) -> Any:
    if isinstance(value, str):
        return _cut_text(value, share) if len(value) > share else value
    if isinstance(value, bytes | bytearray):
        if len(value) <= share:
            return value
        return _cut_text(bytes(value).decode("utf-8", "replace"), share)
    if isinstance(value, Mapping):
        return {k: _cut(v, share) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cut(v, share) for v in value]
    return value


def _masked(output: Any) -> tuple[Any, dict[str, Any] | None]:
    masked = mask_value(output)
    return masked, (None if masked is output else {"masked": True})


def cap_output(output: Any, limit: int | None) -> tuple[Any, dict[str, Any] | None]:
    """The output as the journal keeps it (made JSON-safe, masked, cut to ``limit``), and
    a note: None when it is whole, ``{"masked": True}`` when a secret was masked in it,
    else the cut (``limit``, ``size``)."""
    kind = type(output)
    if kind is str:
        output = safe_text(output)
    elif not (output is None or kind is bool or kind is float):
        # with a limit, an output of more values than limit / _SCALAR is cut anyway
        output = journal_safe(output, None if limit is None else limit // _SCALAR + 2)
        kind = type(output)
    if limit is None or (
        (output is None or kind is bool or kind is int or kind is float) and limit >= _SCALAR
    ):
        return _masked(output)  # a scalar's size is _SCALAR
    if kind is str and len(output) <= limit:
        return _masked(output)  # a text's size is its length
    texts: list[int] = []
    other = _measure(output, texts)
    size = sum(texts) + other
    if size <= limit:
        return _masked(output)
    note: dict[str, Any] = {"limit": limit, "size": size}
    if other >= limit:  # too many items: keep the start of its JSON text
        from squall.journal.store import dumps

        text = dumps(_cut(output, max(limit // max(len(texts), 1), 1)))
        return _cut_text(text, limit), {**note, "kept": "text"}
    return mask_value(_cut(output, _fair_share(texts, limit - other))), note
