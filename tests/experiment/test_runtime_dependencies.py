"""``runtime.python.dependencies`` (the Chaos Toolkit re-runs under ``uv run --with``):
squall checks each requirement is installed where it runs, in a version its specifier
accepts (unless its marker does not hold here), and refuses the experiment
(exit 2, located, with the pip command) when one is not; it installs nothing itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sqharness import EXAMPLES


def _with_dependencies(tmp_path: Path, dependencies: Any) -> Path:
    experiment = json.loads((EXAMPLES / "trivial.json").read_text())
    experiment["runtime"] = {"python": {"dependencies": dependencies}}
    path = tmp_path / "deps.json"
    path.write_text(json.dumps(experiment, indent=1))
    return path


def test_installed_requirements_pass_whatever_their_spelling(squall: Any, tmp_path: Path) -> None:
    path = _with_dependencies(
        tmp_path, ["click>=8", "pyyaml", "PyYAML[c] ; python_version >= '3'", "httpx @ file:///x"]
    )
    result = squall("run", str(path))
    assert result.code == 0, result.stderr


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_missing_requirement_is_refused_with_the_pip_command(
    squall: Any, tmp_path: Path, command: str
) -> None:
    path = _with_dependencies(tmp_path, ["click", "squall-test-not-there[x]==1.0"])
    result = squall(command, str(path))
    assert result.code == 2
    assert (
        'at /runtime/python/dependencies/1: "squall-test-not-there[x]==1.0" is not '
        "installed in squall's environment" in result.stderr
    )
    assert "hint: pip install 'squall-test-not-there[x]==1.0'" in result.stderr
    assert result.journal is None  # nothing ran


@pytest.mark.parametrize(
    ("dependencies", "message"),
    [
        ("requests", "at /runtime/python/dependencies: must be a list of requirements"),
        ([5], "at /runtime/python/dependencies/0: 5 is not a requirement"),
        (["==1.0"], 'at /runtime/python/dependencies/0: "==1.0" is not a requirement'),
        (["click>=>8"], 'at /runtime/python/dependencies/0: "click>=>8" is not a requirement ('),
    ],
)
def test_what_is_not_a_list_of_requirements_is_refused(
    squall: Any, tmp_path: Path, dependencies: Any, message: str
) -> None:
    result = squall("validate", str(_with_dependencies(tmp_path, dependencies)))
    assert result.code == 2 and message in result.stderr


@pytest.mark.parametrize("command", ["validate", "run"])
def test_an_installed_version_the_specifier_refuses_is_refused(
    squall: Any, tmp_path: Path, command: str
) -> None:
    """The version is checked too (PEP 440): only the name was, so ``click>=99`` passed."""
    from importlib.metadata import version

    path = _with_dependencies(tmp_path, ["click>=8", "click>=99"])
    result = squall(command, str(path))
    assert result.code == 2
    assert (
        f'at /runtime/python/dependencies/1: "click>=99" is not met: click {version("click")} '
        "is installed in squall's environment" in result.stderr
    )
    assert "hint: pip install 'click>=99'" in result.stderr
    assert "dependencies/0" not in result.stderr
    assert result.journal is None  # nothing ran


def test_a_requirement_whose_marker_does_not_hold_here_is_skipped(
    squall: Any, tmp_path: Path
) -> None:
    path = _with_dependencies(
        tmp_path, ["squall-test-not-there ; python_version < '3'", "click>=99 ; os_name == 'nt'"]
    )
    result = squall("validate", str(path))
    assert result.code == 0, result.stderr


@pytest.mark.parametrize(
    "requirement", ["foo; python_version ~= 'abc'", "foo; python_full_version ~= '1'"]
)
def test_a_marker_that_cannot_be_evaluated_is_located_bad_input(
    squall: Any, tmp_path: Path, requirement: str
) -> None:
    """Found: packaging raised UndefinedComparison out of validation: squall's
    "internal error", exit 3."""
    result = squall("validate", str(_with_dependencies(tmp_path, ["click", requirement])))
    assert result.code == 2, result.stderr
    assert "at /runtime/python/dependencies/1: " in result.stderr
    assert "its marker cannot be evaluated here (Undefined" in result.stderr
    assert "internal error" not in result.stderr


def test_thousands_of_requirements_are_refused_at_once(squall: Any, tmp_path: Path) -> None:
    """Found: each requirement was looked up in the environment on its own (6 ms at
    load): 3000 kept validate busy for 20 s and printed 3000 problems; the document
    limit allows a million."""
    path = _with_dependencies(tmp_path, [f"pkg{i}>=1" for i in range(3000)])
    result = squall("validate", str(path), timeout=15)
    assert result.code == 2, result.stderr
    said = "at /runtime/python/dependencies: lists 3,000 requirements: at most 200 are checked"
    assert said in result.stderr
    assert result.stderr.count("not installed") == 0
