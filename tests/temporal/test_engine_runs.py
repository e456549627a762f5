"""The Temporal engine's own behaviour, with real ``squall`` and ``squall worker``
processes: routing to task queues, stop, detach and attach, secrets kept out of
Temporal's history, a queue with no worker, what it refuses before starting."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed
from sqharness import EXAMPLES
from sqworker import squall_cli

pytestmark = pytest.mark.slow

KEY = base64.b64encode(bytes(range(32))).decode()


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document))
    return path


def _getpid(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "provider": {"type": "python", "module": "os", "func": "getpid"},
        **extra,
    }


def _shell(name: str, script: str, kind: str = "action") -> dict[str, Any]:
    return {
        "type": kind,
        "name": name,
        "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]},
    }


def _journal(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def _entries(journal: dict[str, Any], key: str = "run") -> dict[str, dict[str, Any]]:
    return {e["activity"]["name"]: e for e in journal[key]}


def test_an_activity_routed_to_a_queue_runs_only_on_that_queue_s_worker(
    bed: Bed, tmp_path: Path
) -> None:
    experiment = _write(
        tmp_path / "routed.json",
        {
            "title": "routed",
            "description": "the action and a group on queue b, the rest on main",
            "method": [
                _getpid("on-b", squall={"task_queue": "b"}),
                {
                    "type": "parallel",
                    "name": "grp",
                    "squall": {"task_queue": "b"},
                    "activities": [_getpid("in-group")],
                },
                _getpid("on-main"),
            ],
            "rollbacks": [_getpid("undo-on-b", squall={"task_queue": "b"})],
        },
    )
    journal = tmp_path / "j.json"
    done = bed.squall(
        "run", "--engine", "temporal", "--journal-path", str(journal), str(experiment)
    )
    assert done.returncode == 0, done.stderr
    main, b = (w.pid for w in bed.workers[:2])
    run = _entries(_journal(journal))
    rollbacks = _entries(_journal(journal), "rollbacks")
    assert run["on-b"]["output"] == b
    assert run["in-group"]["output"] == b
    assert run["on-main"]["output"] == main
    assert rollbacks["undo-on-b"]["output"] == b


def test_an_activity_for_a_queue_without_worker_fails_clearly(bed: Bed, tmp_path: Path) -> None:
    experiment = _write(
        tmp_path / "nobody.json",
        {
            "title": "nobody",
            "description": "an action routed to a queue no worker polls",
            "squall": {"schedule_to_start": 2},
            "method": [_getpid("lost", squall={"task_queue": "nobody-polls-this"})],
            "rollbacks": [_getpid("undo")],
        },
    )
    journal = tmp_path / "j.json"
    began = time.monotonic()
    done = bed.squall(
        "run", "--engine", "temporal", "--journal-path", str(journal), str(experiment)
    )
    assert done.returncode == 3, done.stderr
    assert time.monotonic() - began < 30
    entry = _entries(_journal(journal))["lost"]
    assert entry["status"] == "failed"
    assert 'no worker of task queue "nobody-polls-this"' in done.stderr
    assert "squall worker --task-queue nobody-polls-this" in done.stderr
    assert _entries(_journal(journal), "rollbacks")["undo"]["status"] == "succeeded"


def test_an_owed_rollback_waits_for_a_worker_of_its_queue(bed: Bed, tmp_path: Path) -> None:
    """A method activity fails after schedule-to-start; an owed rollback never gives up:
    it waits (warned) until a worker of its queue comes."""
    queue = "comes-later"
    experiment = _write(
        tmp_path / "later.json",
        {
            "title": "later",
            "description": "a rollback routed to a queue whose worker comes later",
            "squall": {"schedule_to_start": 1},
            "method": [_getpid("inject")],
            "rollbacks": [_getpid("undo-later", squall={"task_queue": queue})],
        },
    )
    started = bed.squall("run", "--engine", "temporal", "--detach", str(experiment))
    run_id = started.stdout.strip()
    journal = tmp_path / "j.json"
    attach = subprocess.Popen(
        [*squall_cli(), "runs", "attach", run_id, "--journal-path", str(journal)],
        env=bed.env(),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert attach.stderr is not None
        waiting = f'rollback "undo-later" waits for a worker of task queue "{queue}"'
        seen = ""
        while waiting not in seen:
            line = attach.stderr.readline()
            assert line, seen
            seen += line
        late = bed.worker(queue)
        _, rest = attach.communicate(timeout=120)
    finally:
        if attach.poll() is None:
            attach.kill()
    assert attach.returncode == 0, seen + rest
    (undo,) = _journal(journal)["rollbacks"]
    assert undo["status"] == "succeeded"
    assert undo["output"] == late.pid


def test_stop_detach_and_attach(bed: Bed, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = _write(
        tmp_path / "stoppable.json",
        {
            "title": "stoppable",
            "description": "a long action, one that must never start, a rollback",
            "method": [
                _shell("long", f"echo started > {marks}/long; sleep 60"),
                _shell("never", f"echo ran > {marks}/never"),
            ],
            "rollbacks": [_shell("undo", f"echo played >> {marks}/undo")],
        },
    )
    started = bed.squall("run", "--engine", "temporal", "--detach", str(experiment))
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    assert len(run_id) == 12, started.stdout
    deadline = time.monotonic() + 30
    while not (marks / "long").exists():
        assert time.monotonic() < deadline, "the long action did not start"
        time.sleep(0.05)
    stopped = bed.squall("stop", run_id, "--reason", "enough")
    assert stopped.returncode == 0, stopped.stderr
    journal = tmp_path / "attached.json"
    attached = bed.squall("runs", "attach", run_id, "--journal-path", str(journal))
    assert attached.returncode == 130, attached.stderr
    document = _journal(journal)
    assert document["interruption"]["kind"] == "stop"
    assert document["interruption"]["reason"] == "enough"
    assert [e["activity"]["name"] for e in document["run"]] == ["long"]
    assert document["run"][0]["status"] == "failed"
    assert not (marks / "never").exists()
    assert (marks / "undo").read_text().splitlines() == ["played"]
    shown = bed.squall("runs", "show", run_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["outcome"] == "interrupted"
    again = bed.squall("stop", run_id)
    assert again.returncode == 2, again.stderr


def test_a_detached_run_is_recorded_by_the_worker_and_attach_gives_its_journal(
    bed: Bed, tmp_path: Path
) -> None:
    started = bed.squall("run", "--engine", "temporal", "--detach", str(EXAMPLES / "trivial.json"))
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    journal = tmp_path / "j.json"
    attached = bed.squall("runs", "attach", run_id, "--journal-path", str(journal))
    assert attached.returncode == 0, attached.stderr
    assert "ok before   probe  root-exists" in attached.stderr
    assert _journal(journal)["squall"]["run_id"] == run_id
    shown = bed.squall("runs", "show", run_id, "--json")
    assert json.loads(shown.stdout)["outcome"] == "held"
    unknown = bed.squall("runs", "attach", "nosuchrun123", "--journal-path", str(journal))
    assert unknown.returncode == 2
    assert 'no Temporal run "nosuchrun123"' in unknown.stderr


def test_no_secret_reaches_temporal_s_history(bed: Bed, tmp_path: Path) -> None:
    """An env secret is resolved on the worker; an inline one travels encrypted (a payload
    key on both sides); outputs that echo them are masked. The history is read back and
    every payload searched for both canaries."""
    env_canary, inline_canary = "canary-env-5f3a9c", "canary-inline-7e21bd"
    worker = bed.worker("secrets", SQUALL_TEMPORAL_KEY=KEY, WORKER_SECRET=env_canary)
    experiment = _write(
        tmp_path / "secrets.json",
        {
            "title": "secrets",
            "description": "two secrets echoed by activities",
            "squall": {"task_queue": "secrets"},
            "secrets": {
                "s": {"from_env": {"type": "env", "key": "WORKER_SECRET"}, "inline": inline_canary}
            },
            "method": [
                {
                    **_shell("echo-both", "echo $0 $1", "probe"),
                    "provider": {
                        "type": "process",
                        "path": "sh",
                        "arguments": ["-c", "echo ${from_env} ${inline}"],
                        "secrets": ["s"],
                    },
                }
            ],
        },
    )
    refused = bed.squall("run", "--engine", "temporal", str(experiment))
    assert refused.returncode == 2
    assert "SQUALL_TEMPORAL_KEY" in refused.stderr and "s.inline" in refused.stderr
    assert inline_canary not in refused.stderr
    journal = tmp_path / "j.json"
    done = bed.squall(
        "run",
        "--engine",
        "temporal",
        "--journal-path",
        str(journal),
        str(experiment),
        SQUALL_TEMPORAL_KEY=KEY,
    )
    assert done.returncode == 0, done.stderr + worker.log()
    document = _journal(journal)
    entry = document["run"][0]
    assert entry["status"] == "succeeded"
    assert env_canary not in journal.read_text() and inline_canary not in journal.read_text()
    assert "***" in entry["output"]["stdout"]
    history = bed.history_text(document["squall"]["run_id"])
    assert "secrets" in history  # the history was read (the queue name is in clear)
    assert env_canary not in history
    assert inline_canary not in history
    # without a key (payloads in clear): the env secret alone, resolved and masked on
    # the worker, still never reaches the history
    clear = bed.worker("secrets-clear", WORKER_SECRET=env_canary)
    document = json.loads(experiment.read_text())
    document["squall"] = {"task_queue": "secrets-clear"}
    del document["secrets"]["s"]["inline"]
    document["method"][0]["provider"]["arguments"] = ["-c", "echo ${from_env}"]
    done = bed.squall(
        "run",
        "--engine",
        "temporal",
        "--journal-path",
        str(journal),
        str(_write(experiment, document)),
    )
    assert done.returncode == 0, done.stderr + clear.log()
    history = bed.history_text(_journal(journal)["squall"]["run_id"])
    assert "echo ${from_env}" in history  # in clear: the experiment can be read
    assert env_canary not in history


def test_detach_needs_the_temporal_engine(bed: Bed) -> None:
    done = bed.squall("run", "--detach", str(EXAMPLES / "trivial.json"))
    assert done.returncode == 2
    assert "--detach needs --engine temporal" in done.stderr
    assert os.environ.get("SQUALL_TEMPORAL_KEY") is None


def test_several_experiments_start_at_once_and_end_with_the_worst_exit_code(
    bed: Bed, tmp_path: Path
) -> None:
    journals = tmp_path / "journals"
    done = bed.squall(
        "run",
        "--engine",
        "temporal",
        "--journal-dir",
        str(journals),
        str(EXAMPLES / "trivial.json"),
        str(EXAMPLES / "deviated.json"),
        str(EXAMPLES / "gate-not-met.json"),
    )
    assert done.returncode == 4, done.stderr
    assert "squall: 3 experiments, exit 4" in done.stderr
    written = sorted(p.name for p in journals.iterdir())
    assert written == [
        "deviated.journal.json",
        "gate-not-met.journal.json",
        "trivial.journal.json",
    ]
    outcomes = {p.name: _journal(p)["squall"]["outcome"] for p in journals.iterdir()}
    assert outcomes["trivial.journal.json"] == "held"
    # each summary line gives its run's own duration (the journal's), not the time spent
    # following it: they run at once, and a run that ended while an earlier one was
    # followed showed 0.0 s
    for name in ("trivial", "deviated", "gate-not-met"):
        seconds = _journal(journals / f"{name}.journal.json")["duration"]
        line = next(
            x for x in done.stderr.splitlines() if x.startswith(f"  {EXAMPLES}/{name}.json")
        )
        assert f" {seconds:6.1f} s  " in line, (seconds, line)
    assert outcomes["deviated.journal.json"] == "deviated"
    assert outcomes["gate-not-met.journal.json"] == "not-run"


def test_stop_on_failure_ends_with_the_failure_s_code_not_the_stop_s(
    bed: Bed, tmp_path: Path
) -> None:
    """All runs start at once, so --stop-on-failure stops the later ones (exit 130 each);
    the suite's code is the failure's, as a local suite's (which never starts them): a
    CI job read 130 as "cancelled, re-run" and missed the weakness found."""
    long = _write(
        tmp_path / "long.json",
        {
            "title": "a long method",
            "description": "stopped by the suite",
            "method": [_shell("long-sleep", "sleep 60")],
        },
    )
    journals = tmp_path / "journals"
    done = bed.squall(
        "run",
        "--engine",
        "temporal",
        "--stop-on-failure",
        "--journal-dir",
        str(journals),
        str(EXAMPLES / "deviated.json"),
        str(long),
    )
    assert done.returncode == 1, done.stderr
    assert "squall: 2 experiments, exit 1 (deviated)" in done.stderr
    stopped = _journal(journals / "long.journal.json")["squall"]
    assert (stopped["outcome"], stopped["exit_code"]) == ("interrupted", 130)
    assert stopped["reasons"] == ["--stop-on-failure: an earlier run failed"]


def test_a_pause_is_a_durable_timer_that_a_stop_ends(bed: Bed, tmp_path: Path) -> None:
    """A pause written as a number is slept by the workflow (a Temporal timer, in the
    history), not on a worker; a stop during it ends it and the activity never runs."""
    marks = tmp_path / "marks"
    marks.mkdir()
    paused = _shell("paused", f"echo ran > {marks}/paused")
    experiment = _write(
        tmp_path / "paused.json",
        {
            "title": "paused",
            "description": "a long pause before an action",
            "method": [
                _shell("first", f"echo ran > {marks}/first"),
                {**paused, "pauses": {"before": 60}},
            ],
            "rollbacks": [_shell("undo", f"echo played >> {marks}/undo")],
        },
    )
    started = bed.squall("run", "--engine", "temporal", "--detach", str(experiment))
    run_id = started.stdout.strip()
    deadline = time.monotonic() + 60
    while "TIMER_STARTED" not in json.dumps(bed.history(run_id)):
        assert time.monotonic() < deadline, "no timer started"
        time.sleep(0.2)
    assert (marks / "first").exists()
    assert bed.squall("stop", run_id).returncode == 0
    journal = tmp_path / "j.json"
    attached = bed.squall("runs", "attach", run_id, "--journal-path", str(journal))
    assert attached.returncode == 130, attached.stderr
    first, stopped = _journal(journal)["run"]
    assert first["status"] == "succeeded"
    assert stopped["status"] == "failed"
    assert "interrupted by a stop request" in stopped["exception"][0]
    assert not (marks / "paused").exists()
    assert (marks / "undo").read_text().splitlines() == ["played"]


def test_the_worker_records_a_run_nobody_follows(bed: Bed, tmp_path: Path) -> None:
    """--detach: the worker that finishes the run writes its journal into its
    --journal-dir and its record into its own history, with nobody attached."""
    journals, history = tmp_path / "journals", tmp_path / "worker-history.sqlite3"
    bed.worker("recording", "--journal-dir", str(journals), SQUALL_HISTORY=str(history))
    started = bed.squall(
        "run", "--engine", "temporal", "--task-queue", "recording", "--detach",
        str(EXAMPLES / "deviated.json"),
    )  # fmt: skip
    run_id = started.stdout.strip()
    written = journals / f"{run_id}.journal.json"
    deadline = time.monotonic() + 60
    while not written.exists():
        assert time.monotonic() < deadline, "the worker wrote no journal"
        time.sleep(0.1)
    assert _journal(written)["squall"]["outcome"] == "deviated"
    shown = bed.squall("runs", "show", run_id, "--json", "--history", str(history))
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert (record["outcome"], record["exit_code"]) == ("deviated", 1)


def _records(bed: Bed, history: str) -> list[tuple[str, int]]:
    listed = bed.squall("runs", "list", "--json", "--history", history)
    assert listed.returncode == 0, listed.stderr
    return [(r["state"], r["exit_code"]) for r in json.loads(listed.stdout)]


def test_a_run_its_worker_refuses_is_recorded_invalid_by_the_command_line(
    bed: Bed, tmp_path: Path
) -> None:
    """A module the worker cannot import (exit 2, nothing ran): the history record of
    the command line that followed it says `invalid`, with the problem as its reason,
    as a worker's own history does for a run nobody follows."""
    experiment = _write(
        tmp_path / "lacks.json",
        {
            "title": "a driver the workers lack",
            "description": "refused where it runs",
            "method": [
                {
                    "type": "action",
                    "name": "a",
                    "provider": {"type": "python", "module": "no_such_module_nc6", "func": "f"},
                }
            ],
        },
    )
    history = str(tmp_path / "h.sqlite3")
    done = bed.squall(
        "run", "--engine", "temporal", str(experiment),
        SQUALL_HISTORY=history,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert 'cannot import module "no_such_module_nc6"' in done.stderr
    assert _records(bed, history) == [("invalid", 2)]
    run_id = json.loads(bed.squall("runs", "list", "--json", "--history", history).stdout)[0]
    shown = bed.squall("runs", "show", run_id["run_id"], "--history", history)
    assert "why:        /method/0/provider/module: cannot import module" in shown.stdout


def test_a_run_no_worker_takes(bed: Bed, tmp_path: Path) -> None:
    """`run` ends it (nothing ran: exit 3, terminated); `runs attach` of a detached one
    says so and waits for a worker."""
    experiment = _write(
        tmp_path / "unserved.json",
        {
            "title": "unserved",
            "description": "a run on a queue no worker polls yet",
            "squall": {"schedule_to_start": 1},
            "method": [_getpid("a")],
        },
    )
    history = str(tmp_path / "h.sqlite3")
    done = bed.squall(
        "run", "--engine", "temporal", "--task-queue", "unserved-1", str(experiment),
        SQUALL_HISTORY=history,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert 'no worker took the run from task queue "unserved-1"' in done.stderr
    assert "nothing ran" in done.stderr
    # its record ends too (it stayed `running` for ever: no process here, never pruned)
    assert _records(bed, history) == [("failed", 3)]
    started = bed.squall(
        "run", "--engine", "temporal", "--task-queue", "unserved-2", "--detach", str(experiment)
    )
    run_id = started.stdout.strip()
    journal = tmp_path / "j.json"
    attach = subprocess.Popen(
        [*squall_cli(), "runs", "attach", run_id, "--journal-path", str(journal)],
        env=bed.env(),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert attach.stderr is not None
        seen = ""
        while "waiting for one" not in seen:
            line = attach.stderr.readline()
            assert line, seen
            seen += line
        late = bed.worker("unserved-2")
        _, rest = attach.communicate(timeout=120)
    finally:
        if attach.poll() is None:
            attach.kill()
    assert attach.returncode == 0, seen + rest
    assert _journal(journal)["run"][0]["output"] == late.pid


def test_reports_are_made_from_the_journal_the_run_ended_with(bed: Bed, tmp_path: Path) -> None:
    """``--report`` on Temporal is made as on the local engine: from the journal the
    command line holds, never read back from its path (a device, a FIFO). Before, it
    was read back, and a journal sent to /dev/null got no report."""
    experiment = _write(
        tmp_path / "reported.json",
        {"title": "reported", "description": "d", "method": [_getpid("pid")]},
    )
    done = bed.squall(
        "run", "--engine", "temporal", str(experiment), "--journal-path", os.devnull,
        "--report", "markdown:r.md", "--report", "json:r.json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "report not written" not in done.stderr, done.stderr
    assert "held: reported" in (tmp_path / "r.md").read_text()
    (run,) = json.loads((tmp_path / "r.json").read_text())["runs"]
    assert run["journal"] == os.devnull and run["outcome"] == "held"
