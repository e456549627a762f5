"""The conformance run is shared by every test of this folder: it happens once a session
(the Chaos Toolkit venv is built or reused first), and its table is printed at the end."""

from __future__ import annotations

import os
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import compare  # noqa: E402
import ctkenv  # noqa: E402
import suite  # noqa: E402
from sqxdist import add_section  # noqa: E402

_POOL = ThreadPoolExecutor(max_workers=1)
_REPORT_VENV: list[Future[Path]] = []


def _venv(kind: str) -> Path:
    try:
        return ctkenv.ensure(kind)
    except ctkenv.CtkEnvError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Chaos Toolkit reference venv could not be built: {error}")
        pytest.skip(f"the Chaos Toolkit reference venv could not be built: {error}")


@pytest.fixture(scope="session")
def ctk_venv() -> Path:
    return _venv("run")


def _start_report_venv() -> Future[Path]:
    """The reporting venv builds (pip, mostly network and disk) while the corpus runs."""
    if not _REPORT_VENV:
        _REPORT_VENV.append(_POOL.submit(ctkenv.ensure, "report"))
    return _REPORT_VENV[0]


@pytest.fixture(scope="session")
def ctk_report_venv() -> Path:
    try:
        return _start_report_venv().result()
    except ctkenv.CtkEnvError:
        return _venv("report")  # the same error again, reported as fail or skip


@pytest.fixture(scope="session")
def conformance(
    ctk_venv: Path, tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Any:
    _start_report_venv()
    run = suite.run_suite(tmp_path_factory.mktemp("conformance"), ctk_venv)
    differences = compare.load_differences()
    verdicts = [compare.classify(c["id"], *run.normalised(c["id"]), differences) for c in run.cases]
    table = suite.table(verdicts) + f"\nboth sides ran in {run.seconds:.1f} s"
    add_section(pytestconfig, "conformance with the Chaos Toolkit", table)
    return run, verdicts, differences
