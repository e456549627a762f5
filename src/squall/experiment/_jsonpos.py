"""Where a JSON pointer's value starts in a JSON text (only when a problem is reported).

YAML can compose most JSON, but not all: ``"\\/"`` escapes, lone surrogate escapes, tabs in
some places. This reads the JSON itself: it walks down the pointer, skipping the values it
passes with the standard decoder (numbers are not converted, so a 5000-digit integer costs
nothing), and answers the deepest place it reached.
"""

from __future__ import annotations

from functools import cache

from squall._json import scanstring

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["json_position"]

_SPACE = " \t\n\r"


@cache
def _skipper() -> Any:
    """The standard decoder, numbers not converted (json is imported only when a problem
    is reported: a run does not import it)."""
    import json

    return json.JSONDecoder(
        parse_int=lambda _: 0, parse_float=lambda _: 0.0, parse_constant=lambda _: 0.0
    )


def json_position(text: str, tokens: list[str]) -> tuple[int, int] | None:
    """1-based (line, column) of the value at ``tokens`` (or of its nearest parent)."""
    at = _skip_space(text, 0)
    if at >= len(text):
        return None
    try:
        for token in tokens:
            found = _child(text, at, token)
            if found is None:
                break
            at = found
    except (ValueError, RecursionError, IndexError):
        pass  # the text is not what json.loads read: keep the deepest place found
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return at


def _child(text: str, at: int, token: str) -> int | None:
    """Where the child ``token`` of the container starting at ``at`` starts."""
    if text[at] == "{":
        return _member(text, at, token)
    if text[at] == "[" and token.isdigit():
        return _element(text, at, int(token))
    return None


def _member(text: str, at: int, token: str) -> int | None:
    found = None  # the last of duplicate keys wins, as in json.loads
    at = _skip_space(text, at + 1)
    while at < len(text) and text[at] == '"':
        key, at = scanstring(text, at + 1)
        at = _skip_space(text, _skip_space(text, at) + 1)  # past the ':'
        if key == token:
            found = at
        after = _next(text, at)
        if after is None:
            break
        at = after
    return found


def _element(text: str, at: int, index: int) -> int | None:
    at = _skip_space(text, at + 1)
    for _ in range(index):
        if at >= len(text) or text[at] == "]":
            return None
        after = _next(text, at)
        if after is None:
            return None
        at = after
    return at if at < len(text) and text[at] != "]" else None


def _next(text: str, at: int) -> int | None:
    """Past the value at ``at`` and its comma: where the next item starts (None: the end)."""
    _value: Any
    _value, end = _skipper().raw_decode(text, at)
    end = _skip_space(text, end)
    if end < len(text) and text[end] == ",":
        return _skip_space(text, end + 1)
    return None
