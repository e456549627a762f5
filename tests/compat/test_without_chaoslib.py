"""Chaos Toolkit drivers and controls that import ``chaoslib`` and ``logzero`` work in a
venv where chaostoolkit-lib is not installed (squall's stand-in, squall.compat), and a
real driver from PyPI (chaostoolkit-wiremock, which needs chaoslib's discovery helpers)
is discovered with the shape its own ``discover()`` gives with the real chaoslib.

One venv serves the module: squall from this checkout, plus ``requests`` (the driver's
own dependency); chaostoolkit-wiremock is installed with ``--target`` into a directory
of its own, without its dependencies, so neither chaostoolkit-lib nor logzero is there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sqvenv import Venv, squall_venv

HERE = Path(__file__).resolve().parent
DRIVER = "chaostoolkit-wiremock==0.1.2"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(
    tmp_path_factory: pytest.TempPathFactory, squall_wheel: Path
) -> Iterator[tuple[Venv, Path]]:
    where = tmp_path_factory.mktemp("compat")
    venv = squall_venv(where, squall_wheel)
    venv.pip("requests")
    drivers = where / "drivers"
    venv.pip("--no-deps", "--target", str(drivers), DRIVER)
    yield venv, drivers


def squall(venv: Venv, *args: str, cwd: Path, path: str) -> subprocess.CompletedProcess[str]:
    return venv.run(str(venv.root / "bin" / "squall"), *args, cwd=cwd, PYTHONPATH=path)


def test_the_venv_has_no_chaoslib(venv: tuple[Venv, Path]) -> None:
    env, drivers = venv
    for name in ("chaoslib", "logzero"):
        found = env.run(str(env.python), "-c", f"import {name}", PYTHONPATH=str(drivers))
        assert found.returncode == 1 and "ModuleNotFoundError" in found.stderr


def test_driver_and_control_importing_chaoslib_run(venv: tuple[Venv, Path], tmp_path: Path) -> None:
    env, _ = venv
    shutil.copy(HERE / "experiment.json", tmp_path)
    (tmp_path / "lines.txt").write_text("a\nb\nc\n")
    done = squall(env, "run", "experiment.json", cwd=tmp_path, path=str(HERE))
    assert done.returncode == 130, done.stderr
    journal = json.loads((tmp_path / "journal.json").read_text())
    run = {e["activity"]["name"]: e for e in journal["run"]}
    assert run["count"]["output"] == 3
    # the stand-in's ActivityFailed fails the activity, as chaoslib's does
    assert run["fails"]["status"] == "failed"
    assert "chaoslib.exceptions.ActivityFailed: driver said broken" in "".join(
        run["fails"]["exception"]
    )
    # the stand-in's InterruptExecution raised by a control interrupts the run
    assert journal["status"] == "interrupted"
    assert journal["interruption"]["kind"] == "control"
    assert "the control said stop" in journal["interruption"]["reason"]
    assert "never" not in run


def test_the_stand_in_logzero_logs_through_squall(venv: tuple[Venv, Path], tmp_path: Path) -> None:
    """What a driver logs with the stand-in's ``logzero.logger`` goes to squall's console
    (with -v) and log file, as with the real logzero (test_extension_logging.py)."""
    env, _ = venv
    shutil.copy(HERE / "experiment.json", tmp_path)
    (tmp_path / "lines.txt").write_text("a\nb\nc\n")
    done = squall(
        env, "-v", "--log-file", "run.log", "run", "experiment.json", cwd=tmp_path, path=str(HERE)
    )
    assert done.returncode == 130, done.stderr
    assert "squall: INFO: counting lines.txt" in done.stderr.splitlines()
    assert "INFO] [ctk_style:" in (tmp_path / "run.log").read_text()


def test_a_chaoslib_module_the_stand_in_lacks_is_named(
    venv: tuple[Venv, Path], tmp_path: Path
) -> None:
    env, _ = venv
    (tmp_path / "needs_activity.py").write_text("from chaoslib.activity import run_activity\n")
    experiment = {
        "title": "t",
        "description": "d",
        "method": [
            {
                "type": "action",
                "name": "a",
                "provider": {"type": "python", "module": "needs_activity", "func": "f"},
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    done = squall(env, "validate", "e.json", cwd=tmp_path, path=str(tmp_path))
    assert done.returncode == 2
    assert "No module named 'chaoslib.activity'" in done.stderr
    assert "install chaostoolkit-lib" in done.stderr
    assert str(env.python.parent) in done.stderr  # the interpreter squall runs on
    assert "Traceback" not in done.stderr


def test_a_chaoslib_name_the_stand_in_lacks_says_to_install_chaostoolkit_lib(
    venv: tuple[Venv, Path], tmp_path: Path
) -> None:
    env, _ = venv
    (tmp_path / "cli_control.py").write_text("from chaoslib import merge_vars\n")
    experiment = {
        "title": "t",
        "description": "d",
        "controls": [{"name": "cli", "provider": {"type": "python", "module": "cli_control"}}],
        "method": [],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    done = squall(env, "validate", "e.json", cwd=tmp_path, path=str(tmp_path))
    assert done.returncode == 2
    assert "cannot import name 'merge_vars'" in done.stderr
    assert "squall's stand-in does not serve this" in done.stderr
    assert "hint: install chaostoolkit-lib next to squall" in done.stderr
    assert "install the control's package" not in done.stderr
    assert "Traceback" not in done.stderr


def _shape(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "keys": sorted(document),
        "platform": sorted(document["platform"]),
        "extension": document["extension"],
        "target": document["target"],
        "activities": [
            (a["type"], a["name"], a["mod"], a["doc"], a.get("return_type"), a["arguments"])
            for a in document["activities"]
        ],
    }


def test_discover_a_real_driver_like_its_own_discover(
    venv: tuple[Venv, Path], tmp_path: Path
) -> None:
    env, drivers = venv
    done = squall(
        env,
        "discover",
        "--no-system-info",
        "--discovery-path",
        "discovery.json",
        "chaoswm",
        cwd=tmp_path,
        path=str(drivers),
    )
    assert done.returncode == 0, done.stderr
    ours = json.loads((tmp_path / "discovery.json").read_text())
    # the driver's own discover(), with the real chaoslib (the dev venv has it)
    reference = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, chaoswm; print(json.dumps(chaoswm.discover(False)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(drivers), "PATH": "/usr/bin:/bin"},
    )
    theirs = json.loads(reference.stdout)
    assert ours["activities"], ours
    assert _shape(ours) == _shape(theirs)
    assert ours["extension"] == {"name": "chaoswm", "version": "0.1.2"}
    assert ours["chaoslib_version"].endswith("+squall-compat")
