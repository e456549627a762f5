"""The "write a driver" tutorial is real: every file it (and "write a control") shows
exists under docs/examples/first-driver/, and its steps work in a fresh virtual
environment.

How: a plain venv (no system site-packages, so nothing leaks from the dev venv) gets
squall from this repository (its wheel, built once a session; not editable) and runs the
tutorial's own ``ci.sh`` in a copy of the example: install the driver, its tests with
the squall pytest plugin, ``squall drivers``, ``squall discover``, ``squall validate``
and ``squall run``. squall's dependencies come from the package index (cached under
the pytest temp dir); the whole test takes about 15 s.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqexamples import example_files
from sqlock import machine_lock

from sqvenv import squall_venv

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "first-driver"
PAGES = [ROOT / "docs" / "extending" / f"write-a-{what}.md" for what in ("driver", "control")]
SNIPPET = re.compile(r'--8<-- "([^"]+)"')


#: what ci.sh and the tutorial's commands write in the example's folder (the page says so)
OUTPUTS = ("discovery.json", "journal.json", "junit.xml", "report.html")


def _example_files(folder: Path = EXAMPLE) -> set[str]:
    return example_files(folder, "docs/examples/first-driver")


def test_every_file_of_the_example_is_shown_and_exists() -> None:
    shown = {path for page in PAGES for path in SNIPPET.findall(page.read_text(encoding="utf-8"))}
    assert shown, "the tutorial includes the example's files with --8<--"
    assert {p for p in shown if "first-driver" in p} == _example_files()
    for path in shown:
        assert (ROOT / path).is_file(), path


def test_the_outputs_of_running_the_example_in_place_are_not_its_files(tmp_path: Path) -> None:
    """Running ci.sh inside the repository leaves its outputs in the example's folder: the
    example's .gitignore keeps them out of git and out of the listing the test above
    compares with the page."""
    copy = tmp_path / "first-driver"
    # not __pycache__: other tests import the example from here and write its bytecode
    # while this copies (a file renamed away mid-copy fails copytree)
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = _example_files(copy)
    for name in OUTPUTS:
        (copy / name).write_text("{}")
    (copy / "squall_first_driver.egg-info").mkdir(exist_ok=True)
    (copy / "squall_first_driver.egg-info" / "PKG-INFO").write_text("")
    assert _example_files(copy) == before
    assert "docs/examples/first-driver/.gitignore" in before  # shown like every file


def test_answers_build_the_shipped_experiment(tmp_path: Path) -> None:
    """``squall init --answers answers.yaml`` writes exactly experiment.json."""
    env = {**os.environ, "PYTHONPATH": str(EXAMPLE)}
    squall = [sys.executable, "-m", "squall"]
    for args in (
        ["discover", "squall_first_driver", "--no-system-info"],
        ["init", "--answers", str(EXAMPLE / "answers.yaml")],
    ):
        done = subprocess.run(
            [*squall, *args],
            check=False,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "experiment.json").read_text() == (EXAMPLE / "experiment.json").read_text()


@pytest.mark.slow
def test_the_tutorial_in_a_fresh_venv(tmp_path: Path, squall_wheel: Path) -> None:
    venv = squall_venv(tmp_path, squall_wheel)
    run = venv.run
    work = tmp_path / "first-driver"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))

    with machine_lock("port-47123"):  # the tutorial's port; docs console blocks use it too
        ci = run("bash", str(work / "ci.sh"), cwd=work)
    out = ci.stdout
    assert ci.returncode == 0, out + ci.stderr
    assert "3 passed" in out  # the driver's own tests, fixtures from the plugin
    assert re.search(r"^first  \(squall_first_driver, squall-first-driver 0\.1\.0\)$", out, re.M)
    assert "  probe  certificate_days_left  Days until the certificate" in out
    assert "  action open_port  Open a TCP listener nobody expects" in out
    assert "discovery.json: 5 activities (3 probes, 2 actions) from squall-first-driver" in out
    assert "squall: experiment.json: valid (3 activities)" in ci.stdout + ci.stderr
    assert "held: the system coped" in out
    journal = json.loads((work / "journal.json").read_text())
    assert journal["squall"]["outcome"] == "held"
    # the CI outputs the page names: JUnit XML for the test report, the HTML report
    assert '<testsuites name="squall" tests="4" failures="0"' in (work / "junit.xml").read_text()
    assert (work / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert [e["activity"]["name"] for e in journal["rollbacks"]] == ["close-port"]
    discovery = json.loads((work / "discovery.json").read_text())
    assert discovery["extension"] == {"name": "squall-first-driver", "version": "0.1.0"}
    # everything the script left beside the example's files is named by its .gitignore
    assert _example_files(work) == _example_files()
    # the squall in that venv is the one installed there, not the dev checkout
    where = run(str(venv.python), "-c", "import squall; print(squall.__file__)")
    assert str(venv.root) in where.stdout
