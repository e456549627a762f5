"""A run given ``--report``/``--junit`` that is killed leaves no report; ``squall
recover`` writes them once it has finished the run (docs/recovery.md, "Reports")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from sqharness import EXAMPLES, run_streams, start_run, subprocess_env

ZERO = ("--var", "gate_sleep:int=0", "--var", "rollback_sleep:int=0")


def _killed(tmp_path: Path, *extra: str) -> tuple[Path, str]:
    """A run of recover.json killed (SIGKILL) during its method; its run id."""
    proc, journal, _ = start_run(
        tmp_path, "recover.json", *ZERO, "--var", "method_sleep:int=30", *extra
    )
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    (stream,) = run_streams()
    return journal, stream.name.removesuffix(".events.jsonl")


def _kept(run_id: str) -> Path:
    return Path(os.environ["SQUALL_RECOVERY_DIR"]) / f"{run_id}.reports.json"


def test_recover_writes_the_reports_the_killed_run_was_given(squall: Any, tmp_path: Path) -> None:
    report, junit = tmp_path / "out" / "report.md", tmp_path / "junit.xml"
    journal, run_id = _killed(tmp_path, "--report", f"markdown:{report}", "--junit", str(junit))
    assert not report.exists() and not junit.exists()
    assert _kept(run_id).stat().st_mode & 0o777 == 0o600
    done = squall("recover", run_id, "--var", f"log={tmp_path / 'log.txt'}")
    assert done.code == 0, done.stderr
    assert f"markdown report: {report}" in done.stderr
    text = report.read_text(encoding="utf-8")
    assert run_id in text and "interrupted" in text.lower()
    cases = list(ET.parse(junit).getroot().iter("testcase"))
    assert cases, "a JUnit report of the run"
    assert journal.exists()
    assert not _kept(run_id).exists(), "forgotten once nothing is left to recover"


def test_reports_given_to_recover_replace_the_runs(squall: Any, tmp_path: Path) -> None:
    first = tmp_path / "first.md"
    _, run_id = _killed(tmp_path, "--report", f"markdown:{first}")
    done = squall(
        "recover", run_id, "--var", f"log={tmp_path / 'log.txt'}", "--report", "json:rec.json"
    )
    assert done.code == 0, done.stderr
    assert (tmp_path / "rec.json").exists()  # relative to where recover was started
    assert not first.exists()


def test_a_bad_report_option_refuses_before_anything_is_played(squall: Any, tmp_path: Path) -> None:
    _, run_id = _killed(tmp_path)
    done = squall("recover", run_id, "--report", "word:x.doc")
    assert done.code == 2 and "FORMAT:PATH" in done.stderr
    assert run_streams(), "still owed"


def test_a_run_that_ends_keeps_nothing(squall: Any, tmp_path: Path) -> None:
    done = squall(
        "run", str(Path(__file__).parents[1] / "examples" / "recover.json"),
        "--var", f"log={tmp_path / 'log.txt'}", *ZERO, "--var", "method_sleep:int=0",
        "--junit", "j.xml",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    assert (tmp_path / "j.xml").exists()
    assert not list(Path(os.environ["SQUALL_RECOVERY_DIR"]).iterdir())


def test_discard_forgets_the_reports(squall: Any, tmp_path: Path) -> None:
    _, run_id = _killed(tmp_path, "--junit", str(tmp_path / "j.xml"))
    assert squall("recover", run_id, "--discard").code == 0
    assert not _kept(run_id).exists()
    assert not (tmp_path / "j.xml").exists()


def test_a_killed_suite_gets_its_report_of_every_run_so_far(squall: Any, tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    first.write_text(json.dumps({"title": "the first of the suite", "description": "d",
        "method": [{"type": "probe", "name": "p", "provider": {"type": "python",
        "module": "os.path", "func": "join", "arguments": {"a": "x"}}}]}))  # fmt: skip
    log = tmp_path / "log.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "squall", "run", "--journal-dir", str(tmp_path / "j"),
         str(first), str(EXAMPLES / "recover.json"), "--var", f"log={log}", *ZERO,
         "--var", "method_sleep:int=30", "--report", f"markdown:{tmp_path / 'suite.md'}"],
        env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not (log.exists() and "method-started" in log.read_text()):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    (stream,) = run_streams()
    run_id = stream.name.removesuffix(".events.jsonl")
    done = squall("recover", run_id, "--var", f"log={log}")
    assert done.code == 0, done.stderr
    text = (tmp_path / "suite.md").read_text(encoding="utf-8")
    assert "the first of the suite" in text and "a run to kill and recover" in text


def test_recover_reports_on_the_journal_it_holds_not_read_back(squall: Any, tmp_path: Path) -> None:
    """The recovered run's report is made from the journal recover holds, as ``squall
    run`` makes it: a journal sent to a device (or a FIFO) cannot be read back. Before,
    recover read it back and declined the report (``the journal went to /dev/null``)."""
    report = tmp_path / "r.md"
    _, run_id = _killed(tmp_path, "--journal-path", os.devnull, "--report", f"markdown:{report}")
    done = squall("recover", run_id, "--var", f"log={tmp_path / 'log.txt'}")
    assert done.code == 0, done.stderr
    assert "report not written" not in done.stderr, done.stderr
    assert run_id in report.read_text(encoding="utf-8")
