"""Parsing: typed models, unknown keys kept, every problem with its pointer."""

from __future__ import annotations

from typing import Any

import pytest

from squall.errors import LoadError, ValidationError
from squall.experiment import parse_experiment, parse_text
from squall.experiment.model import (
    HttpSpec,
    JsonPathTolerance,
    ListTolerance,
    ProbeTolerance,
    ProcessSpec,
    PythonSpec,
    RangeTolerance,
    RegexTolerance,
    ValueTolerance,
)


def minimal(**extra: Any) -> dict[str, Any]:
    return {"title": "t", "description": "d", "method": [], **extra}


def test_unknown_keys_are_kept_in_raw() -> None:
    doc = minimal(
        **{
            "x-team": "sre",
            "method": [
                {
                    "type": "action",
                    "name": "a",
                    "x-owner": "me",
                    "provider": {"type": "python", "module": "os", "func": "getpid"},
                }
            ],
        }
    )
    experiment = parse_experiment(doc)
    assert experiment.raw["x-team"] == "sre"
    assert experiment.method[0].raw["x-owner"] == "me"


def test_providers_are_typed() -> None:
    experiment = parse_experiment(
        minimal(
            method=[
                {
                    "type": "action",
                    "name": "p",
                    "provider": {
                        "type": "python",
                        "module": "m",
                        "func": "f",
                        "arguments": {"a": 1},
                        "secrets": ["s"],
                    },
                },
                {
                    "type": "action",
                    "name": "q",
                    "provider": {
                        "type": "process",
                        "path": "ls",
                        "arguments": ["-l"],
                        "timeout": 3,
                    },
                },
                {
                    "type": "probe",
                    "name": "r",
                    "provider": {
                        "type": "http",
                        "url": "http://127.0.0.1/",
                        "timeout": [1, 2],
                        "verify_tls": False,
                    },
                },
            ]
        )
    )
    python, process, http = (a.provider for a in experiment.method)
    assert isinstance(python, PythonSpec) and python.secrets == ("s",)
    assert isinstance(process, ProcessSpec) and process.timeout == 3.0
    assert isinstance(http, HttpSpec) and http.timeout == [1, 2] and http.verify_tls is False


@pytest.mark.parametrize(
    ("tolerance", "kind"),
    [
        (True, ValueTolerance),
        (200, ValueTolerance),
        ("ok", ValueTolerance),
        ([1, 2], ListTolerance),
        ({"type": "range", "range": [1, 2]}, RangeTolerance),
        ({"type": "regex", "pattern": "a+"}, RegexTolerance),
        ({"type": "jsonpath", "path": "$.a"}, JsonPathTolerance),
        (
            {
                "type": "probe",
                "name": "t",
                "provider": {"type": "python", "module": "m", "func": "f"},
            },
            ProbeTolerance,
        ),
    ],
)
def test_tolerances_are_typed(tolerance: Any, kind: type) -> None:
    experiment = parse_experiment(
        minimal(
            **{
                "steady-state-hypothesis": {
                    "title": "h",
                    "probes": [
                        {
                            "type": "probe",
                            "name": "p",
                            "tolerance": tolerance,
                            "provider": {"type": "python", "module": "m", "func": "f"},
                        }
                    ],
                }
            }
        )
    )
    assert experiment.hypothesis is not None
    assert isinstance(experiment.hypothesis.probes[0].tolerance, kind)


def test_every_problem_at_once_with_pointers() -> None:
    doc = {
        "description": "",
        "tags": ["ok", ""],
        "steady-state-hypothesis": {
            "probes": [
                {
                    "type": "probe",
                    "name": "p",
                    "provider": {"type": "python", "module": "m", "func": "f"},
                }
            ]
        },
        "method": [
            {
                "type": "action",
                "name": "a",
                "provider": {"type": "http"},
                "pauses": {"before": "soon"},
            },
            {
                "type": "probe",
                "name": "b",
                "provider": {"type": "process", "path": "x"},
                "background": "yes",
            },
        ],
        "rollbacks": "nope",
        "runtime": {"rollbacks": {"strategy": "sometimes"}},
        "controls": [{"name": "c", "scope": "post", "provider": {"type": "python", "module": "m"}}],
        "steady": 1,
    }
    with pytest.raises(ValidationError) as info:
        parse_experiment(doc)
    pointers = sorted(p.pointer for p in info.value.problems)
    assert pointers == sorted(
        [
            "",
            "/description",
            "/tags",
            "/steady-state-hypothesis",
            "/steady-state-hypothesis/probes/0",
            "/method/0/provider",
            "/method/0/pauses/before",
            "/method/1/background",
            "/rollbacks",
            "/runtime/rollbacks/strategy",
            "/controls/0/scope",
        ]
    )


