"""The conformance corpus (tests/conformance/cases.json) run by both squall engines: every
case ends with the same exit code and the same normalised journal (verdict, statuses,
every entry's name, status, output and error; compare.normalise) with ``--engine
temporal`` as with the local engine.

Each case runs as the conformance suite runs it (driver.run_case: its own working
directory, settings, files, environment, arguments and signal); the Temporal side has a
real dev server and real ``squall worker`` subprocesses, a worker of its own (in the
case's working directory, with the case's environment) for a case whose activities need
them (corpus_sides.py). All cases of the module run in one batch (``JOBS`` commands at
a time); a test only compares. The batch runs the cases of the tests selected, so ``-m
"not slow"`` runs the few unmarked ones (FAST) in seconds.

Every run case is compared: the last ones the Temporal engine ran differently (the cases
with controls, listed here as strict xfails until the engine ran them) are gone from the
list, and so is the list. A case that must differ again is listed in its own
``xfail(strict=True)`` with why, never skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from corpus_sides import CASES, Corpus, run_corpus

from sqengine import without_pids
from temporal import TemporalServer

JOBS = 4
#: not runs (``squall validate``): ``--engine`` does not apply
NOT_RUNS = {c["id"] for c in CASES if c.get("command", "run") != "run"}
#: unmarked (quick with ``-m "not slow"``): secrets and bytes through the payload, a
#: worker of the case's own, a deviation with rollbacks, a failing tolerance, a pid
FAST = {
    "trivial",
    "secrets-nested",
    "vars-none--var-bytes",
    "process-cwd-file",
    "rb-deviated--always",
    "tol-int-process-status-not-met",
    "python-builtin-no-signature",
}
RUNS = [c for c in CASES if c["id"] not in NOT_RUNS]


def _param(case: dict[str, Any]) -> Any:
    marks = [] if case["id"] in FAST else [pytest.mark.slow]
    return pytest.param(case["id"], marks=marks, id=case["id"])


def _selected(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """The cases of this module's tests that this session runs."""
    wanted: set[str] = set()
    for item in request.session.items:
        if item.module is not None and Path(item.module.__file__ or "") == Path(__file__):
            spec = getattr(item, "callspec", None)
            if spec is not None and "case_id" in spec.params:
                wanted.add(spec.params["case_id"])
    return [c for c in RUNS if c["id"] in wanted]


@pytest.fixture(scope="module")
def corpus(
    request: pytest.FixtureRequest,
    temporal_server: TemporalServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Corpus:
    root = tmp_path_factory.mktemp("corpus-parity")
    return run_corpus(temporal_server.address, root, _selected(request), jobs=JOBS)


def normalised(corpus: Corpus, side: str, case_id: str) -> dict[str, Any]:
    import compare

    result = getattr(corpus, side)[case_id]
    # the output of os.getpid differs between any two processes
    journal = without_pids(result["journal"]) if result["journal"] else result["journal"]
    return compare.normalise({**result, "journal": journal}, corpus.http_url)


def test_every_run_case_of_the_corpus_is_compared() -> None:
    ids = [c["id"] for c in RUNS]
    assert len(ids) == len(set(ids)) and set(ids) >= FAST
    assert len(RUNS) + len(NOT_RUNS) == len(CASES) and len(RUNS) >= 200, len(RUNS)


@pytest.mark.parametrize("case_id", [_param(c) for c in RUNS])
def test_case(corpus: Corpus, case_id: str) -> None:
    import compare

    local, temporal = normalised(corpus, "local", case_id), normalised(corpus, "temporal", case_id)
    assert not temporal.get("hung"), corpus.temporal[case_id]["stderr"]
    assert temporal == local, (
        f"differs at {compare.diff(local, temporal)}\n"
        f"local stderr: {corpus.local[case_id]['stderr'][-800:]}\n"
        f"temporal stderr: {corpus.temporal[case_id]['stderr'][-800:]}"
    )
