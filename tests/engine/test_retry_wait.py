"""``retry`` (with backoff) and ``wait_until`` against a real loopback HTTP server whose
answer changes after some requests or some time."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqharness import EXAMPLES, LocalServer, subprocess_env

FLOW = EXAMPLES / "flow"


def hits(server: LocalServer, fragment: str) -> int:
    return sum(1 for r in server.requests if fragment in r[1])


def test_retry_until_the_call_succeeds(squall: Any, http_server: LocalServer) -> None:
    result = squall("run", str(FLOW / "retry.json"), "--var", f"base={http_server.url}")
    assert result.code == 0, result.stderr
    (entry,) = result.journal["run"]
    assert entry["status"] == "succeeded"
    assert entry["output"]["status"] == 200
    attempts = entry["squall"]["attempts"]
    assert [a["status"] for a in attempts] == ["failed", "failed", "succeeded"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert "Server disconnected" in attempts[0]["error"]
    assert "error" not in attempts[2]
    assert hits(http_server, "/flaky") == 3
    # delays: 0.1 s before the second attempt, 0.2 s before the third (backoff 2)
    starts = [datetime.fromisoformat(a["start"]) for a in attempts]
    gap1 = (starts[1] - starts[0]).total_seconds() - attempts[0]["duration"]
    gap2 = (starts[2] - starts[1]).total_seconds() - attempts[1]["duration"]
    assert 0.09 <= gap1 < 2 and 0.19 <= gap2 < 2


def test_retry_gives_up_and_the_last_attempt_decides(squall: Any, http_server: LocalServer) -> None:
    result = squall(
        "run", str(FLOW / "retry.json"), "--var", f"base={http_server.url}", "--var", "fail:int=9"
    )
    assert result.code == 3, result.stderr
    (entry,) = result.journal["run"]
    assert entry["status"] == "failed"
    assert [a["status"] for a in entry["squall"]["attempts"]] == ["failed"] * 4
    assert hits(http_server, "/flaky") == 4
    assert "(after 4 attempts)" in result.stderr
    # max_delay caps the third delay at 0.3 s (0.1, 0.2, 0.3 instead of 0.4)
    starts = [datetime.fromisoformat(a["start"]) for a in entry["squall"]["attempts"]]
    assert (starts[3] - starts[2]).total_seconds() < 0.3 + 1.5


def test_a_dry_run_makes_no_call(squall: Any, http_server: LocalServer) -> None:
    result = squall(
        "run", str(FLOW / "retry.json"), "--var", f"base={http_server.url}", "--dry", "activities"
    )
    assert result.code == 0, result.stderr
    assert http_server.requests == []
    assert "squall" not in result.journal["run"][0]


def test_wait_until_in_the_hypothesis_and_the_method(squall: Any, http_server: LocalServer) -> None:
    result = squall("run", str(FLOW / "wait-until.json"), "--var", f"base={http_server.url}")
    assert result.code == 3, result.stderr
    (before,) = result.journal["steady_states"]["before"]["probes"]
    assert before["tolerance_met"] is True and before["status"] == "succeeded"
    waited = before["squall"]["wait_until"]
    assert waited["held"] is True and waited["polls"] > 1
    assert 0.5 <= waited["elapsed"] < 8
    # the method's probe never sees its 200 within 1 s: the activity fails
    (method,) = result.journal["run"]
    assert method["status"] == "failed"
    assert method["tolerance_met"] is False
    assert method["squall"]["wait_until"]["held"] is False
    assert 1 <= method["squall"]["wait_until"]["elapsed"] < 5
    assert "did not hold within 1s" in method["exception"][0]
    assert "expected 200, got 503" in result.stderr
    assert result.stderr.count("returned 503") <= 1, "only the last poll's warning is shown"


def test_wait_until_that_holds_in_the_method(squall: Any, http_server: LocalServer) -> None:
    result = squall(
        "run",
        str(FLOW / "wait-until.json"),
        "--var",
        f"base={http_server.url}",
        "--var",
        "within:float=0.3",
    )
    assert result.code == 0, result.stderr
    (method,) = result.journal["run"]
    assert method["status"] == "succeeded" and method["tolerance_met"] is True
    assert method["squall"]["wait_until"]["polls"] > 1


def test_wait_until_never_met_in_the_hypothesis_is_a_deviation(
    squall: Any, http_server: LocalServer
) -> None:
    result = squall(
        "run",
        str(FLOW / "wait-until-after.json"),
        "--var",
        f"base={http_server.url}",
    )
    assert result.code == 1, result.stderr
    (after,) = result.journal["steady_states"]["after"]["probes"]
    assert after["tolerance_met"] is False
    assert after["status"] == "succeeded"
    waited = after["squall"]["wait_until"]
    assert waited["held"] is False and waited["elapsed"] >= 0.5
    assert "did not hold within 0.5s" in result.stderr


def _start(tmp_path: Path, experiment: Path, *extra: str) -> subprocess.Popen[str]:
    settings, journal = str(tmp_path / "s.yaml"), str(tmp_path / "journal.json")
    command = [sys.executable, "-m", "squall", "--settings", settings, "run", "--journal-path"]
    return subprocess.Popen(
        [*command, journal, str(experiment), *extra],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_hits(server: LocalServer, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 15
    while hits(server, "/flaky") < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run made no call"
        time.sleep(0.02)


def test_an_interrupt_during_a_retry_delay_stops_at_once(
    tmp_path: Path, http_server: LocalServer
) -> None:
    proc = _start(tmp_path, FLOW / "retry-slow.json", "--var", f"base={http_server.url}")
    _wait_for_hits(http_server, 1, proc)
    time.sleep(0.2)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert time.monotonic() - started < 5, "the 30 s delay was not cut short"
    assert proc.returncode == 130, err
    journal = json.loads((tmp_path / "journal.json").read_text())
    (entry,) = journal["run"]
    assert entry["status"] == "failed"
    assert len(entry["squall"]["attempts"]) == 1
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == []
    assert hits(http_server, "/flaky") == 1


def test_the_run_deadline_stops_a_wait_until_poll(
    squall: Any, http_server: LocalServer, tmp_path: Path
) -> None:
    started = time.monotonic()
    result = squall(
        "run", str(FLOW / "wait-until-deadline.json"), "--var", f"base={http_server.url}"
    )
    assert time.monotonic() - started < 15, "the deadline did not stop the polling"
    assert result.code == 3, result.stderr
    assert result.journal["interruption"]["kind"] == "deadline"
    (entry,) = result.journal["run"]
    assert entry["status"] == "failed"
    assert entry["squall"]["wait_until"]["held"] is False
    assert entry["squall"]["wait_until"]["elapsed"] < 10
    assert [r["activity"]["name"] for r in result.journal["rollbacks"]] == ["undo"]
