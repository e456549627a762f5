"""The conformance corpus (tests/conformance) run by both squall engines, case by case.

The local side is ``squall run``; the Temporal side is the same command with
``--engine temporal`` (engine_cli.py) against a real dev server and real ``squall worker``
subprocesses. Both sides go through the conformance driver (driver.run_case): same
working directory layout, settings file, arguments, signals and journal reading.

A Temporal run's activities run in a worker's process, not the command line's. A case
whose activities depend on the command's working directory or environment (its own
files, ``env``/``unset_env``, ``$CONF_WORK`` counters and markers, relative paths, a
signal sent when its marker appears) gets a worker of its own, in the case's working
directory with the case's environment, on a queue of its own: a new one when the case
sets its environment or sends a signal, else a slot's (corpus_slots.py: a worker kept
for such cases, one case at a time, whose working directory is the case's while it
runs); every other case runs on one shared worker. The payload key is set on both sides, so cases with inline secrets run.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from corpus_slots import Slots, needs_fresh_worker

from sqengine import CONFORMANCE
from sqharness import SUPPORT, LocalServer, subprocess_env
from sqworker import SquallWorker

__all__ = ["CASES", "EXPERIMENTS", "Corpus", "needs_own_worker", "run_corpus"]

HERE = Path(__file__).resolve().parent
EXPERIMENTS = CONFORMANCE / "experiments"
CASES: list[dict[str, Any]] = json.loads((CONFORMANCE / "cases.json").read_text())
SHARED_QUEUE = "corpus"
#: what in an experiment reads or writes the working directory or the environment of its
#: process ($CONF_WORK: counters, markers a signal waits for; controls and their log)
_LOCAL_STATE = re.compile(
    r"CONF_WORK|\{work\}|\"controls\"\s*:|\"(mark|count_calls|sleep_then|fail_if_marked)\""
)
#: cases whose process writes a file relative to its working directory
_OWN_CWD = {"process-cwd-file"}


def needs_own_worker(case: dict[str, Any]) -> bool:
    """Whether the case's activities (or controls: they log their calls to
    ``$CONF_WORK/controls.log``) need the case's own working directory/environment."""
    if case["id"] in _OWN_CWD or any(k in case for k in ("files", "env", "unset_env", "signal")):
        return True
    if "controls" in (case.get("settings") or {}):
        return True
    return bool(_LOCAL_STATE.search((EXPERIMENTS / case["experiment"]).read_text()))


class Corpus:
    """Both sides' results: ``local[id]`` and ``temporal[id]`` (driver.run_case results)."""

    def __init__(self, local: dict[str, Any], temporal: dict[str, Any], http_url: str) -> None:
        self.local = local
        self.temporal = temporal
        self.http_url = http_url


def _serve_sources() -> LocalServer:
    server = LocalServer()
    for name, kind in (
        ("trivial.json", "application/json"),
        ("trivial-yaml.yaml", "application/x-yaml"),
    ):
        server.serve(f"/conformance/{name}", (EXPERIMENTS / name).read_text(), kind)
    return server


