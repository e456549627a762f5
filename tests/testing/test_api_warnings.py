"""A run through the Python API without a listener: its warnings (here, an override key
the experiment does not declare) reach Python's logging (logger ``squall.run``, WARNING),
so a program sees them on stderr as it sees any library's warning; they reached only a
listener, and a caller without one saw nothing (session 9)."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import squall
from squall.engine import NullListener

DOC = {
    "title": "warned",
    "description": "d",
    "configuration": {"shop_url": "http://127.0.0.1:9"},
    "method": [
        {
            "type": "action",
            "name": "pid",
            "provider": {"type": "python", "module": "os", "func": "getpid"},
        }
    ],
}
WARNING = 'configuration override "other_key" is not declared in configuration'


def test_a_program_without_logging_sees_the_warning_on_stderr(tmp_path: Path) -> None:
    program = textwrap.dedent(
        f"""
        import squall
        journal = squall.run_experiment(
            {DOC!r}, run_options=squall.RunOptions(overrides={{"other_key": 1}})
        )
        print(journal.outcome)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "held"
    assert WARNING in done.stderr


def test_the_warning_is_a_record_of_the_squall_run_logger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.WARNING, logger="squall.run"):
        squall.run_experiment(DOC, run_options=squall.RunOptions(overrides={"other_key": 1}))
    records = [r for r in caplog.records if r.name == "squall.run"]
    assert [r.levelno for r in records] == [logging.WARNING]
    assert WARNING in records[0].getMessage()


def test_a_listener_given_gets_the_warning_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    heard: list[str] = []

    class Hears(NullListener):
        def warning(self, text: str) -> None:
            heard.append(text)

    with caplog.at_level(logging.WARNING, logger="squall.run"):
        squall.run_experiment(
            DOC, run_options=squall.RunOptions(overrides={"other_key": 1}), listener=Hears()
        )
    assert len(heard) == 1 and WARNING in heard[0]
    assert not [r for r in caplog.records if r.name == "squall.run"]
