"""``squall recover`` on an event stream damaged by the kill that stopped its run (or by
hand): a located answer (exit 2) or the owed rollback played once, never an internal
error.

Found: a run killed as it began leaves a stream whose first line (the start event) is
cut short or empty. ``squall recover RUN`` then ended with "internal error: ValueError"
(exit 3), ``recover --list`` did not show the file and ``--discard`` could not find it,
so it stayed forever. A line nested 5000 deep (RecursionError), an index of 10**11 (a
list of that many places: MemoryError) and a name with a lone surrogate (journal write)
were internal errors too, after the rollback for the last.

Found later (session 7): one line of bytes that are not UTF-8 anywhere in the stream made
the whole stream "unreadable": ``recover`` said it had no start event, nothing was owed,
and offered to discard it (the owed rollback was never played). A stream padded with
zeros (what a crash of the machine can leave at the end of a file being written) was read
as one line: ``recover`` took the padding's size in memory, and ended with "internal
error: MemoryError" under a memory limit.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sqharness import subprocess_env

EXPERIMENT = {
    "title": "killed mid-method",
    "description": "a stream for recover to read",
    "method": [
        {
            "type": "action",
            "name": "inject",
            "provider": {
                "type": "process",
                "path": "sh",
                "arguments": ["-c", "echo injected >> marks"],
            },
        },
        {
            "type": "action",
            "name": "wait",
            "provider": {"type": "process", "path": "sleep", "arguments": "60"},
        },
    ],
    "rollbacks": [
        {
            "type": "action",
            "name": "undo",
            "provider": {
                "type": "process",
                "path": "sh",
                "arguments": ["-c", "echo rolled-back >> marks"],
            },
        }
    ],
}


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The event stream of a real run killed (-9) during its method, and the run's
    directory (a recovery plays the rollbacks there: it appends to its ``marks``)."""
    work = tmp_path_factory.mktemp("killed")
    (work / "e.json").write_text(json.dumps(EXPERIMENT))
    recovery = work / "runs"
    env = subprocess_env(SQUALL_RECOVERY_DIR=str(recovery))
    run = subprocess.Popen(
        [sys.executable, "-m", "squall", "run", "e.json"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    stream = None
    while time.monotonic() < deadline:
        streams = list(recovery.glob("*.events.jsonl")) if recovery.exists() else []
        if streams and '"index": 1, "name": "wait"' in streams[0].read_text():
            stream = streams[0]
            break
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert stream is not None, "the run never reached its second activity"
    return stream.read_text(), work


@pytest.fixture
def killed_stream(killed: tuple[str, Path]) -> str:
    return killed[0]


def _recover(work: Path, *args: str, memory: int | None = None) -> subprocess.CompletedProcess[str]:
    env = subprocess_env(SQUALL_RECOVERY_DIR=str(work / "runs"))

    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "squall", "recover", *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=limit,
    )


def _place(work: Path, text: str, run_id: str = "0123456789ab") -> str:
    (work / "runs").mkdir(mode=0o700)
    path = work / "runs" / f"{run_id}.events.jsonl"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    os.chmod(path, 0o600)
    return run_id


@pytest.mark.parametrize("cut", ["empty", "first line cut"])
def test_a_stream_killed_as_it_began_is_listed_explained_and_discarded(
    cut: str, killed_stream: str, tmp_path: Path
) -> None:
    run_id = _place(tmp_path, "" if cut == "empty" else killed_stream[:300])
    listed = _recover(tmp_path, "--list")
    assert listed.returncode == 0 and run_id in listed.stdout, listed.stderr
    refused = _recover(tmp_path, run_id)
    assert refused.returncode == 2, refused.stderr
    assert "no start event" in refused.stderr and f"squall recover {run_id} --discard" in (
        refused.stderr
    )
    assert "internal error" not in refused.stderr + listed.stderr
    discarded = _recover(tmp_path, run_id, "--discard")
    assert discarded.returncode == 0, discarded.stderr
    assert not list((tmp_path / "runs").iterdir())


def _damaged(stream: str, how: str) -> str:
    start = json.dumps({"event": "activity-start", "phase": "method", "index": 1, "name": "wait"})
    if how == "a line nested 5000 deep":
        deep = "[" * 5000 + "]" * 5000
        return (
            stream
            + '{"event": "activity-start", "phase": "method", "index": 2, "name": '
            + deep
            + "}\n"
        )
    if how == "an index of 10**11":
        return stream.replace(start, start.replace('"index": 1', '"index": 100000000000'))
    assert how == "a name with a lone surrogate"
    return stream.replace(start, start.replace('"wait"', '"wait\\udcff"'))


@pytest.mark.parametrize(
    "how", ["a line nested 5000 deep", "an index of 10**11", "a name with a lone surrogate"]
)
def test_a_damaged_line_does_not_stop_the_owed_rollback(
    how: str, killed: tuple[str, Path], tmp_path: Path
) -> None:
    stream, work = killed
    run_id = json.loads(stream.splitlines()[0])["run_id"]
    _place(tmp_path, _damaged(stream, how), run_id)
    before = (work / "marks").read_text().split()
    done = _recover(tmp_path, run_id)
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr
    assert (work / "marks").read_text().split() == [*before, "rolled-back"]  # played once


def test_the_killed_stream_is_what_the_cases_assume(killed_stream: str) -> None:
    lines: list[Any] = [json.loads(line) for line in killed_stream.splitlines()]
    assert lines[0]["event"] == "start" and lines[-1]["event"] == "activity-start"


def test_a_line_that_is_not_utf8_does_not_stop_the_owed_rollback(
    killed: tuple[str, Path], tmp_path: Path
) -> None:
    stream, work = killed
    run_id = json.loads(stream.splitlines()[0])["run_id"]
    _place(tmp_path, "", run_id)
    lines = stream.encode().split(b"\n")
    lines.insert(1, b"\xff\xfe\x80 not text")
    (tmp_path / "runs" / f"{run_id}.events.jsonl").write_bytes(b"\n".join(lines))
    before = (work / "marks").read_text().split()
    listed = _recover(tmp_path, "--list")
    assert "unreadable" not in listed.stdout, listed.stdout
    done = _recover(tmp_path, run_id)
    assert done.returncode == 0, done.stderr
    assert (work / "marks").read_text().split() == [*before, "rolled-back"]  # played once


#: the address space ``recover`` gets for a padded stream: enough for it (it needs under
#: 128 MiB), a quarter of what it took to read 2 GiB of zeros under 1 GiB (14 s of system
#: CPU: the kernel fills a page of cache per page of hole)
_PADDED_MEMORY = 256 << 20


def test_a_stream_padded_with_zeros_is_read_in_bounded_memory(
    killed: tuple[str, Path], tmp_path: Path
) -> None:
    stream, work = killed
    run_id = json.loads(stream.splitlines()[0])["run_id"]
    _place(tmp_path, stream, run_id)
    path = tmp_path / "runs" / f"{run_id}.events.jsonl"
    # twice the memory limit in zeros, sparse: no disk is used (a reader that held the
    # padding as one line, or a line of MAX_EVENT_LINE, would exceed the limit)
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size + 2 * _PADDED_MEMORY)
    before = (work / "marks").read_text().split()
    done = _recover(tmp_path, run_id, memory=_PADDED_MEMORY)
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr
    assert (work / "marks").read_text().split() == [*before, "rolled-back"]  # played once