class _Sides:
    def __init__(self, address: str, root: Path, http_url: str, jobs: int) -> None:
        self.address = address
        self.root = root
        key = base64.b64encode(os.urandom(32)).decode()
        python_path = os.pathsep.join([str(SUPPORT), str(EXPERIMENTS)])
        self.env = subprocess_env(
            PYTHONPATH=python_path,
            CONF_HTTP=http_url,
            SQUALL_TEMPORAL_ADDRESS=address,
            SQUALL_TEMPORAL_KEY=key,
        )
        self.local_prefix = [sys.executable, "-m", "squall", "--no-log-file"]
        self.temporal_prefix = [sys.executable, str(HERE / "engine_cli.py"), "--no-log-file"]
        self.slots = Slots(jobs, root / "temporal", self._slot_worker)

    def local(self, case: dict[str, Any]) -> dict[str, Any]:
        import driver  # tests/conformance (on the path once sqengine is imported)

        return driver.run_case(case, self.local_prefix, EXPERIMENTS, self.root / "local", self.env)

    def temporal(self, case: dict[str, Any]) -> dict[str, Any]:
        import driver

        out = self.root / "temporal"
        case = _signal_in_time(case)
        if not needs_own_worker(case):
            env = {**self.env, "SQUALL_TEMPORAL_TASK_QUEUE": SHARED_QUEUE}
            return driver.run_case(case, self.temporal_prefix, EXPERIMENTS, out, env)
        work = out / "work" / case["id"]
        if not needs_fresh_worker(case):
            with self.slots.taken(keep=work) as (queue, slot):
                env = {**self.env, "SQUALL_TEMPORAL_TASK_QUEUE": queue}
                return driver.run_case(case, self.temporal_prefix, EXPERIMENTS, out, env, slot)
        queue = f"case-{case['id']}"
        env = {**self.env, "SQUALL_TEMPORAL_TASK_QUEUE": queue}
        driver._prepare(case, work, EXPERIMENTS)  # the worker starts in it
        worker_env = driver._env(case, work, EXPERIMENTS, env)
        log = self.root / f"worker-{case['id']}.log"
        with SquallWorker(self.address, queue, log, env=worker_env, cwd=work):
            return driver.run_case(case, self.temporal_prefix, EXPERIMENTS, out, env)

    def _slot_worker(self, work: Path, queue: str, log: Path) -> SquallWorker:
        """A slot's worker: ``$CONF_WORK`` and working directory ``work``."""
        import driver

        env = driver._env({}, work, EXPERIMENTS, {**self.env, "SQUALL_TEMPORAL_TASK_QUEUE": queue})
        return SquallWorker(self.address, queue, log, env=env, cwd=work)


#: seconds between the ``method-started`` marker and a case's signal on the Temporal side
TEMPORAL_SIGNAL_DELAY = 3.0


def _signal_in_time(case: dict[str, Any]) -> dict[str, Any]:
    """``case`` with its signal sent late enough for Temporal: the signal cases mean it for
    the activity after ``method-started`` (it sleeps 20 s), and the local side is there
    0.5 s after the marker, but on Temporal the next activity starts only once the
    server has recorded the marking one's end and the workflow has scheduled it, which
    took over 0.5 s under load (the signal then came before it: one entry, not two)."""
    spec = case.get("signal")
    if not spec or spec.get("marker", "method-started") != "method-started":
        return case
    delay = max(float(spec.get("delay", 0.3)), TEMPORAL_SIGNAL_DELAY)
    return {**case, "signal": {**spec, "delay": delay}}


def run_corpus(address: str, root: Path, cases: list[dict[str, Any]], *, jobs: int = 4) -> Corpus:
    """Every case of ``cases`` on both sides (``jobs`` commands at a time in all), with a
    shared worker for the cases that need none of their own."""
    server = _serve_sources()
    sides = _Sides(address, root, server.url, jobs)
    shared_env = {**sides.env, "SQUALL_TEMPORAL_TASK_QUEUE": SHARED_QUEUE}
    shared = SquallWorker(
        address, SHARED_QUEUE, root / "worker-shared.log", env=shared_env, cwd=root
    )
    # slow cases first so they overlap with the many short ones
    order = sorted(cases, key=lambda c: -c.get("weight", 0))
    tasks = [(side, case) for case in order for side in ("temporal", "local")]
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            done = list(pool.map(lambda t: (t[0], getattr(sides, t[0])(t[1])), tasks))
    finally:
        shared.stop()
        sides.slots.stop()
        server.close()
    local = {r["id"]: r for side, r in done if side == "local"}
    temporal = {r["id"]: r for side, r in done if side == "temporal"}
    return Corpus(local, temporal, server.url)
