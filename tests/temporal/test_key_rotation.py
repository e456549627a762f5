"""A payload key being rotated (docs/scale-out.md, "Rotation"): the command line already
has the new key first, a worker has only the old one. The worker cannot read the
command's progress queries (encrypted with the new key): ``runs attach`` says so once
and still gets the run's end (encrypted by the worker with the old key, which the
command line also holds), instead of an internal error."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from sqengine import Bed
from sqmarks import marked, queue_name, write_experiment

OLD = base64.b64encode(bytes(range(32))).decode()
NEW = base64.b64encode(bytes(range(100, 132))).decode()


@pytest.mark.slow
def test_attach_mid_rotation_follows_to_the_end_without_an_internal_error(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    queue = queue_name(request)
    experiment = write_experiment(tmp_path / "rotating.json", [marked(tmp_path, "act", 1)])
    with bed.worker(queue, SQUALL_TEMPORAL_KEY=OLD):
        started = bed.squall(
            "run", "--engine", "temporal", "--task-queue", queue, "--detach", str(experiment),
            SQUALL_TEMPORAL_KEY=OLD,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        run_id = started.stdout.strip()
        journal = tmp_path / "journal.json"
        attached = bed.squall(
            "runs", "attach", run_id, "--journal-path", str(journal),
            SQUALL_TEMPORAL_KEY=f"{NEW},{OLD}",
        )  # fmt: skip
    assert attached.returncode == 0, attached.stderr
    assert "internal error" not in attached.stderr and "Traceback" not in attached.stderr
    assert "the worker cannot answer this command's progress queries" in attached.stderr
    assert attached.stderr.count("cannot answer this command's progress queries") == 1
    assert json.loads(journal.read_text())["squall"]["run_id"] == run_id
