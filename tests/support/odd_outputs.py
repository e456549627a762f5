"""A driver whose functions return (or raise) what JSON cannot hold as is: a circular
structure, one sharing its parts (more values than memory holds when written out), keys
JSON cannot have, an integer longer than Python prints, texts with lone surrogates
(``os.listdir`` of a file name that is not UTF-8), nesting deeper than the encoder's
recursion, an object whose ``str()`` raises. Both engines' odd-output tests use it
(tests/journal/test_odd_outputs.py, tests/temporal/test_odd_payloads.py)."""

from __future__ import annotations

from typing import Any


def circular() -> Any:
    x: list[Any] = []
    x.append(x)
    return {"loop": x}


def shared() -> Any:
    x: list[Any] = ["leaf"]
    for _ in range(100):  # 2**100 leaves when written out
        x = [x, x]
    return x


def tuple_key() -> Any:
    return {(1, 2): "pair", None: 1, 2: "two"}


def big_int() -> Any:
    return {"n": 10**5000}


def surrogate() -> Any:
    return "name-\udcff.txt"


def surrogate_key() -> Any:
    return {"k\udcff": ["v\ud800"]}


def surrogate_error() -> Any:
    raise ValueError("cannot open name-\udcff.txt")


def deep() -> Any:
    x: list[Any] = []
    for _ in range(100_000):
        x = [x]
    return x


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")

    __repr__ = __str__


def unprintable() -> Any:
    return {"value": Unprintable()}


#: case -> what the journal's output must show (None: the case raises)
CASES: dict[str, Any] = {
    "circular": "circular reference",
    "shared": "output truncated",  # bounded by MAX_VALUES, then cut to 1 MiB
    "tuple_key": "(1, 2)",
    "big_int": "integer of",
    "surrogate": "name-\ufffd.txt",
    "surrogate_key": "k\ufffd",
    "surrogate_error": None,
    "deep": "nested deeper than",
    "unprintable": "Unprintable",
}


def large(size: int) -> str:
    """A text of ``size`` characters (not one of CASES: the journal keeps it whole
    below the output limit)."""
    return "x" * size
