"""One rule for a yes/no given as text (--var x:bool=..., env_var_type bool,
$SQUALL_TEMPORAL_TLS, squall init's answers): the known spellings, anything else
refused with exit 2 naming the variable, never guessed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from squall.discovery.coerce import CoercionError, coerce
from squall.engine.configuration import convert_env_value
from squall.errors import InputError
from squall.experiment.booleans import FALSE_WORDS, TRUE_WORDS, parse_bool
from squall.temporal.options import resolve_options


@pytest.mark.parametrize("word", [*TRUE_WORDS, "TRUE", " Yes ", "On"])
def test_true_spellings(word: str) -> None:
    assert parse_bool(word) is True
    assert convert_env_value(word, "bool") is True
    assert coerce(word, "boolean") is True


@pytest.mark.parametrize("word", [*FALSE_WORDS, "FALSE", " no ", "Off"])
def test_false_spellings(word: str) -> None:
    assert parse_bool(word) is False
    assert convert_env_value(word, "bool") is False
    assert coerce(word, "boolean") is False


@pytest.mark.parametrize("word", ["maybe", "", "  ", "ture", "2", "-1", "none", "null", "yes!"])
def test_other_words_are_refused_everywhere(word: str) -> None:
    with pytest.raises(ValueError, match=r"is not a boolean \(use true/false, yes/no"):
        parse_bool(word)
    with pytest.raises(ValueError, match="is not a boolean"):
        convert_env_value(word, "bool")
    with pytest.raises(CoercionError):
        coerce(word, "boolean")
    with pytest.raises(InputError, match=r"^\$SQUALL_TEMPORAL_TLS: .* is not a boolean"):
        resolve_options({}, settings={}, environ={"SQUALL_TEMPORAL_TLS": word or "x"})


def _experiment(tmp_path: Path, configuration: dict[str, Any]) -> Path:
    path = tmp_path / "flag.json"
    path.write_text(
        json.dumps(
            {
                "title": "t",
                "description": "d",
                "configuration": configuration,
                "method": [
                    {
                        "type": "probe",
                        "name": "flag",
                        "provider": {
                            "type": "python",
                            "module": "sqtest",
                            "func": "echo",
                            "arguments": {"value": "${flag}"},
                        },
                    }
                ],
            }
        )
    )
    return path


def test_var_bool_takes_known_spellings(squall: Any, tmp_path: Path) -> None:
    exp = _experiment(tmp_path, {"flag": True})
    for word, value in (("off", False), ("Y", True)):
        result = squall("run", str(exp), "--var", f"flag:bool={word}")
        assert result.code == 0, result.stderr
        assert result.journal["run"][0]["output"] is value


def test_var_bool_refuses_maybe_naming_the_variable(squall: Any, tmp_path: Path) -> None:
    exp = _experiment(tmp_path, {"flag": True})
    result = squall("run", str(exp), "--var", "flag:bool=maybe")
    assert result.code == 2, result.stderr
    assert 'Invalid value for --var: flag: "maybe" is not a boolean (use true/false' in (
        result.stderr
    )
    assert result.journal is None


def test_env_source_bool_refuses_maybe_naming_the_key(squall: Any, tmp_path: Path) -> None:
    source = {"type": "env", "key": "SQUALL_TEST_FLAG", "env_var_type": "bool"}
    exp = _experiment(tmp_path, {"flag": source})
    result = squall("run", str(exp), env={"SQUALL_TEST_FLAG": "maybe"})
    assert result.code == 2, result.stderr
    assert (
        'configuration "flag": environment variable SQUALL_TEST_FLAG (env_var_type bool): '
        '"maybe" is not a boolean'
    ) in result.stderr
    assert result.journal is None
    taken = squall("run", str(exp), env={"SQUALL_TEST_FLAG": "No"})
    assert taken.code == 0 and taken.journal["run"][0]["output"] is False


def test_numbers_say_what_is_wrong_in_plain_words(squall: Any, tmp_path: Path) -> None:
    exp = _experiment(tmp_path, {"flag": 1})
    for var, said in (
        ("flag:int=five", '"five" is not an integer'),
        ("flag:float=abc", '"abc" is not a number'),
        ("flag:json={", "not JSON: Expecting property name"),
    ):
        result = squall("run", str(exp), "--var", var)
        assert result.code == 2
        assert f"--var: flag: {said}" in result.stderr
        assert "invalid literal" not in result.stderr and "could not convert" not in result.stderr
