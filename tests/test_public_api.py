"""The curated public API stays curated; lazy names resolve."""

from __future__ import annotations

import subprocess
import sys

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
