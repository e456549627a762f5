"""How squall spells a value to a person: JSON's spelling, wherever a value is shown.

The console's verdicts (``expected [true], got [false]``), the reasons, every report
format, ``squall init``'s messages and the built-in drivers' messages use this one
formatter (public: ``squall.show_value``; it imports nothing but ``json``, so a driver's
own process can use it cheaply), so a value reads the same
everywhere (``true``/``false``/``null``, strings in double quotes), as the journal has it,
never Python's ``True``/``None``/``'text'``.

Bounded, whatever a driver returned: at most 8 levels, 50 items a container and 1000
characters a string are shown (``[...]``, ``...``, ``…`` mark what is left out), the walk
stops once the text is longer than it can be shown, an integer too long to print is
described (the one rule for an integer too long to print, INT_BITS, which the journal
follows too), and a value whose ``str()`` fails is named. A structure that shares its
parts (``x = [x, x]`` a hundred times) or holds itself ends in bounded time.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice

from squall import _json

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "EVENT_OUTPUT",
    "INT_BITS",
    "bounded_output",
    "counted",
    "int_note",
    "kind_of",
    "printable_int",
    "show_value",
]

DEPTH = 8
ITEMS = 50
TEXT = 1000
#: the longest text shown when no width is asked for
LONGEST = 5000
#: The one rule for an integer too long to print, wherever squall shows or keeps one
#: (console, reasons, reports, journal, event stream, history): one of INT_BITS bits or
#: more is replaced by ``int_note``. Python turns no integer of over 4300 digits into text
#: (experiment.limits.MAX_INT_DIGITS); 14,000 bits is at most 4215 digits, so whatever is
#: kept can be written and read back. The console and the reports say the journal's note.
INT_BITS = 14_000


def counted(number: int, one: str, many: str = "") -> str:
    """A count and its noun, agreeing: ``1 activity``, ``3 activities``, ``0 runs``
    (``many`` defaults to ``one`` + "s"). Every message that counts uses it."""
    return f"{number} {one if number == 1 else many or one + 's'}"


def show_value(value: Any, width: int = 0) -> str:
    """``value`` as one line of JSON text (what JSON cannot hold, as its ``str`` in
    quotes); cut to ``width`` characters (ending with ``…``) when ``width`` is given."""
    kind = type(value)
    if value is None or kind is bool or kind is float or (kind is int and printable_int(value)):
        text = _json.dumps(value)
    elif kind is str and len(value) <= TEXT:
        text = _string(value)
    else:
        spell = _Spell(width or LONGEST)
        spell.value(value, DEPTH)
        text = "".join(spell.parts)
    limit = width or LONGEST
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def kind_of(value: Any) -> str:
    """What ``value`` is, in JSON's words (``a number``, ``an object``, ``null``...), for
    a message that must not show the value itself (it may be a credential)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def printable_int(number: int) -> bool:
    """Whether ``number`` is short enough to print (and to record): under INT_BITS."""
    return number.bit_length() < INT_BITS


def int_note(number: int | str) -> str:
    """What is shown and kept instead of an integer too long to print: ``number``, or
    the decimal digits of one too long even to convert (a journal's JSON text)."""
    if isinstance(number, str):
        return f"[squall: integer of {len(number.lstrip('-'))} digits, not recorded]"
    return f"[squall: integer of {number.bit_length()} bits, not recorded]"


def _string(text: str) -> str:
    shown = _json.dumps(text, ensure_ascii=False)
    try:
        shown.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (a file name that is not UTF-8)
        shown = _json.dumps(text)  # escaped, as JSON escapes it: \udcff
    return shown


def _text(value: Any) -> str:
    try:
        text = str(value)
    except Exception:  # a value whose __str__ raises
        return f"<unprintable {type(value).__name__}>"
    return text if len(text) <= TEXT else text[:TEXT] + "…"


class _Spell:
    """A bounded walk that writes JSON's spelling of a value."""

    __slots__ = ("limit", "parts", "size")

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit

    def put(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def value(self, value: Any, depth: int) -> None:
        if self.size > self.limit:
            return
        if value is None or isinstance(value, bool | float):
            self.put(_json.dumps(value))
        elif isinstance(value, int):
            self.put(str(value) if printable_int(value) else _string(int_note(value)))
        elif isinstance(value, str):
            self.put(_string(value if len(value) <= TEXT else value[:TEXT] + "…"))
        elif isinstance(value, Mapping):
            self.mapping(value, depth)
        elif isinstance(value, list | tuple | set | frozenset):
            self.items(value, depth)
        else:
            self.put(_string(_text(value)))

    def mapping(self, value: Mapping[Any, Any], depth: int) -> None:
        if not value or depth <= 0:
            self.put("{...}" if value else "{}")
            return
        self.put("{")
        for number, (key, item) in enumerate(islice(value.items(), ITEMS)):
            if self.size > self.limit:
                return
            self.put(", " if number else "")
            self.put(_string(key if isinstance(key, str) else _text(key)) + ": ")
            self.value(item, depth - 1)
        self.put(", ...}" if len(value) > ITEMS else "}")

    def items(self, value: Any, depth: int) -> None:
        if not value or depth <= 0:
            self.put("[...]" if value else "[]")
            return
        self.put("[")
        for number, item in enumerate(islice(value, ITEMS)):
            if self.size > self.limit:
                return
            self.put(", " if number else "")
            self.value(item, depth - 1)
        self.put(", ...]" if len(value) > ITEMS else "]")


#: the most characters of an output that a progress event or an agent report carries
EVENT_OUTPUT = 4096


def last_line(exception: Any) -> str | None:
    """Why an activity failed, from its journal's ``exception`` (a list of texts): its last
    line, ``Type: message``; None when there is none."""
    if not isinstance(exception, list):
        return None
    lines = "".join(str(x) for x in exception).strip().splitlines()
    return lines[-1] if lines else None


def bounded_output(output: Any, limit: int = EVENT_OUTPUT) -> dict[str, Any]:
    """``{"output": output}`` when its JSON text has at most ``limit`` characters, else
    ``{"output_truncated": True, "output_size": <characters>}`` (the journal has it):
    what ``--events-file`` lines and the ``--output agent`` report carry (the Chaos
    Toolkit's rule). A value JSON cannot write (an integer too long to print, a cycle)
    is described as the console shows it."""
    try:
        encoded = _json.dumps(output, ensure_ascii=False, default=repr)
    except (ValueError, RecursionError):
        return {"output": show_value(output)}
    if len(encoded) > limit:
        return {"output_truncated": True, "output_size": len(encoded)}
    return {"output": _json.loads(encoded)}
