"""An in-process run does not return with Ctrl-C or SIGQUIT ignored.

Found (session 8): C's ``system()`` (``os.system``) ignores SIGINT and SIGQUIT in the
whole process while its child runs. A python activity calling it and abandoned at its
timeout left them ignored after ``squall.run_experiment`` returned, until the child
ended: a program embedding squall, or pytest with the plugin, could not be stopped by
Ctrl-C (or SIGQUIT) for that time. The kernel's table is read (/proc/self/status):
Python's own does not see a disposition changed in C.

Now the end of a run puts back the dispositions Python has for them (what the program
set, or the default).
"""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

from squall import run_experiment


def _ignored() -> set[str]:
    status = Path("/proc/self/status").read_text(encoding="ascii")
    found = re.search(r"^SigIgn:\s*([0-9a-f]+)$", status, re.M)
    mask = int(found.group(1), 16) if found else 0
    return {s.name for s in (signal.SIGINT, signal.SIGQUIT) if mask >> (s - 1) & 1}


def test_an_abandoned_os_system_leaves_no_stop_signal_ignored(tmp_path: Path) -> None:
    before = _ignored()
    experiment = {
        "title": "os.system abandoned at its timeout",
        "description": "its child outlives the run",
        "method": [{"type": "action", "name": "system", "timeout": 0.3,
                    "provider": {"type": "python", "module": "os", "func": "system",
                                 "arguments": {"command": "sleep 2"}}}],
    }  # fmt: skip
    path = tmp_path / "e.json"
    path.write_text(json.dumps(experiment))
    journal = run_experiment(path)
    assert journal.run[0] is not None and "ActivityTimeout" in "".join(journal.run[0].exception)
    assert _ignored() - before == set(), "a stop signal was left ignored"
