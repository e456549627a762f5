"""The parser's positional constructors (``new_activity``, ``new_python_spec``) make the
records that the classes called with keywords make: every slot, in the order the parser
gives them; a field added to a class without its constructor fails here."""

from __future__ import annotations

from squall.experiment.flow import Flow, Retry
from squall.experiment.model import (
    Activity,
    ActivityType,
    ControlDecl,
    Pauses,
    PythonSpec,
    ValueTolerance,
    new_activity,
    new_python_spec,
)
from squall.experiment.parse import parse_experiment


def _slots(record: object) -> dict[str, object]:
    return {name: getattr(record, name) for name in type(record).__slots__}


def test_new_python_spec_sets_every_slot() -> None:
    given = {
        "module": "os.path",
        "func": "exists",
        "arguments": {"path": "/"},
        "secrets": ("vault",),
        "templated": True,
    }
    made = new_python_spec(*given.values())  # type: ignore[arg-type]
    assert _slots(made) == _slots(PythonSpec(**given))  # type: ignore[arg-type]
    assert list(given) == list(new_python_spec.__code__.co_varnames[: len(given)])
    assert set(given) == set(PythonSpec.__slots__)


def test_new_activity_sets_every_slot() -> None:
    spec = PythonSpec(module="m", func="f")
    given = {
        "name": "probe-1",
        "type": ActivityType.PROBE,
        "provider": spec,
        "pointer": "/method/0",
        "raw": {"name": "probe-1"},
        "tolerance": ValueTolerance(value=True),
        "pauses": Pauses(before=1.0),
        "background": True,
        "timeout": 2.5,
        "controls": (ControlDecl(name="c"),),
        "dry": "actions",
        "flow": Flow(retry=Retry(attempts=2, max_delay=None)),
    }
    made = new_activity(*given.values())  # type: ignore[arg-type]
    assert _slots(made) == _slots(Activity(**given))  # type: ignore[arg-type]
    assert made.ref is None
    assert list(given) == list(new_activity.__code__.co_varnames[: len(given)])
    assert set(given) | {"ref"} == set(Activity.__slots__)


def test_a_parsed_plain_activity_is_what_the_keywords_make() -> None:
    raw = {
        "type": "action",
        "name": "a",
        "provider": {"type": "python", "module": "os.path", "func": "exists"},
    }
    (parsed,) = parse_experiment({"title": "t", "description": "d", "method": [raw]}).method
    assert _slots(parsed) == _slots(
        Activity(
            name="a",
            type=ActivityType.ACTION,
            provider=PythonSpec(module="os.path", func="exists", arguments={}, templated=False),
            pointer="/method/0",
            raw=raw,
        )
    )
