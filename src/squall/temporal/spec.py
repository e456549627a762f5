"""When a schedule fires: ``--every`` durations and ``--cron`` expressions, checked here
so a typo is bad input (exit 2, located) before anything reaches Temporal.

No temporalio here.
"""

from __future__ import annotations

import re

from squall.errors import InputError
from squall.show import counted, show_value

__all__ = ["MIN_EVERY", "check_cron", "check_timezone", "parse_every", "say_every"]

#: the shortest interval squall accepts (Temporal's schedules have a one-second grain)
MIN_EVERY = 1.0

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_EVERY = re.compile(r"(\d+)\s*([dhms])")
_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
#: cron field -> (lowest, highest, names allowed)
_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    (
        "month",
        1,
        12,
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    ),
    ("day of week", 0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)


def parse_every(text: str) -> float:
    """Seconds in ``1h``, ``30m``, ``1h30m``, ``90s``, ``2d``.

    Raises:
        InputError: not a duration, or shorter than :data:`MIN_EVERY`.
    """
    compact = text.strip().lower().replace(" ", "")
    parts = _EVERY.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise InputError(
            f"--every {show_value(text)}: expected a duration such as 90s, 15m, 1h, 1h30m or 2d"
        )
    seconds = float(sum(int(n) * _UNITS[u] for n, u in parts))
    if seconds < MIN_EVERY:
        raise InputError(f"--every {show_value(text)}: the shortest interval is {MIN_EVERY:g}s")
    return seconds


def say_every(seconds: float) -> str:
    """``1h30m`` for 5400."""
    rest, out = int(seconds), ""
    for unit, size in _UNITS.items():
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out or "0s"


def check_cron(expression: str) -> str:
    """The expression, stripped, if it is a five-field cron expression (numbers, ``*``,
    ranges ``a-b``, steps ``/n``, lists ``a,b``, month and day names) or a macro
    (``@hourly``, ``@daily``...).

    Raises:
        InputError: says which field is wrong and why.
    """
    text = expression.strip()
    if text.lower() in _MACROS:
        return text
    fields = text.split()
    if len(fields) != len(_FIELDS):
        raise InputError(
            f"--cron {show_value(expression)}: expected 5 fields (minute hour day-of-month "
            f"month day-of-week) or a macro such as @hourly, got {counted(len(fields), 'field')}"
        )
    for number, (value, field) in enumerate(zip(fields, _FIELDS, strict=True), 1):
        problem = _field_problem(value, *field[1:])
        if problem:
            raise InputError(
                f"--cron {show_value(expression)}: field {number} ({field[0]}) "
                f"{show_value(value)}: {problem}"
            )
    return text


def _field_problem(value: str, low: int, high: int, names: tuple[str, ...]) -> str:
    for item in value.split(","):
        body, _, step = item.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return f"the step {show_value(step)} is not a positive number"
        if body == "*":
            continue
        ends = body.split("-")
        if len(ends) > 2 or not all(ends):
            return f"{show_value(item)} is not a value, a range a-b or *"
        for end in ends:
            number = names.index(end.upper()) + low if end.upper() in names else None
            if number is None:
                if not end.isdigit():
                    return f"{show_value(end)} is not a number" + (
                        f" or a name ({', '.join(names)})" if names else ""
                    )
                number = int(end)
            if not low <= number <= high:
                return f"{end} is outside {low}-{high}"
    return ""


def check_timezone(name: str) -> str:
    """The IANA time zone name, if this machine knows it.

    Raises:
        InputError: unknown zone.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"--timezone {show_value(name)}: not a known time zone (e.g. UTC, Europe/Paris)"
        ) from None
    return name
