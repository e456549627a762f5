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

The cases the Temporal engine does not run like the local one are listed in EXCLUDED
with why: they are ``xfail(strict=True)``, so one that starts to pass fails the run (the
list stays honest), and test_excluded_cases_fail_the_stated_way checks that each still
fails for the reason given, not another.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from corpus_sides import CASES, EXPERIMENTS, Corpus, run_corpus

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


def declares_controls(case: dict[str, Any]) -> bool:
    """The case's experiment, settings or ``--control-file`` declare controls, except
    the cases both engines refuse for another reason (a control module that does not
    exist, a control in a scope where none may be: exit 2, no journal): they are compared
    like any other case."""
    if case["id"] in ("ctl-missing-module", "invalid-control-scope"):
        return False
    declared = re.search(r'"controls"\s*:', (EXPERIMENTS / case["experiment"]).read_text())
    in_settings = "controls" in (case.get("settings") or {})
    return bool(declared or in_settings or "--control-file" in case.get("args", []))


CONTROLS = (
    "controls are refused by the Temporal engine today (exit 2 before anything starts: "
    "'controls are not run by the Temporal engine yet'; docs/scale-out.md, limits)"
)
#: case id -> why it is not (yet) the same with the Temporal engine; each is
#: xfail(strict=True): it must fail, and fail the stated way
EXCLUDED: dict[str, str] = {
    **{c["id"]: CONTROLS for c in CASES if declares_controls(c)},
}
#: how each excluded case fails on the Temporal side (stderr, exit code, journal)
SYMPTOMS = {
    CONTROLS: lambda r: r["exit"] == 2 and "not run by the Temporal engine" in r["stderr"],
}
RUNS = [c for c in CASES if c["id"] not in NOT_RUNS]


def _param(case: dict[str, Any]) -> Any:
    marks = [] if case["id"] in FAST else [pytest.mark.slow]
    if case["id"] in EXCLUDED:
        marks.append(pytest.mark.xfail(strict=True, reason=EXCLUDED[case["id"]]))
    return pytest.param(case["id"], marks=marks, id=case["id"])


def _selected(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """The cases of this module's tests that this session runs."""
    wanted: set[str] = set()
    for item in request.session.items:
        if item.module is not None and Path(item.module.__file__ or "") == Path(__file__):
            spec = getattr(item, "callspec", None)
            if spec is not None and "case_id" in spec.params:
                wanted.add(spec.params["case_id"])
            elif item.name.startswith("test_excluded"):
                wanted |= set(EXCLUDED)
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


def test_the_compared_cases_are_the_broad_majority_and_each_exclusion_is_a_case() -> None:
    assert set(EXCLUDED) <= {c["id"] for c in RUNS}
    compared = len(RUNS) - len(EXCLUDED)
    assert compared >= 0.8 * len(RUNS), (compared, len(RUNS))
    assert not FAST & set(EXCLUDED)


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


@pytest.mark.slow
def test_excluded_cases_fail_the_stated_way(corpus: Corpus) -> None:
    wrong = [
        f"{case_id}: exit {corpus.temporal[case_id]['exit']}, "
        f"stderr {corpus.temporal[case_id]['stderr'][-300:]!r}"
        for case_id, why in EXCLUDED.items()
        if not SYMPTOMS[why](corpus.temporal[case_id])
    ]
    assert not wrong, "\n".join(wrong)
