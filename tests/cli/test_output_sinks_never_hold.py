"""``--events-file`` and ``--log-file`` never hold a run: a FIFO without a reader is
refused before anything runs (exit 2, located), a reader that stops reading costs a
line 2 s at most and the rollbacks are still played, a full device is one warning line
(no traceback) and the verdict keeps its exit code. Real FIFOs and ``/dev/full``."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "events.fifo"
    os.mkfifo(path)
    yield path


def _experiment(tmp_path: Path, outputs: int = 1) -> Path:
    """``outputs`` actions returning 3000 characters each, then a rollback that leaves
    a marker file."""
    (tmp_path / "big.py").write_text(
        "def big(n):\n    return 'x' * n\n\ndef mark(path):\n    open(path, 'w').close()\n"
    )
    provider = {"type": "python", "module": "big", "func": "big", "arguments": {"n": 3000}}
    experiment = {
        "title": "sinks",
        "description": "outputs that fill a pipe",
        "method": [
            {"type": "action", "name": f"big-{i}", "provider": provider} for i in range(outputs)
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "mark",
                "provider": {
                    "type": "python",
                    "module": "big",
                    "func": "mark",
                    "arguments": {"path": str(tmp_path / "rolled-back")},
                },
            }
        ],
    }
    path = tmp_path / "sinks.json"
    path.write_text(json.dumps(experiment))
    return path


@pytest.mark.parametrize("option", ["--events-file", "--log-file"])
def test_a_fifo_without_a_reader_is_refused_before_the_run(
    squall: Any, tmp_path: Path, fifo: Path, option: str
) -> None:
    run = ["run", str(_experiment(tmp_path))]
    args = [*run, option, str(fifo)] if option == "--events-file" else [option, str(fifo), *run]
    result = squall(*args, timeout=20)  # before: blocked in open() until killed
    assert result.code == 2, result.stderr
    assert f"{option} {fifo}: no program reads it" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.journal is None and not (tmp_path / "rolled-back").exists()


def test_a_reader_that_stops_reading_costs_the_run_two_seconds(
    squall: Any, tmp_path: Path, fifo: Path
) -> None:
    """The reader opens the FIFO, shrinks its buffer to a page and never reads: the
    events of five 3000-character outputs cannot fit."""
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        fcntl.fcntl(reader, fcntl.F_SETPIPE_SZ, 4096)
        result = squall(
            "run", "--events-file", str(fifo), str(_experiment(tmp_path, 5)), timeout=30
        )
    finally:
        os.close(reader)
    assert result.code == 0, result.stderr  # the events file is not the record
    assert f"events file {fifo}: its reader took nothing for 2 s" in result.stderr
    assert (tmp_path / "rolled-back").exists()
    assert result.journal is not None and result.journal["status"] == "completed"


def test_a_full_device_is_one_line_and_the_verdict_stands(squall: Any, tmp_path: Path) -> None:
    path = str(_experiment(tmp_path))
    logged = squall("--log-file", "/dev/full", "run", path)
    assert logged.code == 0, logged.stderr
    assert "Traceback" not in logged.stderr and "Logging error" not in logged.stderr
    lost = "squall: log file /dev/full: No space left on device: no more records"
    assert logged.stderr.count(lost) == 1
    events = squall("run", "--events-file", "/dev/full", path)
    assert events.code == 0, events.stderr
    assert events.stderr.count("events file /dev/full: No space left on device") == 1
    assert events.journal is not None and (tmp_path / "rolled-back").exists()


@pytest.mark.parametrize("option", ["--events-file", "--journal-path"])
def test_an_output_that_is_the_experiment_file_is_refused(
    squall: Any, tmp_path: Path, option: str
) -> None:
    """Found: ``--events-file e.json`` emptied the experiment before it was read (the
    run then failed on an empty file: the user's file was lost); ``--journal-path
    e.json`` wrote the journal over it. Also through a link."""
    path = _experiment(tmp_path)
    text = path.read_text()
    (tmp_path / "link.json").symlink_to(path.name)
    result = squall("run", option, "link.json", str(path))
    assert result.code == 2, result.stderr
    assert f"{option} link.json is the experiment file {path}: squall would" in result.stderr
    assert path.read_text() == text and not (tmp_path / "rolled-back").exists()


@pytest.mark.parametrize("journal", [None, "j.json", "link.json"])
def test_the_events_file_is_not_the_journal(
    squall: Any, tmp_path: Path, journal: str | None
) -> None:
    """``--events-file`` naming the journal's path (journal.json by default, or through a
    link): the journal written at the end replaced the events a program was reading
    (review10's note). Refused before anything runs."""
    path = _experiment(tmp_path)
    (tmp_path / "j.json").write_text("")
    (tmp_path / "link.json").symlink_to("j.json")
    events = "journal.json" if journal is None else "j.json"
    given = [] if journal is None else ["--journal-path", journal]
    result = squall("run", "--events-file", events, *given, str(path))
    assert result.code == 2, result.stderr
    assert f"--events-file {events} is the journal's path too" in result.stderr
    assert not (tmp_path / "rolled-back").exists()


def test_an_agent_report_that_cannot_be_written_is_said(tmp_path: Path) -> None:
    """``--output agent`` with stdout on a full device: the report was lost without a
    word (exit 0); now stderr says so. The exit code stays the verdict's."""
    import subprocess
    import sys

    from sqharness import subprocess_env

    path = _experiment(tmp_path)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "squall", "run", "-q", "--output", "agent", str(path)],
            cwd=tmp_path, env=subprocess_env(), stdout=full, stderr=subprocess.PIPE,
            text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "squall: --output agent: the report could not be written to stdout" in done.stderr
    assert "Traceback" not in done.stderr and (tmp_path / "rolled-back").exists()
