"""``new_call`` (the engine's positional constructor) makes the ``Call`` that ``Call(...)``
makes: every field, the thread's cancellable event included."""

from __future__ import annotations

import threading

from squall.providers.base import Call, cancellable, new_call


def _fields(call: Call) -> dict[str, object]:
    return {name: getattr(call, name) for name in Call.__slots__}


def test_every_field_is_the_constructors() -> None:
    stop, cancel = threading.Event(), threading.Event()
    given = {
        "name": "probe-1",
        "variables": {"a": 1},
        "configuration": {"c": 2},
        "secrets": {"s": {"k": "v"}},
        "timeout": 2.5,
        "in_hypothesis": True,
        "extra_arguments": {"value": 3},
        "warnings": ["w"],
        "isolation": "process",
        "stop": stop,
    }
    for event in (None, cancel):
        if event is None:
            made, built = new_call(*given.values()), Call(**given)  # type: ignore[arg-type]
        else:
            with cancellable(event):
                made, built = new_call(*given.values()), Call(**given)  # type: ignore[arg-type]
        assert _fields(made) == _fields(built)
        assert made.cancel is event
    assert list(given) == list(new_call.__code__.co_varnames[: len(given)])
