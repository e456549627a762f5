"""When the reference venv cannot be built, the conformance tests say why: a failure
under CI=true (never a silent skip), a skip with the reason elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.conformance

HERE = Path(__file__).resolve().parent


def _run(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ, CI=ci, CONF_CTK_CACHE=str(tmp_path / "cache"), CONF_CTK_PYTHON="/bin/false"
    )  # an interpreter that cannot make a venv
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rfs",
            str(HERE / "test_conformance.py::test_no_case_hung"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_a_venv_that_cannot_be_built_fails_under_ci(tmp_path: Path) -> None:
    done = _run(tmp_path, "true")
    assert done.returncode == 1, done.stdout
    assert "the Chaos Toolkit reference venv could not be built" in done.stdout
    assert "/bin/false -m venv" in done.stdout


def test_a_venv_that_cannot_be_built_is_skipped_with_the_reason_locally(tmp_path: Path) -> None:
    done = _run(tmp_path, "")
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout
    assert "could not be built" in done.stdout
