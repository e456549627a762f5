"""Seconds between repeated checks (the hypothesis's while the method runs, a safeguard
probe's ``frequency``) are a duration of at least 0.01 s: NaN, a negative number, 0 or
1e-300 made a busy loop (17 916 hypothesis checks in one second of method, each one a
journal entry), and infinity aborted the run from inside it (OverflowError). They are bad
input now: exit 2, located, before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from squall.experiment.model import HypothesisStrategy

_BAD = ["nan", "inf", "-1", "0", "1e-300"]


def _experiment(tmp_path: Path, **extra: Any) -> Path:
    doc = {
        "title": "t",
        "description": "d",
        "steady-state-hypothesis": {
            "title": "h",
            "probes": [
                {"type": "probe", "name": "p", "tolerance": True,
                 "provider": {"type": "python", "module": "sqtest", "func": "echo",
                              "arguments": {"value": True}}},
            ],
        },
        "method": [
            {"type": "action", "name": "a", "provider": {
                "type": "python", "module": "sqtest", "func": "touch",
                "arguments": {"path": str(tmp_path / "ran")}}},
        ],
        **extra,
    }  # fmt: skip
    path = tmp_path / "e.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("value", _BAD)
def test_a_hypothesis_frequency_option_out_of_range_is_bad_input(
    squall: Any, tmp_path: Path, value: str
) -> None:
    path = _experiment(tmp_path)
    result = squall("run", str(path), "--hypothesis-strategy", "during-method-only",
                    "--hypothesis-frequency", value)  # fmt: skip
    assert result.code == 2, result.stderr
    assert "--hypothesis-frequency" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("value", [".nan", ".inf", "0", "1.0e-300"])
def test_a_runtime_hypothesis_frequency_out_of_range_is_located(
    squall: Any, tmp_path: Path, value: str
) -> None:
    path = _experiment(tmp_path)
    doc = json.loads(path.read_text())
    # YAML, where NaN and infinity can be written
    text = json.dumps(doc)[:-1] + ', "runtime": {"hypothesis": {"frequency": FREQ}}}'
    (tmp_path / "e.yaml").write_text(text.replace("FREQ", value))
    for command in ("validate", "run"):
        result = squall(command, str(tmp_path / "e.yaml"))
        assert result.code == 2, result.stderr
        assert "/runtime/hypothesis/frequency" in result.stderr, result.stderr
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("value", [".nan", ".inf", "1.0e-300"])
def test_a_safeguard_frequency_out_of_range_is_bad_input(
    squall: Any, tmp_path: Path, value: str
) -> None:
    guard = {"name": "guard", "provider": {
        "type": "python", "module": "squall.controls.safeguards",
        "arguments": {"probes": [
            {"type": "probe", "name": "g", "frequency": "FREQ",
             "provider": {"type": "python", "module": "sqtest", "func": "echo",
                          "arguments": {"value": True}}, "tolerance": True},
        ]}}}  # fmt: skip
    path = _experiment(tmp_path, controls=[guard])
    text = path.read_text().replace('"FREQ"', value)
    (tmp_path / "e.yaml").write_text(text)
    for command in ("validate", "run"):
        result = squall(command, str(tmp_path / "e.yaml"))
        assert result.code == 2, result.stderr
        assert "frequency" in result.stderr, result.stderr
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize(
    ("value", "found"),
    [(float("nan"), "found NaN"), (float("inf"), "found Infinity"), (-1, "found -1"),
     (0, "found 0"), (1e-300, "found 1e-300"), (10**400, "found 1"),
     ("1", "found a string"), (True, "found a boolean")],
    ids=["nan", "inf", "-1", "0", "1e-300", "10**400", "text", "bool"],
)  # fmt: skip
def test_the_python_api_checks_the_hypothesis_frequency_by_the_same_rule(
    tmp_path: Path, value: Any, found: str
) -> None:
    from squall import InputError, run_experiment
    from squall.plan import PlanOptions

    path = _experiment(tmp_path)
    with pytest.raises(InputError) as caught:
        run_experiment(
            str(path),
            plan_options=PlanOptions(
                hypothesis_strategy=HypothesisStrategy.DURING_METHOD_ONLY,
                hypothesis_frequency=value,
            ),
        )
    message = str(caught.value)
    assert message.startswith("PlanOptions(hypothesis_frequency=...): "), message
    assert found in message, message
    if not isinstance(value, str | bool):  # the command line's own words
        assert "the time between checks must be 0.01 to 31,622,400 seconds" in message
    assert not (tmp_path / "ran").exists()


def test_the_python_api_takes_a_frequency_in_range(tmp_path: Path) -> None:
    from squall.plan import PlanOptions

    assert PlanOptions(hypothesis_frequency=2).hypothesis_frequency == 2.0
    assert PlanOptions(hypothesis_frequency=0.01).hypothesis_frequency == 0.01
    assert PlanOptions().hypothesis_frequency is None
