"""agent_alive, alert_observed and audit_log_present with a real agent process and writers."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request

import pytest

from squall import ActivityFailed
from squall.drivers.security.detection import agent_alive, alert_observed, audit_log_present

# -- agent_alive -------------------------------------------------------------------------------


def test_running_agent_is_alive(agent, tmp_path):
    process, beat, script = agent
    pidfile = tmp_path / "agent.pid"
    pidfile.write_text(f"{process.pid}\n")
    result = agent_alive(
        pid=process.pid,
        pidfile=str(pidfile),
        name=script,
        heartbeat_file=str(beat),
        max_heartbeat_age=2,
    )
    assert result["ok"] is True, result["problems"]
    assert [p["pid"] for p in result["processes"]] == [process.pid]
    assert result["processes"][0]["state"] in ("R", "S", "D")  # D: writing its heartbeat
    assert result["heartbeat"]["fresh"] is True and result["heartbeat"]["age_s"] < 2


def test_paused_agent_is_not_alive_and_heartbeat_goes_stale(agent):
    process, beat, _ = agent
    os.kill(process.pid, signal.SIGSTOP)
    try:
        time.sleep(0.4)
        result = agent_alive(pid=process.pid, heartbeat_file=str(beat), max_heartbeat_age=0.3)
    finally:
        os.kill(process.pid, signal.SIGCONT)
    assert result["ok"] is False and result["running"] is False
    assert result["processes"][0]["state"] == "T"
    assert result["heartbeat"]["fresh"] is False
    assert f"process {process.pid} is stopped" in result["problems"]


def test_killed_agent_zombie_then_gone(agent):
    process, _, script = agent
    process.kill()
    deadline = time.monotonic() + 5
    while agent_alive(pid=process.pid)["processes"][0]["state"] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert agent_alive(pid=process.pid)["ok"] is False  # a zombie is not an agent
    process.wait(5)
    gone = agent_alive(pid=process.pid)
    assert gone["ok"] is False and gone["processes"][0]["state_name"] == "not running"
    assert agent_alive(name=script)["problems"] == [f'no process named "{script}"']


def test_missing_pidfile_and_heartbeat(tmp_path):
    result = agent_alive(pidfile=str(tmp_path / "none.pid"), heartbeat_file=str(tmp_path / "hb"))
    assert result["ok"] is False and len(result["problems"]) == 2
    assert result["heartbeat"]["exists"] is False
    with pytest.raises(ActivityFailed, match="at least one"):
        agent_alive()


# -- alert_observed ----------------------------------------------------------------------------


def write_later(path, lines, delay):
    def run():
        time.sleep(delay)
        with path.open("a") as handle:
            for line in lines:
                handle.write(line + "\n")
                handle.flush()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_alert_appears_in_sink_after_a_delay(tmp_path):
    sink = tmp_path / "alerts.jsonl"
    other = json.dumps({"rule": "disk-full"})
    wanted = json.dumps({"rule": "port-opened", "labels": {"experiment": "exp-1"}, "port": 4444})
    writer = write_later(sink, [other, "not json", wanted], 0.3)
    try:
        result = alert_observed(
            {"rule": "port-opened", "labels.experiment": ["exp-0", "exp-1"]},
            sink=str(sink),
            deadline=5,
            poll_interval=0.05,
        )
    finally:
        writer.join()
    assert result["ok"] is True and result["source"] == "sink"
    assert result["event"]["port"] == 4444
    assert 0.25 <= result["waited_s"] < 3
    assert result["end_offset"] == sink.stat().st_size


def test_no_matching_alert_before_the_deadline(tmp_path):
    sink = tmp_path / "alerts.jsonl"
    sink.write_text(json.dumps({"rule": "port-opened"}) + "\n")
    size = sink.stat().st_size
    result = alert_observed(
        {"rule": "port-opened"}, sink=str(sink), deadline=0.3, poll_interval=0.05, start_offset=size
    )
    assert result["ok"] is False and result["events_seen"] == 0
    assert result["waited_s"] >= 0.3
    assert alert_observed({"rule": "port-opened"}, sink=str(sink), deadline=0.3)["ok"] is True


def test_not_before_filters_old_events(tmp_path):
    sink = tmp_path / "alerts.jsonl"
    sink.write_text(
        json.dumps({"rule": "x", "time": "2020-01-01T00:00:00Z"})
        + "\n"
        + json.dumps({"rule": "x"})
        + "\n"
    )
    now = time.time()
    old = alert_observed({"rule": "x"}, sink=str(sink), deadline=0.2, not_before=now)
    assert old["ok"] is False and old["events_seen"] == 2
    writer = write_later(sink, [json.dumps({"rule": "x", "time": now + 1})], 0.1)
    try:
        fresh = alert_observed(
            {"rule": "x"}, sink=str(sink), deadline=3, poll_interval=0.05, not_before=now
        )
    finally:
        writer.join()
    assert fresh["ok"] is True


def test_sink_truncated_while_waiting(tmp_path):
    sink = tmp_path / "alerts.jsonl"
    sink.write_text(json.dumps({"rule": "old"}) * 20 + "\n")

    def truncate_then_write():
        time.sleep(0.15)
        sink.write_text(json.dumps({"rule": "new"}) + "\n")

    thread = threading.Thread(target=truncate_then_write)
    thread.start()
    try:
        result = alert_observed(
            {"rule": "new"}, sink=str(sink), deadline=3, poll_interval=0.05, start_offset=10**6
        )
    finally:
        thread.join()
    assert result["ok"] is True


def test_alert_received_by_webhook(closed_port):
    body = json.dumps({"alert": {"name": "canary-secret"}, "severity": "high"}).encode()

    def post_later():
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            request = urllib.request.Request(
                f"http://127.0.0.1:{closed_port}/hook", data=body, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=1) as response:
                    assert response.status == 202
                return
            except OSError:
                time.sleep(0.05)

    sender = threading.Thread(target=post_later)
    sender.start()
    try:
        result = alert_observed(
            {"alert.name": "canary-secret"},
            webhook_port=closed_port,
            deadline=5,
            poll_interval=0.05,
        )
    finally:
        sender.join()
    assert result["ok"] is True and result["source"] == "webhook"
    assert result["event"]["severity"] == "high"


def test_alert_bad_input(tmp_path):
    with pytest.raises(ActivityFailed, match="non-empty"):
        alert_observed({}, sink="x")
    with pytest.raises(ActivityFailed, match="sink file"):
        alert_observed({"a": 1})
    with pytest.raises(ActivityFailed, match="non-loopback"):
        alert_observed({"a": 1}, webhook_port=9, webhook_host="0.0.0.0")


# -- audit_log_present -------------------------------------------------------------------------


def test_audit_log_grows_between_calls(tmp_path):
    log, state = tmp_path / "audit.log", str(tmp_path / "audit.state")
    log.write_text("login alice\n")
    first = audit_log_present(str(log), state_file=state)
    assert first["ok"] is True and first["baseline"] is None and first["recorded"] == state
    with log.open("a") as handle:
        handle.write("sudo alice\n")
    second = audit_log_present(str(log), state_file=state)
    assert second["ok"] is True and second["grew"] is True and second["growth_bytes"] == 11
    third = audit_log_present(str(log), state_file=state)
    assert third["ok"] is False and third["problems"] == ["audit log did not grow (still 23 bytes)"]
    assert audit_log_present(str(log), state_file=state, must_grow=False)["ok"] is True


def test_audit_log_truncated_or_rotated(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text("a" * 100)
    baseline = audit_log_present(str(log))
    log.write_text("b")
    truncated = audit_log_present(str(log), previous=baseline)
    assert truncated["truncated"] is True and truncated["ok"] is False
    log.rename(tmp_path / "audit.log.1")
    log.write_text("c" * 200)
    rotated = audit_log_present(str(log), previous=baseline)
    assert rotated["rotated"] is True and rotated["grew"] is False and rotated["ok"] is False


def test_audit_log_missing_or_stale(tmp_path):
    missing = audit_log_present(str(tmp_path / "nope.log"))
    assert missing["exists"] is False and missing["ok"] is False
    log = tmp_path / "audit.log"
    log.write_text("x\n")
    old = time.time() - 600
    os.utime(log, (old, old))
    stale = audit_log_present(str(log), max_age=60)
    assert stale["ok"] is False and stale["age_s"] >= 599
    with pytest.raises(ActivityFailed, match="baseline"):
        audit_log_present(str(log), previous={"inode": 1})
