"""A run whose event stream can no longer be written (a full disk) still plays its rollbacks.

Found: the event stream is written at every step; when a write failed mid-run (ENOSPC,
or EFBIG past ``RLIMIT_FSIZE``), the ``OSError`` went up through the engine: squall
printed ``squall: error: [Errno 27] File too large``, exited 2 (bad input!) and never
played the rollbacks. A full disk is what chaos experiments cause (a fault filling the
disk, a log flood): the rollback that would free the space was the one skipped.

Also: a stream whose start could not be written was left behind, half written, and
``squall recover --list`` showed it as ``unreadable`` ever after.

Now a failed write stops the run (kind ``stream``: nothing more of the method starts),
the rollbacks the strategy owes are played (as after a deadline: exit 3, broken), the
unwritten events wait in memory and go out with the next write that succeeds. A stream
whose start cannot be written is removed, and the run refused (exit 2) as before.

The full disk is ``RLIMIT_FSIZE`` (writes past it fail with EFBIG: Python ignores
SIGXFSZ), set on the real ``squall`` process only: a full filesystem cannot be made
here without mounting one.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqharness import subprocess_env

MARK = (
    "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + chr(10)); "
    "sys.stdout.write('x' * int(sys.argv[3]))"
)


def _step(name: str, markers: Path, size: float = 0, code: str = MARK) -> dict[str, Any]:
    """A step that marks its name (``code``: MARK writes ``size`` bytes of output,
    SLOW_MARK marks its start, then its end ``size`` seconds later)."""
    return {
        "type": "action",
        "name": name,
        "provider": {
            "type": "process",
            "path": sys.executable,
            "arguments": ["-c", code, str(markers), name, str(size)],
        },
    }


def _run(tmp_path: Path, limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    markers = tmp_path / "markers"
    experiment = {
        "title": "a full disk",
        "description": "the third step's event cannot be written",
        "method": [
            _step("first", markers),
            _step("fill", markers, 200_000),  # its event line is past the limit
            _step("third", markers),
        ],
        "rollbacks": [_step("undo", markers)],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))

    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "squall", "run", "e.json", "--no-history", *args],
        cwd=tmp_path,
        env=subprocess_env(SQUALL_RECOVERY_DIR=str(tmp_path / "recovery")),
        preexec_fn=limit_files,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _recoverable(tmp_path: Path) -> str:
    listed = subprocess.run(
        [sys.executable, "-m", "squall", "recover", "--list"],
        cwd=tmp_path,
        env=subprocess_env(SQUALL_RECOVERY_DIR=str(tmp_path / "recovery")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return listed.stdout + listed.stderr


def test_a_stream_that_fills_up_mid_run_stops_the_method_and_plays_the_rollbacks(
    tmp_path: Path,
) -> None:
    done = _run(tmp_path, 64 * 1024)
    markers = (tmp_path / "markers").read_text().split()
    assert markers == ["first", "fill", "undo"], (markers, done.stderr)
    assert done.returncode == 3, done.stderr
    assert "event stream" in done.stderr and "File too large" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    # every owed rollback was played: nothing is left to recover
    assert "no run to recover" in _recoverable(tmp_path)


def test_under_the_always_strategy_too(tmp_path: Path) -> None:
    done = _run(tmp_path, 64 * 1024, "--rollback-strategy", "always")
    assert (tmp_path / "markers").read_text().split() == ["first", "fill", "undo"]
    assert done.returncode == 3, done.stderr


def test_a_stream_whose_start_cannot_be_written_is_refused_and_not_left_behind(
    tmp_path: Path,
) -> None:
    done = _run(tmp_path, 512)
    assert done.returncode == 2, done.stderr
    assert "cannot write the run's event stream" in done.stderr
    assert not (tmp_path / "markers").exists()
    assert "no run to recover" in _recoverable(tmp_path)
    assert list((tmp_path / "recovery").glob("*.events.jsonl")) == []


SLOW_MARK = (
    "import sys, time; log = sys.argv[1]; name = sys.argv[2]; "
    "open(log, 'a').write(name + '-start' + chr(10)); time.sleep(float(sys.argv[3])); "
    "open(log, 'a').write(name + chr(10))"
)


def test_recover_does_not_replay_a_rollback_the_full_disk_kept_out_of_the_stream(
    tmp_path: Path,
) -> None:
    """Found (session 8, left): the events of the rollbacks played after the disk filled
    stayed in memory; with a rollback still owed at the end (a signal during the
    rollbacks), the stream kept on disk lacked them and ``squall recover`` played them
    again. Now the run notes the rollbacks it played on the stream's file (an extended
    attribute: no data block, no file size), and recover reads it."""
    _, recovered, markers = signal_during_rollbacks(tmp_path, tmp_path / "recovery", 65536)
    assert markers == ONCE, recovered


#: each rollback once: undo-1 by the run, undo-2 (owed) by ``squall recover``
ONCE = ["first", "fill", "undo-1-start", "undo-1", "undo-2-start", "undo-2"]


def signal_during_rollbacks(
    tmp_path: Path, recovery: Path, limit: int | None
) -> tuple[str, str, list[str]]:
    """A run whose stream fills up (``limit``: ``RLIMIT_FSIZE``; None: the file system
    of ``recovery`` fills), SIGTERM during its first rollback, then ``squall recover``:
    (the run's stderr, the recovery's output, the markers of the steps played)."""
    import signal
    import time

    markers = tmp_path / "markers"
    experiment = {
        "title": "a full disk, then a signal during the rollbacks",
        "description": "undo-1 is played once, undo-2 is owed",
        "method": [_step("first", markers), _step("fill", markers, 200_000), _step("third", markers)],
        "rollbacks": [_step("undo-1", markers, 1.0, SLOW_MARK), _step("undo-2", markers, 0, SLOW_MARK)],
    }  # fmt: skip
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    env = subprocess_env(SQUALL_RECOVERY_DIR=str(recovery))

    def limit_files() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    run = subprocess.Popen(
        [sys.executable, "-m", "squall", "run", "e.json", "--no-history"],
        cwd=tmp_path, env=env, preexec_fn=limit_files, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while "undo-1-start" not in (markers.read_text() if markers.exists() else ""):
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.02)
    run.send_signal(signal.SIGTERM)  # undo-1 ends; undo-2 is owed
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 3, stderr  # broken: the stream stopped it
    assert '1 rollback not played ("undo-2")' in stderr
    run_id = stderr.split("run ", 1)[1].split(")", 1)[0]
    recovered = subprocess.run(
        [sys.executable, "-m", "squall", "recover", run_id, "--no-history"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert recovered.returncode == 0, recovered.stderr
    return stderr, recovered.stdout + recovered.stderr, markers.read_text().split()
