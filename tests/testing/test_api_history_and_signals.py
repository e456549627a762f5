"""The Python API's run history (opt-in, named in RunOptions) and its Ctrl-C (the
rollbacks played, then KeyboardInterrupt), as a program sees them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import squall


def _doc(marker: Path | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "title": "recorded from python",
        "description": "d",
        "method": [{"type": "action", "name": "noop", "provider": _exists("/")}],
    }
    if marker is not None:
        doc["runtime"] = {"rollbacks": {"strategy": "always"}}
        doc["rollbacks"] = [
            {
                "type": "action",
                "name": "undo",
                "provider": {"type": "process", "path": "touch", "arguments": [str(marker)]},
            }
        ]
    return doc


def _exists(path: str) -> dict[str, Any]:
    return {"type": "python", "module": "os.path", "func": "exists", "arguments": {"path": path}}


def _listed(history: Path) -> list[dict[str, Any]]:
    """The runs ``squall runs list`` shows from ``history`` (the command users run)."""
    done = subprocess.run(
        [sys.executable, "-m", "squall", "runs", "list", "--json", "--history", str(history)],
        capture_output=True,
        text=True,
        check=True,
    )
    runs: list[dict[str, Any]] = json.loads(done.stdout)
    return runs


@pytest.fixture
def no_default_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's data directory under tmp_path, no $SQUALL_HISTORY: where a run would
    land if it were recorded by default."""
    monkeypatch.delenv("SQUALL_HISTORY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data" / "squall" / "history.sqlite3"


def test_a_run_is_recorded_in_the_history_it_names(
    tmp_path: Path, no_default_history: Path
) -> None:
    history = tmp_path / "runs.sqlite3"
    options = squall.RunOptions(history=history, journal_path=tmp_path / "j.json")
    journal = squall.run_experiment(_doc(), run_options=options)
    [run] = _listed(history)
    assert (run["run_id"], run["title"], run["outcome"]) == (
        journal.run_id,
        "recorded from python",
        "held",
    )
    squall.run_experiment(_doc(), run_options=squall.RunOptions(history=str(history)))
    assert len(_listed(history)) == 2
    assert not no_default_history.exists()


def test_history_true_is_the_one_squall_run_uses(
    tmp_path: Path, no_default_history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    squall.run_experiment(_doc(), run_options=squall.RunOptions(history=True))
    assert [r["title"] for r in _listed(no_default_history)] == ["recorded from python"]
    team = tmp_path / "team.sqlite3"
    monkeypatch.setenv("SQUALL_HISTORY", str(team))
    squall.run_experiment(_doc(), run_options=squall.RunOptions(history=True))
    assert len(_listed(team)) == 1
    monkeypatch.setenv("SQUALL_HISTORY", "off")
    squall.run_experiment(_doc(), run_options=squall.RunOptions(history=True))
    assert len(_listed(team)) == 1 and len(_listed(no_default_history)) == 1


def test_runs_are_not_recorded_unless_asked(no_default_history: Path) -> None:
    squall.run_experiment(_doc())
    squall.run_experiment(_doc(), run_options=squall.RunOptions(history=False))
    assert not no_default_history.exists()


def test_a_history_that_cannot_be_opened_stops_before_anything_runs(
    tmp_path: Path, no_default_history: Path
) -> None:
    marker = tmp_path / "rolled-back"
    options = squall.RunOptions(history="ftp://nowhere/h", journal_path=tmp_path / "j.json")
    with pytest.raises(squall.InputError, match=r"unknown kind of store") as raised:
        squall.run_experiment(_doc(marker), run_options=options)
    assert raised.value.exit_code == 2
    assert not (tmp_path / "j.json").exists() and not marker.exists()


def test_the_plugin_records_when_asked(
    tmp_path: Path, squall_run: Any, no_default_history: Path
) -> None:
    history = tmp_path / "tests.sqlite3"
    squall_run(_doc(), history=history).assert_held()
    squall_run(_doc())
    assert len(_listed(history)) == 1
    assert not no_default_history.exists()


PROGRAM = """
import os, signal, sys
import squall

def press(name):
    os.kill(os.getpid(), getattr(signal, name))

doc = {DOC}
doc["method"] = [{{"type": "action", "name": "press", "provider": {{
    "type": "python", "module": "__main__", "func": "press",
    "arguments": {{"name": sys.argv[1]}}}}}}]
try:
    journal = squall.run_experiment(doc, run_options=squall.RunOptions(journal_path="j.json"))
except squall.RunInterrupted as exc:
    assert isinstance(exc, KeyboardInterrupt)
    print("RAISED", exc, exc.journal.outcome, exc.journal.rollbacks[0].status)
    raise SystemExit(130)
print("RETURNED", journal.outcome)
"""


def _program(tmp_path: Path, signal_name: str) -> subprocess.CompletedProcess[str]:
    marker = tmp_path / "rolled-back"
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(PROGRAM.format(DOC=repr(_doc(marker)))))
    env = {**os.environ, "SQUALL_HISTORY": "off"}
    return subprocess.run(
        [sys.executable, str(script), signal_name],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ctrl_c_raises_keyboard_interrupt_after_the_rollbacks(tmp_path: Path) -> None:
    done = _program(tmp_path, "SIGINT")
    assert done.returncode == 130, done.stderr
    assert done.stdout.strip() == ("RAISED interrupted by SIGINT (Ctrl-C) interrupted succeeded")
    assert (tmp_path / "rolled-back").exists()
    assert json.loads((tmp_path / "j.json").read_text())["status"] == "interrupted"


def test_sigterm_reaches_the_program_after_the_rollbacks(tmp_path: Path) -> None:
    done = _program(tmp_path, "SIGTERM")
    assert done.returncode == -signal.SIGTERM, (done.stdout, done.stderr)
    assert "RETURNED" not in done.stdout
    assert (tmp_path / "rolled-back").exists()
    assert json.loads((tmp_path / "j.json").read_text())["status"] == "interrupted"