def test_bad_tolerances_are_reported() -> None:
    doc = minimal(
        **{
            "steady-state-hypothesis": {
                "title": "h",
                "probes": [
                    {
                        "type": "probe",
                        "name": f"p{i}",
                        "tolerance": t,
                        "provider": {"type": "python", "module": "m", "func": "f"},
                    }
                    for i, t in enumerate(
                        [
                            {"type": "range", "range": ["a", 2]},
                            {"type": "regex", "pattern": "("},
                            {"type": "jsonpath", "path": "$[[["},
                            {"type": "mystery"},
                            None,
                        ]
                    )
                ],
            }
        }
    )
    with pytest.raises(ValidationError) as info:
        parse_experiment(doc)
    assert len(info.value.problems) == 5


def test_positions_of_json_and_yaml() -> None:
    document = parse_text(
        '{\n  "title": "t",\n  "method": [\n    {"type": "oops"}\n  ]\n}', "x.json"
    )
    assert document.locate("/method/0/type") == (4, 14)
    assert document.locate("/method/7") == (3, 13), "a missing child gives its parent's place"
    yaml_doc = parse_text("title: t\nmethod:\n  - type: oops\n", "x.yaml")
    assert yaml_doc.locate("/method/0/type") == (3, 11)


@pytest.mark.parametrize("arguments", ["[a, ${x}]", "[${x}, b]", "{x: ${x}}"])
def test_an_unquoted_placeholder_in_a_yaml_flow_collection_gets_a_quoting_hint(
    arguments: str,
) -> None:
    text = f"title: t\ndescription: d\nmethod:\n  - arguments: {arguments}\n"
    with pytest.raises(LoadError) as caught:
        parse_text(text, "x.yaml")
    problem = caught.value.problems[0]
    assert problem.line == 4
    assert problem.hint.startswith('quote the placeholder: "${name}"')
    quoted = parse_text(text.replace("${x}", '"${x}"'), "x.yaml")  # the fix works
    assert "${x}" in str(quoted.data["method"][0]["arguments"])


def test_other_yaml_errors_keep_the_general_hint() -> None:
    with pytest.raises(LoadError) as caught:
        parse_text("title: t\nmethod: [a, b\n", "x.yaml")
    assert caught.value.problems[0].hint == "check indentation and quoting there"


@pytest.mark.parametrize(
    ("change", "pointer", "hint"),
    [
        (lambda d: d.update(tolerence=d.pop("tolerance")), "/tolerence", "rename \"tolerence\" to \"tolerance\""),
        (lambda d: d.update(provder=d.pop("provider")), "/provder", "rename \"provder\" to \"provider\""),
        (lambda d: d.update(toleration=d.pop("tolerance")), "", 'add the value the probe must return'),
        (lambda d: d.pop("tolerance"), "", 'add the value the probe must return'),
    ],
)  # fmt: skip
def test_a_required_key_spelt_almost_right_is_named(change: Any, pointer: str, hint: str) -> None:
    """A missing required key with a near miss beside it: the problem is at the near miss
    and says to rename it (not only 'requires a tolerance' beside a 'tolerence')."""
    probe: dict[str, Any] = {"type": "probe", "name": "p", "tolerance": 1,
                             "provider": {"type": "python", "module": "m", "func": "f"}}  # fmt: skip
    change(probe)
    doc = minimal(**{"steady-state-hypothesis": {"title": "h", "probes": [probe]}})
    with pytest.raises(ValidationError) as info:
        parse_experiment(doc)
    [problem] = info.value.problems
    assert problem.pointer == "/steady-state-hypothesis/probes/0" + pointer
    assert problem.hint.startswith(hint)


def test_a_misspelt_title_or_method_is_named() -> None:
    with pytest.raises(ValidationError) as info:
        parse_experiment({"titel": "t", "description": "d", "methods": []})
    found = {(p.pointer, p.hint) for p in info.value.problems}
    assert found == {
        ("/titel", 'rename "titel" to "title" (a typo?)'),
        ("/methods", 'rename "methods" to "method" (a typo?)'),
    }
