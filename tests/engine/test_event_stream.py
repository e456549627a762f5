"""The journal is streamed while the run goes: a run killed with SIGKILL leaves every
finished activity on disk."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from sqharness import EXAMPLES, run_streams, start_run, subprocess_env


def test_sigkill_mid_run_leaves_the_event_stream(tmp_path: Path) -> None:
    proc, journal, _ = start_run(tmp_path, "interrupt-python.json")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert not journal.exists(), "no final journal after SIGKILL"
    (events,) = run_streams()  # the run's own, in the recovery directory
    records = [json.loads(line) for line in events.read_text().splitlines()]
    kinds = [r["event"] for r in records]
    assert kinds[0] == "start"
    assert records[0]["journal"]["experiment"]["title"] == "a long python action to interrupt"
    finished = [r["run"]["activity"]["name"] for r in records if r["event"] == "activity"]
    assert finished == ["started"]
    started = [r["name"] for r in records if r["event"] == "activity-start"]
    assert started == ["started", "long-sleep"], "the running action is known to have started"
    assert "end" not in kinds
    assert events.name == f"{records[0]['run_id']}.events.jsonl"
    assert records[0]["journal_path"] == str(journal)
    assert oct(events.stat().st_mode & 0o777) == "0o600", "readable by its owner only"


def test_event_stream_is_removed_after_a_finished_run_unless_kept(tmp_path: Path) -> None:
    journal = tmp_path / "j.json"
    events = tmp_path / "j.json.events.jsonl"
    for keep, exists in (((), False), (("--keep-events",), True)):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "squall",
                "--settings",
                str(tmp_path / "s.yaml"),
                "run",
                "--journal-path",
                str(journal),
                *keep,
                str(EXAMPLES / "trivial.json"),
            ],
            env=subprocess_env(),
            check=True,
            capture_output=True,
        )
        assert events.exists() is exists
    kinds = [json.loads(line)["event"] for line in events.read_text().splitlines()]
    assert kinds == [
        "start",
        "probe",
        "hypothesis",
        "activity-start",
        "activity",
        "probe",
        "hypothesis",
        "rollbacks-decided",
        "end",
    ]
