"""The bundled security experiments (examples/security) against the real demo, healthy and
misconfigured, run by both engines: with ``--engine temporal`` (a real dev server, a real
``squall worker``) each one gives the same exit code, outcome and normalised journal
(every entry's type, name, status, tolerance and error; the reasons) as with the local engine, and
the worker's rollbacks leave the demo exactly as they found it.

An experiment leaves traces in the demo (the detector remembers an attack, for one), so
each engine gets a demo of its own, both started fresh and given the experiments in the
same order. The two runs of an experiment go at the same time (each against its own
demo): they mostly wait (floods, detectors, pauses), so side by side the module takes
about half as long. The demo's var file carries secrets:
the payload key encrypts them in Temporal's history (the worker and the command line
share it, as in docs/scale-out.md).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sqengine import normal
from sqharness import subprocess_env
from sqworker import SquallWorker, squall_cli
from temporal import TemporalServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples_security"))
from security_support import Demo, processes_with, security_experiments, start

pytestmark = pytest.mark.slow

EXPERIMENTS = security_experiments()
QUEUE = "security-parity"
KEY = base64.b64encode(os.urandom(32)).decode()


class Engines:
    """Runs an experiment against a demo with either engine."""

    def __init__(self, server: TemporalServer, root: Path) -> None:
        self.env = subprocess_env(
            SQUALL_TEMPORAL_ADDRESS=server.address,
            SQUALL_TEMPORAL_TASK_QUEUE=QUEUE,
            SQUALL_TEMPORAL_KEY=KEY,
            SQUALL_HISTORY=str(root / "history.sqlite3"),
        )
        self.root = root

    def run(self, demo: Demo, experiment: Path, engine: str) -> tuple[int, dict[str, Any], str]:
        journal = self.root / f"{demo.state_dir.parent.name}-{experiment.stem}-{engine}.json"
        done = subprocess.run(
            [*squall_cli(), "run", "--engine", engine, "--journal-path", str(journal),
             "--var-file", str(demo.variables), str(experiment)],
            capture_output=True, text=True, timeout=180, check=False, env=self.env,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        data = json.loads(journal.read_text()) if journal.exists() else {}
        return done.returncode, data, done.stderr


@pytest.fixture(scope="module")
def engines(
    temporal_server: TemporalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engines]:
    root = tmp_path_factory.mktemp("security-parity")
    made = Engines(temporal_server, root)
    with SquallWorker(temporal_server.address, QUEUE, root / "worker.log", env=made.env, cwd=root):
        yield made


@pytest.fixture(scope="module", params=["normal", "misconfigured"])
def demos(request: pytest.FixtureRequest) -> Iterator[dict[str, Demo]]:
    """A demo per engine, both healthy or both misconfigured."""
    misconfigured = request.param == "misconfigured"
    with contextlib.ExitStack() as stack:
        yield {
            engine: stack.enter_context(contextlib.contextmanager(start)(misconfigured))
            for engine in ("local", "temporal")
        }


def comparable(journal: dict[str, Any]) -> dict[str, Any]:
    """What both engines must agree on: the verdict, the reasons (numbers aside), and per
    entry its type, name, status, tolerance and whether it failed. Outputs are left out:
    each engine has a demo of its own (ports, paths, run ids, times and counters differ)."""
    out = normal(journal)

    def entries(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if k != "output"} for e in found]

    for state in ("before", "after"):
        if isinstance(out.get(state), dict):
            out[state] = {**out[state], "probes": entries(out[state]["probes"])}
    out["run"], out["rollbacks"] = entries(out["run"]), entries(out["rollbacks"])
    run_id = journal["squall"]["run_id"]
    out["reasons"] = [
        re.sub(r"\d+(\.\d+)?", "<n>", r.replace(run_id, "<run>")) for r in out["reasons"]
    ]
    return out


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=[p.name for p in EXPERIMENTS])
def test_same_verdict_with_both_engines(
    engines: Engines, demos: dict[str, Demo], experiment: Path
) -> None:
    demo = demos["temporal"]
    before = demo.snapshot()
    with ThreadPoolExecutor(max_workers=1) as pool:  # the local run, meanwhile
        local_side = pool.submit(engines.run, demos["local"], experiment, "local")
        code, journal, stderr = engines.run(demo, experiment, "temporal")
        local_code, local, local_err = local_side.result()
    assert local, local_err
    assert journal, stderr
    assert code == local_code, f"local: {local_err[-1500:]}\ntemporal: {stderr[-1500:]}"
    assert journal["squall"]["outcome"] == local["squall"]["outcome"]
    assert comparable(journal) == comparable(local)
    # the worker played the rollbacks: the demo is as the Temporal run found it
    assert demo.snapshot() == before
    assert processes_with(f":{journal['squall']['run_id']}") == []
    assert demo.healthy()
