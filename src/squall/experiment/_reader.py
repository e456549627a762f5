"""A small helper that reads typed fields from a mapping and collects problems."""

from __future__ import annotations

from collections.abc import Mapping

from squall.errors import Problem
from squall.experiment.limits import MAX_SECONDS
from squall.show import kind_of, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any


def pointer_join(base: str, token: str | int) -> str:
    """Append one token to a JSON pointer, escaping ``~`` and ``/``."""
    if type(token) is int:  # a list index: nothing to escape
        return f"{base}/{token}"
    text = str(token).replace("~", "~0").replace("/", "~1")
    return f"{base}/{text}"


class Reader:
    """Collects problems while fields are read; never raises.

    ``incomplete`` keeps the activities that could not be parsed whole (a missing name, a
    bad type...), so the checks that need the world (the provider registry) can still look
    at them: validation reports every problem in one pass.
    """

    def __init__(self, placeholders: bool = True) -> None:
        self.problems: list[Problem] = []
        self.incomplete: list[Any] = []
        #: False: the document holds no ``$`` anywhere (no field needs a search for one)
        self.placeholders = placeholders

    def add(self, pointer: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(pointer, message, hint))

    def missing(
        self, obj: Mapping[str, Any], key: str, pointer: str, message: str, hint: str
    ) -> None:
        """A required ``key`` is absent: when ``obj`` has a key spelt almost the same
        (``tolerence``), the problem is at that key and the hint says to rename it."""
        typo = misspelt(obj, key)
        if typo is None:
            self.add(pointer, message, hint)
        else:
            self.add(
                pointer_join(pointer, typo),
                message,
                f"rename {show_value(typo)} to {show_value(key)} (a typo?)",
            )

    def mapping(self, value: Any, pointer: str, what: str) -> Mapping[str, Any] | None:
        if type(value) is dict or isinstance(value, Mapping):  # dict: no ABC check
            return value
        self.add(pointer, f"{what} must be an object, found {kind_of(value)}")
        return None

    def text(
        self, obj: Mapping[str, Any], key: str, pointer: str, *, required: bool, what: str
    ) -> str | None:
        """A non-empty string field."""
        value = obj.get(key)
        if type(value) is str and value and not value.isspace():
            return value  # the usual case
        if key not in obj:
            if required:
                hint = f'add a non-empty "{key}" string'
                self.missing(obj, key, pointer, f'{what} requires "{key}"', hint)
            return None
        value = obj[key]
        if not isinstance(value, str) or not value.strip():
            found = "an empty string" if isinstance(value, str) else kind_of(value)
            self.add(
                pointer_join(pointer, key), f"'{key}' must be a non-empty string, found {found}"
            )
            return None
        return value

    def boolean(self, obj: Mapping[str, Any], key: str, pointer: str, default: bool) -> bool:
        value = obj.get(key, default)
        if isinstance(value, bool):
            return value
        found = kind_of(value)
        self.add(pointer_join(pointer, key), f"'{key}' must be true or false, found {found}")
        return default

    def number(
        self, obj: Mapping[str, Any], key: str, pointer: str, *, allow_var: bool = False
    ) -> float | str | None:
        """A non-negative number, or (if ``allow_var``) a string that is exactly ``${name}``."""
        if key not in obj or obj[key] is None:
            return None
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            found = kind_of(value)
            self.add(pointer_join(pointer, key), f"'{key}' must be a number, found {found}")
            return None
        if isinstance(value, str):
            if allow_var and is_whole_placeholder(value):
                return value
            hint = "use a number of seconds" + (" or a '${name}' variable" if allow_var else "")
            self.add(
                pointer_join(pointer, key),
                f"'{key}' must be a number, found {show_value(value)}",
                hint,
            )
            return None
        if value < 0:
            self.add(pointer_join(pointer, key), f"'{key}' must not be negative, found {value}")
            return None
        if not value <= MAX_SECONDS:  # also NaN, in a document built by a program
            self.add(
                pointer_join(pointer, key),
                f"'{key}' must be at most {MAX_SECONDS:,} (a year in seconds), found {value!s:.20}",
            )
            return None
        return float(value)

    def str_list(self, obj: Mapping[str, Any], key: str, pointer: str) -> tuple[str, ...]:
        value = obj.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.add(pointer_join(pointer, key), f"'{key}' must be a list of non-empty strings")
            return ()
        return tuple(value)


def misspelt(obj: Mapping[str, Any], key: str) -> str | None:
    """The key of ``obj`` that looks like a misspelling of ``key`` (one or two letters
    off), if any."""
    import difflib  # only on the way to a problem: parsing a good document never needs it

    others = [k for k in obj if isinstance(k, str) and k != key]
    close = difflib.get_close_matches(key, others, n=1, cutoff=0.75)
    return close[0] if close else None


def is_whole_placeholder(value: str) -> bool:
    """True for a string that is exactly one ``${name}`` placeholder."""
    return (
        value.startswith("${")
        and value.endswith("}")
        and value[2:-1].isidentifier()
        and value[2:-1].isascii()
    )
