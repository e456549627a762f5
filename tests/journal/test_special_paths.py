"""An output path that is a device, a FIFO or a terminal (``--journal-path /dev/null``,
``--report markdown:/dev/stdout``) is written in place, never replaced.

Found: the journal and reports are written to a temporary file renamed over the path,
which replaces the node itself. Run as root (a container, a CI job),
``--journal-path /dev/full`` made /dev/full a regular file holding the journal (seen
here, and put back with mknod); /dev/null would have gone the same way. The test uses
FIFOs of its own, never the machine's devices.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

EXPERIMENT = {
    "title": "special paths",
    "description": "outputs into FIFOs",
    "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}],
}


class Reader(threading.Thread):
    """Reads a FIFO until something was written to it (a writer that only opens and
    closes it, to check it can, gives an empty read: the reader opens it again)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        os.mkfifo(path)
        self.path, self.text = path, ""
        self.start()

    def run(self) -> None:
        while not self.text:
            with open(self.path, encoding="utf-8") as handle:
                self.text = handle.read()


def test_a_journal_and_reports_written_into_fifos_leave_them_fifos(
    squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "e.json").write_text(json.dumps(EXPERIMENT))
    readers = {name: Reader(tmp_path / name) for name in ("journal", "md", "junit")}
    result = squall("run", "e.json", "--journal-path", "journal")
    assert result.code == 0, result.stderr
    # the reports are made from the journal file: a normal one here
    reports = squall("run", "e.json", "--report", "markdown:md", "--junit", "junit")
    assert reports.code == 0, reports.stderr
    for name, reader in readers.items():
        reader.join(timeout=30)
        assert stat.S_ISFIFO(os.stat(tmp_path / name).st_mode), f"{name} was replaced"
    assert json.loads(readers["journal"].text)["status"] == "completed"
    assert "special paths" in readers["md"].text and "<testsuite" in readers["junit"].text


def test_reports_of_a_journal_sent_into_a_fifo_are_made_from_the_run(
    squall: Any, tmp_path: Path
) -> None:
    """The reports are made from the journal the run holds, never read back from its
    path: read back, a FIFO waited for a writer for ever (the run never ended), and
    then the reports were declined."""
    (tmp_path / "e.json").write_text(json.dumps(EXPERIMENT))
    reader = Reader(tmp_path / "journal")
    result = squall(
        "run",
        "e.json",
        "--journal-path",
        "journal",
        "--report",
        "markdown:r.md",
        "--report",
        "json:r.json",
        timeout=60,
    )
    assert result.code == 0, result.stderr
    assert "report not written" not in result.stderr, result.stderr
    assert "markdown report: r.md" in result.stderr
    reader.join(timeout=30)
    journal = json.loads(reader.text)
    assert journal["status"] == "completed"
    assert "### ✅ held: special paths" in (tmp_path / "r.md").read_text()
    (run,) = json.loads((tmp_path / "r.json").read_text())["runs"]
    assert run["journal"] == "journal" and run["run_id"] == journal["squall"]["run_id"]


def test_settings_are_not_written_over_a_device_or_fifo(tmp_path: Path) -> None:
    from squall.errors import InputError
    from squall.settings import save_settings

    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(InputError, match="not a regular file"):
        save_settings({"a": 1}, tmp_path / "fifo")
    assert stat.S_ISFIFO(os.stat(tmp_path / "fifo").st_mode)
