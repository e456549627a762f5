"""The ${outputs...} syntax and the rules of which outputs an activity may use."""

from __future__ import annotations

from typing import Any

import pytest

from squall.experiment import parse_experiment
from squall.experiment.outputs import (
    OutputPathError,
    follow_path,
    parse_output_ref,
    substitute_outputs,
)
from squall.experiment.outputs_rules import output_problems

OUTPUTS = {"find-pod": {"items": [{"name": "web-1"}], "1": "one"}, "scan": {"ports": [22, 443]}}


def value_of(expression: str) -> Any:
    ref = parse_output_ref(expression)
    return follow_path(OUTPUTS[ref.name], ref)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("${outputs.find-pod.items[0].name}", "web-1"),
        ("${outputs.find-pod.items.0.name}", "web-1"),
        ("${outputs.scan.ports.1}", 443),
        ("${outputs.scan.ports[-1]}", 443),
        ('${outputs["scan"].ports}', [22, 443]),
        ("${outputs.find-pod.1}", "one"),
    ],
)
def test_paths(expression: str, value: Any) -> None:
    assert value_of(expression) == value


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("${outputs.scan.ports[2]}", "index 2 is outside a list of 2"),
        ("${outputs.scan.missing}", 'no key "missing" (keys: "ports")'),
        ("${outputs.scan.ports.0.x}", 'cannot look up "x" in a number 22'),
    ],
)
def test_missing_paths_name_the_expression(expression: str, message: str) -> None:
    with pytest.raises(OutputPathError) as caught:
        value_of(expression)
    assert str(caught.value).startswith(expression) and message in str(caught.value)


def test_substitution_keeps_types_and_escapes() -> None:
    lookup = lambda ref: follow_path(OUTPUTS[ref.name], ref)  # noqa: E731
    value = {
        "whole": "${outputs.scan.ports}",
        "text": "ports ${outputs.scan.ports} on ${outputs.find-pod.items[0].name} ${other}",
        "literal": "$${outputs.scan}",
    }
    assert substitute_outputs(value, lookup) == {
        "whole": [22, 443],
        "text": "ports [22, 443] on web-1 ${other}",
        "literal": "$${outputs.scan}",  # `$$` is left for configuration substitution
    }


def experiment(method: list[Any], **more: Any) -> Any:
    return parse_experiment({"title": "t", "description": "d", "method": method, **more})


def echo(name: str, value: Any, kind: str = "probe") -> dict[str, Any]:
    provider = {"type": "python", "module": "json", "func": "dumps", "arguments": {"obj": value}}
    return {"type": kind, "name": name, "provider": provider}


def test_rules_of_visibility() -> None:
    problems = output_problems(
        experiment(
            [
                echo("first", "${outputs.later}"),
                {"type": "parallel", "name": "g", "activities": [
                    echo("a", "${outputs.first}"), echo("b", "${outputs.a.x}")
                ]},
                echo("later", "${outputs.nobody} ${outputs.b} ${outputs.}"),
                {**echo("judged", "x"), "tolerance": "${outputs.first}"},
            ],
            rollbacks=[echo("undo", "${outputs.later.x}", "action")],
            configuration={"c": {"type": "probe", "name": "p", "provider": {
                "type": "python", "module": "os", "func": "getenv",
                "arguments": {"key": "${outputs.first}"}}}},
        )
    )  # fmt: skip
    found = [(p.pointer, p.message.split(":")[0]) for p in problems]
    assert found == [
        ("/method/0/provider/arguments/obj", "${outputs.later}"),
        ("/method/1/activities/1/provider/arguments/obj", "${outputs.a.x}"),
        ("/method/2/provider/arguments/obj", "${outputs.nobody}"),
        ("/method/2/provider/arguments/obj", "${outputs.}"),
        ("/method/3/tolerance", "${outputs.first}"),
        ("/configuration/c/provider/arguments/key", "${outputs.first}"),
    ]
    assert "comes later, or runs in the same parallel group" in problems[0].message
    assert "no activity has that name" in problems[2].message
    assert 'only in an activity\'s provider, not in its "tolerance"' in problems[4].message
    assert "dynamic configuration" in problems[5].message
