"""``squall --log-file FILE``: a usage error (click refuses an option or an argument) is
in the log file as on the console, when ``--log-file`` was read before the error (the
log file held nothing: newcomer8's T8, session 9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sqharness import EXAMPLES


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["run", "--var-file", "missing.env", "EXP"], "Error: Invalid value for '--var-file'"),
        (["run", "--bogus", "EXP"], "Error: No such option '--bogus'"),
        (["validate", "--strict"], "Error: Missing argument 'SOURCE...'"),
        (["--log-format", "jsn", "run", "EXP"], "Error: Invalid value for '--log-format'"),
    ],
)
def test_a_usage_error_is_in_the_log_file(
    squall: Any, tmp_path: Path, args: list[str], error: str
) -> None:
    log = tmp_path / "squall.log"
    argv = [str(EXAMPLES / "trivial.json") if a == "EXP" else a for a in args]
    done = squall("--log-file", str(log), *argv)
    assert done.code == 2
    assert error in done.stderr and "Usage: squall" in done.stderr
    kept = log.read_text()
    assert " ERROR] " in kept
    for line in done.stderr.strip().splitlines():
        assert line in kept


def test_an_unparsed_global_option_stops_before_the_log_file_is_read(
    squall: Any, tmp_path: Path
) -> None:
    """Documented limit: click's parser refuses ``--bogus`` before reading any value."""
    log = tmp_path / "squall.log"
    done = squall("--log-file", str(log), "--bogus", "run", str(EXAMPLES / "trivial.json"))
    assert done.code == 2 and "No such option '--bogus'" in done.stderr
    assert not log.exists() or log.read_text() == ""


def test_a_log_file_that_cannot_be_opened_leaves_the_console_error(
    squall: Any, tmp_path: Path
) -> None:
    log = tmp_path / "no-such-dir" / "squall.log"
    done = squall("--log-file", str(log), "--log-format", "jsn", "run", "x.json")
    assert done.code == 2 and "Invalid value for '--log-format'" in done.stderr
    assert "Traceback" not in done.stderr and not log.exists()
