"""``fail_fast_ratio`` is a percentage of checks: outside 0..100 (or NaN) is bad input.

Found: ``runtime.hypothesis.fail_fast_ratio: 150`` passed ``validate`` (fail-fast could
then never trip, silently), and a wrong value was explained in seconds ("at most
31,622,400 (a year in seconds)", "hint: use a number of seconds"); ``squall run
--fail-fast-ratio nan`` was accepted (click's range lets NaN through; no comparison
with NaN is ever true, so fail-fast never tripped).

Now both are exit 2, located, in the words of a percentage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def _experiment(tmp_path: Path, ratio: Any) -> None:
    document = {
        "title": "ratio",
        "description": "a fail-fast ratio",
        "runtime": {
            "hypothesis": {
                "strategy": "continuously",
                "frequency": 1,
                "fail_fast": True,
                "fail_fast_ratio": ratio,
            }
        },
        "steady-state-hypothesis": {
            "title": "up",
            "probes": [
                {
                    "type": "probe",
                    "name": "p",
                    "tolerance": 0,
                    "provider": {"type": "process", "path": "true"},
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "touch",
                "provider": {"type": "process", "path": "touch", "arguments": "ran"},
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(document, indent=1))


@pytest.mark.parametrize("ratio", [150, 100.5, 1e308, -5, "x"])
def test_a_ratio_outside_a_percentage_is_refused_located(
    ratio: Any, squall: Any, tmp_path: Path
) -> None:
    _experiment(tmp_path, ratio)
    result = squall("validate", "e.json")
    assert result.code == 2, result.stderr
    assert "at /runtime/hypothesis/fail_fast_ratio" in result.stderr
    assert "percentage" in result.stderr, result.stderr
    assert "seconds" not in result.stderr


@pytest.mark.parametrize("ratio", [0, 50, 100])
def test_a_percentage_passes(ratio: Any, squall: Any, tmp_path: Path) -> None:
    _experiment(tmp_path, ratio)
    assert squall("validate", "e.json").code == 0


@pytest.mark.parametrize("value", ["nan", "-nan", "101", "inf"])
def test_the_option_refuses_what_is_not_a_percentage(
    value: str, squall: Any, tmp_path: Path
) -> None:
    _experiment(tmp_path, 0)
    result = squall("run", "e.json", "--fail-fast", "--fail-fast-ratio", value)
    assert result.code == 2, result.stderr
    assert "--fail-fast-ratio" in result.stderr
    assert not (tmp_path / "ran").exists()
