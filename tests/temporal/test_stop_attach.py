"""``squall stop`` at the moments that matter, with real workers: while the command line
follows the run (its process is killed on the worker, the command ends with 130 and the
journal), while the rollbacks play (they are not stopped: each plays to its end, once),
under ``--rollback-strategy never`` (none is played), and on Python code that cannot be
stopped (abandoned after a grace period, and said so)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed
from sqmarks import held, lines, marked, queue_name, shell, wait_for_lines, write_experiment

pytestmark = pytest.mark.slow


def _run_id_of(bed: Bed, title: str) -> str:
    listed = json.loads(bed.squall("runs", "list", "--json", "--limit", "200").stdout)
    (run_id,) = [r["run_id"] for r in listed if r["title"] == title]
    return str(run_id)


def _stopped(
    bed: Bed, tmp_path: Path, experiment: Path, marker: Path, *args: str
) -> tuple[int, dict[str, Any], str]:
    """Run ``experiment``, ``squall stop`` it once ``marker`` has a line; the command's
    exit code, journal and stderr."""
    journal = tmp_path / "journal.json"
    cli = bed.follow(tmp_path, experiment, "--journal-path", str(journal), *args)
    try:
        try:
            wait_for_lines(marker)
        except AssertionError as exc:
            cli.kill()
            raise AssertionError(f"{exc}\n{cli.communicate()[1]}") from None
        run_id = _run_id_of(bed, experiment.stem)
        stop = bed.squall("stop", run_id, "--reason", "tadv says stop")
        assert stop.returncode == 0, stop.stderr
        (tmp_path / "release").touch()
        _, stderr = cli.communicate(timeout=120)
    finally:
        cli.kill()
    assert journal.exists(), stderr
    return cli.returncode, json.loads(journal.read_text()), stderr


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_stop_while_the_command_line_follows_kills_the_activity_and_plays_rollbacks(
    bed: Bed, tmp_path: Path
) -> None:
    m = tmp_path
    experiment = write_experiment(
        tmp_path / "stop-followed.json",
        [shell("long", f"echo $$$$ >> {m}/long; exec sleep 60"), marked(m, "never")],
        [marked(m, "undo")],
    )
    code, journal, stderr = _stopped(bed, tmp_path, experiment, m / "long")
    assert code == 130, stderr
    assert journal["squall"]["outcome"] == "interrupted"
    assert journal["interruption"]["kind"] == "stop"
    assert "tadv says stop" in stderr and "INTERRUPTED (exit 130)" in stderr
    assert [e["activity"]["name"] for e in journal["run"]] == ["long"]
    assert journal["run"][0]["status"] == "failed"
    (sleeper,) = lines(m / "long")
    assert _gone(int(sleeper))  # the stop killed the activity's process on the worker
    assert lines(m / "never") == []
    assert len(lines(m / "undo.done")) == 1 and lines(m / "undo") == lines(m / "undo.done")


def test_a_stop_during_the_rollbacks_lets_each_play_to_its_end_once(
    bed: Bed, tmp_path: Path
) -> None:
    m = tmp_path
    experiment = write_experiment(
        tmp_path / "stop-in-rollbacks.json",
        [marked(m, "inject")],
        [held(m, "undo-1"), marked(m, "undo-2")],
    )
    code, journal, stderr = _stopped(bed, tmp_path, experiment, m / "undo-1")
    assert [e["status"] for e in journal["rollbacks"]] == ["succeeded", "succeeded"], stderr
    for name in ("inject", "undo-1", "undo-2"):
        assert len(lines(m / name)) == 1 and lines(m / f"{name}.done") == lines(m / name), name
    assert not any((e.get("squall") or {}).get("interrupted") for e in journal["rollbacks"])
    # the stop is recorded, not obeyed: the run ends interrupted, every rollback played
    assert code == journal["squall"]["exit_code"] == 130, stderr
    assert journal["interruption"]["kind"] == "stop", journal.get("interruption")
    assert "stop requested during the rollbacks: tadv says stop" in stderr, stderr
    assert "not played" not in stderr and "squall recover" not in stderr


def test_a_stop_under_rollback_strategy_never_plays_no_rollback(bed: Bed, tmp_path: Path) -> None:
    m = tmp_path
    experiment = write_experiment(
        tmp_path / "stop-never.json",
        [shell("long", f"echo $$$$ >> {m}/long; exec sleep 60")],
        [marked(m, "undo")],
    )
    code, journal, stderr = _stopped(
        bed, tmp_path, experiment, m / "long", "--rollback-strategy", "never"
    )
    assert code == 130, stderr
    assert journal["rollbacks"] == []
    assert lines(m / "undo") == []


def test_python_code_that_cannot_be_stopped_is_abandoned_and_said_so(
    bed: Bed, tmp_path: Path
) -> None:
    m = tmp_path
    stuck = {
        "type": "action",
        "name": "stuck",
        "provider": {
            "type": "python",
            "module": "sqtest",
            "func": "log_then_sleep",
            "arguments": {"path": str(m / "stuck"), "seconds": 20},
        },
    }
    experiment = write_experiment(
        tmp_path / "stop-stuck.json", [marked(m, "first"), stuck], [marked(m, "undo")]
    )
    code, journal, stderr = _stopped(bed, tmp_path, experiment, m / "stuck")
    assert code == 130, stderr
    entry = journal["run"][1]
    assert entry["activity"]["name"] == "stuck" and entry["status"] == "failed"
    assert "abandoned" in "".join(entry.get("exception") or []), entry
    assert "abandoned" in stderr
    assert len(lines(m / "undo.done")) == 1
    assert lines(m / "stuck") == ["isolated-started"]  # still running, on the worker


def test_a_stop_after_the_method_s_worker_died_ends_the_run_and_plays_rollbacks(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """kill -9 of the worker running the method activity, then ``squall stop`` at once:
    the cancellation cannot reach a dead worker, the run must still end (no hang): the
    activity failed, nothing else of the method ran, the rollback played once by the
    other worker, exit 130."""
    queue = queue_name(request)
    pair = [bed.worker(queue), bed.worker(queue)]
    m = tmp_path
    experiment = write_experiment(
        tmp_path / "stop-dead-worker.json",
        [held(m, "long"), marked(m, "never")],
        [marked(m, "undo")],
        squall={"task_queue": queue, "heartbeat": 2},
    )
    started = bed.squall("run", "--engine", "temporal", "--detach", str(experiment))
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    (victim,) = wait_for_lines(m / "long")
    os.kill(int(victim), signal.SIGKILL)
    stop = bed.squall("stop", run_id, "--reason", "its worker is gone")
    assert stop.returncode == 0, stop.stderr
    journal = tmp_path / "journal.json"
    attached = bed.squall("runs", "attach", run_id, "--journal-path", str(journal), timeout=90)
    assert attached.returncode == 130, attached.stderr
    document = json.loads(journal.read_text())
    assert [e["activity"]["name"] for e in document["run"]] == ["long"]
    assert document["run"][0]["status"] == "failed"
    assert document["interruption"]["reason"] == "its worker is gone"
    (survivor,) = [str(w.pid) for w in pair if str(w.pid) != victim]
    assert lines(m / "long.done") == [] and lines(m / "never") == []
    assert lines(m / "undo") == [survivor] and lines(m / "undo.done") == [survivor]
