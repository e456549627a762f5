"""A document whose text has no ``$`` (and no backslash, which could write one) holds no
placeholder: its experiment says so, and the engine skips every per-activity search for
``${name}`` and ``${outputs...}``. A ``$`` written with an escape is still found."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from squall.api import parse_document
from squall.experiment import parse_text
from squall.experiment.model import PythonSpec


def _experiment(arguments: dict[str, Any], configuration: dict[str, Any] | None = None) -> dict:
    return {
        "title": "t",
        "description": "d",
        **({"configuration": configuration} if configuration else {}),
        "method": [
            {
                "type": "probe",
                "name": "base",
                "provider": {
                    "type": "python",
                    "module": "os.path",
                    "func": "basename",
                    "arguments": arguments,
                },
            }
        ],
    }


@pytest.mark.parametrize(
    ("text", "fmt", "may_hold"),
    [
        ('{"a": "b"}', "json", False),
        ('{"a": "${b}"}', "json", True),
        ('{"a": "\\u0024{b}"}', "json", True),  # an escape writes "$": the backslash tells
        ('{"a": "\\\\"}', "json", True),  # any backslash: not worth telling escapes apart
        ("a: b\n", "yaml", False),
        ('a: "\\x24{b}"\n', "yaml", True),
        ("a: &x b\nc: *x\n", "yaml", False),
    ],
)
def test_may_hold(text: str, fmt: str, may_hold: bool) -> None:
    document = parse_text(text, "t", fmt)
    assert document.may_hold("$") is may_hold
    data_holds = "$" in json.dumps(document.data, ensure_ascii=False)
    assert data_holds <= may_hold  # never False when the data holds one


def test_a_document_without_dollar_has_no_placeholders() -> None:
    text = json.dumps(_experiment({"p": "/a/b"}))
    experiment = parse_document(parse_text(text, "t"))
    assert experiment.placeholders is False
    spec = experiment.method[0].provider
    assert isinstance(spec, PythonSpec) and spec.templated is False


def test_an_escaped_placeholder_is_still_templated() -> None:
    text = json.dumps(_experiment({"p": "${who}"})).replace("$", "\\u0024")
    assert "$" not in text
    experiment = parse_document(parse_text(text, "t"))
    assert experiment.placeholders is True
    spec = experiment.method[0].provider
    assert isinstance(spec, PythonSpec) and spec.templated is True


def test_escaped_placeholders_are_substituted_and_warned_in_a_run(
    squall: Any, tmp_path: Path
) -> None:
    document = _experiment({"p": "${who}/${nobody}"}, configuration={"who": "x"})
    path = tmp_path / "escaped.json"
    path.write_text(json.dumps(document).replace("$", "\\u0024"))
    result = squall("run", str(path))
    assert result.code == 0, result.stderr
    assert result.journal["run"][0]["output"] == "${nobody}"  # basename of "x/${nobody}"
    assert "${nobody} is not defined" in result.stderr


def test_no_warning_without_placeholders(squall: Any, tmp_path: Path) -> None:
    path = tmp_path / "plain.json"
    path.write_text(json.dumps(_experiment({"p": "x/y"})))
    result = squall("run", str(path))
    assert result.code == 0, result.stderr
    assert result.journal["run"][0]["output"] == "y"
    assert "not defined" not in result.stderr
