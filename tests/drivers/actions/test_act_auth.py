"""disable_auth, expire_or_revoke_credentials and clock_skew on a live target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from act_harness import Target, write_target_files

from squall import ActivityFailed
from squall.drivers.security.actions_auth import (
    clock_skew,
    disable_auth,
    enable_auth,
    expire_or_revoke_credentials,
    restore_clock,
    restore_credentials,
)


def test_disable_auth_opens_the_door_then_enable_auth_closes_it(target: Target) -> None:
    before = target.config_file.read_bytes()
    assert target.request("/protected")[0] == 401
    result = disable_auth(str(target.config_file), pidfile=str(target.pidfile))
    assert result["changed"] == {"auth_enabled": {"old": True, "new": False}}
    assert target.wait_generation(2)["auth_enabled"] is False
    assert target.request("/protected")[0] == 200
    with pytest.raises(ActivityFailed, match="already"):
        disable_auth(str(target.config_file))

    undone = enable_auth(str(target.config_file))
    assert undone["restored"] and undone["exact"] and undone["reloaded_pid"] == target.pid
    assert target.config_file.read_bytes() == before
    target.wait_generation(3)
    assert target.request("/protected")[0] == 401
    assert enable_auth(str(target.config_file))["restored"] is False


def test_revoke_token_from_secrets_then_restore(target: Target) -> None:
    revoked = target.path("revoked_tokens_file")
    before = revoked.read_bytes()
    token = target.good_token()
    assert target.request("/protected", token)[0] == 200

    result = expire_or_revoke_credentials(
        str(target.config_file), "revoke", pid=target.pid, secrets={"token": token}
    )
    assert token not in json.dumps(result)  # the secret is never echoed
    assert len(result["entry_sha256"]) == 64
    assert target.wait_generation(2)["revoked"] == 1
    assert target.request("/protected", token)[0] == 401
    assert revoked.read_text().splitlines()[-1] == token

    undone = restore_credentials(str(target.config_file))
    assert undone["restored"] and undone["exact"]
    assert revoked.read_bytes() == before
    target.wait_generation(3)
    assert target.request("/protected", token)[0] == 200


def test_rotate_signing_key_invalidates_tokens_then_restore(target: Target) -> None:
    key_file = target.path("signing_key_file")
    os.chmod(key_file, 0o640)
    before = key_file.read_bytes()
    token = target.good_token()

    result = expire_or_revoke_credentials(
        str(target.config_file), "rotate-key", pid=target.pid, process_name="target_app"
    )
    assert result["method"] == "rotate-key"
    new = key_file.read_bytes()
    assert new != before and len(new) == len(before) and new.endswith(b"\n")
    assert key_file.stat().st_mode & 0o777 == 0o640
    target.wait_generation(2)
    assert target.request("/protected", token)[0] == 401

    restore_credentials(str(target.config_file))
    assert key_file.read_bytes() == before
    assert key_file.stat().st_mode & 0o777 == 0o640
    target.wait_generation(3)
    assert target.request("/protected", token)[0] == 200


def test_revoke_into_new_json_list_and_line_undo(tmp_path: Path) -> None:
    deny = tmp_path / "deny.json"
    expire_or_revoke_credentials(revoked_tokens_file=str(deny), token_id="jti-1")
    assert json.loads(deny.read_text()) == ["jti-1"]
    restore_credentials(revoked_tokens_file=str(deny))
    assert not deny.exists()

    lines = tmp_path / "deny.txt"
    lines.write_text("a\nb")  # no final newline
    expire_or_revoke_credentials(revoked_tokens_file=str(lines), token_id="c")
    assert lines.read_text() == "a\nb\nc\n"
    lines.write_text(lines.read_text() + "d\n")  # the target's owner adds one meanwhile
    undone = restore_credentials(revoked_tokens_file=str(lines))
    assert undone["exact"] is False
    assert lines.read_text() == "a\nb\nd\n"


def test_credentials_refusals(tmp_path: Path) -> None:
    write_target_files(tmp_path)
    config = str(tmp_path / "config.json")
    with pytest.raises(ActivityFailed, match="give token_id"):
        expire_or_revoke_credentials(config, "revoke")
    with pytest.raises(ActivityFailed, match="method"):
        expire_or_revoke_credentials(config, "forget")
    (tmp_path / "revoked.txt").write_text("t1\n")
    with pytest.raises(ActivityFailed, match="already"):
        expire_or_revoke_credentials(config, token="t1")
    with pytest.raises(ActivityFailed, match="signing_key_file"):
        expire_or_revoke_credentials(
            "", "rotate-key", signing_key_file=str(tmp_path / "missing.key")
        )


def test_clock_skew_shifts_the_target_clock_then_restores(target: Target) -> None:
    before = target.config_file.read_bytes()
    now = target.state()["now"]
    result = clock_skew(str(target.config_file), offset_days=-2, pid=target.pid)
    assert result["shift_seconds"] == -172800
    assert result["changed"]["clock_offset_seconds"] == {"old": 0, "new": -172800}
    state = target.wait_generation(2)
    assert state["now"] < now - 172000

    restore_clock(str(target.config_file))
    assert target.config_file.read_bytes() == before
    assert target.wait_generation(3)["clock_offset_seconds"] == 0
    with pytest.raises(ActivityFailed, match="non-zero"):
        clock_skew(str(target.config_file))


def test_reload_signals_every_named_process(target: Target, tmp_path: Path) -> None:
    """Several components reading one config: each pidfile in the list gets SIGHUP."""
    hups = tmp_path / "hups.txt"
    code = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGHUP, lambda *a: open(sys.argv[1], 'a').write('hup\\n'))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", code, str(hups), "target_app-sidecar"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert other.stdout is not None
        other.stdout.readline()
        sidecar_pidfile = tmp_path / "sidecar.pid"
        sidecar_pidfile.write_text(str(other.pid))
        pidfiles = [str(target.pidfile), str(sidecar_pidfile)]
        result = disable_auth(str(target.config_file), pidfile=pidfiles, process_name="target_app")
        assert result["reloaded_pids"] == [target.pid, other.pid]
        assert target.wait_generation(2)["auth_enabled"] is False
        undone = enable_auth(str(target.config_file))
        assert undone["reloaded_pids"] == [target.pid, other.pid]
        assert target.wait_generation(3)["auth_enabled"] is True
        deadline = time.monotonic() + 5
        while (not hups.exists() or hups.read_text().count("hup") < 2) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.01)
        assert hups.read_text() == "hup\nhup\n"
    finally:
        other.kill()
        other.wait(5)
        if other.stdout:
            other.stdout.close()
