"""The full-disk record of played rollbacks (``user.squall.played``) on real file
systems, mounted in a user and mount namespace (``unshare -rm``): a size-limited tmpfs,
whose writes fail with ENOSPC and which keeps user xattrs (Linux 6.6 and later), and a
ramfs, which keeps none (there the run says that ``squall recover`` will play the
rollbacks again). tests/engine/test_stream_full.py has the scenario (and EFBIG)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_stream_full import ONCE

_IN_NAMESPACE = """
import json, subprocess, sys
from pathlib import Path
sys.path[:0] = sys.argv[1:3]
from test_stream_full import signal_during_rollbacks
fs, options, base = sys.argv[3], sys.argv[4], Path(sys.argv[5])
recovery = base / "recovery"
recovery.mkdir()
subprocess.run(["mount", "-t", fs, "-o", options, fs, str(recovery)], check=True)
limit = 65536 if fs == "ramfs" else None  # a ramfs has no size: RLIMIT_FSIZE fills it
print(json.dumps(signal_during_rollbacks(base, recovery, limit)))
"""


def _in_namespace(tmp_path: Path, fs: str, options: str) -> tuple[str, str, list[str]]:
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rm", "true"], check=False).returncode:
        if os.environ.get("CI"):
            pytest.fail("unshare -rm does not work here: user namespaces are needed")
        pytest.skip("no user namespaces here (unshare -rm)")
    here = Path(__file__).parent
    argv = [
        unshare,
        "-rm",
        sys.executable,
        "-c",
        _IN_NAMESPACE,
        str(here),
        str(here.parent / "support"),
    ]
    done = subprocess.run(
        [*argv, fs, options, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    stderr, recovered, markers = json.loads(done.stdout)
    return stderr, recovered, markers


def test_a_real_enospc_keeps_the_played_rollbacks_on_the_file(tmp_path: Path) -> None:
    """Found: ``squall recover`` on the disk still full refused to start ("cannot open
    ...events.jsonl: No space left on device": the stream the full disk cut mid-line
    could not be ended with its newline), so the rollback that would free the disk was
    never played. Now that write waits, as a run's do."""
    stderr, recovered, markers = _in_namespace(tmp_path, "tmpfs", "size=64k")
    assert "No space left on device" in stderr, stderr
    assert markers == ONCE, (stderr, recovered)
    assert "could not be noted" not in stderr


def test_without_user_xattrs_recover_plays_them_again_and_the_run_says_so(tmp_path: Path) -> None:
    stderr, recovered, markers = _in_namespace(tmp_path, "ramfs", "mode=0700")
    assert "File too large" in stderr, stderr
    said = '1 rollback played ("undo-1") could not be noted on the event stream'
    assert said in stderr and "`squall recover` will play them again" in stderr, stderr
    assert markers == [*ONCE[:4], "undo-1-start", "undo-1", *ONCE[4:]], (stderr, recovered)
