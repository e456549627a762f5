"""How ``pytest -n N`` (pytest-xdist) shares the suite among its workers.

``./dev test`` runs ``pytest -n 3``. Tests are handed out in *units*, each run whole by
one worker, so that a fixture shared by a unit's tests starts once:

- a test module is a unit (its module fixtures: demos, servers, the Temporal corpus
  batch of tests/temporal/test_corpus_parity.py);
- a folder of ``ONE_WORKER`` is a unit: its tests share one session-wide batch
  (tests/conformance: the Chaos Toolkit reference run of the whole corpus).

Session fixtures (the Temporal dev server, PostgreSQL, the demo...) start once per
worker that asks for them; their ports are free ports, so two workers never clash.

Units are handed out longest first, so that no long unit starts late and runs on alone
at the end (xdist's own order, most tests first, started a 3-test module of 200 s
last). How long a unit takes is its measured seconds in ``UNIT_SECONDS`` (the long
ones), else ``SECONDS_PER_TEST`` per test. Each worker sorts its collection so
(:func:`pytest_collection_modifyitems`; both workers sort the same tests the same way),
and the scheduler keeps that order. New tests need nothing: a new module is a unit, a
new test in a ``ONE_WORKER`` folder joins its folder's unit; a new unit that takes
minutes belongs in ``UNIT_SECONDS``.

This applies to ``-n`` with the default ``--dist load``; another ``--dist`` given on the
command line is used as given.
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

__all__ = [
    "ONE_WORKER",
    "SECONDS_PER_TEST",
    "UNIT_SECONDS",
    "SuiteScheduling",
    "add_section",
    "pytest_collection_modifyitems",
    "pytest_terminal_summary",
    "pytest_testnodedown",
    "pytest_xdist_make_scheduler",
    "unit_of",
    "unit_seconds",
]

#: folders (relative to the repository) whose tests all run on one worker
ONE_WORKER = ("tests/conformance",)


#: the units that take 20 s or more: seconds of wall time, summed over their tests (setup,
#: call, teardown), the mean of two clean-clone ``./dev test`` runs on three workers on the
#: shared 2-core machine at load ~13-15 (2026-12-05, session 10: 13e9b70 and 5f8b963);
#: test_corpus_parity from the second (its slot workers since 72e6ac7), test_console_blocks
#: from the first (the second waited on the port lock: 184810e). Only their order matters;
#: a quiet machine takes about half of these times.
UNIT_SECONDS: dict[str, float] = {
    "tests/docs/test_console_blocks.py": 264,
    "tests/temporal/test_kill.py": 258,
    "tests/temporal/test_corpus_parity.py": 226,
    "tests/temporal/test_security_parity.py": 207,
    "tests/workshop/test_exercises.py": 195,
    "tests/conformance": 190,
    "tests/examples_security/test_security_examples.py": 178,
    "tests/cli/test_runs.py": 113,
    "tests/temporal/test_engine_kills.py": 99,
    "tests/temporal/test_stop_attach.py": 90,
    "tests/engine/test_kill_random.py": 85,
    "tests/compat/test_without_chaoslib.py": 85,
    "tests/temporal/test_engine_runs.py": 79,
    "tests/packaging/test_dist.py": 77,
    "tests/extending/test_first_driver.py": 74,
    "tests/ci/test_github_action.py": 74,
    "tests/temporal/test_engine_parity.py": 74,
    "tests/journal/test_odd_outputs.py": 71,
    "tests/temporal/test_starved_steps.py": 70,
    "tests/temporal/test_controls_lost.py": 70,
    "tests/temporal/test_mixed_keys.py": 66,
    "tests/temporal/test_server_restart.py": 64,
    "tests/temporal/test_odd_payloads.py": 60,
    "tests/temporal/test_engine_controls.py": 56,
    "tests/temporal/test_schedule_cli.py": 45,
    "tests/engine/test_kill_points.py": 42,
    "tests/temporal/test_schedule_runs.py": 35,
    "tests/temporal/test_refused_tasks.py": 33,
    "tests/temporal/test_durable_pauses.py": 30,
    "tests/bench/test_temporal_bench.py": 29,
    "tests/temporal/test_worker_key.py": 27,
    "tests/masking/test_canary.py": 27,
    "tests/docs/test_docs_examples.py": 24,
    "tests/notifications/test_notifications.py": 22,
    "tests/temporal/test_history_secrets.py": 22,
}
#: a unit not in ``UNIT_SECONDS`` takes this long per test (what the other ~200 units
#: took on average in the same runs: 0.42)
SECONDS_PER_TEST = 0.4


def unit_of(nodeid: str) -> str:
    """The unit of a test: its ``ONE_WORKER`` folder, else its module."""
    path = nodeid.split("::", 1)[0]
    for folder in ONE_WORKER:
        if path.startswith(folder + "/"):
            return folder
    return path


def unit_seconds(unit: str, tests: int) -> float:
    """How long ``unit`` (of ``tests`` tests) is expected to take."""
    return UNIT_SECONDS.get(unit, tests * SECONDS_PER_TEST)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker: the units longest first (each unit's tests kept together and in
    their order); the scheduler hands them out in this order. A serial run keeps
    pytest's order."""
    if not hasattr(config, "workerinput"):
        return
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(unit_of(item.nodeid), []).append(item)
    ordered = sorted(units.items(), key=lambda unit: -unit_seconds(unit[0], len(unit[1])))
    items[:] = [item for _, tests in ordered for item in tests]


class SuiteScheduling(LoadScopeScheduling):
    """xdist's load-by-scope scheduling, with :func:`unit_of` as the scope, handing the
    units out in the order of the workers' collection (longest first, as
    :func:`pytest_collection_modifyitems` sorted it), not by their number of tests."""

    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)
        config.option.loadscopereorder = False

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)


_SECTIONS = pytest.StashKey[list[tuple[str, str]]]()
#: the key of a worker's sections in what it sends back to the controller
WORKER_KEY = "squall_summary_sections"


def add_section(config: pytest.Config, title: str, text: str) -> None:
    """A section for the end of the terminal summary (a worker's goes to the controller,
    which prints the summary under ``-n``)."""
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput.setdefault(WORKER_KEY, []).append((title, text))
    else:
        sections(config).append((title, text))


def sections(config: pytest.Config) -> list[tuple[str, str]]:
    """The sections to print (the controller's: its own and those its workers sent)."""
    return config.stash.setdefault(_SECTIONS, [])


# the hooks (tests/conftest.py imports them, which registers them)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``-n N`` with the default ``--dist load``: hand tests out by :func:`unit_of`."""
    return SuiteScheduling(config, log) if config.getoption("dist") == "load" else None


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object | None) -> None:
    """Keep the summary sections a worker sent (:func:`add_section`)."""
    output = getattr(node, "workeroutput", None) or {}
    sections(node.config).extend((title, text) for title, text in output.get(WORKER_KEY, []))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    for title, text in sections(config):
        terminalreporter.section(title)
        terminalreporter.write_line(text)
