"""The bundled security experiments (examples/security) against the real, misconfigured
demo: the Temporal engine gives the verdict, the exit code and the per-activity results
the local engine gives. Their var file holds the demo's tokens (secrets), so the run
carries them encrypted: the client and the worker share a payload key."""

from __future__ import annotations

import base64
import contextlib
import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed
from sqharness import TESTS

pytestmark = pytest.mark.slow

sys.path.insert(0, str(TESTS / "examples_security"))
from security_support import Demo, security_experiments, start  # noqa: E402

EXPERIMENTS = security_experiments()
KEY = base64.b64encode(bytes(range(1, 33))).decode()


@pytest.fixture(scope="module")
def misconfigured(bed: Bed) -> Iterator[dict[str, Demo]]:
    """A misconfigured demo per engine (an experiment leaves traces in the demo, the
    detector's memory of an attack for one: each engine gets the same fresh state)."""
    worker = bed.worker("security", SQUALL_TEMPORAL_KEY=KEY)
    try:
        with contextlib.ExitStack() as stack:
            yield {
                engine: stack.enter_context(contextlib.contextmanager(start)(misconfigured=True))
                for engine in ("local", "temporal")
            }
    finally:
        worker.stop()


def _verdict(journal: dict[str, Any]) -> dict[str, Any]:
    """What both engines must agree on (outputs hold ports, times and counters)."""

    def entries(items: list[dict[str, Any]] | None) -> list[tuple[Any, ...]]:
        return [(e["activity"]["name"], e["status"], e.get("tolerance_met")) for e in items or []]

    states = journal["steady_states"]
    return {
        "status": journal["status"],
        "deviated": journal["deviated"],
        "outcome": journal["squall"]["outcome"],
        "before": entries((states["before"] or {}).get("probes")),
        "after": entries((states["after"] or {}).get("probes")),
        "run": entries(journal["run"]),
        "rollbacks": entries(journal["rollbacks"]),
    }


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=[p.name for p in EXPERIMENTS])
def test_same_verdict_as_the_local_engine(
    bed: Bed, misconfigured: dict[str, Demo], experiment: Path, tmp_path: Path
) -> None:
    def run(engine: str) -> tuple[int, dict[str, Any]]:
        demo = misconfigured[engine]
        journal = tmp_path / f"{engine}.json"
        done = bed.squall(
            "run",
            "--engine",
            engine,
            "--task-queue",
            "security",
            "--journal-path",
            str(journal),
            "--var-file",
            str(demo.variables),
            str(experiment),
            SQUALL_TEMPORAL_KEY=KEY,
        )
        document = json.loads(journal.read_text())
        assert done.returncode == document["squall"]["exit_code"], done.stderr
        assert demo.healthy(), f"{engine}: the demo is down after {experiment.name}"
        return done.returncode, _verdict(document)

    with ThreadPoolExecutor(max_workers=2) as pool:  # each engine on its own demo, at once
        seen = dict(zip(misconfigured, pool.map(run, misconfigured), strict=True))
    assert seen["temporal"] == seen["local"]
