"""--every and --cron parsing (checked against what Temporal's own parser accepts: each
expression accepted here was also accepted by `temporal schedule create --cron`)."""

from __future__ import annotations

import pytest

from squall.errors import InputError
from squall.temporal.spec import check_cron, parse_every, say_every


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1),
        ("90s", 90),
        ("15m", 900),
        ("1h", 3600),
        ("1h30m", 5400),
        ("2d", 172800),
        (" 1h 5m ", 3900),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_every(text) == seconds
    assert parse_every(say_every(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "1.5h", "-1h", "1h-", "0s", "1 hour"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InputError, match="--every"):
        parse_every(text)


@pytest.mark.parametrize(
    "expression",
    [
        "*/15 9-17 * JAN-MAR,OCT MON-FRI",
        "0 0 * * 7",
        "0 3 1-31/2 * sun",
        "5,10 * * * *",
        "@hourly",
        "@midnight",
        "@annually",
    ],
)
def test_cron_expressions_temporal_accepts(expression: str) -> None:
    assert check_cron(expression) == expression


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("0 0 ? * *", 'field 3 (day of month) "?"'),
        ("60 * * * *", 'field 1 (minute) "60": 60 is outside 0-59'),
        ("* * 0 * *", 'field 3 (day of month) "0": 0 is outside 1-31'),
        ("* * * 13 *", 'field 4 (month) "13"'),
        ("* * * * 8", 'field 5 (day of week) "8"'),
        ("* * * * FUN", '"FUN" is not a number or a name (SUN, MON'),
        ("*/0 * * * *", 'the step "0" is not a positive number'),
        ("1- * * * *", '"1-" is not a value, a range a-b or *'),
        ("@sometimes", "expected 5 fields"),
        ("0 3 * * * 2027", "got 6 fields"),
    ],
)
def test_bad_cron_expressions_say_which_field(expression: str, problem: str) -> None:
    with pytest.raises(InputError, match="--cron") as caught:
        check_cron(expression)
    assert problem in str(caught.value)
