"""The control-flow keys in ``squall run --plan`` and in the streamed journal that
``squall recover`` reads back after a crash."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from sqharness import EXAMPLES, run_streams, start_run

FLOW = EXAMPLES / "flow"


def test_the_plan_shows_the_control_flow(squall: Any) -> None:
    result = squall("run", "--plan", str(EXAMPLES / "schema" / "valid-flow-keys.json"))
    assert result.code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["on_failure"] == "abort"
    assert plan["steady_state_probes"] == ["probe up [wait until tolerance holds, 30s, every 0.5s]"]
    assert plan["method"][0] == (
        "action inject [retry 3 attempts, delay 0.5s x2 (max 10s); isolation process; "
        "on_failure continue]"
    )
    assert plan["method"][1] == "probe nulls"


def test_the_default_policy_in_the_plan(squall: Any) -> None:
    result = squall("run", "--plan", str(FLOW / "retry.json"))
    assert json.loads(result.stdout)["on_failure"] == "default"


def test_attempts_and_policy_survive_a_crash_and_recover(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("{}\n")
    count = tmp_path / "count.txt"
    proc, journal, log = start_run(
        tmp_path, "flow/recover.json", "--var", f"count={count}", new_session=True
    )
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    (stream,) = run_streams()
    events = stream.read_text().splitlines()
    streamed = [json.loads(e) for e in events if '"flaky"' in e and '"squall"' in e]
    assert streamed, "the entry with its attempts was streamed before the crash"
    result = squall("recover", str(journal), "--var", f"log={log}", "--var", f"count={count}")
    assert result.code == 0, result.stderr
    data = json.loads(journal.read_text())
    flaky = data["run"][0]
    assert flaky["status"] == "failed"
    assert [a["status"] for a in flaky["squall"]["attempts"]] == ["failed", "failed"]
    assert flaky["squall"]["excused"] is True
    assert not any("'flaky' failed:" in r for r in data["squall"]["reasons"])
    assert "undo" in log.read_text()
