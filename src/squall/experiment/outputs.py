"""``${outputs.<activity>.<path>}``: the output of an earlier activity (squall addition).

The rules, shared by the engine, ``squall validate`` and ``squall lint``:

- ``${outputs.NAME}`` is the output of the latest finished run of the activity named NAME;
  a path follows: ``.key``, ``.3`` or ``[3]`` (an integer indexes a list, negative counts
  from the end; on an object it is the key with that text), ``['key.with.dots']``.
  A name or key holding ``.``, ``[``, ``]`` or ``}`` is written in brackets and quotes:
  ``${outputs['read config'].port}``.
- A string that is exactly one expression becomes the value with its type; an expression
  inside a longer string becomes text (a string as is, anything else as JSON).
- ``$${outputs.x}`` is the literal text ``${outputs.x}``.
- Other ``${name}`` placeholders are left for configuration and secrets substitution.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from squall import _json
from squall._record import Record
from squall.experiment._reader import pointer_join
from squall.experiment.substitute import map_strings
from squall.show import kind_of, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    import re
    from typing import Any

__all__ = [
    "OutputPathError",
    "OutputRef",
    "activity_output_refs",
    "find_output_refs",
    "follow_path",
    "mentions_outputs",
    "parse_output_ref",
    "substitute_outputs",
]

#: ``$$`` (an escaped dollar, kept) or one ``${outputs...}`` expression; and one path
#: segment. Compiled on first use: a run without outputs never pays for them.
_TOKEN_RE = r"\$\$|\$\{outputs(?P<path>(?:[.\[](?:[^}'\"]|'[^'}]*'|\"[^\"}]*\")*)?)\}"
_SEGMENT_RE = r"\.(?P<bare>[^.\[\]}]+)|\[(?:(?P<int>-?\d+)|'(?P<sq>[^'}]*)'|\"(?P<dq>[^\"}]*)\")\]"


def _token() -> re.Pattern[str]:
    import re  # not at import: a run without outputs never loads it

    return re.compile(_TOKEN_RE)  # re caches compiled patterns


def _segment() -> re.Pattern[str]:
    import re

    return re.compile(_SEGMENT_RE)


class OutputRef(Record):
    """One parsed expression: the activity name and the path into its output."""

    __slots__ = ("expression", "name", "path")

    def __init__(self, *, expression: str, name: str, path: tuple[str | int, ...]) -> None:
        self.expression = expression  # as written, e.g. "${outputs.find-pod.items[0]}"
        self.name = name
        self.path = path  # str: key (or list index if all digits); int: [n]


class OutputPathError(ValueError):
    """An expression that does not parse, or a path that the output does not have."""


def parse_output_ref(expression: str) -> OutputRef:
    """Parse ``${outputs...}`` (the whole expression).

    Raises:
        OutputPathError: malformed, with what is wrong and how to write it.
    """
    match = _token().fullmatch(expression)
    if match is None or match.group(0) == "$$":
        raise OutputPathError(
            f"{show_value(expression)} is not an ${{outputs.<activity>...}} expression"
        )
    return _parse_path(expression, match.group("path") or "")


def _parse_path(expression: str, text: str) -> OutputRef:
    segments: list[str | int] = []
    position = 0
    while position < len(text):
        match = _segment().match(text, position)
        if match is None:
            raise OutputPathError(
                f"{expression}: cannot read the path at {show_value(text[position:])}; write "
                "'.key', '.0', '[0]' or ['key with . or spaces']"
            )
        if match.group("int") is not None:
            digits = match.group("int")
            if len(digits) > 9:  # no output is that long (and int() refuses 4300+ digits)
                raise OutputPathError(f"{expression}: the index {digits[:12]}... is too large")
            segments.append(int(digits))
        else:
            segments.append(next(g for g in match.group("bare", "sq", "dq") if g is not None))
        position = match.end()
    if not segments or not isinstance(segments[0], str) or not segments[0].strip():
        raise OutputPathError(
            f"{expression}: name the activity, e.g. ${{outputs.find-pod}} or "
            "${outputs['find pod'].pid}"
        )
    return OutputRef(expression=expression, name=segments[0], path=tuple(segments[1:]))


def _strings(value: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, pointer_join(pointer, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, pointer_join(pointer, index))


def mentions_outputs(value: Any) -> bool:
    """Whether ``value`` may hold a string with ``${outputs`` (never False when one does).

    ``repr`` keeps that text as it is (it has no quote, backslash or unprintable
    character to escape), so one C-speed search replaces a walk of every string; a
    mapping key with that text only costs the slow path."""
    return "${outputs" in repr(value)


def find_output_refs(
    value: Any, pointer: str = ""
) -> list[tuple[str, OutputRef | OutputPathError]]:
    """Every ``${outputs...}`` expression in the strings of ``value`` (in order) with the
    JSON pointer of its string (``pointer`` is where ``value`` is); a malformed one comes
    as its error, so a checker can report all of them."""
    found: list[tuple[str, OutputRef | OutputPathError]] = []
    if not mentions_outputs(value):  # the common case, without building pointers
        return found
    for where, text in _strings(value, pointer):
        if "${outputs" not in text:
            continue
        for match in _token().finditer(text):
            if match.group(0) == "$$":
                continue
            try:
                found.append((where, _parse_path(match.group(0), match.group("path") or "")))
            except OutputPathError as exc:
                found.append((where, exc))
    return found


def activity_output_refs(activity: Any) -> list[OutputRef]:
    """The well-formed ``${outputs...}`` expressions of an activity's provider."""
    provider = activity.raw.get("provider")
    if not isinstance(provider, Mapping):
        return []
    return [ref for _, ref in find_output_refs(provider) if isinstance(ref, OutputRef)]


def follow_path(value: Any, ref: OutputRef) -> Any:
    """The part of an output that ``ref.path`` names.

    Raises:
        OutputPathError: a key or index is missing (the message names the expression).
    """
    for depth, segment in enumerate(ref.path):
        value = _step(value, segment, ref, depth)
    return value


def _step(value: Any, segment: str | int, ref: OutputRef, depth: int) -> Any:
    if isinstance(value, list | tuple):
        index = segment if isinstance(segment, int) else _as_int(segment)
        if index is not None and -len(value) <= index < len(value):
            return value[index]
        problem = f"index {show_value(segment)} is outside a list of {len(value)}"
    elif isinstance(value, Mapping):
        for key in (str(segment), _as_int(str(segment))):
            if key is not None and key in value:
                return value[key]
        keys = ", ".join(show_value(k) for k in list(value)[:10]) or "none"
        problem = f"no key {show_value(segment)} (keys: {keys})"
    else:
        problem = f"cannot look up {show_value(segment)} in {kind_of(value)} {_short(value)}"
    so_far = "".join(f"[{show_value(s)}]" for s in ref.path[:depth])
    raise OutputPathError(f"{ref.expression}: output of {show_value(ref.name)}{so_far}: {problem}")


def _as_int(text: str | int) -> int | None:
    if isinstance(text, int):
        return text
    try:
        return int(text)
    except ValueError:
        return None


def _short(value: Any) -> str:
    text = _as_text(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_text(value: Any) -> str:
    """How a value reads inside a longer string: a string as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    try:
        return _json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:
        return str(value)


def _escape(value: Any) -> Any:
    """Double every ``$`` so later ``${name}`` substitution leaves the value as it is."""
    return map_strings(value, lambda text: text.replace("$", "$$"))


def substitute_outputs(value: Any, lookup: Callable[[OutputRef], Any]) -> Any:
    """Replace every ``${outputs...}`` in ``value`` (strings, lists, mappings) with what
    ``lookup`` returns. Inserted text has its ``$`` doubled, so the configuration
    substitution that providers apply afterwards restores it without reading it.

    Raises:
        OutputPathError: from ``lookup``, or a malformed expression.
    """
    return map_strings(
        value, lambda text: _substitute_text(text, lookup) if "${outputs" in text else text
    )


def _substitute_text(text: str, lookup: Callable[[OutputRef], Any]) -> Any:
    whole = _token().fullmatch(text)
    if whole is not None and whole.group(0) != "$$":
        return _escape(lookup(_parse_path(text, whole.group("path") or "")))

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$$"
        ref = _parse_path(match.group(0), match.group("path") or "")
        return _as_text(lookup(ref)).replace("$", "$$")

    return _token().sub(one, text)
