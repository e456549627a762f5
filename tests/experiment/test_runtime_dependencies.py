"""``runtime.python.dependencies`` (the Chaos Toolkit re-runs under ``uv run --with``):
squall checks each requirement is installed where it runs, and refuses the experiment
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
    ],
)
def test_what_is_not_a_list_of_requirements_is_refused(
    squall: Any, tmp_path: Path, dependencies: Any, message: str
) -> None:
    result = squall("validate", str(_with_dependencies(tmp_path, dependencies)))
    assert result.code == 2 and message in result.stderr
