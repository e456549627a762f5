"""The curated public API stays curated; lazy names resolve."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import squall

EXPECTED = [
    "Activity",
    "ActivityFailed",
    "ActivityTimeout",
    "Experiment",
    "InputError",
    "Interrupted",
    "Journal",
    "LoadError",
    "Problem",
    "RunOptions",
    "SquallError",
    "ValidationError",
    "__version__",
    "check_experiment",
    "load_experiment",
    "run_experiment",
    "show_value",
]


def test_all_is_sorted_and_exact() -> None:
    assert squall.__all__ == EXPECTED
    for name in squall.__all__:
        assert getattr(squall, name) is not None


def test_importing_squall_is_cheap() -> None:
    code = "import sys, squall; heavy = {'click', 'httpx', 'yaml', 'squall.engine'} & set(sys.modules); print(sorted(heavy))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_show_value_spells_values_as_json() -> None:
    # drivers and plugins spell values in their messages as squall does (JSON's words)
    assert squall.show_value({"up": True, "left": None}) == '{"up": true, "left": null}'


def test_exit_codes_of_errors() -> None:
    assert squall.ValidationError([]).exit_code == 2
    assert squall.ActivityFailed("x").exit_code == 3
    assert squall.Interrupted("x").exit_code == 130


def test_an_experiment_given_as_a_dict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A program's dict is the document itself (it was read as a file name: 'experiment
    file not found: {'title': ...}'); its problems are located in its JSON form."""
    monkeypatch.chdir(tmp_path)
    doc = {"title": "t", "description": "d", "method": []}
    assert squall.run_experiment(doc).outcome == "held"
    assert squall.load_experiment(doc).title == "t"
    with pytest.raises(squall.ValidationError, match=r"<mapping>:1:1 at /: .* requires a 'method'"):
        squall.run_experiment({"title": "t", "description": "d"})
    with pytest.raises(squall.LoadError, match=r"given as a mapping is not JSON data: .*nan"):
        squall.run_experiment({**doc, "configuration": {"x": float("nan")}})
