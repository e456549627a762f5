"""``squall validate`` and ``squall lint`` take what ``squall run`` takes: several files
and directories (which stand for their experiment files); a CI step checks a whole
folder before the first run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from sqharness import EXAMPLES


def _folder(tmp_path: Path, *, bad: bool) -> Path:
    folder = tmp_path / "experiments"
    folder.mkdir()
    shutil.copy(EXAMPLES / "trivial.json", folder / "a.json")
    shutil.copy(EXAMPLES / "trivial.yaml", folder / "b.yaml")
    (folder / "notes.txt").write_text("not an experiment")
    if bad:
        (folder / "c.json").write_text(json.dumps({"title": "no method", "description": "d"}))
    return folder


def test_validate_a_directory_checks_each_experiment(squall: Any, tmp_path: Path) -> None:
    folder = _folder(tmp_path, bad=False)
    result = squall("validate", str(folder))
    assert result.code == 0, result.stderr
    assert f"squall: {folder / 'a.json'}: valid (" in result.stderr
    assert f"squall: {folder / 'b.yaml'}: valid (" in result.stderr
    assert result.stderr.rstrip().endswith("squall: 2 experiments: 2 valid, 0 with problems")
    assert "notes.txt" not in result.stderr


def test_one_invalid_experiment_fails_the_command_and_the_others_are_checked(
    squall: Any, tmp_path: Path
) -> None:
    folder = _folder(tmp_path, bad=True)
    missing = tmp_path / "missing.json"
    result = squall("validate", str(missing), str(folder))  # the missing one first
    assert result.code == 2
    assert f"squall: {folder / 'c.json'}: 1 problem" in result.stderr
    assert 'an experiment requires a "method"' in result.stderr
    assert f"squall: {folder / 'b.yaml'}: valid (" in result.stderr
    assert "experiment file not found: " in result.stderr  # said, the others still checked
    assert "squall: 4 experiments: 2 valid, 2 with problems" in result.stderr


def test_a_single_experiment_reads_as_before(squall: Any, tmp_path: Path) -> None:
    result = squall("validate", str(EXAMPLES / "trivial.json"))
    assert result.code == 0
    assert result.stderr.count("\n") == 1  # no count line for one
    missing = squall("validate", str(tmp_path / "missing.json"))
    assert missing.code == 2 and missing.stderr.startswith("squall: error: experiment file")


def test_lint_a_directory(squall: Any, tmp_path: Path) -> None:
    folder = _folder(tmp_path, bad=False)
    result = squall("lint", "--fail-on", "none", str(folder))
    assert result.code == 0, result.stderr
    assert "squall lint: 2 files" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = squall("lint", str(empty))
    assert refused.code == 2 and "no experiment files" in refused.stderr
