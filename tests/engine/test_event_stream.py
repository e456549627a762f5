"""The journal is streamed while the run goes: a run killed with SIGKILL leaves every
finished activity on disk."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def _stream_test_experiment(stream: Path, seen: Path, names: list[str]) -> dict[str, object]:
    """Foreground python activities, then a probe after the method that copies the
    event stream as it is on disk at that moment (to ``seen``)."""
    getpid = {"type": "python", "module": "os", "func": "getpid"}
    method = [{"type": "action", "name": name, "provider": getpid} for name in names]
    copy = {
        "type": "python",
        "module": "shutil",
        "func": "copyfile",
        "arguments": {"src": str(stream), "dst": str(seen)},
    }
    return {
        "title": "the stream as the run goes",
        "description": "d",
        "steady-state-hypothesis": {
            "title": "t",
            "probes": [{"type": "probe", "name": "copy", "tolerance": str(seen), "provider": copy}],
        },
        "method": method,
    }


def test_a_finished_activity_shares_the_next_write_and_is_on_disk_before_any_other_step(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """One write per foreground activity: its end line goes out with the next activity's
    start (still before that activity runs); before any other step (here the hypothesis
    after the method, whose probe reads the stream) the held line is written."""
    from squall import RunOptions, run_experiment
    from squall.experiment import parse_experiment
    from squall.journal.recovery import recovery_dir
    from squall.journal.store import EventStream

    writes: list[str] = []
    write = EventStream._write

    def counted(self: EventStream, text: str) -> None:
        writes.append(self._held + text)
        write(self, text)

    monkeypatch.setattr(EventStream, "_write", counted)
    seen = tmp_path / "seen"
    names = [f"a{i}" for i in range(5)]
    stream = Path(recovery_dir()) / "stream-test.events.jsonl"
    journal = run_experiment(
        parse_experiment(_stream_test_experiment(stream, seen, names)),
        run_options=RunOptions(journal_path=str(tmp_path / "j.json"), run_id="stream-test"),
    )
    assert journal.status.value == "completed"
    method_writes = [w for w in writes if '"phase": "method"' in w]
    assert len(method_writes) == len(names) + 1  # a start each, the last end alone
    for previous, (index, text) in enumerate(enumerate(method_writes[1:-1], 1)):
        ends, start = text.splitlines()  # the end of the one before, then this start
        assert json.loads(ends)["index"] == previous and json.loads(ends)["event"] == "activity"
        assert json.loads(start) == {
            "event": "activity-start",
            "phase": "method",
            "index": index,
            "name": names[index],
        }
    on_disk = [json.loads(line) for line in seen.read_text().splitlines()]
    ended = [r["run"]["activity"]["name"] for r in on_disk if r["event"] == "activity"]
    assert ended == names  # the last one too, before the probe ran
