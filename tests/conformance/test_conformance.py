"""Every case of the corpus reaches the same verdict under the real Chaos Toolkit and
squall, or differs only as docs/compatibility.yaml says (see docs/conformance.md)."""

from __future__ import annotations

import json
from typing import Any

import compare
import pytest
import suite

pytestmark = pytest.mark.conformance

CASE_IDS = [c["id"] for c in json.loads(suite.CASES.read_text())]


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_case(conformance: Any, case_id: str) -> None:
    run, verdicts, _ = conformance
    verdict = next(v for v in verdicts if v.case == case_id)
    if verdict.kind != "mismatch":
        return
    ctk, squall = run.normalised(case_id)
    lines = [f"{case_id}: the Chaos Toolkit and squall differ (not an intentional difference)"]
    for path in verdict.unexplained:
        lines.append(
            f"  {path}: ctk={compare.get(ctk, path)!r} squall={compare.get(squall, path)!r}"
        )
    lines.append(f"  ctk stderr: {run.ctk[case_id]['stderr'][-800:]}")
    lines.append(f"  squall stderr: {run.squall[case_id]['stderr'][-800:]}")
    pytest.fail("\n".join(lines))


def test_every_case_conforms_and_the_corpus_is_large(conformance: Any) -> None:
    _, verdicts, _ = conformance
    assert len(verdicts) >= 120
    mismatches = [v.case for v in verdicts if v.kind == "mismatch"]
    assert mismatches == [], suite.table(verdicts)
    # the comparison is not vacuous: most cases are identical, and journals were compared
    assert sum(v.kind == "same" for v in verdicts) > len(verdicts) / 2


def test_no_case_hung(conformance: Any) -> None:
    run, _, _ = conformance
    hung = [c for side in (run.ctk, run.squall) for c, r in side.items() if r["hung"]]
    assert hung == []


def test_every_matcher_explains_some_case(conformance: Any) -> None:
    """An intentional difference that no longer shows anywhere must leave the list."""
    _, verdicts, differences = conformance
    used = {d for v in verdicts for d in v.explained_by}
    stale = [d.id for d in differences if d.matchers and d.id not in used]
    assert stale == [], f"entries of docs/compatibility.yaml that explain no case: {stale}"
