"""How ``pytest -n N`` (pytest-xdist) shares the suite among its workers.

``./dev test`` runs ``pytest -n 2``. Tests are handed out in *units*, each run whole by
one worker, so that a fixture shared by a unit's tests starts once:

- a test module is a unit (its module fixtures: demos, servers, the Temporal corpus
  batch of tests/temporal/test_corpus_parity.py);
- a folder of ``ONE_WORKER`` is a unit: its tests share one session-wide batch
  (tests/conformance: the Chaos Toolkit reference run of the whole corpus).

Session fixtures (the Temporal dev server, PostgreSQL, the demo...) start once per
worker that asks for them; their ports are free ports, so two workers never clash.
Units are handed out biggest first (most tests), so the long batches start at once and
the many small modules fill in around them. New tests need nothing: a new module is a
unit, a new test in a ``ONE_WORKER`` folder joins its folder's unit.

This applies to ``-n`` with the default ``--dist load``; another ``--dist`` given on the
command line is used as given.
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

__all__ = [
    "ONE_WORKER",
    "SuiteScheduling",
    "add_section",
    "pytest_terminal_summary",
    "pytest_testnodedown",
    "pytest_xdist_make_scheduler",
    "unit_of",
]

#: folders (relative to the repository) whose tests all run on one worker
ONE_WORKER = ("tests/conformance",)


def unit_of(nodeid: str) -> str:
    """The unit of a test: its ``ONE_WORKER`` folder, else its module."""
    path = nodeid.split("::", 1)[0]
    for folder in ONE_WORKER:
        if path.startswith(folder + "/"):
            return folder
    return path


class SuiteScheduling(LoadScopeScheduling):
    """xdist's load-by-scope scheduling, with :func:`unit_of` as the scope."""

    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)

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
