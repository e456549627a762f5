"""What an abandoned Python activity prints after the command ended is masked too.

Found: a Python activity abandoned at its timeout keeps running (Python cannot kill a
thread). The command put the original, unmasked ``sys.stdout``/``sys.stderr`` back when
it ended, so whatever that work printed while the process exited (Python joins a
``concurrent.futures`` pool's threads, runs ``atexit`` handlers) reached the console in
clear: ``late: CNRY...`` after squall's last line.

Now the ``squall`` command keeps its masked streams until the process is gone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TOKEN = "CNRYlate-93b1"


def test_output_of_an_abandoned_activity_after_the_command_is_masked(
    squall: Any, tmp_path: Path
) -> None:
    experiment = {
        "title": "abandoned",
        "description": "an activity whose work prints its secret after the command ended",
        "secrets": {"s": {"tok": TOKEN}},
        "method": [
            {
                "type": "action",
                "name": "slow",
                "secrets": ["s"],
                "timeout": 0.2,
                "provider": {
                    "type": "python",
                    "module": "abandonmod",
                    "func": "slow",
                    "arguments": {"token": "${tok}"},
                },
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    result = squall("run", "e.json", env={"PYTHONPATH": str(HERE)})
    assert result.code == 3, result.stderr
    assert "did not finish within its timeout" in result.stderr
    # the late lines were printed (after the command's last line), masked
    assert "late stdout: ***\n" in result.stdout
    assert "late, no newline: ***" in result.stdout
    assert "late stderr: ***\n" in result.stderr
    assert "CNRY" not in result.stdout + result.stderr
