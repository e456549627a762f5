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

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DEFAULT_MAX_OUTPUT", "cap_output", "parse_size"]

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
        raise ValueError(f"{text!r} is not a size")
    if isinstance(text, int):
        number, unit = text, ""
    else:
        raw = str(text).strip().lower().replace(" ", "")
        if raw in ("none", "unlimited", "off"):
            return None
        digits = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = raw[len(digits) :]
        if not digits.isdigit() or unit not in _UNITS:
            raise ValueError(f"{text!r} is not a size (examples: 1048576, 512KiB, 1MiB)")
        number = int(digits)
    if number < 0:
        raise ValueError(f"{text!r} is not a size (negative)")
    return number * _UNITS[unit] or None


def _measure(value: Any, texts: list[int]) -> int:
    """Collect the length of every text; return the cost of everything else."""
    other = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes | bytearray):
            texts.append(len(item))
        elif isinstance(item, Mapping):
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
    """The output as the journal keeps it (masked, cut to ``limit``), and a note: None
    when it is whole, ``{"masked": True}`` when a secret was masked in it, else the cut
    (``limit``, ``size``)."""
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
