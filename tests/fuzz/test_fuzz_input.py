"""Bounded fuzzing of ``squall validate`` and a dry run (issue 10: bad input gets exit 2 and
a located message, never a traceback, a hang or unbounded memory).

Every input goes to one worker subprocess (tests/support/sqfuzz.py) that runs
``squall validate`` and ``squall run --dry activities`` in-process under a 1.5 GB
address-space limit, with 20 s per input; ``sqfuzz.verdict`` names what is wrong.

The suite's share is small (about 20 s). ``SQUALL_FUZZ_SCALE=N`` multiplies the number of
inputs (the campaign of docs/reference/limits.md ran
``.venv/bin/python tests/support/sqfuzz.py --inputs 5000``).
"""

from __future__ import annotations

import json
import math
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqfuzz import Worker, example_files, mutate, verdict

SCALE = max(1, int(os.environ.get("SQUALL_FUZZ_SCALE", "1")))


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    fuzz = Worker()
    yield fuzz
    fuzz.close()


def check(worker: Worker, path: Path) -> dict[str, Any]:
    outcome = worker.check(path)
    problem = verdict(outcome)
    assert problem is None, f"{path.name}: {problem}\n--- input ---\n{path.read_bytes()[:2000]!r}"
    return outcome


# --- hypothesis: documents shaped like experiments, with adversarial values ------------

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -1, 0, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["\ud800", "a\udfffb", "${x}", "${outputs.a.b}", "${", "probe", "action"]),
)
KEYS = st.one_of(
    st.sampled_from(["type", "name", "provider", "tolerance", "pauses", "timeout", "ref"]),
    st.text(max_size=8),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)
PROVIDERS = st.fixed_dictionaries(
    {"type": st.sampled_from(["python", "process", "http", "nope"]) | LEAVES},
    optional={
        "module": st.sampled_from(["os", "no.such", "os.path"]) | VALUES,
        "func": st.sampled_from(["getpid", "nope"]) | VALUES,
        "path": st.sampled_from(["true", "/no/such"]) | VALUES,
        "url": st.sampled_from(["http://127.0.0.1:9/", "nope"]) | VALUES,
        "arguments": VALUES,
        "timeout": VALUES,
    },
)
ACTIVITIES = st.fixed_dictionaries(
    {"type": st.sampled_from(["probe", "action"]) | LEAVES},
    optional={
        "name": st.text(min_size=1, max_size=10) | VALUES,
        "provider": PROVIDERS | VALUES,
        "tolerance": VALUES,
        "pauses": st.fixed_dictionaries({}, optional={"before": LEAVES, "after": LEAVES}),
        "timeout": LEAVES,
        "background": LEAVES,
        "controls": VALUES,
    },
)
EXPERIMENTS = st.fixed_dictionaries(
    {"title": st.text(max_size=10) | LEAVES, "method": st.lists(ACTIVITIES, max_size=3) | VALUES},
    optional={
        "description": st.text(max_size=10) | LEAVES,
        "steady-state-hypothesis": st.fixed_dictionaries(
            {"title": LEAVES, "probes": st.lists(ACTIVITIES, max_size=2)}
        )
        | VALUES,
        "rollbacks": st.lists(ACTIVITIES, max_size=2) | VALUES,
        "configuration": st.dictionaries(st.text(max_size=5), VALUES, max_size=3) | VALUES,
        "secrets": VALUES,
        "controls": VALUES,
        "runtime": st.fixed_dictionaries(
            {}, optional={"timeout": LEAVES, "hypothesis": VALUES, "rollbacks": VALUES}
        )
        | VALUES,
    },
)


def _has_nonfinite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_nonfinite(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nonfinite(v) for v in value)
    return False


@settings(
    max_examples=40 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(document=EXPERIMENTS, as_yaml=st.booleans())
def test_generated_documents(
    worker: Worker, tmp_path_factory: pytest.TempPathFactory, document: Any, as_yaml: bool
) -> None:
    folder = tmp_path_factory.mktemp("gen")
    if as_yaml:
        path = folder / "doc.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=False), errors="surrogatepass")
    else:
        path = folder / "doc.json"
        path.write_text(json.dumps(document))
    outcome = check(worker, path)
    if _has_nonfinite(document):  # NaN and Infinity are refused wherever they are
        assert outcome["validate"]["code"] == 2


# --- mutations of every bundled example ---------------------------------------------------


def test_mutated_examples(worker: Worker, tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("SQUALL_FUZZ_SEED", "20261204")))
    sources = example_files()
    assert len(sources) > 100  # tests/examples and examples/
    refused = 0
    for index in range(100 * SCALE):
        text, fmt = mutate(sources[index % len(sources)], rng)
        path = tmp_path / f"input-{index}.{fmt}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        refused += check(worker, path)["validate"]["code"] == 2
    assert refused > 25  # the mutations do break documents (the check is not vacuous)


def test_the_harness_sees_a_crash_an_unlocated_problem_and_a_hang(tmp_path: Path) -> None:
    """The harness itself: a traceback, a problem without its place and a hang are findings
    (a blown memory limit shows as a MemoryError, a crash, or as a dead worker)."""
    outcome = {
        "validate": {"code": 3, "err": "squall: internal error: RecursionError: x"},
        "run": {"code": 2, "err": ""},
    }
    assert "crashed" in (verdict(outcome) or "")
    unlocated = {
        "validate": {"code": 2, "err": "squall: x: 1 problem\n  x at /method: bad\n"},
        "run": {"code": 2, "err": ""},
    }
    assert "without file:line:column" in (verdict(unlocated) or "")
    assert "hang" in (verdict({"lost": "hang"}) or "")
    assert "died" in (verdict({"lost": "died"}) or "")
    slow = Worker(timeout=60.0)
    path = tmp_path / "sleepy.json"
    path.write_text(json.dumps({"title": "t", "description": "d", "method": []}))
    try:
        assert verdict(slow.check(path)) is None
        fifo = tmp_path / "fifo.json"
        os.mkfifo(fifo)  # opening it blocks until a writer comes: a real hang
        slow.timeout = 2.0
        assert slow.check(fifo) == {"lost": "hang", "seconds": pytest.approx(2, abs=1)}
        assert slow.restarts == 1
        slow.timeout = 60.0
        assert verdict(slow.check(path)) is None  # a new worker took over
    finally:
        slow.close()
