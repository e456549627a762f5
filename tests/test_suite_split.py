"""How ``pytest -n`` splits the suite (tests/support/sqxdist.py), checked on a small tree
of its own run by a real ``pytest -n 2``: a module's tests, and a ``ONE_WORKER`` folder's,
each run on one worker; the longest units are handed out first; a worker's summary
section is printed by the controller; a failing test still fails the run, by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqxdist import ONE_WORKER, unit_of

from sqharness import SUPPORT

CONFTEST = f"""
import os, sys
sys.path.insert(0, {str(SUPPORT)!r})
import pytest
import sqxdist
from sqxdist import add_section
from sqxdist import pytest_collection_modifyitems, pytest_terminal_summary
from sqxdist import pytest_testnodedown, pytest_xdist_make_scheduler

# a module of few tests that takes long (xdist alone would hand it out last but one)
sqxdist.UNIT_SECONDS["tests/test_b.py"] = 100.0

@pytest.fixture(scope="session")
def batch(pytestconfig):
    add_section(pytestconfig, "the batch", "ran on " + os.environ["PYTEST_XDIST_WORKER"])

@pytest.fixture(autouse=True)
def _record(request):
    with open(os.environ["RECORD"], "a") as out:
        out.write(request.node.nodeid + " " + os.environ.get("PYTEST_XDIST_WORKER", "-") + "\\n")
"""

MODULE = """
import time
import pytest

@pytest.mark.parametrize("n", range(6))
def test_it(n):
    time.sleep(0.05)
"""


def _tree(root: Path, failing: bool) -> None:
    (root / "conftest.py").write_text(CONFTEST)
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    for name in ("a", "b", "c"):
        (root / f"tests/test_{name}.py").parent.mkdir(exist_ok=True)
        (root / f"tests/test_{name}.py").write_text(MODULE)
    whole = root / ONE_WORKER[0]
    whole.mkdir(parents=True)
    for name in ("x", "y"):
        (whole / f"test_{name}.py").write_text(MODULE + "\ndef test_batch(batch):\n    pass\n")
    if failing:
        (root / "tests/test_c.py").write_text(
            MODULE + "\ndef test_broken():\n    assert 1 + 1 == 3, 'arithmetic'\n"
        )


def _run(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    record = root / "record.txt"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", *args],
        cwd=root,
        env={**_env(), "RECORD": str(record)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    where = dict(line.split(" ") for line in record.read_text().splitlines())
    return done, where


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


def test_units_are_modules_and_one_worker_folders() -> None:
    assert unit_of("tests/cli/test_run.py::test_a[x]") == "tests/cli/test_run.py"
    assert unit_of("tests/cli/test_run.py::Class::test_a") == "tests/cli/test_run.py"
    assert unit_of(f"{ONE_WORKER[0]}/test_x.py::test_a") == ONE_WORKER[0]
    assert unit_of(f"{ONE_WORKER[0]}x/test_x.py::test_a") == f"{ONE_WORKER[0]}x/test_x.py"


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    """One ``pytest -n 2`` of the tree without a failure, for the tests that read it:
    its folder, its output, and where each test ran."""
    root = tmp_path_factory.mktemp("split")
    _tree(root, failing=False)
    done, where = _run(root)
    assert done.returncode == 0, done.stdout + done.stderr
    return root, done.stdout, where


def test_a_unit_runs_on_one_worker_and_its_sections_are_printed(
    passing: tuple[Path, str, dict[str, str]],
) -> None:
    _, stdout, where = passing
    assert len(where) == 3 * 6 + 2 * 7
    workers: dict[str, set[str]] = {}
    for nodeid, worker in where.items():
        workers.setdefault(unit_of(nodeid), set()).add(worker)
    assert set(workers) == {"tests/test_a.py", "tests/test_b.py", "tests/test_c.py", ONE_WORKER[0]}
    assert all(len(found) == 1 for found in workers.values()), workers
    assert set().union(*workers.values()) == {"gw0", "gw1"}  # both workers had work
    (batch_worker,) = workers[ONE_WORKER[0]]
    assert "the batch" in stdout
    assert f"ran on {batch_worker}" in stdout


def test_the_longest_units_are_handed_out_first(passing: tuple[Path, str, dict[str, str]]) -> None:
    """The first unit of each worker: the long module (by ``UNIT_SECONDS``) and the
    folder of 14 tests (by ``SECONDS_PER_TEST``); xdist alone starts the folder and
    tests/test_a.py, the first two by number of tests and then by collection order."""
    root = passing[0]
    order: dict[str, list[str]] = {}
    for line in (root / "record.txt").read_text().splitlines():
        nodeid, worker = line.split(" ")
        units = order.setdefault(worker, [])
        if unit_of(nodeid) not in units:
            units.append(unit_of(nodeid))
    assert {units[0] for units in order.values()} == {"tests/test_b.py", ONE_WORKER[0]}, order


def test_a_failure_fails_the_run_and_is_named(tmp_path: Path) -> None:
    _tree(tmp_path, failing=True)
    done, _ = _run(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED tests/test_c.py::test_broken - AssertionError: arithmetic" in done.stdout
    assert "1 failed" in done.stdout
    assert "def test_broken" in done.stdout  # the failure's source and assertion
