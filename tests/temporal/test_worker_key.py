"""A worker that cannot read a run (it has no payload key, or another one) refuses it
visibly (one squall line in its output, no stack trace), and ``squall run --engine
temporal`` says so at once, naming the worker, ends the run (nothing of it ran) and
exits 2 (a configuration error, as a refused API key), instead of staying silent for
``schedule_to_start`` (60 s) and then saying that no worker took the run. A detached run
waits instead: ``runs attach`` says why once, and the run goes on when a worker with the
key comes. Real dev server, real ``squall worker`` subprocesses."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from sqengine import Bed
from sqmarks import lines, marked, queue_name, write_experiment

pytestmark = pytest.mark.slow

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER = base64.b64encode(bytes(range(50, 82))).decode()
#: seconds the command line may take to say so, far below schedule_to_start (60 s)
PROMPT = 30.0
REFUSED = "squall worker: refused a run it cannot read"


def _id(key: str) -> str:
    from squall.temporal.keys import PayloadKey

    return PayloadKey(base64.b64decode(key)).id


@pytest.mark.parametrize(
    "worker_env",
    [pytest.param({}, id="no-key"), pytest.param({"SQUALL_TEMPORAL_KEY": OTHER}, id="other-key")],
)
def test_a_worker_that_cannot_read_the_run_is_reported_at_once(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest, worker_env: dict[str, str]
) -> None:
    queue = queue_name(request)
    experiment = write_experiment(tmp_path / "locked.json", [marked(tmp_path, "act")])
    with bed.worker(queue, **worker_env) as worker:
        began = time.monotonic()
        done = bed.squall(
            "run", "--engine", "temporal", "--task-queue", queue, str(experiment),
            SQUALL_TEMPORAL_KEY=KEY, SQUALL_HISTORY=str(tmp_path / "h.sqlite3"),
        )  # fmt: skip
        took = time.monotonic() - began
        log = worker.log()
    assert done.returncode == 2, done.stderr
    listed = bed.squall("runs", "list", "--json", "--history", str(tmp_path / "h.sqlite3"))
    # the record ends with the run (it stayed `running` for ever)
    assert [(r["state"], r["exit_code"]) for r in json.loads(listed.stdout)] == [("invalid", 2)]
    assert took < PROMPT, (took, done.stderr)
    assert f"the worker {worker.pid}@" in done.stderr, done.stderr
    assert "cannot read the run" in done.stderr and "nothing ran" in done.stderr
    assert "no worker took the run" not in done.stderr
    if not worker_env:  # its message is in clear: the key id the run needs
        assert "not among the keys configured here (key ids: none)" in done.stderr
    assert "Traceback" not in done.stderr
    assert lines(tmp_path / "act") == []  # nothing ran
    assert log.count(REFUSED) == 1, log
    # its first line says which keys it holds (by id), so a restart can be checked
    first = log.splitlines()[0]
    assert "polling task queue" in first, log
    if worker_env:
        assert first.endswith(f"; payload keys {_id(OTHER)} (encrypts)"), first
    else:
        assert first.endswith("; no payload key (it cannot take a run encrypted with one)")
    assert KEY not in log and OTHER not in log  # ids only, never a key
    # no Python stack trace (Temporal's own WARN line stays: "Failing workflow task")
    assert "Traceback (most recent call last)" not in log, log


def test_a_detached_run_waits_for_a_worker_that_can_read_it(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    queue = queue_name(request)
    experiment = write_experiment(tmp_path / "waits.json", [marked(tmp_path, "act")])
    with bed.worker(queue) as keyless:
        started = bed.squall(
            "run", "--engine", "temporal", "--task-queue", queue, "--detach", str(experiment),
            SQUALL_TEMPORAL_KEY=KEY,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        run_id = started.stdout.strip()
        deadline = time.monotonic() + PROMPT
        while REFUSED not in keyless.log():
            assert time.monotonic() < deadline, keyless.log()
            time.sleep(0.1)
    assert lines(tmp_path / "act") == []
    journal = tmp_path / "journal.json"
    with bed.worker(queue, SQUALL_TEMPORAL_KEY=KEY):
        attached = bed.squall(
            "runs", "attach", run_id, "--journal-path", str(journal), SQUALL_TEMPORAL_KEY=KEY
        )
    assert attached.returncode == 0, attached.stderr
    assert json.loads(journal.read_text())["squall"]["outcome"] == "held"
    assert len(lines(tmp_path / "act")) == 1
